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

func cmdUser(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "zerosmb user: want add, del or list")
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	users := fs.String("users", "", "")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "zerosmb user %s: %v\n", sub, err)
		return 2
	}
	path := *users
	if path == "" {
		path = defaultUsersPath()
	}
	load := func(mayCreate bool) (*auth.UserDB, error) {
		db, err := auth.LoadUsers(path)
		if errors.Is(err, os.ErrNotExist) && mayCreate {
			return auth.NewUserDB(), nil
		}
		return db, err
	}
	switch sub {
	case "add":
		if len(pos) != 1 {
			fmt.Fprintln(os.Stderr, "zerosmb user add: want exactly one NAME (password is read from stdin)")
			return 2
		}
		name := pos[0]
		if err := auth.ValidUserName(name); err != nil {
			fmt.Fprintf(os.Stderr, "zerosmb user add: %v\n", strings.TrimPrefix(err.Error(), "auth: "))
			return 2
		}
		db, err := load(true)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zerosmb user add: %v\n", err)
			return 1
		}
		pw, err := readPassword(os.Stdin, name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zerosmb user add: %v\n", err)
			return 2
		}
		if pw == "" {
			fmt.Fprintln(os.Stderr, "zerosmb user add: empty password refused")
			return 2
		}
		db.Add(name, pw)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			fmt.Fprintf(os.Stderr, "zerosmb user add: %v\n", err)
			return 1
		}
		if err := db.Save(path); err != nil {
			fmt.Fprintf(os.Stderr, "zerosmb user add: %v\n", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "user %s saved in %s\n", name, path)
	case "del":
		if len(pos) != 1 {
			fmt.Fprintln(os.Stderr, "zerosmb user del: want exactly one NAME")
			return 2
		}
		db, err := load(false)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zerosmb user del: %v\n", err)
			return 1
		}
		if !db.Delete(pos[0]) {
			fmt.Fprintf(os.Stderr, "zerosmb user del: no user %q in %s\n", pos[0], path)
			return 1
		}
		if err := db.Save(path); err != nil {
			fmt.Fprintf(os.Stderr, "zerosmb user del: %v\n", err)
			return 1
		}
	case "list":
		db, err := load(false)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zerosmb user list: %v\n", err)
			return 1
		}
		for _, n := range db.Names() {
			fmt.Println(n)
		}
	default:
		fmt.Fprintf(os.Stderr, "zerosmb user: unknown subcommand %q (want add, del, list)\n", sub)
		return 2
	}
	return 0
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
