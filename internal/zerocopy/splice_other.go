//go:build !linux

package zerocopy

import (
	"errors"
	"io"
	"syscall"
)

// RecvAvailable reports whether RecvFile can receive without copying
// through user space. On this platform it cannot.
func RecvAvailable() bool { return false }

// Receiver moves payload bytes from a socket into files. On this platform
// it reads into pooled buffers. A Receiver is not safe for concurrent use.
type Receiver struct{}

// NewReceiver returns a Receiver.
func NewReceiver() *Receiver { return &Receiver{} }

// Close releases the Receiver's resources (none on this platform).
func (r *Receiver) Close() error { return nil }

// RecvFile moves exactly n bytes from conn into f at off and returns how
// many bytes it wrote to f. On this platform it is CopyRecv, and conn must
// be an io.Reader. The caller must have no buffered payload bytes in front
// of conn. A *FileError means the payload was consumed and the stream is in
// sync; any other error leaves the stream unusable.
func (r *Receiver) RecvFile(conn syscall.Conn, f Sink, off, n int64) (written int64, err error) {
	rd, ok := conn.(io.Reader)
	if !ok {
		return 0, errors.New("zerocopy: connection is not an io.Reader")
	}
	return CopyRecv(rd, f, off, n)
}

// Discard consumes exactly n bytes from conn and throws them away, keeping
// the stream in sync after a WRITE was refused once its header was read.
func (r *Receiver) Discard(conn syscall.Conn, n int64) error {
	if n < 0 {
		return errNegative
	}
	rd, ok := conn.(io.Reader)
	if !ok {
		return errors.New("zerocopy: connection is not an io.Reader")
	}
	return copyDiscard(rd, n)
}
