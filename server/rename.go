package server

import (
	"strings"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// setRename applies FileRenameInformation(Ex): the open's file moves to
// a new path in the same share. Like Windows it refuses to replace a
// directory or a file someone has open, and to move a directory with
// open handles below it.
func (c *conn) setRename(o *open, b []byte, class uint8) smb2.Status {
	ri, err := smb2.DecodeFileRenameInfo(b, class)
	if err != nil {
		return asStatus(err)
	}
	if !o.has(accessDelete) {
		return smb2.StatusAccessDenied
	}
	if ri.RootDirectory != 0 {
		return smb2.StatusInvalidParameter
	}
	newp, st := sharePath(ri.FileName)
	if st != smb2.StatusSuccess {
		return st
	}
	oldp := o.path()
	share := o.tree.share
	fsys := o.tree.fs()
	if !strings.EqualFold(newp, oldp) {
		newp = resolveCase(fsys, newp)
	} else if dir, base := parentPath(newp); dir != "" {
		// A case-only rename keeps the new spelling of the last component.
		newp = resolveCase(fsys, dir) + "/" + base
	}
	switch {
	case oldp == "" || newp == "":
		return smb2.StatusAccessDenied
	case newp == oldp:
		return smb2.StatusSuccess
	case pathWithin(newp, oldp):
		return smb2.StatusInvalidParameter
	}
	if dir, _ := parentPath(newp); dir != "" {
		if fi, err := fsys.Stat(dir); err != nil || !fi.IsDir() {
			return smb2.StatusObjectPathNotFound
		}
	}
	if tfi, err := fsys.Lstat(newp); err == nil {
		switch {
		case !ri.ReplaceIfExists:
			return smb2.StatusObjectNameCollision
		case tfi.IsDir():
			return smb2.StatusAccessDenied
		case c.srv.state.hasOpens(share, newp, false):
			return smb2.StatusAccessDenied
		case c.isReadOnlyFile(share, newp, tfi, nil) && ri.Flags&smb2.FileRenameIgnoreReadonlyAttribute == 0:
			return smb2.StatusAccessDenied
		}
	}
	tfi, lerr := fsys.Lstat(newp)
	if st := c.checkRenameACL(o, newp, lerr == nil); st != smb2.StatusSuccess { // aclcreate.go
		return st
	}
	if dir, _ := parentPath(newp); c.srv.state.parentBlocksRename(share, dir, o) {
		return smb2.StatusSharingViolation
	}
	if o.isDir && c.srv.state.hasOpens(share, oldp, true) {
		return smb2.StatusAccessDenied
	}
	if err := fsys.Rename(oldp, newp); err != nil {
		return statusFromError(err)
	}
	c.srv.state.renamed(o.node, newp)
	oldDir, _ := parentPath(oldp)
	newDir, _ := parentPath(newp)
	c.srv.state.dirChanged(share, oldp, o) // out of one directory, into another (dirlease.go)
	if newDir != oldDir {
		c.srv.state.dirChanged(share, newp, o)
	}
	if lerr == nil && !strings.EqualFold(newp, oldp) {
		c.srv.nodes.ns.forgetDOS(share, newp, tfi, vfs.Links(tfi) <= 1) // the replaced file
	}
	c.srv.nodes.ns.moveMeta(share, oldp, newp)
	c.srv.nodes.ns.moveDOS(share, oldp, newp)
	c.srv.nodes.ns.renameWatchers(share, oldp, newp)
	if oldDir == newDir {
		c.srv.nodes.ns.notify(share, oldp, smb2.FileActionRenamedOldName, o.isDir)
		c.srv.nodes.ns.notify(share, newp, smb2.FileActionRenamedNewName, o.isDir)
	} else {
		c.srv.nodes.ns.notify(share, oldp, smb2.FileActionRemoved, o.isDir)
		c.srv.nodes.ns.notify(share, newp, smb2.FileActionAdded, o.isDir)
	}
	if !o.isDir {
		// Windows reports a renamed file as modified under its new name
		// to the watchers of attributes or creation times that do not
		// watch file names (smbtorture smb2.notify.mask-change and rec);
		// directories get no such event.
		c.srv.nodes.ns.notifyUnless(share, newp, smb2.FileActionModified,
			smb2.FileNotifyChangeAttributes|smb2.FileNotifyChangeCreation, smb2.FileNotifyChangeFileName)
	}
	return smb2.StatusSuccess
}

// hasOpens reports whether p (or, with below, anything strictly below
// p) has opens.
func (t *nodeTable) hasOpens(share *Share, p string, below bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, n := range t.m {
		if k.share != share {
			continue
		}
		if below && (k.path == p || !pathWithin(k.path, p)) || !below && k.path != p {
			continue
		}
		n.mu.Lock()
		busy := len(n.opens) > 0
		n.mu.Unlock()
		if busy {
			return true
		}
	}
	return false
}

// renamed moves node n to path newp and renames its opens.
func (t *nodeTable) renamed(n *node, newp string) {
	t.rekey(n, newp)
	n.mu.Lock()
	opens := append([]*open(nil), n.opens...)
	n.mu.Unlock()
	for _, x := range opens {
		x.mu.Lock()
		x.name = newp
		x.mu.Unlock()
	}
}

// parentBlocksRename reports whether an open of the destination
// directory dir (other than the renamer's own) forbids adding an entry
// to it. The rename is checked like an open of dir for FILE_ADD_FILE
// sharing read and write: it conflicts with opens holding DELETE or not
// sharing write, but, as in every share-mode check, only with opens
// that have data access (an open for attributes only never blocks).
func (t *nodeTable) parentBlocksRename(share *Share, dir string, self *open) bool {
	n := t.lookup(share, dir)
	if n == nil {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range n.opens {
		if x != self && shareConflict(x.access, x.shareAccess, fileWriteData, smb2.FileShareRead|smb2.FileShareWrite) {
			return true
		}
	}
	return false
}
