//go:build !linux && !freebsd

package zerocopy

import (
	"errors"
	"syscall"
)

// PeekAvailable reports whether ReadAccepted can look at socket bytes
// before consuming them. On this platform it cannot.
func PeekAvailable() bool { return false }

// ReadAccepted is unsupported on this platform; callers read exactly
// instead.
func ReadAccepted(conn syscall.Conn, buf []byte, accept func(peeked []byte) int, beforeWait func()) (taken, peeked int, err error) {
	return 0, 0, errors.ErrUnsupported
}

// ReadNow is unsupported on this platform.
func ReadNow(conn syscall.Conn, buf []byte) (int, error) {
	return 0, errors.ErrUnsupported
}
