//go:build linux

package osfs

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/vfs"
)

// Extended attributes live in the Linux "user." namespace under
// xattrPrefix, so that attributes set by other programs are neither shown
// to SMB clients nor clobbered by them.
const xattrPrefix = "user.zerosmb."

var _ vfs.XattrFile = (*File)(nil)

// xattrErr maps the errno of an xattr call on f to the vfs errors.
func (f *File) xattrErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENODATA):
		err = vfs.ErrNoXattr
	case errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EOPNOTSUPP):
		err = vfs.ErrXattrUnsupported
	}
	return &fs.PathError{Op: op, Path: f.name, Err: err}
}

// writable refuses attribute changes on read-only shares.
func (f *File) writable(op string) error {
	if f.fsys != nil && f.fsys.readOnly {
		return &fs.PathError{Op: op, Path: f.name, Err: vfs.ErrReadOnly}
	}
	return nil
}

// Getxattr returns the value of attribute name (fgetxattr(2)).
func (f *File) Getxattr(name string) ([]byte, error) {
	var val []byte
	err := control(f.f, func(fd int) error {
		buf := make([]byte, 256)
		for {
			n, err := unix.Fgetxattr(fd, xattrPrefix+name, buf)
			if errors.Is(err, syscall.ERANGE) {
				sz, err := unix.Fgetxattr(fd, xattrPrefix+name, nil)
				if err != nil {
					return err
				}
				buf = make([]byte, sz+1)
				continue
			}
			if err != nil {
				return err
			}
			val = buf[:n:n]
			return nil
		}
	})
	return val, f.xattrErr("getxattr", err)
}

// Setxattr creates or replaces attribute name (fsetxattr(2)).
func (f *File) Setxattr(name string, value []byte) error {
	if err := f.writable("setxattr"); err != nil {
		return err
	}
	err := control(f.f, func(fd int) error { return unix.Fsetxattr(fd, xattrPrefix+name, value, 0) })
	return f.xattrErr("setxattr", err)
}

// Removexattr deletes attribute name (fremovexattr(2)).
func (f *File) Removexattr(name string) error {
	if err := f.writable("removexattr"); err != nil {
		return err
	}
	err := control(f.f, func(fd int) error { return unix.Fremovexattr(fd, xattrPrefix+name) })
	return f.xattrErr("removexattr", err)
}

// Listxattr lists the attributes under xattrPrefix (flistxattr(2)).
func (f *File) Listxattr() ([]string, error) {
	var names []string
	err := control(f.f, func(fd int) error {
		buf := make([]byte, 1024)
		for {
			n, err := unix.Flistxattr(fd, buf)
			if errors.Is(err, syscall.ERANGE) {
				sz, err := unix.Flistxattr(fd, nil)
				if err != nil {
					return err
				}
				buf = make([]byte, sz+1)
				continue
			}
			if err != nil {
				return err
			}
			for _, s := range strings.Split(string(buf[:n]), "\x00") {
				if rest, ok := strings.CutPrefix(s, xattrPrefix); ok && rest != "" {
					names = append(names, rest)
				}
			}
			return nil
		}
	})
	return names, f.xattrErr("listxattr", err)
}
