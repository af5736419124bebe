//go:build unix

package server

import (
	"errors"
	"syscall"
)

// peerGone reports whether the client has closed its connection (or it
// was reset), by peeking at the socket without blocking or consuming
// anything. Long requests call it now and then to stop work nobody will
// read. Data still waiting to be read counts as alive.
func (c *conn) peerGone() bool {
	if c.sc == nil {
		return false
	}
	rc, err := c.sc.SyscallConn()
	if err != nil {
		return true
	}
	gone := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		gone = (n == 0 && err == nil) || (err != nil && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR))
		return true
	})
	return gone || err != nil
}
