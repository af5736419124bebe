package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zerosmb/zerosmb/auth"
)

// cmdGroup manages the groups kept in the users file:
// group add NAME [MEMBER...], group del NAME, group list.
func cmdGroup(args []string) int {
	if len(args) == 0 {
		return exitCode("group", usagef("want add, del or list"))
	}
	sub := args[0]
	fs := flag.NewFlagSet("group "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	users := fs.String("users", "", "")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return exitCode("group "+sub, usageError{err.Error()})
	}
	path := *users
	if path == "" {
		path = defaultUsersPath()
	}
	switch sub {
	case "add":
		err = groupAdd(path, pos)
	case "del":
		err = groupDel(path, pos)
	case "list":
		err = groupList(path, pos)
	default:
		return exitCode("group", usagef("unknown subcommand %q (want add, del, list)", sub))
	}
	return exitCode("group "+sub, err)
}

// groupAdd creates or replaces a group with the given members.
func groupAdd(path string, pos []string) error {
	if len(pos) < 1 {
		return usagef("want NAME [MEMBER...]")
	}
	db, err := auth.LoadUsers(path)
	if err != nil {
		return err
	}
	if err := db.SetGroup(pos[0], pos[1:]); err != nil {
		return usageError{strings.TrimPrefix(err.Error(), "auth: ")}
	}
	return db.Save(path)
}

// groupDel removes a group.
func groupDel(path string, pos []string) error {
	return deleteEntry(path, pos, "group", (*auth.UserDB).DeleteGroup)
}

// groupList prints "name: member member" lines.
func groupList(path string, pos []string) error {
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	db, err := auth.LoadUsers(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, g := range db.GroupNames() {
		ms, _ := db.GroupMembers(g)
		fmt.Printf("%s: %s\n", g, strings.Join(ms, " "))
	}
	return nil
}
