// Package vfs defines the filesystem backend the SMB server talks to: a
// small interface over a share's directory tree, plus the types that cross
// it. Implementations live in sub-packages: osfs (a local directory confined
// with os.Root, exposing file descriptors for zero-copy I/O) and memfs (an
// in-memory tree for tests).
//
// Paths are slash-separated and relative to the share root; "" and "." name
// the root itself. The server converts SMB names (backslashes) before
// calling in. Implementations must refuse any path that would leave the
// share (.., absolute paths, symlinks pointing out).
//
// Nothing here knows about SMB: errors are ordinary Go errors (fs.ErrNotExist,
// fs.ErrExist, fs.ErrPermission, syscall.Errno values) and the server maps
// them to NTSTATUS.
package vfs

import (
	"io"
	"io/fs"
	"time"
)

// FS is a share's directory tree.
type FS interface {
	// OpenFile opens or creates the named file or directory. flag takes the
	// os.O_* flags; perm applies when a file is created. Opening a directory
	// with os.O_RDONLY must succeed so it can be listed and stat'ed.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Mkdir creates a directory.
	Mkdir(name string, perm fs.FileMode) error
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// Rename renames oldname to newname, replacing newname if it is an
	// existing file. An existing directory at newname is never replaced
	// (an error wrapping fs.ErrExist), as with os.Rename and as Windows
	// refuses to replace a directory on rename.
	Rename(oldname, newname string) error
	// Stat returns information about the named file, following symlinks
	// that stay inside the share.
	Stat(name string) (fs.FileInfo, error)
	// Lstat is Stat without following a final symlink.
	Lstat(name string) (fs.FileInfo, error)
	// Chtimes sets access and modification times. A zero time leaves that
	// time unchanged.
	Chtimes(name string, atime, mtime time.Time) error
	// Statfs reports the size and free space of the volume holding the share.
	Statfs() (FSStat, error)
	// Close releases the tree.
	Close() error
}

// File is an open file or directory.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Stat describes the open file.
	Stat() (fs.FileInfo, error)
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Sync commits the file's contents to stable storage.
	Sync() error
	// ReadDir reads the directory's next entries, without "." and "..",
	// in the backend's order (not necessarily sorted): with n > 0 at
	// most n of them, io.EOF at the end; with n <= 0 all that remain.
	// With n > 0 it should stream (keep a bounded amount of state
	// between calls): the server lists huge directories this way.
	ReadDir(n int) ([]fs.DirEntry, error)
	// Name returns the share-relative path the file was opened with.
	Name() string
}

// FSStat describes a volume.
type FSStat struct {
	BlockSize   uint32 // bytes per allocation unit
	TotalBlocks uint64
	FreeBlocks  uint64 // available to the caller
	Serial      uint32 // volume serial number
	Label       string // volume label
}

// FileIDer is implemented by FileInfo.Sys() values (or FileInfo) that can
// report a stable file identity (inode) and link count.
type FileIDer interface {
	FileID() uint64
	Links() uint32
}
