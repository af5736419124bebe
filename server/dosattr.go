package server

import (
	"errors"
	"io/fs"
	"os"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// DOS attributes and client-set creation times are kept per file, not
// per name: in the backend extended attribute dosXattr (osfs on Linux:
// user.zerosmb.dosattrib) holding an smb2.DOSAttrib, so hard links share
// them and they survive restarts. Where the backend cannot store it (no
// xattrs, a read-only share, a file system or file refusing user
// xattrs) the record is kept in memory (nsState.dos), keyed by the
// file's identity (vfs.Identity: the inode, the FileId the server
// reports) where the backend knows it, else by path, and forgotten when
// the file's last name is deleted through the server. The in-memory
// record wins over the stored one. A file with neither (made outside
// the server) shows the attributes derived from its mode (meta.go). A
// stored value that does not decode is ignored.
//
// Reading costs one fgetxattr per open file, one getxattrat per listed
// entry (vfs.XattrEntry, without opening it) and an open for lookups by
// path, unless the record is cached: nsState.dosCache keeps records
// read (absent ones too) with the file's change time, and a record is
// used again only while the file's change time is the same, so a change
// by another program (which changes it) is seen, except one within the
// file system's timestamp granularity of the read. At most
// Config.DOSAttribCache entries.

// dosXattr is the backend-neutral name of the stored record.
const dosXattr = "dosattrib"

// dosKey names a file in the in-memory fallback.
type dosKey struct {
	share *Share
	id    uint64 // the file's identity, when known
	path  string // otherwise its path
}

func dosKeyOf(share *Share, p string, fi fs.FileInfo) dosKey {
	if fi != nil {
		if id, ok := vfs.Identity(fi); ok {
			return dosKey{share: share, id: id}
		}
	}
	return dosKey{share: share, path: p}
}

// dosAttrib returns the DOS record of the file at (share, p) whose
// information is fi: the in-memory one, else the one stored in the file,
// read through src: an open vfs.File of the file itself, a listed
// fs.DirEntry, nil (the file is opened by path) or streamBase (fi is a
// stream's: the base file at p is looked up). Symlinks have none.
func (c *conn) dosAttrib(share *Share, p string, fi fs.FileInfo, src any) smb2.DOSAttrib {
	if _, ok := src.(streamBase); ok {
		bfi, err := share.FS.Stat(vfsName(p))
		if err != nil {
			return smb2.DOSAttrib{}
		}
		fi, src = bfi, nil
	}
	ns := &c.srv.nodes.ns
	k := dosKeyOf(share, p, fi)
	var ct int64
	if fi != nil && k.path == "" {
		_, _, ctime, _ := vfs.Times(fi)
		ct = ctime.UnixNano()
	}
	ns.mu.Lock()
	d, ok := ns.dos[k]
	if cd, hit := ns.dosCache[k]; !ok && hit && ct != 0 && cd.ctime == ct {
		d, ok = cd.rec, true
	}
	ns.mu.Unlock()
	if ok || fi == nil || isSymlinkInfo(fi) {
		return d
	}
	d = c.readDOSAttrib(share, p, src)
	if ct != 0 {
		ns.cacheDOS(k, dosCached{ctime: ct, rec: d}, c.srv.cfg.DOSAttribCache)
	}
	return d
}

// readDOSAttrib reads the stored record of the file at p through src (as
// for dosAttrib); zero if there is none or it does not decode.
func (c *conn) readDOSAttrib(share *Share, p string, src any) smb2.DOSAttrib {
	var raw []byte
	var err error
	switch s := src.(type) {
	case vfs.XattrEntry:
		raw, err = s.Getxattr(dosXattr)
	case vfs.XattrFile:
		raw, err = s.Getxattr(dosXattr)
	case vfs.File:
		return smb2.DOSAttrib{} // the backend keeps no attributes
	default: // nil, or an entry that cannot read attributes itself
		raw, err = pathXattr(share, p, dosXattr)
	}
	if err != nil {
		return smb2.DOSAttrib{}
	}
	d, err := smb2.DecodeDOSAttrib(raw)
	if err != nil {
		return smb2.DOSAttrib{} // corrupt or from a later version: as if absent
	}
	d.Attributes &= settableAttrs
	return d
}

// pathXattr reads attribute name of the file at p by opening it.
func pathXattr(share *Share, p, name string) ([]byte, error) {
	f, err := share.FS.OpenFile(vfsName(p), os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if xf, ok := f.(vfs.XattrFile); ok {
		return xf.Getxattr(name)
	}
	return nil, vfs.ErrXattrUnsupported
}

// openDOS returns the file information and the attribute source of o's
// file (the base file of a stream open).
func (c *conn) openDOS(o *open) (fs.FileInfo, any, error) {
	if o.stream == "" && !isLinkOpen(o) {
		fi, err := o.file.Stat()
		return fi, o.file, err
	}
	fi, err := o.tree.share.FS.Lstat(vfsName(o.path()))
	return fi, nil, err
}

// updateDOSAttrib changes the DOS record of o's file with f and stores
// it: in the file's attribute, or in memory when that fails. fresh says
// the file was just created (nothing stored to remove).
func (c *conn) updateDOSAttrib(o *open, fresh bool, f func(d *smb2.DOSAttrib)) {
	ns := &c.srv.nodes.ns
	ns.dosMu.Lock() // one read-modify-write at a time
	defer ns.dosMu.Unlock()
	share, p := o.tree.share, o.path()
	fi, src, err := c.openDOS(o)
	if err != nil {
		return
	}
	var d smb2.DOSAttrib
	if !fresh {
		d = c.dosAttrib(share, p, fi, src)
	}
	f(&d)
	k := dosKeyOf(share, p, fi)
	if fresh && d.IsZero() {
		ns.setDOS(k, d, false)
		return
	}
	xf, _ := src.(vfs.XattrFile)
	if src == nil && !isSymlinkInfo(fi) {
		if bf, err := share.FS.OpenFile(vfsName(p), os.O_RDONLY, 0); err == nil {
			defer bf.Close()
			xf, _ = bf.(vfs.XattrFile)
		}
	}
	err = vfs.ErrXattrUnsupported
	if xf != nil && d.IsZero() {
		if err = xf.Removexattr(dosXattr); errors.Is(err, vfs.ErrNoXattr) {
			err = nil
		}
	} else if xf != nil {
		err = xf.Setxattr(dosXattr, d.Append(nil))
	}
	if err == nil && xf != nil {
		c.keepSetCtime(o, fi)
	}
	if err != nil && !d.IsZero() || err != nil && !errors.Is(err, vfs.ErrXattrUnsupported) {
		ns.setDOS(k, d, true) // kept in memory for the life of the server
		return
	}
	ns.setDOS(k, d, false)
}

// dosCached is a record read from the backend and the file's change
// time (UnixNano) when it was read.
type dosCached struct {
	ctime int64
	rec   smb2.DOSAttrib
}

// cacheDOS remembers a record read for k; when the cache holds max
// entries, an arbitrary eighth of them goes first. max < 0 caches
// nothing.
func (s *nsState) cacheDOS(k dosKey, cd dosCached, max int) {
	if max < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cachePut(&s.dosCache, k, cd, max)
}

// cachePut stores v under k in the cache *m (made if nil) of at most max
// entries: when full, an arbitrary eighth of them goes first.
func cachePut[K comparable, V any](m *map[K]V, k K, v V, max int) {
	if *m == nil {
		*m = make(map[K]V)
	}
	if len(*m) >= max {
		n := max/8 + 1
		for k := range *m {
			delete(*m, k)
			if n--; n == 0 {
				break
			}
		}
	}
	(*m)[k] = v
}

// setDOS records d in memory under k, or drops k's record; either way
// k's cached read is dropped.
func (s *nsState) setDOS(k dosKey, d smb2.DOSAttrib, keep bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.dosCache, k)
	if !keep {
		delete(s.dos, k)
		return
	}
	if s.dos == nil {
		s.dos = make(map[dosKey]smb2.DOSAttrib)
	}
	s.dos[k] = d
}

// forgetDOS drops the in-memory record of the file fi when the name p,
// just removed or replaced, was its last (gone), or when the record was
// kept by path.
func (s *nsState) forgetDOS(share *Share, p string, fi fs.FileInfo, gone bool) {
	if k := dosKeyOf(share, p, fi); k.path != "" || gone {
		s.setDOS(k, smb2.DOSAttrib{}, false)
	}
}

// moveDOS moves the in-memory records kept by path (backends without
// file identities) of oldp and everything below it to newp.
func (s *nsState) moveDOS(share *Share, oldp, newp string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	moved := make(map[dosKey]smb2.DOSAttrib)
	for k, d := range s.dos {
		if k.share == share && k.path != "" && pathWithin(k.path, oldp) {
			delete(s.dos, k)
			moved[dosKey{share: share, path: newp + k.path[len(oldp):]}] = d
		}
	}
	for k, d := range moved {
		s.dos[k] = d
	}
}

// streamBase is the dosAttrib source of a stream open: the record is the
// base file's.
type streamBase struct{}

// dosSrc is where o's DOS record is read (see dosAttrib): its file, the
// base file of a stream, or by path.
func dosSrc(o *open) any {
	switch {
	case o.stream != "":
		return streamBase{}
	case o.file == nil || isLinkOpen(o):
		return nil
	}
	return o.file
}

// resetDOSAttrib gives o's file, just created (fresh) or overwritten,
// the attributes attrs: a stored record only when they differ from the
// default (ARCHIVE for a file, none for a directory).
func (c *conn) resetDOSAttrib(o *open, fresh bool, attrs uint32) {
	def := uint32(smb2.FileAttributeArchive)
	if o.isDir {
		def = 0
	}
	c.updateDOSAttrib(o, fresh, func(d *smb2.DOSAttrib) {
		*d = smb2.DOSAttrib{}
		if attrs != def {
			d.Attributes, d.HasAttributes = attrs, true
		}
	})
}

// keepSetCtime keeps a change time the client set on o's file (meta.go:
// valid while the real one is the one it was set at) across the write
// of the DOS record, which moved the real change time on from that of
// before (fi): the client's change time stays, as Windows keeps it.
func (c *conn) keepSetCtime(o *open, before fs.FileInfo) {
	after, _, err := c.openDOS(o)
	if err != nil {
		return
	}
	_, _, ct0, _ := vfs.Times(before)
	_, _, ct1, _ := vfs.Times(after)
	old, now := smb2.FileTime(ct0), smb2.FileTime(ct1)
	if old == now {
		return
	}
	share, p := o.tree.share, o.path()
	if m := c.srv.nodes.ns.getMeta(share, p); m.ctime == 0 || m.ctimeAt != old {
		return
	}
	c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) {
		if m.ctime != 0 && m.ctimeAt == old {
			m.ctimeAt = now
		}
	})
}
