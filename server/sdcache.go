package server

import (
	"io/fs"

	"github.com/zerosmb/zerosmb/vfs"
)

// The security-descriptor cache. Every CREATE of an existing file checks
// its descriptor; reading the xattr by path costs an open, an fgetxattr
// and a close (about a fifth of a stat's server CPU, bench meta). So the
// raw descriptors read from the backend are cached by path and file
// identity (vfs.Identity: the inode; with the path, two file systems
// mounted inside one share cannot mix up their inode numbers, nor a new
// file at another name inherit a deleted one's entry) and used again
// only while
//
//   - the file's change time, from the caller's own fresh stat, is the
//     one it had when the descriptor was read (another program's setxattr
//     changes it), and
//   - no descriptor was written through the server since (sdGen counts
//     those writes; the change time alone could miss one in the same
//     timestamp tick).
//
// A change by another program within the file system's timestamp
// granularity of the server's read is not seen until the file changes
// again, as for the DOS attribute cache (dosattr.go). An entry whose
// descriptor and path together exceed maxCachedSD bytes is not made, so
// the cache holds at most Config.SDCache × maxCachedSD bytes (default:
// 64 MiB; a typical entry is under 300 bytes). In-memory descriptors (pathMeta.sd) are looked up
// first and never cached here.

// maxCachedSD bounds the descriptor plus path of a cache entry.
const maxCachedSD = 1024

// sdKey names a file in the cache.
type sdKey struct {
	share *Share
	path  string
	id    uint64
}

// sdCached is a raw descriptor (nil: none stored), the file's change
// time (UnixNano) and sdGen when it was read.
type sdCached struct {
	ctime, gen int64
	raw        []byte
}

// cachedXattrSD is xattrSD for a file whose fresh information fi the
// caller has, through the cache. fi nil, a backend without identities or
// change times, or a negative Config.SDCache reads the xattr every time.
// The result must not be modified.
func (c *conn) cachedXattrSD(share *Share, p string, fi fs.FileInfo) []byte {
	max := c.srv.cfg.SDCache
	if fi == nil || max < 0 {
		return xattrSD(share, p)
	}
	id, ok := vfs.Identity(fi)
	_, _, ctime, _ := vfs.Times(fi)
	if !ok || ctime.IsZero() {
		return xattrSD(share, p)
	}
	k, ct := sdKey{share, p, id}, ctime.UnixNano()
	ns := &c.srv.nodes.ns
	ns.mu.Lock()
	e, hit := ns.sdCache[k]
	gen := ns.sdGen
	ns.mu.Unlock()
	if hit && e.ctime == ct && e.gen == gen {
		return e.raw
	}
	raw := xattrSD(share, p)
	if len(raw)+len(p) <= maxCachedSD {
		ns.cacheSD(k, sdCached{ctime: ct, gen: gen, raw: raw}, max)
	}
	return raw
}

// cacheSD remembers a descriptor read for k; when the cache holds max
// entries, an arbitrary eighth of them goes first.
func (s *nsState) cacheSD(k sdKey, e sdCached, max int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cachePut(&s.sdCache, k, e, max)
}

// sdWritten invalidates every cached descriptor: call it once a
// descriptor has been written through the server. A read that began
// before (it took the older sdGen) is not used afterwards, whichever
// value it saw.
func (s *nsState) sdWritten() {
	s.mu.Lock()
	s.sdGen++
	clear(s.sdCache)
	s.mu.Unlock()
}
