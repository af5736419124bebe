package memfs

import (
	"io"
	"io/fs"
	"syscall"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

var _ vfs.SparseFile = (*file)(nil)

// memfs keeps every file as one byte slice: no holes, nothing to
// allocate. Punching and zeroing clear the bytes in place (within the
// file: the size never changes).

// PunchHole zeroes [off, off+n) within the file.
func (f *file) PunchHole(off, n int64) error { return f.zero("punch hole", off, n) }

// ZeroRange zeroes [off, off+n) within the file.
func (f *file) ZeroRange(off, n int64) error { return f.zero("zero range", off, n) }

// Allocate does nothing but check the file is writable.
func (f *file) Allocate(off, n int64) error { return f.zero("allocate", 0, 0) }

func (f *file) zero(op string, off, n int64) error {
	switch {
	case f.isClosed():
		return perr(op, f.name, fs.ErrClosed)
	case f.n.mode.IsDir():
		return perr(op, f.name, syscall.EISDIR)
	case !f.write:
		return perr(op, f.name, syscall.EBADF)
	case off < 0 || n < 0:
		return perr(op, f.name, syscall.EINVAL)
	}
	t := f.fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	size := int64(len(f.n.data))
	if off >= size || n == 0 {
		return nil
	}
	clear(f.n.data[off:min(size, off+min(n, size))])
	f.n.touch(time.Now())
	return nil
}

// NextData reports the whole file as one data region.
func (f *file) NextData(off int64) (data, hole int64, err error) {
	if f.isClosed() {
		return 0, 0, perr("seek", f.name, fs.ErrClosed)
	}
	t := f.fsys.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	size := int64(len(f.n.data))
	if off >= size || f.n.mode.IsDir() {
		return 0, 0, io.EOF
	}
	return max(off, 0), size, nil
}
