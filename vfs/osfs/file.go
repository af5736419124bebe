package osfs

import (
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
	"syscall"

	"github.com/zerosmb/zerosmb/vfs"
)

// File is an open file or directory in an osfs share. Besides vfs.File
// it offers the underlying descriptor for zero-copy I/O (OSFile,
// SyscallConn) and implements vfs.DirRewinder.
type File struct {
	f      *os.File
	name   string
	fsys   *FS
	append bool // opened with O_APPEND

	mu sync.Mutex // serialises ReadDir and RewindDir
}

var (
	_ vfs.File        = (*File)(nil)
	_ vfs.DirRewinder = (*File)(nil)
)

// OSFile returns the underlying *os.File, for sendfile(2) and splice(2).
// The caller must not close it, change its offset-independent state
// (flags, blocking mode) or use it after File.Close. Writing through it
// bypasses the read-only check.
func (f *File) OSFile() *os.File { return f.f }

// Appending reports whether the file was opened with O_APPEND (it
// implements zerocopy.Appender, sparing the splice path an fcntl(2)).
func (f *File) Appending() bool { return f.append }

// SyscallConn returns the raw descriptor of the underlying file, as
// (*os.File).SyscallConn does; the same rules as for OSFile apply.
func (f *File) SyscallConn() (syscall.RawConn, error) { return f.f.SyscallConn() }

// Name returns the clean share-relative path the file was opened with.
func (f *File) Name() string { return f.name }

// ReadAt reads len(b) bytes at off (pread(2)).
func (f *File) ReadAt(b []byte, off int64) (int, error) { return f.f.ReadAt(b, off) }

// WriteAt writes b at off (pwrite(2)). On a read-only share it fails
// with vfs.ErrReadOnly.
func (f *File) WriteAt(b []byte, off int64) (int, error) {
	if f.fsys.readOnly {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: vfs.ErrReadOnly}
	}
	return f.f.WriteAt(b, off)
}

// Truncate changes the file's size. On a read-only share it fails with
// vfs.ErrReadOnly.
func (f *File) Truncate(size int64) error {
	if f.fsys.readOnly {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: vfs.ErrReadOnly}
	}
	return f.f.Truncate(size)
}

// Sync flushes the file to stable storage (fsync(2)).
func (f *File) Sync() error { return f.f.Sync() }

// Stat describes the open file (fstat(2)).
func (f *File) Stat() (fs.FileInfo, error) { return f.f.Stat() }

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// ReadDir lists the directory in the order the kernel returns entries
// (getdents(2); not sorted), without "." and "..". It streams: with
// n > 0 each call reads only as far as it needs (Go keeps one 8 KiB
// buffer per open directory) and returns io.EOF at the end; n <= 0
// returns all remaining entries. Entries' Info is an Lstat through the
// share's root, so it cannot be redirected outside the share.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ents, err := f.f.ReadDir(n)
	for i, e := range ents {
		ents[i] = dirEntry{DirEntry: e, fsys: f.fsys, path: path.Join(f.name, e.Name())}
	}
	if n <= 0 && ents == nil && err == nil {
		ents = []fs.DirEntry{}
	}
	return ents, err
}

// RewindDir makes the next ReadDir list the directory afresh.
func (f *File) RewindDir() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.f.Seek(0, io.SeekStart)
	return err
}

// dirEntry resolves Info through the share's os.Root, by path, so it
// keeps working after the directory is closed (each call walks the path
// from the share root: depth+1 lookups).
type dirEntry struct {
	fs.DirEntry
	fsys *FS
	path string
}

func (d dirEntry) Info() (fs.FileInfo, error) {
	fi, err := d.fsys.root.Lstat(d.path)
	return fi, osErr(err)
}
