package server

import (
	"io/fs"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// SMB 3.1.1 POSIX extensions (partial): granted when the client sends
// the POSIX negotiate context (and Config.NoPosixExtensions is off). A
// CREATE with the POSIX create context then applies its mode to a file it
// creates (through vfs.Chmoder), skips the case-insensitive name lookup,
// and gets the POSIX create context response (link count, mode, owner
// and group as Unix SIDs S-1-22-1-uid / S-1-22-2-gid); QUERY_INFO and
// QUERY_DIRECTORY answer class 100 (FILE_POSIX_INFORMATION); symlinks
// inside the share are reparse points (symlink.go); the READONLY
// attribute a Linux chmod sends maps to the write bits (posixReadonly).
// Not done: chown through SET_INFO (a security descriptor), POSIX
// path-name rules beyond case sensitivity.

// negotiatePosix answers the POSIX negotiate context.
func (c *conn) negotiatePosix(data []byte) (smb2.NegotiateContext, bool) {
	if c.srv.cfg.NoPosixExtensions || !smb2.IsPosixNegotiateContext(data) {
		return smb2.NegotiateContext{}, false
	}
	c.posix = true
	return smb2.NegotiateContext{Type: smb2.PosixExtensionsAvailable, Data: smb2.PosixNegotiateContextData()}, true
}

// posixCreate reports whether req is a POSIX open (POSIX extensions
// negotiated and the POSIX create context present) and the mode it asks
// for.
func (c *conn) posixCreate(req *smb2.CreateRequest) (mode uint32, ok bool) {
	if !c.posix {
		return 0, false
	}
	data, ok := req.Context(smb2.CreateContextPosix)
	if !ok {
		return 0, false
	}
	mode, err := smb2.DecodePosixCreateContext(data)
	return mode, err == nil
}

// applyPosixMode gives a file a POSIX CREATE made the mode it asked for.
// It runs as the tree's user (unixusers.go): the kernel then drops a
// setgid bit for a group the user is not in.
func applyPosixMode(t *tree, p string, mode uint32) {
	if _, ok := t.share.FS.(vfs.Chmoder); ok && p != "" {
		t.fs().(vfs.Chmoder).Chmod(p, fs.FileMode(mode&0o777)|setBits(mode))
	}
}

func setBits(mode uint32) fs.FileMode {
	var m fs.FileMode
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// posixReadonly is how a chmod from the Linux client reaches the file on
// a POSIX connection: the 6.1 client sends a mode change only as the DOS
// READONLY attribute (SET_INFO FileBasicInformation; fs/smb/client
// inode.c cifs_setattr_nounix), set when the new mode has no write bit
// and cleared when it has one. So READONLY set on a file with write bits
// clears them all (chmod a-w), and READONLY cleared on a file without
// any gives the owner write permission back (u+w). Directories keep
// their mode. Best effort: a backend without vfs.Chmoder keeps only the
// attribute.
func posixReadonly(o *open, readonly bool) {
	if _, ok := o.tree.share.FS.(vfs.Chmoder); !ok || o.isDir || o.file == nil || isLinkOpen(o) {
		return
	}
	ch := o.tree.fs().(vfs.Chmoder) // as the user: only the owner may chmod
	fi, err := o.file.Stat()
	if err != nil {
		return
	}
	m := fi.Mode()
	perm := m.Perm()
	switch {
	case readonly && perm&0o222 != 0:
		perm &^= 0o222
	case !readonly && perm&0o222 == 0:
		perm |= 0o200
	default:
		return
	}
	ch.Chmod(vfsName(o.path()), perm|m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
}

// posixInfo is the POSIX part of fi's information.
func posixInfo(fi fs.FileInfo) smb2.PosixInfo {
	m := fi.Mode()
	mode := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	uid, gid, _ := vfs.Owner(fi) // unknown: root's
	var tag uint32
	if isSymlinkInfo(fi) {
		tag = smb2.IOReparseTagSymlink
	}
	return smb2.PosixInfo{HardLinks: vfs.Links(fi), Mode: mode, ReparseTag: tag,
		Owner: smb2.UnixUserSID(uid), Group: smb2.UnixGroupSID(gid)}
}

// posixCreateResponse is the POSIX create context response for fi.
func posixCreateResponse(fi fs.FileInfo) smb2.CreateContext {
	return smb2.CreateContext{Name: smb2.CreateContextPosix, Data: smb2.AppendPosixCreateResponse(nil, posixInfo(fi))}
}

// posixEntry is the POSIX part of a directory entry, nil unless the POSIX
// extensions are on.
func posixEntry(c *conn, fi fs.FileInfo) *smb2.PosixInfo {
	if !c.posix {
		return nil
	}
	p := posixInfo(fi)
	return &p
}
