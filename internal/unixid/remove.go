package unixid

import (
	"io/fs"
	"slices"

	"github.com/zerosmb/zerosmb/vfs"
)

// MayRemove reports whether c may unlink an entry owned by fileUID from
// the directory described by dir: read, write and search permission on
// the directory by its mode bits (read too because os.Root, under osfs,
// opens the parent directory to work in it) (owner, group or other class, the first
// that applies, as the kernel), and with the sticky bit set, c owns the
// entry or the directory. It is the check SMB delete-on-close needs up
// front, because the unlink itself only happens at the last close.
// POSIX ACLs on the directory are not read here (the unlink at close
// still goes through the kernel's full check); root (uid 0) may always.
func (c *Cred) MayRemove(dir fs.FileInfo, fileUID uint32) bool {
	if c.UID == 0 {
		return true
	}
	duid, dgid, ok := vfs.Owner(dir)
	if !ok {
		return false
	}
	perm := dir.Mode().Perm()
	var bits fs.FileMode
	switch {
	case c.UID == duid:
		bits = perm >> 6
	case c.GID == dgid || slices.Contains(c.Groups, dgid):
		bits = perm >> 3
	default:
		bits = perm
	}
	if bits&0o7 != 0o7 { // read (os.Root opens it), write, search
		return false
	}
	if dir.Mode()&fs.ModeSticky != 0 && c.UID != duid && c.UID != fileUID {
		return false
	}
	return true
}
