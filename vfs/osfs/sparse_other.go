//go:build !linux

package osfs

import (
	"errors"
	"fmt"
	"io"
)

// PunchHole is not available here (errors.ErrUnsupported).
func (f *File) PunchHole(off, n int64) error { return f.noSparse("punch hole") }

// ZeroRange is not available here (errors.ErrUnsupported).
func (f *File) ZeroRange(off, n int64) error { return f.noSparse("zero range") }

// Allocate is not available here (errors.ErrUnsupported).
func (f *File) Allocate(off, n int64) error { return f.noSparse("allocate") }

// NextData reports the whole file as one data region.
func (f *File) NextData(off int64) (data, hole int64, err error) {
	fi, err := f.f.Stat()
	if err != nil {
		return 0, 0, err
	}
	if off >= fi.Size() {
		return 0, 0, io.EOF
	}
	return off, fi.Size(), nil
}

func (f *File) noSparse(op string) error {
	return fmt.Errorf("osfs: %s %s: %w", op, f.name, errors.ErrUnsupported)
}
