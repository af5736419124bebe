package unixid

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

// FS is a view of a backend for one Unix identity: every call that
// resolves a path (open, create, mkdir, remove, rename, link, symlink,
// chmod, chtimes, stat) runs through Cred.Do, so the kernel checks the
// path's permissions for that identity and new files and directories
// belong to it. Files it opens are the backend's own (no wrapper): their
// reads, writes, truncation, sendfile and splice use the access the
// descriptor was opened with. Statfs and Close are the backend's.
//
// FS implements vfs.Linker, vfs.Chmoder and vfs.Symlinker whatever the
// backend does; on a backend without one, the call fails with an error
// wrapping errors.ErrUnsupported, so callers decide what the backend
// can do from the backend itself (Unwrap).
type FS struct {
	fsys vfs.FS
	cred *Cred // nil: every call is refused
}

// Wrap returns the view of fsys for c. A nil c gives a view that
// refuses every path operation with fs.ErrPermission (a session whose
// user has no Unix identity).
func Wrap(fsys vfs.FS, c *Cred) *FS { return &FS{fsys: fsys, cred: c} }

// Unwrap returns the backend.
func (f *FS) Unwrap() vfs.FS { return f.fsys }

// Cred returns the identity calls run as (nil for a refusing view).
func (f *FS) Cred() *Cred { return f.cred }

// do runs fn as f's identity.
func (f *FS) do(op, name string, fn func() error) error {
	if f.cred == nil {
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("no unix identity: %w", fs.ErrPermission)}
	}
	return f.cred.Do(fn)
}

// OpenFile implements vfs.FS.
func (f *FS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	var file vfs.File
	err := f.do("open", name, func() (err error) {
		file, err = f.fsys.OpenFile(name, flag, perm)
		return err
	})
	return file, err
}

// Mkdir implements vfs.FS.
func (f *FS) Mkdir(name string, perm fs.FileMode) error {
	return f.do("mkdir", name, func() error { return f.fsys.Mkdir(name, perm) })
}

// Remove implements vfs.FS.
func (f *FS) Remove(name string) error {
	return f.do("remove", name, func() error { return f.fsys.Remove(name) })
}

// Rename implements vfs.FS.
func (f *FS) Rename(oldname, newname string) error {
	return f.do("rename", oldname, func() error { return f.fsys.Rename(oldname, newname) })
}

// Stat implements vfs.FS.
func (f *FS) Stat(name string) (fi fs.FileInfo, err error) {
	err = f.do("stat", name, func() (err error) {
		fi, err = f.fsys.Stat(name)
		return err
	})
	return fi, err
}

// Lstat implements vfs.FS.
func (f *FS) Lstat(name string) (fi fs.FileInfo, err error) {
	err = f.do("lstat", name, func() (err error) {
		fi, err = f.fsys.Lstat(name)
		return err
	})
	return fi, err
}

// Chtimes implements vfs.FS.
func (f *FS) Chtimes(name string, atime, mtime time.Time) error {
	return f.do("chtimes", name, func() error { return f.fsys.Chtimes(name, atime, mtime) })
}

// Statfs implements vfs.FS: the volume's figures need no identity.
func (f *FS) Statfs() (vfs.FSStat, error) { return f.fsys.Statfs() }

// Close does nothing: the backend belongs to the share, not to a view.
func (f *FS) Close() error { return nil }

// unsupported is the error of an optional method the backend lacks.
func unsupported(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: errors.ErrUnsupported}
}

// Link implements vfs.Linker.
func (f *FS) Link(oldname, newname string) error {
	l, ok := f.fsys.(vfs.Linker)
	if !ok {
		return unsupported("link", oldname)
	}
	return f.do("link", oldname, func() error { return l.Link(oldname, newname) })
}

// Chmod implements vfs.Chmoder.
func (f *FS) Chmod(name string, mode fs.FileMode) error {
	c, ok := f.fsys.(vfs.Chmoder)
	if !ok {
		return unsupported("chmod", name)
	}
	return f.do("chmod", name, func() error { return c.Chmod(name, mode) })
}

// Readlink implements vfs.Symlinker.
func (f *FS) Readlink(name string) (target string, err error) {
	s, ok := f.fsys.(vfs.Symlinker)
	if !ok {
		return "", unsupported("readlink", name)
	}
	err = f.do("readlink", name, func() (err error) {
		target, err = s.Readlink(name)
		return err
	})
	return target, err
}

// Symlink implements vfs.Symlinker.
func (f *FS) Symlink(target, name string) error {
	s, ok := f.fsys.(vfs.Symlinker)
	if !ok {
		return unsupported("symlink", name)
	}
	return f.do("symlink", name, func() error { return s.Symlink(target, name) })
}

var (
	_ vfs.FS        = (*FS)(nil)
	_ vfs.Linker    = (*FS)(nil)
	_ vfs.Chmoder   = (*FS)(nil)
	_ vfs.Symlinker = (*FS)(nil)
)
