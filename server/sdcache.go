package server

import (
	"io/fs"

	"github.com/zerosmb/zerosmb/vfs"
)

// The security-descriptor cache. Every CREATE of an existing file checks
// its descriptor; reading the xattr by path costs an open, an fgetxattr
// and a close (about a fifth of a stat's server CPU, bench meta). So the
// raw descriptors read from the backend are cached by path, with the
// file's identity (vfs.Identity: the inode) and change time, and an entry
// is used only while the caller's own fresh stat of the path shows the
// same inode and change time. Another program's setxattr, a rename over
// the name and a new hard link all change one or the other.
//
// A descriptor written through the server drops its path's entry, after
// the write; a read that was in flight meanwhile is not entered (sdGen
// counts the writes; a read enters its result only if none completed
// since it began), so the change time's granularity cannot hide the
// server's own writes. Files (not directories) with more than one link
// are not cached: a write through one name could not drop the others'
// entries.
//
// A change by another program within the file system's timestamp
// granularity of the server's read is not seen until the file changes
// again, as for the DOS attribute cache (dosattr.go). An entry whose
// descriptor and path together exceed maxCachedSD bytes is not made, so
// the cache holds at most Config.SDCache × maxCachedSD bytes (default:
// 64 MiB; a typical entry is under 300 bytes). In-memory descriptors
// (pathMeta.sd) are looked up first and never cached here.

// maxCachedSD bounds the descriptor plus path of a cache entry.
const maxCachedSD = 1024

// sdKey names a path in the cache.
type sdKey struct {
	share *Share
	path  string
}

// sdCached is a raw descriptor (nil: none stored) and the identity and
// change time (UnixNano) of the file it was read from.
type sdCached struct {
	id    uint64
	ctime int64
	raw   []byte
}

// cachedXattrSD is xattrSD for a file whose fresh information fi the
// caller has, through the cache. fi nil, a backend without identities or
// change times, or a negative Config.SDCache reads the xattr every time.
// The result must not be modified.
func (c *conn) cachedXattrSD(share *Share, p string, fi fs.FileInfo) []byte {
	max := c.srv.cfg.SDCache
	if fi == nil || max < 0 || !fi.IsDir() && vfs.Links(fi) > 1 {
		return xattrSD(share, p)
	}
	id, ok := vfs.Identity(fi)
	_, _, ctime, _ := vfs.Times(fi)
	if !ok || ctime.IsZero() {
		return xattrSD(share, p)
	}
	k, want := sdKey{share, p}, sdCached{id: id, ctime: ctime.UnixNano()}
	ns := &c.srv.nodes.ns
	ns.mu.Lock()
	e, hit := ns.sdCache[k]
	gen := ns.sdGen
	ns.mu.Unlock()
	if hit && e.id == want.id && e.ctime == want.ctime {
		return e.raw
	}
	want.raw = xattrSD(share, p)
	if len(want.raw)+len(p) <= maxCachedSD {
		ns.mu.Lock()
		if ns.sdGen == gen { // no descriptor written since the read began
			cachePut(&ns.sdCache, k, want, max)
		}
		ns.mu.Unlock()
	}
	return want.raw
}

// sdWritten drops the cached descriptor of (share, p): call it once a
// descriptor has been written there through the server. A read that
// began before is not entered afterwards, whichever value it saw.
func (s *nsState) sdWritten(share *Share, p string) {
	s.mu.Lock()
	s.sdGen++
	delete(s.sdCache, sdKey{share, p})
	s.mu.Unlock()
}
