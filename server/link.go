package server

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// setLink applies FileLinkInformation(Ex): the open's file gets a second
// name (a hard link) in the same share, through vfs.Linker. As on
// Windows (MS-FSA 2.1.5.14.6): directories cannot be linked
// (STATUS_FILE_IS_A_DIRECTORY); an existing target without
// ReplaceIfExists is STATUS_OBJECT_NAME_COLLISION; with it, a directory,
// an open file or a read-only file at the target is STATUS_ACCESS_DENIED,
// anything else is replaced atomically (link to a temporary name, then
// rename over the target). A target that already names the same file
// is left alone.
func (c *conn) setLink(o *open, b []byte, class uint8) smb2.Status {
	li, err := smb2.DecodeFileLinkInfo(b, class)
	if err != nil {
		return asStatus(err)
	}
	if o.stream != "" || li.RootDirectory != 0 {
		return smb2.StatusInvalidParameter
	}
	if o.isDir {
		return smb2.StatusFileIsADirectory
	}
	share := o.tree.share
	if _, ok := share.FS.(vfs.Linker); !ok {
		return smb2.StatusNotSupported
	}
	fsys := o.tree.fs()
	linker := fsys.(vfs.Linker) // the backend's, or a unixid.FS (every one is a Linker)
	newp, st := sharePath(li.FileName)
	if st != smb2.StatusSuccess {
		return st
	}
	if newp == "" {
		return smb2.StatusObjectNameInvalid
	}
	newp = resolveCase(fsys, newp)
	oldp := o.path()
	dir, _ := parentPath(newp)
	if dir != "" {
		if fi, err := fsys.Stat(dir); err != nil || !fi.IsDir() {
			return smb2.StatusObjectPathNotFound
		}
	}
	tfi, err := fsys.Lstat(newp)
	if err != nil {
		if err := linker.Link(oldp, newp); err != nil {
			return statusFromError(err)
		}
		c.srv.state.uncache(o) // the file now has two names
		c.srv.nodes.ns.notify(share, newp, smb2.FileActionAdded, false)
		c.srv.state.dirChanged(share, newp, o) // dirlease.go
		return smb2.StatusSuccess
	}
	sfi, serr := fsys.Stat(oldp)
	same := strings.EqualFold(newp, oldp) ||
		serr == nil && !tfi.IsDir() && vfs.FileIndex(sfi) == vfs.FileIndex(tfi)
	switch {
	case !li.ReplaceIfExists:
		return smb2.StatusObjectNameCollision
	case same:
		return smb2.StatusSuccess
	case tfi.IsDir(), c.srv.state.hasOpens(share, newp, false):
		return smb2.StatusAccessDenied
	case c.isReadOnlyFile(share, newp, tfi, nil) && li.Flags&smb2.FileLinkIgnoreReadonlyAttribute == 0:
		return smb2.StatusAccessDenied
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := newp + ".zerosmb-link-" + hex.EncodeToString(rnd[:])
	if err := linker.Link(oldp, tmp); err != nil {
		return statusFromError(err)
	}
	if err := fsys.Rename(tmp, newp); err != nil {
		fsys.Remove(tmp)
		return statusFromError(err)
	}
	c.srv.nodes.ns.resetMeta(share, newp, false)
	// The replaced file's DOS record goes if that was its last name; the
	// new name shows the linked file's (dosattr.go).
	c.srv.nodes.ns.forgetDOS(share, newp, tfi, vfs.Links(tfi) <= 1)
	c.srv.state.uncache(o) // the file now has two names
	c.srv.nodes.ns.notify(share, newp, smb2.FileActionModified, false)
	c.srv.state.dirChanged(share, newp, o) // dirlease.go
	return smb2.StatusSuccess
}
