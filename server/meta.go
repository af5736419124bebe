package server

import (
	"io/fs"
	"sync"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// What a POSIX file system cannot keep for us: change times set by a
// client, an allocation size larger than the data, and a security
// descriptor a client stored where the backend has no xattrs. zerosmb
// keeps them in memory, per share path, for the life of the server. DOS
// attribute bits and creation times are kept per file (dosattr.go).

// pathMeta is the in-memory metadata of one path.
type pathMeta struct {
	// ctime is a change time set by the client; it holds while the
	// file's real change time is still ctimeAt.
	ctime, ctimeAt uint64
	alloc          int64  // allocation size set by the client
	sd             []byte // security descriptor set by the client
	// eas are extended attributes kept here when the backend cannot
	// store them (ea.go); eaSize is the EaSize last computed for the
	// path, shown in directory listings.
	eas    map[string][]byte
	eaSize uint32
	// sparse is the FILE_ATTRIBUTE_SPARSE_FILE flag set with
	// FSCTL_SET_SPARSE, valid when sparseSet. Files created through the
	// server start non-sparse; for others (files made outside it, or
	// before a restart) the flag is derived from their holes (sparse.go).
	sparse, sparseSet bool
}

// nsState is the server-wide namespace state kept beside the node table.
type nsState struct {
	mu       sync.Mutex
	meta     map[nodeKey]*pathMeta
	watchers map[*watcher]struct{}
	// dos holds the DOS records the backend could not store
	// (dosattr.go); dosMu serializes their read-modify-write.
	dos   map[dosKey]smb2.DOSAttrib
	dosMu sync.Mutex
	// dosCache holds records read from the backend, each valid while
	// the file's change time is the one it was read at (dosattr.go).
	dosCache map[dosKey]dosCached
	// sdCache holds descriptors read from the backend by path, each
	// valid while the file's inode and change time are the ones it was
	// read at; sdGen counts descriptors written (sdcache.go).
	sdCache map[sdKey]sdCached
	sdGen   int64
}

// getMeta returns a copy of the metadata of (share, p).
func (s *nsState) getMeta(share *Share, p string) pathMeta {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.meta[nodeKey{share, p}]; m != nil {
		return *m
	}
	return pathMeta{}
}

// updateMeta changes the metadata of (share, p) under the lock.
func (s *nsState) updateMeta(share *Share, p string, f func(m *pathMeta)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.meta == nil {
		s.meta = make(map[nodeKey]*pathMeta)
	}
	k := nodeKey{share, p}
	m := s.meta[k]
	if m == nil {
		m = &pathMeta{}
		s.meta[k] = m
	}
	f(m)
	if m.ctime == 0 && m.alloc == 0 && m.sd == nil &&
		m.eas == nil && m.eaSize == 0 && !m.sparseSet {
		delete(s.meta, k)
	}
}

// resetMeta forgets everything about (share, p) but its security
// descriptor (kept by an overwrite; set before a create, sdstore.go);
// with file set, a file was created or overwritten there and is not
// sparse. DOS attributes are reset separately (resetDOSAttrib).
func (s *nsState) resetMeta(share *Share, p string, file bool) {
	s.updateMeta(share, p, func(m *pathMeta) { *m = pathMeta{sparseSet: file, sd: m.sd} })
}

// moveMeta moves the metadata of oldp and everything below it to newp.
func (s *nsState) moveMeta(share *Share, oldp, newp string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	moved := make(map[nodeKey]*pathMeta)
	for k, m := range s.meta {
		if k.share == share && pathWithin(k.path, oldp) {
			delete(s.meta, k)
			moved[nodeKey{share, newp + k.path[len(oldp):]}] = m
		}
	}
	for k := range s.meta {
		if k.share == share && pathWithin(k.path, newp) {
			delete(s.meta, k)
		}
	}
	for k, m := range moved {
		s.meta[k] = m
	}
}

// fileInfo describes the file at share path p from its FileInfo, its
// DOS record (read through src, see dosAttrib) and the in-memory
// metadata.
func (c *conn) fileInfo(share *Share, p string, fi fs.FileInfo, src any) smb2.FileInfo {
	m := c.srv.nodes.ns.getMeta(share, p)
	d := c.dosAttrib(share, p, fi, src)
	at, mt, ct, bt := vfs.Times(fi)
	out := smb2.FileInfo{
		CreationTime:   smb2.FileTime(bt),
		LastAccessTime: smb2.FileTime(at),
		LastWriteTime:  smb2.FileTime(mt),
		ChangeTime:     smb2.FileTime(ct),
		NumberOfLinks:  vfs.Links(fi),
		Directory:      fi.IsDir(),
		IndexNumber:    vfs.FileIndex(fi),
		Name:           smbName(p),
		EaSize:         m.eaSize, // as last seen through SMB (ea.go)
	}
	if out.Directory {
		out.NumberOfLinks = 1 // as Windows and Samba: not the Unix count of subdirectories
	}
	if d.CreationTime != 0 {
		out.CreationTime = d.CreationTime
	}
	if m.ctime != 0 && m.ctimeAt == out.ChangeTime {
		out.ChangeTime = m.ctime
	}
	out.FileAttributes = fileAttributes(share, fi, m, d)
	if !fi.IsDir() {
		out.EndOfFile = uint64(fi.Size())
		out.AllocationSize = uint64(max(dataAllocation(fi), m.alloc))
	}
	return out
}

// fileAttributes computes the DOS attributes of a file: the bits a
// client set (or defaults: ARCHIVE for files), DIRECTORY for
// directories, READONLY on read-only shares or for files without any
// write permission bit.
func fileAttributes(share *Share, fi fs.FileInfo, m pathMeta, d smb2.DOSAttrib) uint32 {
	var a uint32
	if d.HasAttributes {
		a = d.Attributes
	} else if !fi.IsDir() {
		a = smb2.FileAttributeArchive
	}
	if fi.IsDir() {
		a |= smb2.FileAttributeDirectory
	} else if share.ReadOnly || fi.Mode().Perm()&0o222 == 0 {
		a |= smb2.FileAttributeReadonly
	}
	if isSparse(fi, m) {
		a |= smb2.FileAttributeSparseFile
	}
	if isSymlinkInfo(fi) {
		a |= smb2.FileAttributeReparsePoint // a link shown as itself (symlink.go)
	}
	if a == 0 {
		a = smb2.FileAttributeNormal
	}
	return a
}

// isReadOnlyFile reports whether the file carries the READONLY attribute
// set by a client (the share being read-only is checked elsewhere); src
// is as for dosAttrib.
func (c *conn) isReadOnlyFile(share *Share, p string, fi fs.FileInfo, src any) bool {
	if fi.IsDir() {
		return false
	}
	d := c.dosAttrib(share, p, fi, src)
	return d.HasAttributes && d.Attributes&smb2.FileAttributeReadonly != 0
}

// dataAllocation is the file's allocation as the backend reports it,
// capped at its size rounded up to 4 KiB: blocks the file system spends
// on extended attributes (EAs, streams, the security descriptor) are
// counted in st_blocks but are not the data's allocation. Space a client
// reserved with FileAllocationInformation is tracked in pathMeta.alloc.
func dataAllocation(fi fs.FileInfo) int64 {
	const cluster = 4096
	return min(vfs.AllocationSize(fi), (fi.Size()+cluster-1)/cluster*cluster)
}
