//go:build linux || freebsd

package zerocopy

import (
	"fmt"
	"io"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PeekAvailable reports whether ReadAccepted can look at socket bytes
// before consuming them.
func PeekAvailable() bool { return true }

// ReadAccepted waits until conn is readable, looks at up to len(buf) bytes
// at the head of its receive queue without consuming them (MSG_PEEK), and
// asks accept how many of the leading bytes the caller wants. Exactly that
// many are then consumed into buf[:taken]; the rest stay in the socket, so a
// later zero-copy receive finds the stream untouched. peeked is how many
// bytes were visible (buf[:peeked] holds them when taken is 0).
//
// It lets a caller take every complete small message that has arrived with
// two system calls, without ever pulling the first bytes of a bulk payload
// into user space. Read deadlines apply while waiting. A peer that closed
// the connection yields io.EOF.
//
// beforeWait, if not nil, runs each time nothing is readable, just before
// the goroutine parks on the netpoller: the moment to write out responses
// held back while more requests were queued.
func ReadAccepted(conn syscall.Conn, buf []byte, accept func(peeked []byte) int, beforeWait func()) (taken, peeked int, err error) {
	if len(buf) == 0 {
		return 0, 0, nil
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, 0, fmt.Errorf("zerocopy: socket: %w", err)
	}
	var serr error
	rerr := rc.Read(func(fd uintptr) bool {
		k, err := recvFlags(int(fd), buf, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		switch {
		case err == unix.EAGAIN:
			if beforeWait != nil {
				beforeWait()
			}
			return false
		case err != nil:
			serr = err
			return true
		case k == 0:
			serr = io.EOF
			return true
		}
		peeked = k
		want := min(accept(buf[:k]), k)
		for taken < want {
			k, err := recvFlags(int(fd), buf[taken:want], unix.MSG_DONTWAIT)
			switch {
			case err == unix.EINTR:
				continue
			case err != nil:
				// Peeked bytes cannot vanish; anything else is a real error.
				serr = err
				return true
			case k == 0:
				serr = io.ErrUnexpectedEOF
				return true
			}
			taken += k
		}
		return true
	})
	if serr == nil && rerr != nil {
		serr = rerr
	}
	if serr != nil {
		return taken, peeked, fmt.Errorf("zerocopy: reading socket: %w", serr)
	}
	return taken, peeked, nil
}

// ReadNow consumes up to len(buf) bytes that are readable right now
// without waiting for more: 0 and no error when nothing is. A peer that
// closed the connection yields io.EOF.
func ReadNow(conn syscall.Conn, buf []byte) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("zerocopy: socket: %w", err)
	}
	var n int
	var serr error
	rerr := rc.Read(func(fd uintptr) bool {
		k, err := recvFlags(int(fd), buf, unix.MSG_DONTWAIT)
		switch {
		case err == unix.EAGAIN:
		case err != nil:
			serr = err
		case k == 0:
			serr = io.EOF
		default:
			n = k
		}
		return true
	})
	if serr == nil {
		serr = rerr
	}
	if serr != nil {
		return 0, fmt.Errorf("zerocopy: reading socket: %w", serr)
	}
	return n, nil
}

// recvFlags is recv(2) without the sockaddr handling of unix.Recvfrom.
func recvFlags(fd int, p []byte, flags int) (int, error) {
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(flags), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}
