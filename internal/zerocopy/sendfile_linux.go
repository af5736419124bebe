//go:build linux

package zerocopy

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// maxSendfileChunk bounds one sendfile(2) call (the kernel caps a call at
// 0x7ffff000 bytes anyway).
const maxSendfileChunk = 1 << 30

const (
	// msgMore keeps the header corked until the payload follows: Go sets
	// TCP_NODELAY, so without it the header leaves as its own segment.
	msgMore = unix.MSG_MORE
	// hdrInSendfile is false: Linux sendfile has no header vector, the
	// header goes out with sendmsg first.
	hdrInSendfile = false
)

// sendfileFn is unix.Sendfile; tests replace it to exercise fallbacks.
var sendfileFn = unix.Sendfile

// SendAvailable reports whether SendFile can send without copying.
func SendAvailable() bool { return true }

// sendfile runs one sendfile(2) call. stop reports that step must return
// result: false to wait for the socket (EAGAIN), true on failure (s.err).
func (s *sender) sendfile() (stop, result bool) {
	off := s.off
	k, err := sendfileFn(s.sock, s.file, &off, int(min(s.remain, maxSendfileChunk)))
	if k > 0 {
		s.off += int64(k)
		s.remain -= int64(k)
		s.sentfile = true
		counters.sendfileCalls.Add(1)
		counters.sendfileBytes.Add(uint64(k))
	}
	switch {
	case err == nil && k == 0:
		// End of file before n bytes: the file shrank.
		s.mode = modePad
	case err == nil, err == unix.EINTR:
	case err == unix.EAGAIN:
		// The netpoller calls step again once the socket is writable.
		return true, false
	case !s.sentfile && (err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP):
		s.mode = modeCopy
	default:
		s.err = fmt.Errorf("zerocopy: sendfile at %d: %w", s.off, err)
		return true, true
	}
	return false, false
}
