//go:build linux || freebsd

package zerocopy

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// SendFile writes hdr and then exactly n bytes of f starting at off to conn,
// as one uninterrupted frame (the caller holds the connection's write lock).
//
// On Linux the header goes out with sendmsg(MSG_MORE|MSG_DONTWAIT|
// MSG_NOSIGNAL), so it shares a segment with the payload despite
// TCP_NODELAY, and the payload with sendfile(2) at an explicit offset, never
// asking for more than remains (that would leave the tail corked). On
// FreeBSD the header rides in the same sendfile(2) call through its sf_hdtr
// header vector. Both loop over partial transfers and park on the netpoller
// when the socket is full, so write deadlines apply.
//
// If f ends before off+n (it shrank after the caller sized the frame), the
// rest of the frame is zeros and padded reports how many. If sendfile
// returns EINVAL, ENOSYS or EOPNOTSUPP before moving any payload byte (the
// filesystem cannot sendfile), the payload is sent with pread+write instead
// and zeroCopy is false. Any other error is returned; the frame is then
// incomplete and the caller must close the connection.
func SendFile(conn syscall.Conn, hdr []byte, f Source, off, n int64) (padded int64, zeroCopy bool, err error) {
	if off < 0 || n < 0 {
		return 0, false, errNegative
	}
	sc, err := conn.SyscallConn()
	if err != nil {
		return 0, false, fmt.Errorf("zerocopy: socket: %w", err)
	}
	fc, err := f.SyscallConn()
	if err != nil {
		return 0, false, fmt.Errorf("zerocopy: file: %w", err)
	}
	s := sender{hdr: hdr, off: off, remain: n}
	defer s.release()
	// Control pins the file descriptor (it cannot be closed and reused)
	// without taking the file's read lock, so concurrent readers of the same
	// file are not serialized behind a slow socket.
	cerr := fc.Control(func(ffd uintptr) {
		s.file = int(ffd)
		werr := sc.Write(func(sfd uintptr) bool {
			s.sock = int(sfd)
			return s.step()
		})
		if s.err == nil && werr != nil {
			s.err = fmt.Errorf("zerocopy: waiting for socket: %w", werr)
		}
	})
	if s.err == nil && cerr != nil {
		s.err = fmt.Errorf("zerocopy: file: %w", cerr)
	}
	return s.padded, !s.copied, s.err
}

// sendMode is how sender produces the remaining payload.
type sendMode uint8

const (
	modeSendfile sendMode = iota // sendfile(2) from the file
	modeCopy                     // pread into buf, then write
	modePad                      // the file ended: write zeros
)

// sender is the progress of one SendFile call. It lives outside the
// RawConn.Write closure, which may run many times.
type sender struct {
	sock, file int
	hdr        []byte // header bytes not yet sent
	off        int64  // file offset of the next payload byte to produce
	remain     int64  // payload bytes not yet produced
	pending    []byte // produced payload bytes (copy or padding) not yet sent
	mode       sendMode
	sentfile   bool // sendfile moved at least one byte
	copied     bool // some payload went through user space
	padded     int64
	buf        *[]byte
	err        error
}

func (s *sender) release() {
	if s.buf != nil {
		putBuf(s.buf)
		s.buf = nil
	}
}

// step makes as much progress as the socket allows. It returns false to
// wait until the socket is writable, true when done or failed (s.err).
func (s *sender) step() bool {
	for {
		switch {
		case len(s.hdr) > 0 && !(hdrInSendfile && s.mode == modeSendfile && s.remain > 0):
			k, err := s.write(s.hdr, s.remain > 0)
			if err != nil {
				return s.fail(err, "writing header")
			}
			s.hdr = s.hdr[k:]
		case len(s.pending) > 0:
			k, err := s.write(s.pending, s.remain > 0)
			if err != nil {
				return s.fail(err, "writing payload")
			}
			s.pending = s.pending[k:]
		case s.remain == 0:
			return true
		case s.mode == modeSendfile:
			if stop, result := s.sendfile(); stop {
				return result
			}
		default:
			if err := s.produce(); err != nil {
				s.err = err
				return true
			}
		}
	}
}

// fail records err; EAGAIN is not a failure but a request to wait.
func (s *sender) fail(err error, what string) bool {
	if err == unix.EAGAIN {
		return false
	}
	s.err = fmt.Errorf("zerocopy: %s: %w", what, err)
	return true
}

// write sends p on the socket, with MSG_MORE if more bytes follow.
func (s *sender) write(p []byte, more bool) (int, error) {
	flags := unix.MSG_DONTWAIT | unix.MSG_NOSIGNAL
	if more {
		flags |= msgMore
	}
	for {
		k, err := unix.SendmsgN(s.sock, p, nil, nil, flags)
		switch err {
		case nil:
			return k, nil
		case unix.EINTR:
			continue
		case unix.ENOTSOCK:
			// Not a socket (a pipe in tests, say): plain write.
			k, err = unix.Write(s.sock, p)
			if err == unix.EINTR {
				continue
			}
			return max(k, 0), err
		default:
			return 0, err
		}
	}
}

// produce fills s.pending with the next copied or zero bytes.
func (s *sender) produce() error {
	if s.buf == nil {
		s.buf = getBuf(s.remain)
	}
	buf := (*s.buf)[:min(s.remain, int64(len(*s.buf)))]
	if s.mode == modeCopy {
		k, err := unix.Pread(s.file, buf, s.off)
		switch {
		case err == unix.EINTR:
			return nil
		case err != nil:
			return fmt.Errorf("zerocopy: reading file at %d: %w", s.off, err)
		case k == 0:
			s.mode = modePad
			return nil
		}
		s.copied = true
		s.pending = buf[:k]
		s.off += int64(k)
		s.remain -= int64(k)
		counters.copySendBytes.Add(uint64(k))
		return nil
	}
	clear(buf)
	s.pending = buf
	s.padded += int64(len(buf))
	s.remain -= int64(len(buf))
	counters.paddedBytes.Add(uint64(len(buf)))
	return nil
}
