package memfs

import (
	"errors"
	"io"
	"io/fs"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

// errAppendWriteAt matches os.File's refusal of WriteAt in append mode.
var errAppendWriteAt = errors.New("memfs: WriteAt on file opened with O_APPEND")

// file is an open file or directory.
type file struct {
	fsys   *FS
	n      *node
	name   string
	read   bool
	write  bool
	append bool

	mu     sync.Mutex // guards the fields below
	closed bool
	// cursor is the name of the last directory entry ReadDir returned;
	// listing resumes after it (started tells "" from no cursor yet).
	cursor  string
	started bool
}

var _ vfs.File = (*file)(nil)

func (f *file) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// ReadAt reads from the file at off, returning io.EOF when it reads
// fewer than len(b) bytes.
func (f *file) ReadAt(b []byte, off int64) (int, error) {
	switch {
	case f.isClosed():
		return 0, perr("read", f.name, fs.ErrClosed)
	case f.n.mode.IsDir():
		return 0, perr("read", f.name, syscall.EISDIR)
	case !f.read:
		return 0, perr("read", f.name, syscall.EBADF)
	case off < 0:
		return 0, perr("read", f.name, syscall.EINVAL)
	}
	t := f.fsys.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(b, f.n.data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes b at off, extending the file with zeros as needed.
func (f *file) WriteAt(b []byte, off int64) (int, error) {
	switch {
	case f.isClosed():
		return 0, perr("write", f.name, fs.ErrClosed)
	case f.n.mode.IsDir():
		return 0, perr("write", f.name, syscall.EISDIR)
	case !f.write:
		return 0, perr("write", f.name, syscall.EBADF)
	case f.append:
		return 0, perr("write", f.name, errAppendWriteAt)
	case off < 0:
		return 0, perr("write", f.name, syscall.EINVAL)
	case off > maxFileSize-int64(len(b)):
		return 0, perr("write", f.name, syscall.EFBIG)
	}
	t := f.fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if end := int(off) + len(b); end > len(f.n.data) {
		f.n.data = resize(f.n.data, end)
	}
	copy(f.n.data[off:], b)
	f.n.touch(time.Now())
	return len(b), nil
}

// resize returns data grown (zero-filled) or shrunk to size.
func resize(data []byte, size int) []byte {
	if size <= len(data) {
		return data[:size]
	}
	old := len(data)
	data = slices.Grow(data, size-old)[:size]
	clear(data[old:])
	return data
}

// Close closes the file; a second Close fails with fs.ErrClosed.
func (f *file) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return perr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}

// Stat describes the open file, even after it was removed or renamed.
func (f *file) Stat() (fs.FileInfo, error) {
	if f.isClosed() {
		return nil, perr("stat", f.name, fs.ErrClosed)
	}
	t := f.fsys.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	return f.n.info(baseName(f.name)), nil
}

// Truncate changes the file's size.
func (f *file) Truncate(size int64) error {
	switch {
	case f.isClosed():
		return perr("truncate", f.name, fs.ErrClosed)
	case f.n.mode.IsDir():
		return perr("truncate", f.name, syscall.EISDIR)
	case !f.write || size < 0:
		return perr("truncate", f.name, syscall.EINVAL)
	case size > maxFileSize:
		return perr("truncate", f.name, syscall.EFBIG)
	}
	t := f.fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	f.n.data = resize(f.n.data, int(size))
	f.n.touch(time.Now())
	return nil
}

// Sync does nothing: memory is as stable as memfs gets.
func (f *file) Sync() error {
	if f.isClosed() {
		return perr("sync", f.name, fs.ErrClosed)
	}
	return nil
}

// Name returns the clean share-relative path the file was opened with.
func (f *file) Name() string { return f.name }

// ReadDir lists the directory sorted by name. It streams: each call
// returns the next entries after the last name returned (entries added
// or removed meanwhile show or not by name order), keeping only that
// name between calls; with n > 0 at most n entries and io.EOF at the
// end. Each call costs a pass over the directory.
func (f *file) ReadDir(n int) ([]fs.DirEntry, error) {
	if !f.n.mode.IsDir() {
		return nil, perr("readdirent", f.name, syscall.ENOTDIR)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, perr("readdirent", f.name, fs.ErrClosed)
	}
	ents := f.n.listAfter(f.fsys.t, f.cursor, f.started, n)
	if len(ents) == 0 {
		if n > 0 {
			return nil, io.EOF
		}
		return []fs.DirEntry{}, nil
	}
	f.cursor, f.started = ents[len(ents)-1].Name(), true
	return ents, nil
}

// RewindDir makes the next ReadDir start a fresh listing (for SMB2
// RESTART_SCANS / REOPEN).
func (f *file) RewindDir() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return perr("seek", f.name, fs.ErrClosed)
	}
	f.cursor, f.started = "", false
	return nil
}

// listAfter returns up to limit (all when limit <= 0) of directory n's
// entries whose names sort after cursor (all of them when !started),
// sorted by name. It keeps the limit smallest names in a heap: one pass,
// O(len(n.kids) × log limit).
func (n *node) listAfter(t *tree, cursor string, started bool, limit int) []fs.DirEntry {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var names []string // a max-heap of the smallest names when limit > 0
	for name := range n.kids {
		if started && name <= cursor {
			continue
		}
		if limit <= 0 || len(names) < limit {
			names = append(names, name)
			if limit > 0 {
				siftUp(names, len(names)-1)
			}
		} else if name < names[0] {
			names[0] = name
			siftDown(names, 0)
		}
	}
	slices.Sort(names)
	out := make([]fs.DirEntry, len(names))
	for i, name := range names {
		out[i] = fs.FileInfoToDirEntry(n.kids[name].info(name))
	}
	return out
}

// siftUp and siftDown keep h a max-heap of strings.
func siftUp(h []string, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p] >= h[i] {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func siftDown(h []string, i int) {
	for {
		l, big := 2*i+1, i
		if l < len(h) && h[l] > h[big] {
			big = l
		}
		if r := l + 1; r < len(h) && h[r] > h[big] {
			big = r
		}
		if big == i {
			return
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
}

// info snapshots n under the given base name. Callers hold t.mu.
func (n *node) info(name string) *FileInfo {
	fi := &FileInfo{
		name:  name,
		size:  int64(len(n.data)),
		mode:  n.mode,
		ino:   n.ino,
		nlink: n.nlink,
		atime: n.atime,
		mtime: n.mtime,
		ctime: n.ctime,
		btime: n.btime,
	}
	if n.mode.IsDir() {
		fi.size = 0
		fi.nlink = 2
		for _, c := range n.kids {
			if c.mode.IsDir() {
				fi.nlink++
			}
		}
	}
	return fi
}

// FileInfo describes a memfs file. Besides fs.FileInfo it implements
// vfs.FileIDer and vfs.Timeser, so the vfs helpers report its inode
// number, link count and all four times.
type FileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	ino   uint64
	nlink uint32
	atime time.Time
	mtime time.Time
	ctime time.Time
	btime time.Time
}

var (
	_ vfs.FileIDer = (*FileInfo)(nil)
	_ vfs.Timeser  = (*FileInfo)(nil)
)

// Name returns the base name ("." for the share root).
func (fi *FileInfo) Name() string { return fi.name }

// Size returns the length in bytes (0 for directories).
func (fi *FileInfo) Size() int64 { return fi.size }

// Mode returns the file mode bits.
func (fi *FileInfo) Mode() fs.FileMode { return fi.mode }

// ModTime returns the modification time.
func (fi *FileInfo) ModTime() time.Time { return fi.mtime }

// IsDir reports whether the file is a directory.
func (fi *FileInfo) IsDir() bool { return fi.mode.IsDir() }

// Sys returns nil; the extra data is on FileInfo itself.
func (fi *FileInfo) Sys() any { return nil }

// FileID returns the inode number, unique within the FS.
func (fi *FileInfo) FileID() uint64 { return fi.ino }

// Links returns the link count: 1 for a linked file, 0 for a removed one
// still open, 2 plus the number of subdirectories for a directory.
func (fi *FileInfo) Links() uint32 { return fi.nlink }

// Times returns the access, modification, change and birth times.
func (fi *FileInfo) Times() (atime, mtime, ctime, btime time.Time) {
	return fi.atime, fi.mtime, fi.ctime, fi.btime
}

var _ vfs.DirResumer = (*file)(nil)

// ResumeDir makes the next ReadDir continue with the names after
// after's, whether or not it still exists.
func (f *file) ResumeDir(after fs.DirEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return perr("seek", f.name, fs.ErrClosed)
	}
	f.cursor, f.started = after.Name(), true
	return nil
}
