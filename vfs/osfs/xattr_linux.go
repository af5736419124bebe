//go:build linux

package osfs

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

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
	err := control(f.f, func(fd int) (err error) {
		val, err = getxattr(func(buf []byte) (int, error) { return unix.Fgetxattr(fd, xattrPrefix+name, buf) })
		return err
	})
	return val, f.xattrErr("getxattr", err)
}

// getxattr calls get with a buffer large enough for the value.
func getxattr(get func(buf []byte) (int, error)) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := get(buf)
		if errors.Is(err, syscall.ERANGE) {
			sz, err := get(nil)
			if err != nil {
				return nil, err
			}
			buf = make([]byte, sz+1)
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n:n], nil
	}
}

var _ vfs.XattrEntry = (*dirEntry)(nil)

// procFD reports whether /proc/self/fd is there to name a descriptor.
var procFD = sync.OnceValue(func() bool {
	_, err := os.Stat("/proc/self/fd")
	return err == nil
})

// haveGetxattrat is cleared when the kernel lacks getxattrat(2) (Linux
// before 6.13).
var haveGetxattrat atomic.Bool

func init() { haveGetxattrat.Store(true) }

// getxattrat reads attribute attr of the entry name of the directory dirfd
// without following it: getxattrat(2), Linux 6.13.
func getxattrat(dirfd int, name, attr string, buf []byte) (int, error) {
	p, err := unix.BytePtrFromString(name)
	if err != nil {
		return 0, err
	}
	a, err := unix.BytePtrFromString(attr)
	if err != nil {
		return 0, err
	}
	// struct xattr_args { __aligned_u64 value; __u32 size; __u32 flags; }
	var args struct {
		value       uint64
		size, flags uint32
	}
	if len(buf) > 0 {
		args.value = uint64(uintptr(unsafe.Pointer(&buf[0])))
		args.size = uint32(len(buf))
	}
	n, _, e := unix.Syscall6(unix.SYS_GETXATTRAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		unix.AT_SYMLINK_NOFOLLOW, uintptr(unsafe.Pointer(a)), uintptr(unsafe.Pointer(&args)), unsafe.Sizeof(args))
	runtime.KeepAlive(buf)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// Getxattr reads attribute name of the listed entry without opening it:
// getxattrat(2) of <entry> relative to the listed directory's descriptor
// (opened through the share's root), or on kernels before 6.13
// lgetxattr(2) of /proc/self/fd/<dir>/<entry>; <entry> is a single
// component from getdents and is not followed, so the lookup stays in
// the share. Without /proc, or once the directory is closed, a
// regular file or directory is opened through the root (not following
// a final symlink) and read with fgetxattr; other entries have none.
func (d *dirEntry) Getxattr(name string) ([]byte, error) {
	var val []byte
	err := errors.ErrUnsupported
	if d.dir != nil && (haveGetxattrat.Load() || procFD()) {
		ran := false
		err = d.dir.control(func(fd int) (err error) {
			ran = true
			if haveGetxattrat.Load() {
				val, err = getxattr(func(buf []byte) (int, error) { return getxattrat(fd, d.name, xattrPrefix+name, buf) })
				if !errors.Is(err, syscall.ENOSYS) {
					return err
				}
				haveGetxattrat.Store(false)
				if !procFD() {
					return errors.ErrUnsupported
				}
			}
			p := "/proc/self/fd/" + strconv.Itoa(fd) + "/" + d.name
			val, err = getxattr(func(buf []byte) (int, error) { return unix.Lgetxattr(p, xattrPrefix+name, buf) })
			return err
		})
		if !ran {
			err = errors.ErrUnsupported // the directory is closed
		}
	}
	if errors.Is(err, errors.ErrUnsupported) {
		if d.typ&^fs.ModeDir != 0 {
			return nil, &fs.PathError{Op: "getxattr", Path: d.path, Err: vfs.ErrNoXattr}
		}
		f, oerr := d.fsys.root.OpenFile(d.path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if oerr != nil {
			return nil, osErr(oerr)
		}
		defer f.Close()
		return (&File{f: f, name: d.path, fsys: d.fsys}).Getxattr(name)
	}
	return val, (&File{name: d.path}).xattrErr("getxattr", err)
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
