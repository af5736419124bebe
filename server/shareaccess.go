package server

import (
	"strings"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/internal/rpc"
	"github.com/zerosmb/zerosmb/internal/unixid"
	"github.com/zerosmb/zerosmb/smb2"
)

// Per-share access lists and session identities. A session's token
// (the SIDs of its user, groups and well-known groups) is computed once
// at logon; each tree connect checks the share's lists, derives the
// tree's maximal access (read-only for the share's read list) and adds
// BUILTIN\Administrators and the admin privileges for the share's admin
// users. Guests and anonymous sessions reach guest shares whatever the
// lists say; they never get admin rights.

// tokenSIDs returns the token SIDs of a session that has just logged on.
func (s *Server) tokenSIDs(sess *session) []string {
	switch {
	case sess.anonymous:
		return auth.AnonymousTokenSIDs()
	case sess.guest:
		return s.users().GuestTokenSIDs()
	}
	return s.users().TokenSIDs(sess.user)
}

// listMatch reports whether user is named in list directly or through
// one of its "@group" entries.
func (s *Server) listMatch(list []string, user string) bool {
	for _, e := range list {
		if g, ok := strings.CutPrefix(e, "@"); ok {
			if s.users().InGroup(user, g) {
				return true
			}
		} else if strings.EqualFold(e, user) {
			return true
		}
	}
	return false
}

// shareRights decides what the session's user may do on sh: connect at
// all, only read, administer.
func (s *Server) shareRights(sess *session, sh *Share) (allowed, readOnly, admin bool) {
	if sh.FS == nil { // IPC$
		return true, false, false
	}
	if sess.guest || sess.anonymous {
		return sh.Guest, sh.ReadOnly, false
	}
	u := sess.user
	if _, _, ok := s.cfg.Users.UserSID(u); !ok {
		return false, false, false // removed from the users database since logon
	}
	admin = s.listMatch(sh.AdminUsers, u)
	inRead, inWrite := s.listMatch(sh.ReadUsers, u), s.listMatch(sh.WriteUsers, u)
	allowed = len(sh.ValidUsers) == 0 || s.listMatch(sh.ValidUsers, u) || admin || inRead || inWrite
	readOnly = sh.ReadOnly && !inWrite || inRead && !inWrite
	return allowed, readOnly, admin
}

// treeAccess fills in t's rights for its session, or returns
// STATUS_ACCESS_DENIED when the share's lists keep the user out.
func (s *Server) treeAccess(t *tree) smb2.Status {
	allowed, ro, admin := s.shareRights(t.sess, t.share)
	if !allowed {
		return smb2.StatusAccessDenied
	}
	t.readOnly = ro
	id := s.treeIdent(t.sess, admin, ro)
	fsys, err := s.unixView(t.sess, t.share)
	if err != nil {
		s.log.Warn("tree connect refused: no Unix identity for the user", "share", t.share.Name, "user", t.sess.user, "err", err)
		return smb2.StatusAccessDenied
	}
	id.fsys = fsys
	t.ident.Store(id)
	return smb2.StatusSuccess
}

// treeIdent builds the access-check identity of a tree of sess: its
// token, plus BUILTIN\Administrators for a share admin, and the maximal
// access (read-only for the share's read list).
func (s *Server) treeIdent(sess *session, admin, readOnly bool) *treeIdent {
	max := accessReadWrite
	if readOnly {
		max = accessReadOnly
	}
	sids := sess.sids
	if admin {
		sids = append(append([]string(nil), sids...), acl.SIDAdmins)
		max |= smb2.AccessSystemSec
	}
	return &treeIdent{tok: &acl.Token{SIDs: sids, Admin: admin}, maxAccess: max}
}

// reauthTrees gives every tree of sess the identity of the user it has
// just re-authenticated as (MS-SMB2 3.3.5.5.3: later requests run in the
// new security context). A tree on a share the new identity may not
// connect to (an anonymous re-authentication on a non-guest share) gets
// no maximal access: nothing new is opened, created or renamed through
// it. Handles keep the access they were granted at open, as on Windows.
func (s *Server) reauthTrees(sess *session) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	for _, t := range sess.trees {
		allowed, ro, admin := s.shareRights(sess, t.share)
		id := s.treeIdent(sess, admin, ro || t.readOnly)
		fsys, err := s.unixView(sess, t.share)
		if err != nil { // nothing new, and no path call, for this tree
			s.log.Warn("re-authenticated user has no Unix identity", "share", t.share.Name, "user", sess.user, "err", err)
			allowed, fsys = false, unixid.Wrap(t.share.FS, nil)
		}
		id.fsys = fsys
		if !allowed {
			id.maxAccess = 0
		}
		t.ident.Store(id)
	}
}

// mayListShare reports whether share enumeration shows sh to the user of
// a pipe (access-based share enumeration).
func (s *Server) mayListShare(sess *session, sh *Share) bool {
	if !s.cfg.AccessBasedShareEnum || sess == nil {
		return true
	}
	ok, _, _ := s.shareRights(sess, sh)
	return ok
}

// rpcFor returns the RPC server a pipe opened by sess talks to: with
// access-based share enumeration, one whose share list holds only the
// shares sess may connect to.
func (s *Server) rpcFor(sess *session) *rpc.Server {
	if !s.cfg.AccessBasedShareEnum {
		return s.rpc
	}
	rs := *s.rpc
	rs.Shares = func() []rpc.ShareInfo {
		all := s.shareInfos()
		out := all[:0:0]
		for _, si := range all {
			if sh := s.shareTable().byName[strings.ToLower(si.Name)]; sh == nil || s.mayListShare(sess, sh) {
				out = append(out, si)
			}
		}
		return out
	}
	return &rs
}

// users is the users database in force (Reconfigure may replace it).
func (s *Server) users() *auth.UserDB { return s.shareTable().auth.Users }
