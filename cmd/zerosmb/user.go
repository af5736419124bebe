package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/zerosmb/zerosmb/auth"
)

// usageError is a command-line mistake: exit status 2 instead of 1.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// exitCode prints err for cmd and maps it to an exit status: 0 for nil, 2
// for usage errors, 1 otherwise.
func exitCode(cmd string, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(os.Stderr, "zerosmb %s: %v\n", cmd, err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

func cmdUser(args []string) int {
	if len(args) == 0 {
		return exitCode("user", usagef("want add, del or list"))
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	users := fs.String("users", "", "")
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return exitCode("user "+sub, usageError{err.Error()})
	}
	if *help {
		os.Stdout.WriteString(usage)
		return 0
	}
	path := *users
	if path == "" {
		path = defaultUsersPath()
	}
	switch sub {
	case "add":
		err = userAdd(path, pos)
	case "del":
		err = userDel(path, pos)
	case "list":
		err = userList(path, pos)
	default:
		return exitCode("user", usagef("unknown subcommand %q (want add, del, list)", sub))
	}
	return exitCode("user "+sub, err)
}

// userAdd adds or updates the user named in pos with a password from stdin.
func userAdd(path string, pos []string) error {
	if len(pos) != 1 {
		return usagef("want exactly one NAME (password is read from stdin)")
	}
	name := pos[0]
	if err := auth.ValidUserName(name); err != nil {
		return usageError{strings.TrimPrefix(err.Error(), "auth: ")}
	}
	db, err := auth.LoadUsers(path)
	if errors.Is(err, os.ErrNotExist) {
		db, err = auth.NewUserDB(), nil
	}
	if err != nil {
		return err
	}
	pw, err := readPassword(os.Stdin, name)
	if err != nil {
		return usageError{err.Error()}
	}
	if pw == "" {
		return usagef("empty password refused")
	}
	db.Add(name, pw)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := db.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "user %s saved in %s\n", name, path)
	return nil
}

// userDel removes the user named in pos.
func userDel(path string, pos []string) error {
	return deleteEntry(path, pos, "user", (*auth.UserDB).Delete)
}

// deleteEntry removes the user or group (kind) named in pos with del
// and saves the file.
func deleteEntry(path string, pos []string, kind string, del func(db *auth.UserDB, name string) bool) error {
	if len(pos) != 1 {
		return usagef("want exactly one NAME")
	}
	db, err := auth.LoadUsers(path)
	if err != nil {
		return err
	}
	if !del(db, pos[0]) {
		return fmt.Errorf("no %s %q in %s", kind, pos[0], path)
	}
	return db.Save(path)
}

// userList prints the user names, one per line.
func userList(path string, pos []string) error {
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	db, err := auth.LoadUsers(path)
	if err != nil {
		return err
	}
	for _, n := range db.Names() {
		fmt.Println(n)
	}
	return nil
}

// readPassword reads one line from in. On a terminal it prompts on
// stderr and turns echo off while the password is typed.
func readPassword(in *os.File, name string) (string, error) {
	if isTerminal(in) {
		restore, quiet := echoOff(in)
		if quiet {
			fmt.Fprintf(os.Stderr, "Password for %s: ", name)
			defer fmt.Fprintln(os.Stderr)
			// Give the terminal its echo back if interrupted.
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			done := make(chan struct{})
			defer close(done)
			defer signal.Stop(sig)
			go func() {
				select {
				case <-sig:
					restore()
					fmt.Fprintln(os.Stderr)
					os.Exit(130)
				case <-done:
				}
			}()
		} else {
			fmt.Fprintf(os.Stderr, "Password for %s (echoed; pipe it in to avoid that): ", name)
		}
		defer restore()
	}
	pw, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && pw != "") {
		return "", errors.New("no password on stdin")
	}
	return strings.TrimRight(pw, "\r\n"), nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
