// Package osfs implements vfs.FS over a local directory. Every lookup
// goes through an os.Root, so no request can leave the share: ".." and
// absolute paths are refused by vfs.CleanPath before they reach the
// kernel, and symlinks that resolve outside the directory fail with
// vfs.ErrOutsideShare. Names containing NUL, '\' or ':' (stream syntax)
// are refused with vfs.ErrInvalidName.
//
// Open files wrap *os.File and expose it (File.OSFile, File.SyscallConn)
// so the server can sendfile(2) from and splice(2) into the descriptor.
// FileInfo values are those of package os: on Unix their Sys() is a
// *syscall.Stat_t, which the vfs helpers (vfs.FileIndex, vfs.Times, ...)
// understand.
//
// Named streams and metadata too large for an extended attribute live in
// the sidecar store (sidecar.go, Linux): files under the hidden
// directory MetaDir at the share root, which no path reaches.
//
// Not done here: case-insensitive lookup (names are matched exactly, as
// the local file system does), ACLs and birth times on Linux (see
// vfs.Times).
package osfs

import (
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

// errNotRegular is returned when opening something that is neither a
// regular file nor a directory (FIFO, socket, device): serving those
// could block or reach hardware.
var errNotRegular = fmt.Errorf("osfs: not a regular file or directory: %w", fs.ErrPermission)

// FS is a share rooted at a local directory. Its methods are safe for
// concurrent use.
type FS struct {
	root     *os.Root
	dir      string // absolute path of the share directory
	readOnly bool
}

var _ vfs.FS = (*FS)(nil)

// New opens dir as a share. With readOnly set, every mutating call fails
// with an error wrapping vfs.ErrReadOnly (and so fs.ErrPermission).
func New(dir string, readOnly bool) (*FS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("osfs: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("osfs: open share: %w", err)
	}
	return &FS{root: root, dir: abs, readOnly: readOnly}, nil
}

// Dir returns the absolute path of the share's directory.
func (fsys *FS) Dir() string { return fsys.dir }

// ReadOnly reports whether the share refuses changes.
func (fsys *FS) ReadOnly() bool { return fsys.readOnly }

// clean validates name for operation op and applies the read-only rule.
func (fsys *FS) clean(op, name string, mutating bool) (string, error) {
	p, err := vfs.CleanPath(name)
	if err != nil {
		return "", &fs.PathError{Op: op, Path: name, Err: err}
	}
	if reserved(p) {
		return "", &fs.PathError{Op: op, Path: name, Err: vfs.ErrReservedName}
	}
	if mutating && fsys.readOnly {
		return "", &fs.PathError{Op: op, Path: name, Err: vfs.ErrReadOnly}
	}
	return p, nil
}

// osErr rewrites os.Root's "path escapes from parent" error, which wraps
// nothing, into vfs.ErrOutsideShare so callers can match it.
func osErr(err error) error {
	switch e := err.(type) {
	case *fs.PathError:
		if e.Err != nil && e.Err.Error() == "path escapes from parent" {
			return &fs.PathError{Op: e.Op, Path: e.Path, Err: vfs.ErrOutsideShare}
		}
	case *os.LinkError:
		if e.Err != nil && e.Err.Error() == "path escapes from parent" {
			return &os.LinkError{Op: e.Op, Old: e.Old, New: e.New, Err: vfs.ErrOutsideShare}
		}
	}
	return err
}

// OpenFile opens or creates the named file or directory. Only regular
// files and directories can be opened; FIFOs, sockets and devices fail
// with an error wrapping fs.ErrPermission (on Unix they are opened
// non-blocking first, so a FIFO cannot stall the caller).
func (fsys *FS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	mutating := acc != os.O_RDONLY || flag&(os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0
	p, err := fsys.clean("open", name, mutating)
	if err != nil {
		return nil, err
	}
	f, err := fsys.root.OpenFile(p, flag|openExtra, perm)
	if err != nil {
		return nil, osErr(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errNotRegular}
	}
	if err := setBlocking(f); err != nil {
		f.Close()
		return nil, err
	}
	return &File{f: f, name: p, fsys: fsys, append: flag&os.O_APPEND != 0}, nil
}

// Mkdir creates a directory.
func (fsys *FS) Mkdir(name string, perm fs.FileMode) error {
	p, err := fsys.clean("mkdir", name, true)
	if err != nil {
		return err
	}
	return osErr(fsys.root.Mkdir(p, perm))
}

// Remove removes a file or an empty directory (syscall.ENOTEMPTY
// otherwise). The share root cannot be removed.
func (fsys *FS) Remove(name string) error {
	p, err := fsys.clean("remove", name, true)
	if err != nil {
		return err
	}
	if p == "." {
		return &fs.PathError{Op: "remove", Path: name, Err: vfs.ErrShareRoot}
	}
	// Removing the last name also removes the file's sidecar data.
	return fsys.sidecarCleanup(p, func() error { return osErr(fsys.root.Remove(p)) })
}

// Rename renames oldname to newname, replacing an existing file at
// newname. Like os.Rename it refuses to replace a directory (EEXIST).
func (fsys *FS) Rename(oldname, newname string) error {
	op, np, err := fsys.cleanPair("rename", oldname, newname)
	if err != nil {
		return err
	}
	if op == np {
		// os.Root refuses a directory renamed onto itself; make
		// that, like a file's, a no-op once the name is known to exist.
		_, err := fsys.root.Lstat(op)
		return osErr(err)
	}
	// A replaced file loses its sidecar data with its last name.
	return fsys.sidecarCleanup(np, func() error { return osErr(fsys.root.Rename(op, np)) })
}

// cleanPair cleans the two names of a rename or link; neither may be
// the share root.
func (fsys *FS) cleanPair(op, oldname, newname string) (string, string, error) {
	o, err := fsys.clean(op, oldname, true)
	if err != nil {
		return "", "", err
	}
	n, err := fsys.clean(op, newname, true)
	if err != nil {
		return "", "", err
	}
	if o == "." || n == "." {
		return "", "", &os.LinkError{Op: op, Old: oldname, New: newname, Err: vfs.ErrShareRoot}
	}
	return o, n, nil
}

// Link gives the file oldname the second name newname (vfs.Linker).
// Like link(2) it fails with EEXIST if newname exists and EPERM for a
// directory.
func (fsys *FS) Link(oldname, newname string) error {
	op, np, err := fsys.cleanPair("link", oldname, newname)
	if err != nil {
		return err
	}
	return osErr(fsys.root.Link(op, np))
}

// Chmod sets the permission bits of name (vfs.Chmoder).
func (fsys *FS) Chmod(name string, mode fs.FileMode) error {
	p, err := fsys.clean("chmod", name, true)
	if err != nil {
		return err
	}
	return osErr(fsys.root.Chmod(p, mode&fs.ModePerm))
}

// Readlink returns the target of the symlink name (vfs.Symlinker).
func (fsys *FS) Readlink(name string) (string, error) {
	p, err := fsys.clean("readlink", name, false)
	if err != nil {
		return "", err
	}
	t, err := fsys.root.Readlink(p)
	return t, osErr(err)
}

// Symlink creates name as a symlink to target (vfs.Symlinker); the
// target is stored as given and never followed here. A target with a
// component naming the metadata directory is refused.
func (fsys *FS) Symlink(target, name string) error {
	p, err := fsys.clean("symlink", name, true)
	if err != nil {
		return err
	}
	if reservedTarget(target) { // a way into the metadata directory (sidecar.go)
		return &fs.PathError{Op: "symlink", Path: name, Err: vfs.ErrReservedName}
	}
	return osErr(fsys.root.Symlink(target, p))
}

// Stat describes the named file, following symlinks that stay inside
// the share.
func (fsys *FS) Stat(name string) (fs.FileInfo, error) {
	p, err := fsys.clean("stat", name, false)
	if err != nil {
		return nil, err
	}
	fi, err := fsys.root.Stat(p)
	return fi, osErr(err)
}

// Lstat describes the named file without following a final symlink.
func (fsys *FS) Lstat(name string) (fs.FileInfo, error) {
	p, err := fsys.clean("lstat", name, false)
	if err != nil {
		return nil, err
	}
	fi, err := fsys.root.Lstat(p)
	return fi, osErr(err)
}

// Chtimes sets the access and modification times; a zero time leaves
// that time unchanged (os.Root.Chtimes passes UTIME_OMIT).
func (fsys *FS) Chtimes(name string, atime, mtime time.Time) error {
	p, err := fsys.clean("chtimes", name, true)
	if err != nil {
		return err
	}
	return osErr(fsys.root.Chtimes(p, atime, mtime))
}

// Statfs reports the size and free space of the volume holding the
// share. Serial comes from the file system id, or from a hash of the
// share's path where the id is zero.
func (fsys *FS) Statfs() (vfs.FSStat, error) {
	d, err := fsys.root.Open(".")
	if err != nil {
		return vfs.FSStat{}, fmt.Errorf("osfs: statfs: %w", err)
	}
	defer d.Close()
	st, err := statfs(d)
	if err != nil {
		return vfs.FSStat{}, fmt.Errorf("osfs: statfs: %w", err)
	}
	if st.Serial == 0 {
		st.Serial = fsys.pathSerial()
	}
	return st, nil
}

func (fsys *FS) pathSerial() uint32 {
	h := fnv.New32a()
	h.Write([]byte(fsys.dir))
	return h.Sum32()
}

// Close releases the share's root directory. Open files stay usable.
func (fsys *FS) Close() error { return fsys.root.Close() }

// clampU32 converts a block size to uint32, saturating.
func clampU32(v uint64) uint32 {
	if v > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(v)
}
