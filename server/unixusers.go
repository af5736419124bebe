package server

import (
	"fmt"
	"strings"

	"github.com/zerosmb/zerosmb/internal/unixid"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// Unix identities (Config.UnixUsers). With them, every backend call a
// tree makes for its user and that resolves a path (CREATE's open,
// create and mkdir, rename, hard and symbolic links, delete and
// delete-on-close, SET_INFO times and POSIX modes, the stats and
// directory opens behind them) goes through tree.fs(), a unixid.FS
// view: the call runs on a thread whose fsuid, fsgid and supplementary
// groups are the user's, restored before the thread is released
// (internal/unixid/switch_linux.go says why that is safe). The kernel
// then checks permissions as the user, new files belong to the user,
// and os.Root confinement stays in the backend below the view.
//
// The descriptors of opens are the backend's own, opened as the user:
// READ (sendfile), WRITE (splice), truncation and allocation use them
// without any switch, so the zero-copy path is unchanged. The server's
// own metadata stays the server's: security descriptors and extended
// attributes (EAs, streams) are read and written through share.FS as
// root (the ACLs, not the mode bits, decide who may change them); so
// are the stats for directory listings and notifications.
//
// New files get mode 0666 & Share.CreateMask and directories 0777 &
// Share.DirectoryMask (no mask when 0), less the server process's
// umask; the POSIX create context's mode when a Linux client sends
// one. Run the server with the umask the shares should have (systemd
// UMask=).
//
// A user that cannot be mapped (no configured ids and no Unix user of
// that name) is refused at TREE_CONNECT of a disk share with
// STATUS_ACCESS_DENIED, not at SESSION_SETUP: the password was right,
// IPC$ (share lists, SID lookups) needs no Unix identity, and the
// lookup at each tree connect sees passwd changes without a new logon.
// Nothing ever runs as root for such a user.

// UnixUsers maps SMB users to Unix identities (Config.UnixUsers).
type UnixUsers struct {
	// IDs gives SMB users (names compared case-insensitively) a Unix
	// identity of their own, without a passwd entry; users not listed
	// map to the Unix user of the same name (os/user: uid, primary gid,
	// every group it is in).
	IDs map[string]UnixID
	// Guest is the Unix user guest and anonymous sessions map to (an
	// entry of IDs, or a passwd user); default "nobody".
	Guest string
}

// UnixID is a configured Unix identity.
type UnixID struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups
}

// DefaultUnixGuest is UnixUsers.Guest's default.
const DefaultUnixGuest = "nobody"

// checkUnixUsers validates Config.UnixUsers in New.
func checkUnixUsers(u *UnixUsers) error {
	if u == nil {
		return nil
	}
	if err := unixid.Supported(); err != nil {
		return fmt.Errorf("server: UnixUsers: %w", err)
	}
	for name, id := range u.IDs {
		if id.UID == 1<<32-1 || id.GID == 1<<32-1 {
			return fmt.Errorf("server: UnixUsers: user %s: uid/gid 4294967295 is reserved", name)
		}
		if id.UID == 0 {
			return fmt.Errorf("server: UnixUsers: user %s: uid 0 would run its file access as root", name)
		}
		if len(id.Groups) > unixid.MaxGroups {
			return fmt.Errorf("server: UnixUsers: user %s: more than %d groups", name, unixid.MaxGroups)
		}
	}
	return nil
}

// unixCred returns the Unix identity of sess's user. A user that maps
// to uid 0 (an SMB user "root") is refused: nothing runs as root for a
// client.
func (s *Server) unixCred(sess *session) (*unixid.Cred, error) {
	u := s.cfg.UnixUsers
	name := sess.user
	if sess.guest || sess.anonymous {
		name = u.Guest
		if name == "" {
			name = DefaultUnixGuest
		}
	}
	for n, id := range u.IDs {
		if strings.EqualFold(n, name) {
			c := &unixid.Cred{UID: id.UID, GID: id.GID, Groups: append([]uint32(nil), id.Groups...)}
			return c.Normalize(), nil
		}
	}
	c, err := unixid.Lookup(name)
	if err == nil && c.UID == 0 {
		return nil, fmt.Errorf("unix user %q is root: refused", name)
	}
	return c, err
}

// unixView returns the view of sh's backend that tree connects of sess
// use: sh.FS itself without Unix identities (nil), the view as the
// session's Unix user, or an error when the user has none.
func (s *Server) unixView(sess *session, sh *Share) (vfs.FS, error) {
	if s.cfg.UnixUsers == nil || sh.FS == nil {
		return nil, nil
	}
	c, err := s.unixCred(sess)
	if err != nil {
		return nil, err
	}
	return unixid.Wrap(sh.FS, c), nil
}

// fs is the backend as the tree's user: the Unix identity's view when
// Config.UnixUsers is set, else the share's FS. Server metadata
// (security descriptors, EAs, streams) goes through share.FS instead.
func (t *tree) fs() vfs.FS {
	if id := t.rights(); id != nil && id.fsys != nil {
		return id.fsys
	}
	return t.share.FS
}

// mayRemove is the kernel's unlink rule for the tree's Unix user,
// checked when an open asks for delete-on-close (the unlink itself
// happens at the last close, too late to refuse): STATUS_ACCESS_DENIED
// when the user may not remove p from its directory. Without Unix
// identities it always succeeds (the ACL check has decided).
func (t *tree) mayRemove(p string) smb2.Status {
	v, ok := t.fs().(*unixid.FS)
	if !ok || p == "" {
		return smb2.StatusSuccess
	}
	c := v.Cred()
	if c == nil {
		return smb2.StatusAccessDenied
	}
	dir, _ := parentPath(p)
	dfi, err := t.share.FS.Stat(vfsName(dir))
	if err != nil {
		return statusFromError(err)
	}
	fi, err := t.share.FS.Lstat(vfsName(p))
	if err != nil {
		return statusFromError(err)
	}
	uid, _, ok := vfs.Owner(fi)
	if !ok || !c.MayRemove(dfi, uid) {
		return smb2.StatusAccessDenied
	}
	return smb2.StatusSuccess
}
