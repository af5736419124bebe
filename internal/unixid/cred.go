// Package unixid runs file system calls as a Unix user: on Linux, the
// calling goroutine is locked to its OS thread, that thread alone takes
// the user's file system uid, gid and supplementary groups, the call
// runs, and the thread gets the server's identity back before it is
// unlocked (switch_linux.go). Wrap gives a vfs.FS whose every path
// operation runs that way, so the kernel checks permissions and sets
// ownership as the user while os.Root confinement stays in the backend.
//
// Elsewhere nothing can be switched per thread and Supported fails.
package unixid

import (
	"errors"
	"fmt"
	"os/user"
	"slices"
	"strconv"
)

// Cred is a Unix identity: the uid and primary gid files are created
// with and checked for, plus the supplementary groups.
type Cred struct {
	UID, GID uint32
	Groups   []uint32
}

// String formats c as id(1) does, numerically.
func (c *Cred) String() string {
	return fmt.Sprintf("uid=%d gid=%d groups=%v", c.UID, c.GID, c.Groups)
}

// ErrNoUser is wrapped by Lookup's error when no Unix user has the name.
var ErrNoUser = errors.New("no such Unix user")

// lookupUser and lookupGroups are os/user's, replaced in tests.
var (
	lookupUser   = user.Lookup
	lookupGroups = (*user.User).GroupIds
)

// Lookup returns the identity of the Unix user called name (the
// passwd and group databases through os/user): its uid, primary gid and
// every group it is a member of.
func Lookup(name string) (*Cred, error) {
	u, err := lookupUser(name)
	if err != nil {
		var unk user.UnknownUserError
		if errors.As(err, &unk) {
			return nil, fmt.Errorf("unix user %q: %w", name, ErrNoUser)
		}
		return nil, fmt.Errorf("unix user %q: %w", name, err)
	}
	uid, err := parseID(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("unix user %q: uid: %w", name, err)
	}
	gid, err := parseID(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("unix user %q: gid: %w", name, err)
	}
	c := &Cred{UID: uid, GID: gid}
	gids, err := lookupGroups(u)
	if err != nil {
		return nil, fmt.Errorf("unix user %q: groups: %w", name, err)
	}
	for _, g := range gids {
		id, err := parseID(g)
		if err != nil {
			return nil, fmt.Errorf("unix user %q: group %q: %w", name, g, err)
		}
		c.Groups = append(c.Groups, id)
	}
	return c.Normalize(), nil
}

// Normalize sorts c's supplementary groups, drops duplicates and adds
// the primary group (the kernel checks group permission against the
// fsgid and the supplementary list, and initgroups(3) lists the primary
// group too). It returns c.
func (c *Cred) Normalize() *Cred {
	if !slices.Contains(c.Groups, c.GID) {
		c.Groups = append(c.Groups, c.GID)
	}
	slices.Sort(c.Groups)
	c.Groups = slices.Compact(c.Groups)
	return c
}

// parseID parses a numeric uid or gid; the all-ones value is refused
// (it means "no change" to setfsuid and chown).
func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, err
	}
	if n == 1<<32-1 {
		return 0, fmt.Errorf("id %s is reserved", s)
	}
	return uint32(n), nil
}

// MaxGroups bounds the supplementary groups of a Cred (the kernel's
// NGROUPS_MAX is 65536; Do refuses more than this).
const MaxGroups = 65536
