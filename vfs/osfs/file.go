package osfs

import (
	"io/fs"
	"os"
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

	mu  sync.Mutex // serialises ReadDir, RewindDir and ResumeDir
	dir dirState   // listing state (dir_linux.go, dir_other.go), under mu
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
