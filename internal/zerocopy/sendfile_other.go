//go:build !linux && !freebsd

package zerocopy

import (
	"errors"
	"io"
	"syscall"
)

// SendAvailable reports whether SendFile can send without copying. On this
// platform it cannot: SendFile copies through a pooled buffer.
func SendAvailable() bool { return false }

// SendFile writes hdr and then exactly n bytes of f starting at off to conn,
// as one uninterrupted frame (the caller holds the connection's write lock).
// On this platform it is CopySend: conn must be an io.Writer and f an
// io.ReaderAt, and zeroCopy is always false. If f ends before off+n the rest
// is zeros and padded reports how many.
func SendFile(conn syscall.Conn, hdr []byte, f Source, off, n int64) (padded int64, zeroCopy bool, err error) {
	w, ok := conn.(io.Writer)
	if !ok {
		return 0, false, errors.New("zerocopy: connection is not an io.Writer")
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return 0, false, errors.New("zerocopy: file is not an io.ReaderAt")
	}
	padded, err = CopySend(w, hdr, ra, off, n)
	return padded, false, err
}
