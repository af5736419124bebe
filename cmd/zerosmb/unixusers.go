package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/zerosmb/zerosmb/server"
)

// unixIDConfig is one [unix_ids] entry: the Unix identity of an SMB user
// without (or instead of) a passwd entry of the same name.
type unixIDConfig struct {
	UID    *int64  `toml:"uid"`
	GID    *int64  `toml:"gid"`
	Groups []int64 `toml:"groups"`
}

// unixIDMax is the largest uid or gid accepted (4294967295 means "no
// change" to the kernel).
const unixIDMax = 1<<32 - 2

// checkUnixIDs validates the [unix_ids] table: uid and gid present, in
// range, and not root's.
func checkUnixIDs(ids map[string]unixIDConfig) error {
	for _, name := range slices.Sorted(maps.Keys(ids)) {
		e := ids[name]
		if e.UID == nil || e.GID == nil {
			return fmt.Errorf("[unix_ids] %s: needs both uid and gid", name)
		}
		for _, v := range append([]int64{*e.UID, *e.GID}, e.Groups...) {
			if v < 0 || v > unixIDMax {
				return fmt.Errorf("[unix_ids] %s: id %d outside 0..%d", name, v, unixIDMax)
			}
		}
		if *e.UID == 0 {
			return fmt.Errorf("[unix_ids] %s: uid 0 would run the user's file access as root", name)
		}
	}
	return nil
}

// unixUsersConfig turns unix_users, unix_guest and [unix_ids] into
// server.Config.UnixUsers (nil when unix_users is off).
func unixUsersConfig(fc *fileConfig) (*server.UnixUsers, error) {
	if !fc.UnixUsers {
		if len(fc.UnixIDs) > 0 || fc.UnixGuest != "" {
			return nil, errors.New("unix_guest and [unix_ids] need unix_users = true")
		}
		return nil, nil
	}
	if err := checkUnixIDs(fc.UnixIDs); err != nil {
		return nil, err
	}
	u := &server.UnixUsers{Guest: fc.UnixGuest, IDs: map[string]server.UnixID{}}
	for name, e := range fc.UnixIDs {
		id := server.UnixID{UID: uint32(*e.UID), GID: uint32(*e.GID)}
		for _, g := range e.Groups {
			id.Groups = append(id.Groups, uint32(g))
		}
		u.IDs[name] = id
	}
	return u, nil
}

// unixIDsString formats [unix_ids] for comparison (restartOnly).
func unixIDsString(ids map[string]unixIDConfig) string {
	s := ""
	for _, name := range slices.Sorted(maps.Keys(ids)) {
		e := ids[name]
		s += fmt.Sprintf("%s=%v:%v:%v;", name, deref(e.UID), deref(e.GID), e.Groups)
	}
	return s
}

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
