package server

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// Named streams (alternate data streams, "file:name:$DATA") live in one
// of two stores (streamstore.go):
//
//   - the sidecar store of a backend that offers one (vfs.Streamer; osfs
//     on Linux): each stream is a file of its own under the share's
//     hidden metadata directory, opened as a real vfs.File with its own
//     descriptor, so READ and WRITE are positional (sendfile and splice
//     apply) and a stream may be as large as Config.MaxStreamSize;
//   - extended attributes of the base file, one streamXattrPrefix+NAME
//     attribute per stream: the only store of backends without a sidecar
//     store (memfs) and the store of streams written before it existed,
//     which keep working there. A stream open reads the whole value and
//     writes it back on every WRITE or truncation, so these are small: at
//     most maxStreamSize bytes (growth beyond fails with
//     STATUS_DISK_FULL, as does a value the file system cannot hold).
//
// New streams go to the sidecar store where there is one, except
// AFP_AfpInfo, which stays an attribute: macOS itself keeps Finder info
// as a fixed 32-byte extended attribute (com.apple.FinderInfo) inline in
// the inode and only arbitrarily large data (the resource fork) out of
// line, and READDIR_ATTR listings read it for every entry, so one
// getxattr beats opening a sidecar file. Only the $DATA stream type
// exists. Without either store, stream names are refused with
// STATUS_OBJECT_NAME_INVALID.
//
// What is not here: renaming streams, CHANGE_NOTIFY stream events,
// byte-range locks shared with the base file, streams in directory
// listings (FileStreamInformation lists them per file), moving old
// attribute streams into the sidecar store.

// streamXattrPrefix prefixes stream names in the backend's attribute
// namespace; EA attributes use eaXattrPrefix, so neither sees the other.
const streamXattrPrefix = "stream."

// maxStreamSize bounds a stream's data (vfs.XattrFile values are at most
// 65535 bytes).
const maxStreamSize = 65535

// maxStreamNameLen is the longest stream name accepted, in bytes.
const maxStreamNameLen = 255

// splitStream splits an SMB CREATE name "path[:stream[:type]]" into the
// path and the stream name; stream is "" for the default data stream
// ("path", "path::$DATA"). Stream names may not contain '/', '\\', ':'
// or control characters; the only type is $DATA (case-insensitive).
func splitStream(name string) (base, stream string, st smb2.Status) {
	base, rest, ok := strings.Cut(name, ":")
	if !ok {
		return name, "", smb2.StatusSuccess
	}
	stream, typ, hasType := strings.Cut(rest, ":")
	if hasType && !strings.EqualFold(typ, "$DATA") {
		return "", "", smb2.StatusObjectNameInvalid
	}
	if stream == "" {
		if !hasType {
			return "", "", smb2.StatusObjectNameInvalid // "file:"
		}
		return base, "", smb2.StatusSuccess // "file::$DATA"
	}
	if len(stream) > maxStreamNameLen {
		return "", "", smb2.StatusObjectNameInvalid
	}
	for i := 0; i < len(stream); i++ {
		if ch := stream[i]; ch < 0x20 || strings.IndexByte(`/\:*?<>"|`, ch) >= 0 {
			return "", "", smb2.StatusObjectNameInvalid
		}
	}
	return base, stream, smb2.StatusSuccess
}

// dataStreamOfDir refuses an explicit default data stream ("name::$DATA")
// when name is a directory: STATUS_NOT_A_DIRECTORY when the CREATE asks
// for a directory, STATUS_FILE_IS_A_DIRECTORY otherwise.
func dataStreamOfDir(share *Share, p string, opts uint32) smb2.Status {
	fi, err := share.FS.Stat(vfsName(p))
	switch {
	case err != nil || !fi.IsDir():
		return smb2.StatusSuccess
	case opts&smb2.FileDirectoryFile != 0:
		return smb2.StatusNotADirectory
	}
	return smb2.StatusFileIsADirectory
}

// openStream performs a CREATE of stream on share path p (the base file
// or directory, created first when missing and the disposition creates).
func (c *conn) openStream(r *request, req *smb2.CreateRequest, p, stream string, access uint32) (*open, uint32, fs.FileInfo, smb2.Status) {
	share := r.tree.share
	if req.CreateOptions&smb2.FileDirectoryFile != 0 {
		return nil, 0, nil, smb2.StatusNotADirectory
	}
	disp := req.CreateDisposition
	if _, err := share.FS.Stat(vfsName(p)); err != nil {
		if st := c.createStreamBase(r.tree, p, disp, err); st != smb2.StatusSuccess {
			return nil, 0, nil, st
		}
	}
	l, st := findStream(share.FS, p, stream)
	if st != smb2.StatusSuccess {
		return nil, 0, nil, st
	}
	defer l.close()
	action, st := streamAction(r.tree.readOnly, disp, l.exists)
	var ac aclResult
	if st == smb2.StatusSuccess {
		ac, st = c.checkStreamACL(r, req, p) // aclcreate.go
		access = ac.access
	}
	var sf vfs.File
	if st == smb2.StatusSuccess {
		sf, st = l.open(share.ReadOnly)
	}
	if st != smb2.StatusSuccess {
		return nil, 0, nil, st
	}
	o := &open{sess: r.sess, tree: r.tree, name: p, stream: l.name, file: sf, access: access, maxAccess: ac.maxAccess,
		shareAccess: req.ShareAccess, createOptions: req.CreateOptions, mode: req.CreateOptions & modeBits}
	n := c.srv.state.acquire(share, p+":"+strings.ToUpper(l.name))
	o.node = n
	// A stream has its own node: share modes, oplocks and leases apart
	// from the base file's, as on Windows (smb2.lease.request,
	// smb2.oplock.stream1).
	q := c.cacheRequest(r, req, access, false, l.exists, l.exists && action != smb2.FileOpened)
	if c.srv.nodes.kernel != nil {
		q.oplock, q.lease = smb2.OplockLevelNone, nil // no kernel lease is taken for a stream
	}
	wait, st := c.srv.state.admit(n, o, q)
	if wait != nil || st != smb2.StatusSuccess {
		c.srv.state.put(n)
		sf.Close()
		r.breakWait = wait
		return nil, 0, nil, st
	}
	if action != smb2.FileOpened {
		if err := sf.Truncate(0); err != nil {
			c.closeOpen(o)
			return nil, 0, nil, statusFromError(err)
		}
	}
	fi, err := sf.Stat()
	if err != nil {
		c.closeOpen(o)
		return nil, 0, nil, statusFromError(err)
	}
	// Delete-on-close of a resource fork is ignored, as on macOS (afpinfo.go).
	o.deleteOnClose = req.CreateOptions&smb2.FileDeleteOnClose != 0 && !isAfpResource(l.name)
	return o, action, fi, smb2.StatusSuccess
}

// createStreamBase creates the missing base file of a stream for the
// dispositions that create; statErr is why the base could not be found.
// The base file is created as the tree's user (unixusers.go).
func (c *conn) createStreamBase(t *tree, p string, disp uint32, statErr error) smb2.Status {
	share, ro := t.share, t.readOnly
	if st := statusFromError(statErr); st != smb2.StatusObjectNameNotFound {
		return st
	}
	if dir, _ := parentPath(p); dir != "" {
		if dfi, err := share.FS.Stat(dir); err != nil || !dfi.IsDir() {
			return smb2.StatusObjectPathNotFound
		}
	}
	switch {
	case disp == smb2.FileOpen || disp == smb2.FileOverwrite:
		return smb2.StatusObjectNameNotFound
	case ro:
		return smb2.StatusAccessDenied
	}
	f, err := t.fs().OpenFile(vfsName(p), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return statusFromError(err)
	}
	f.Close()
	c.srv.nodes.ns.resetMeta(share, p, true)
	if fi, err := share.FS.Lstat(vfsName(p)); err == nil {
		c.srv.nodes.ns.setDOS(dosKeyOf(share, p, fi), smb2.DOSAttrib{}, false) // a new file: ARCHIVE
	}
	c.srv.nodes.ns.notify(share, p, smb2.FileActionAdded, false)
	return smb2.StatusSuccess
}

// streamAction applies a CREATE disposition to a stream that exists or not.
func streamAction(ro bool, disp uint32, exists bool) (uint32, smb2.Status) {
	if !exists {
		switch {
		case disp == smb2.FileOpen || disp == smb2.FileOverwrite:
			return 0, smb2.StatusObjectNameNotFound
		case ro:
			return 0, smb2.StatusAccessDenied
		}
		return smb2.FileCreated, smb2.StatusSuccess
	}
	switch disp {
	case smb2.FileCreate:
		return 0, smb2.StatusObjectNameCollision
	case smb2.FileSupersede, smb2.FileOverwrite, smb2.FileOverwriteIf:
		if ro {
			return 0, smb2.StatusAccessDenied
		}
		if disp == smb2.FileSupersede {
			return smb2.FileSuperseded, smb2.StatusSuccess
		}
		return smb2.FileOverwritten, smb2.StatusSuccess
	}
	return smb2.FileOpened, smb2.StatusSuccess
}

// listStreams returns the names of the named streams of a file.
func listStreams(x vfs.XattrFile) ([]string, error) {
	all, err := x.Listxattr()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range all {
		if s, ok := strings.CutPrefix(n, streamXattrPrefix); ok && s != "" {
			names = append(names, s)
		}
	}
	slices.Sort(names)
	return names, nil
}

// streamFile is a vfs.File over one named stream: the data in memory,
// written through to the base file's attribute. It has no descriptor of
// its own, so READ and WRITE take the copy paths.
type streamFile struct {
	base   vfs.File
	x      vfs.XattrFile
	stream string

	mu   sync.Mutex
	data []byte
	afp  bool // an AFP_AfpInfo stream (afpinfo.go)
}

var _ vfs.File = (*streamFile)(nil)

// ReadAt reads from the stream's data.
func (f *streamFile) ReadAt(b []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.Name(), Err: fs.ErrInvalid}
	}
	if f.afp {
		return f.afpRead(b, off)
	}
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(b, f.data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes into the stream and stores it.
func (f *streamFile) WriteAt(b []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off < 0 {
		return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: fs.ErrInvalid}
	}
	if f.afp {
		return f.afpWrite(b, off)
	}
	end := off + int64(len(b))
	if end > maxStreamSize {
		return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	data := f.data
	if end > int64(len(data)) {
		data = append(data[:len(data):len(data)], make([]byte, int(end)-len(data))...)
	}
	copy(data[off:], b)
	if err := f.store(data); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Truncate changes the stream's size.
func (f *streamFile) Truncate(size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if size < 0 {
		return &fs.PathError{Op: "truncate", Path: f.Name(), Err: fs.ErrInvalid}
	}
	if f.afp {
		return f.afpTruncate(size)
	}
	if size == 0 && isAfpResource(f.stream) {
		f.data = nil // an empty resource fork does not exist (afpinfo.go)
		return f.Remove()
	}
	if size > maxStreamSize {
		return &fs.PathError{Op: "truncate", Path: f.Name(), Err: syscall.ENOSPC}
	}
	data := f.data
	if size <= int64(len(data)) {
		data = data[:size:size]
	} else {
		data = append(data[:len(data):len(data)], make([]byte, int(size)-len(data))...)
	}
	return f.store(data)
}

// store writes data to the attribute and keeps it; called with f.mu held.
// A value the file system refuses as too large fails with ENOSPC.
func (f *streamFile) store(data []byte) error {
	if data == nil {
		data = []byte{}
	}
	if err := f.x.Setxattr(streamXattrPrefix+f.stream, data); err != nil {
		if errors.Is(err, syscall.E2BIG) || errors.Is(err, syscall.ERANGE) {
			err = &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
		}
		return err
	}
	f.data = data
	return nil
}

// Remove deletes the stream (delete-on-close).
func (f *streamFile) Remove() error {
	err := f.x.Removexattr(streamXattrPrefix + f.stream)
	if errors.Is(err, vfs.ErrNoXattr) {
		return nil
	}
	return err
}

// Stat describes the stream: its size, with the base file's times and id.
func (f *streamFile) Stat() (fs.FileInfo, error) {
	bi, err := f.base.Stat()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return streamInfo{base: bi, name: bi.Name() + ":" + f.stream, size: int64(len(f.data))}, nil
}

// Sync makes the stream durable: every change is already in the base
// file's attribute, and fsync(2) of the base commits it with the inode
// (FLUSH of a resource fork is Apple's F_FULLFSYNC).
func (f *streamFile) Sync() error { return f.base.Sync() }

// ReadDir fails: a stream is not a directory.
func (f *streamFile) ReadDir(int) ([]fs.DirEntry, error) {
	return nil, &fs.PathError{Op: "readdir", Path: f.Name(), Err: syscall.ENOTDIR}
}

// Name returns "path:stream".
func (f *streamFile) Name() string { return f.base.Name() + ":" + f.stream }

// Close closes the base file.
func (f *streamFile) Close() error { return f.base.Close() }

// streamInfo is the fs.FileInfo of a stream.
type streamInfo struct {
	base fs.FileInfo
	name string
	size int64
}

func (s streamInfo) Name() string       { return s.name }
func (s streamInfo) Size() int64        { return s.size }
func (s streamInfo) Mode() fs.FileMode  { return s.base.Mode().Perm() }
func (s streamInfo) ModTime() time.Time { return s.base.ModTime() }
func (s streamInfo) IsDir() bool        { return false }
func (s streamInfo) Sys() any           { return nil }

// Times reports the base file's times (vfs.Timeser).
func (s streamInfo) Times() (atime, mtime, ctime, btime time.Time) { return vfs.Times(s.base) }

// FileID reports the base file's id (vfs.FileIDer).
func (s streamInfo) FileID() uint64 { return vfs.FileIndex(s.base) }

// Links reports the base file's link count (vfs.FileIDer).
func (s streamInfo) Links() uint32 { return vfs.Links(s.base) }

// queryStreams answers FileStreamInformation (MS-FSCC 2.4.44) for the
// file of o (the base file when o is a stream): "::$DATA" for files, then
// ":NAME:$DATA" for each named stream.
func (c *conn) queryStreams(o *open, info *smb2.FileInfo) ([]byte, smb2.Status) {
	type ent = smb2.FileStreamInfo
	var ents []ent
	bf, err := o.tree.share.FS.OpenFile(vfsName(o.path()), os.O_RDONLY, 0)
	if err != nil {
		return nil, statusFromError(err)
	}
	defer bf.Close()
	bi, err := bf.Stat()
	if err != nil {
		return nil, statusFromError(err)
	}
	if !bi.IsDir() {
		size := uint64(bi.Size())
		alloc := uint64(vfs.AllocationSize(bi))
		if o.stream == "" {
			size, alloc = info.EndOfFile, info.AllocationSize
		}
		ents = append(ents, ent{Name: "::$DATA", Size: size, AllocationSize: alloc})
	}
	x, _ := bf.(vfs.XattrFile)
	sc, _ := bf.(vfs.Streamer)
	all, err := listAllStreams(x, sc, true)
	if err != nil && !xattrUnsupported(err) {
		return nil, statusFromError(err)
	}
	for _, e := range all {
		ents = append(ents, ent{Name: ":" + e.name + ":$DATA", Size: uint64(e.size), AllocationSize: uint64(e.alloc)})
	}
	out := smb2.AppendFileStreamInformation(nil, ents)
	return out, smb2.StatusSuccess
}
