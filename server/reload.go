package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zerosmb/zerosmb/auth"
)

// Live reconfiguration. The shares and the users are one immutable
// shareSet behind an atomic pointer: a TREE_CONNECT or SESSION_SETUP reads
// whichever set is current, Reconfigure swaps in a new one. Nothing that
// already exists is torn down: tree connects keep the *Share they were made
// with, and a logon in progress finishes against the users it started with.

// shareSet is the shares and users in force.
type shareSet struct {
	byName map[string]*Share // lower-case name → share, IPC$ included
	list   []*Share          // in configuration order, IPC$ excluded
	auth   *auth.Config
}

func (s *Server) shareTable() *shareSet { return s.live.Load() }

// newShareSet validates shares and builds the set. A share equal to one of
// prev (same name, path, options and backend) keeps prev's *Share, so
// opens made before and after a reload share one share-mode and lock table.
func (s *Server) newShareSet(shares []*Share, users *auth.UserDB, prev *shareSet) (*shareSet, error) {
	set := &shareSet{byName: make(map[string]*Share, len(shares)+1)}
	guest := false
	for _, sh := range shares {
		if sh == nil {
			return nil, errors.New("server: nil share")
		}
		key := strings.ToLower(sh.Name)
		if key == "" || strings.ContainsAny(key, `\/:*?"<>|`) {
			return nil, fmt.Errorf("server: invalid share name %q", sh.Name)
		}
		if key == "ipc$" {
			return nil, errors.New("server: share name IPC$ is reserved")
		}
		if sh.FS == nil {
			return nil, fmt.Errorf("server: share %q has no filesystem", sh.Name)
		}
		if err := checkTimeMachine(sh, s.cfg.MaxDurableOpens); err != nil {
			return nil, err
		}
		if _, dup := set.byName[key]; dup {
			return nil, fmt.Errorf("server: duplicate share name %q", sh.Name)
		}
		if prev != nil {
			if old := prev.byName[key]; old != nil && sameShare(old, sh) {
				sh = old
			}
		}
		set.byName[key] = sh
		set.list = append(set.list, sh)
		guest = guest || sh.Guest
	}
	set.byName["ipc$"] = s.ipc
	set.auth = &auth.Config{Users: users, Domain: s.cfg.Domain, Server: s.cfg.ServerName, AllowGuest: guest}
	return set, nil
}

// sameShare reports whether two share definitions are interchangeable: the
// same name and options, and the same backend (the same FS value, or both
// describe the same local Path).
func sameShare(a, b *Share) bool {
	if a == b {
		return true
	}
	sameFS := a.FS == b.FS || (a.Path != "" && a.Path == b.Path)
	return sameFS && strings.EqualFold(a.Name, b.Name) && a.ReadOnly == b.ReadOnly &&
		a.Guest == b.Guest && a.Comment == b.Comment && sameAccessLists(a, b) &&
		a.TimeMachine == b.TimeMachine && a.TimeMachineMaxSize == b.TimeMachineMaxSize &&
		a.CreateMask == b.CreateMask && a.DirectoryMask == b.DirectoryMask
}

// sameAccessLists reports whether two shares have the same access lists
// (shareaccess.go): a reload that changes them is a new share definition.
func sameAccessLists(a, b *Share) bool {
	return slices.Equal(a.ValidUsers, b.ValidUsers) && slices.Equal(a.ReadUsers, b.ReadUsers) &&
		slices.Equal(a.WriteUsers, b.WriteUsers) && slices.Equal(a.AdminUsers, b.AdminUsers)
}

// Reconfigure replaces the shares and the users while the server runs.
// It validates everything first and changes nothing on error.
//
// Added shares accept tree connects at once. A removed share refuses new
// tree connects; tree connects made before keep working with their
// existing opens, but new CREATEs on them fail with
// STATUS_NETWORK_NAME_DELETED, so they wind down. A share whose path or
// options changed is a removal plus an addition: old tree connects keep
// the old definition. A share whose definition did not change is kept as
// it is (its *Share from the earlier configuration stays in use) and the
// FS of the equal new one is closed. The FS of a removed share is closed
// once its last tree connect is gone (unless a share still served uses
// the same FS value).
//
// users applies to logons that start afterwards; established sessions
// are not affected. Returns the names of the shares added and removed.
func (s *Server) Reconfigure(shares []*Share, users *auth.UserDB) (added, removed []string, err error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	prev := s.shareTable()
	set, err := s.newShareSet(shares, users, prev)
	if err != nil {
		return nil, nil, err
	}
	for _, sh := range set.list {
		if prev.byName[strings.ToLower(sh.Name)] != sh {
			added = append(added, sh.Name)
		}
	}
	s.live.Store(set)
	for _, sh := range prev.list {
		if set.byName[strings.ToLower(sh.Name)] != sh {
			removed = append(removed, sh.Name)
			sh.retired.Store(true)
			if sh.trees.Load() == 0 {
				s.closeRetired(sh)
			}
		}
	}
	for _, sh := range shares {
		if kept := set.byName[strings.ToLower(sh.Name)]; kept != sh && kept.FS != sh.FS {
			sh.FS.Close() // an equal share was already served: its FS stays
		}
	}
	return added, removed, nil
}

// holdShare counts a new tree connect of sh. It fails if Reconfigure
// removed sh meanwhile: retired is set before the count is checked there
// and checked after the count is raised here, so either this sees retired
// or Reconfigure sees the tree and leaves the FS open.
func (s *Server) holdShare(sh *Share) bool {
	sh.trees.Add(1)
	if sh.retired.Load() {
		s.releaseShare(sh)
		return false
	}
	return true
}

// releaseShare drops a tree connect of sh, closing a removed share's FS
// with the last one.
func (s *Server) releaseShare(sh *Share) {
	if sh.trees.Add(-1) == 0 && sh.retired.Load() {
		s.closeRetired(sh)
	}
}

// closeRetired closes the FS of a removed share once, unless a share in
// force uses the same FS value.
func (s *Server) closeRetired(sh *Share) {
	if sh.FS == nil {
		return
	}
	for _, x := range s.shareTable().list {
		if x.FS == sh.FS {
			return
		}
	}
	if sh.fsClosed.CompareAndSwap(false, true) {
		if err := sh.FS.Close(); err != nil {
			s.log.Warn("closing a removed share failed", "share", sh.Name, "err", err)
		}
	}
}
