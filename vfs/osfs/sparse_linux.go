package osfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"

	"github.com/zerosmb/zerosmb/vfs"
)

var _ vfs.SparseFile = (*File)(nil)

// fallocate(2) modes.
const (
	fallocKeepSize  = 0x01
	fallocPunchHole = 0x02
	fallocZeroRange = 0x10
)

// lseek(2) whence values for holes.
const (
	seekData = 3
	seekHole = 4
)

// PunchHole deallocates [off, off+n) (fallocate PUNCH_HOLE|KEEP_SIZE).
func (f *File) PunchHole(off, n int64) error {
	return f.fallocate("punch hole", fallocPunchHole|fallocKeepSize, off, n)
}

// ZeroRange zeroes [off, off+n) keeping its allocation (fallocate
// ZERO_RANGE|KEEP_SIZE).
func (f *File) ZeroRange(off, n int64) error {
	return f.fallocate("zero range", fallocZeroRange|fallocKeepSize, off, n)
}

// Allocate reserves space for [off, off+n) (fallocate KEEP_SIZE).
func (f *File) Allocate(off, n int64) error {
	return f.fallocate("allocate", fallocKeepSize, off, n)
}

func (f *File) fallocate(op string, mode uint32, off, n int64) error {
	if f.fsys.readOnly {
		return &fs.PathError{Op: op, Path: f.name, Err: vfs.ErrReadOnly}
	}
	if n <= 0 {
		return nil
	}
	err := f.control(func(fd int) error {
		for {
			err := syscall.Fallocate(fd, mode, off, n)
			if err != syscall.EINTR {
				return err
			}
		}
	})
	if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) {
		err = fmt.Errorf("%w: %w", errors.ErrUnsupported, err)
	}
	if err != nil {
		return &fs.PathError{Op: op, Path: f.name, Err: err}
	}
	return nil
}

// NextData finds the data region at or after off with SEEK_DATA and
// SEEK_HOLE (the descriptor's offset moves; osfs reads and writes at
// explicit offsets only). Without hole support the file is one region.
func (f *File) NextData(off int64) (data, hole int64, err error) {
	err = f.control(func(fd int) error {
		d, err := syscall.Seek(fd, off, seekData)
		if err != nil {
			return err
		}
		h, err := syscall.Seek(fd, d, seekHole)
		data, hole = d, h
		return err
	})
	switch {
	case errors.Is(err, syscall.ENXIO):
		return 0, 0, io.EOF
	case errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP):
		fi, serr := f.f.Stat()
		if serr != nil {
			return 0, 0, serr
		}
		if off >= fi.Size() {
			return 0, 0, io.EOF
		}
		return off, fi.Size(), nil
	case err != nil:
		return 0, 0, &fs.PathError{Op: "seek data", Path: f.name, Err: err}
	}
	return data, hole, nil
}

// control runs fn on the descriptor.
func (f *File) control(fn func(fd int) error) error { return control(f.f, fn) }
