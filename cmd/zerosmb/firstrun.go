package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zerosmb/zerosmb/auth"
)

// offerFirstUser handles `serve` without a users file on an interactive
// terminal: instead of failing it offers to create the file with a first
// user (password prompted for and not echoed). It does nothing when the
// users file exists, when stdin or stderr is not a terminal, or when only
// guest shares are served from an implicit users path (guest-only mode).
// It reports whether it created the file; err means the user gave up or
// the file could not be written.
func offerFirstUser(fc *fileConfig) (created bool, err error) {
	path := fc.Users
	explicit := path != ""
	if !explicit {
		path = defaultUsersPath()
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	guest := false
	for _, s := range fc.Shares {
		guest = guest || s.Guest
	}
	if (guest && !explicit) || len(fc.Shares) == 0 || !isTerminal(os.Stdin) || !isTerminal(os.Stderr) {
		return false, nil
	}
	def := os.Getenv("SUDO_USER")
	if def == "" {
		def = os.Getenv("USER")
	}
	if def == "root" || auth.ValidUserName(def) != nil {
		def = ""
	}
	fmt.Fprintf(os.Stderr, "zerosmb: there is no users file at %s yet.\n", path)
	fmt.Fprintf(os.Stderr, "Create it with a first user now? Enter a user name")
	if def != "" {
		fmt.Fprintf(os.Stderr, " [%s]", def)
	}
	fmt.Fprintf(os.Stderr, " (or type no): ")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil {
		return false, errors.New("no answer on the terminal")
	}
	name := strings.TrimSpace(line)
	if name == "" {
		name = def
	}
	if name == "" || strings.EqualFold(name, "no") || strings.EqualFold(name, "n") {
		return false, fmt.Errorf("no users file: create it with 'zerosmb user add --users %s NAME'", path)
	}
	if err := auth.ValidUserName(name); err != nil {
		return false, errors.New(strings.TrimPrefix(err.Error(), "auth: "))
	}
	pw, err := readPassword(os.Stdin, name)
	if err != nil {
		return false, err
	}
	if pw == "" {
		return false, errors.New("empty password refused")
	}
	again, err := readPassword(os.Stdin, name+" (again)")
	if err != nil {
		return false, err
	}
	if again != pw {
		return false, errors.New("the passwords differ; nothing saved")
	}
	db := auth.NewUserDB()
	db.Add(name, pw)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, err
	}
	if err := db.Save(path); err != nil {
		return false, err
	}
	fmt.Fprintf(os.Stderr, "user %s saved in %s (add more with 'zerosmb user add --users %s NAME')\n", name, path, path)
	return true, nil
}
