package vfs

import "io/fs"

// DirRewinder is implemented by Files whose directory listing can be
// restarted: after RewindDir, the next ReadDir lists the directory
// afresh from its first entry (SMB2 RESTART_SCANS and REOPEN).
// Both osfs and memfs files implement it.
type DirRewinder interface {
	RewindDir() error
}

// SparseFile is implemented by Files that can manage their allocation:
// deallocate or zero a range without writing data, reserve space, and
// tell data from holes. osfs implements it on Linux with fallocate(2)
// and lseek(2) SEEK_DATA/SEEK_HOLE; memfs keeps no holes and implements
// it by zeroing memory. A method the file system under the file cannot
// do fails with an error wrapping errors.ErrUnsupported; the server
// then falls back (bounded) or refuses. Ranges past the end of the file
// are the caller's business: none of these methods changes the size.
type SparseFile interface {
	// PunchHole deallocates [off, off+n): it reads as zeros afterwards
	// (fallocate PUNCH_HOLE|KEEP_SIZE).
	PunchHole(off, n int64) error
	// ZeroRange zeroes [off, off+n) keeping its allocation
	// (fallocate ZERO_RANGE|KEEP_SIZE).
	ZeroRange(off, n int64) error
	// Allocate reserves space for [off, off+n) (fallocate KEEP_SIZE).
	Allocate(off, n int64) error
	// NextData returns the first data region at or after off, [data,
	// hole), or io.EOF when there is none before the end of the file. A
	// file system without hole reporting has one region: the whole file.
	NextData(off int64) (data, hole int64, err error)
}

// DirResumer is implemented by Files whose listing can continue where an
// earlier listing of the same directory (through another open) stopped:
// after ResumeDir(e), ReadDir returns the entries that followed e, even
// if e itself has been removed meanwhile. e must be an entry a ReadDir
// of this backend returned. The server uses it to keep no open listing
// between requests without skipping or repeating entries when the
// client deletes what it has listed. osfs implements it on Linux (the
// getdents offset of the entry), memfs by name.
type DirResumer interface {
	ResumeDir(after fs.DirEntry) error
}

// Linker is implemented by file systems that can give a file a second
// name (a hard link), as SMB2 SET_INFO FileLinkInformation asks. Link
// fails with an error wrapping fs.ErrExist if newname exists, and with
// one wrapping syscall.EPERM (or fs.ErrPermission) if oldname is a
// directory. Both osfs and memfs implement it; the server answers
// STATUS_NOT_SUPPORTED for backends that do not.
type Linker interface {
	Link(oldname, newname string) error
}

// Chmoder is implemented by file systems that keep POSIX permission bits
// (SMB 3.1.1 POSIX extensions: the mode a client creates a file with).
// Chmod sets the permission bits (mode & fs.ModePerm) of name. osfs and
// memfs implement it.
type Chmoder interface {
	Chmod(name string, mode fs.FileMode) error
}

// Ownerer is implemented by FileInfo values (or their Sys()) that know
// the file's numeric owner and group; see Owner.
type Ownerer interface {
	Owner() (uid, gid uint32, ok bool)
}

// Symlinker is implemented by file systems that keep symbolic links
// (SMB 3.1.1 POSIX extensions and reparse points: a client reads a
// link's target and creates links). Readlink returns the target of the
// link name as stored, without following it; Symlink creates name as a
// link to target, failing with an error wrapping fs.ErrExist if name
// exists. Neither ever follows a link: the server decides which targets
// it shows (only those that stay inside the share), and the backend
// keeps opens from following a link out of the share. osfs implements
// it.
type Symlinker interface {
	Readlink(name string) (string, error)
	Symlink(target, name string) error
}
