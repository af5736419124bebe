//go:build freebsd

package zerocopy

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxSendfileChunk bounds the payload of one sendfile(2) call. FreeBSD reads
// nbytes == 0 as "to end of file", so a call never asks for zero bytes.
const maxSendfileChunk = 1 << 30

const (
	// msgMore is zero: FreeBSD has no MSG_MORE. The header normally rides
	// in the sendfile call itself; it is written alone only for an empty
	// payload or on the copy path.
	msgMore = 0
	// hdrInSendfile: FreeBSD sendfile(2) sends the header through the
	// sf_hdtr header vector in the same call, so header and payload share
	// segments. x/sys/unix.Sendfile has no hdtr argument, hence the raw
	// SYS_SENDFILE call in sendfile_freebsd_{32,64}bit.go.
	hdrInSendfile = true
)

// sfHdtr mirrors struct sf_hdtr from <sys/socket.h>.
type sfHdtr struct {
	headers  *unix.Iovec
	hdrCnt   int32
	trailers *unix.Iovec
	trlCnt   int32
}

// SendAvailable reports whether SendFile can send without copying.
func SendAvailable() bool { return true }

// sendfile runs one sendfile(2) call carrying any unsent header and up to
// the remaining payload. stop reports that step must return result: false
// to wait for the socket (EAGAIN), true on failure (s.err).
func (s *sender) sendfile() (stop, result bool) {
	var hdtr *sfHdtr
	var iov unix.Iovec
	if len(s.hdr) > 0 {
		iov.Base = &s.hdr[0]
		iov.SetLen(len(s.hdr))
		hdtr = &sfHdtr{headers: &iov, hdrCnt: 1}
	}
	want := min(s.remain, maxSendfileChunk)
	sbytes, err := rawSendfile(s.file, s.sock, s.off, want, unsafe.Pointer(hdtr))
	runtime.KeepAlive(hdtr)
	runtime.KeepAlive(&iov)
	// sbytes counts header bytes first, then payload bytes.
	h := min(sbytes, int64(len(s.hdr)))
	s.hdr = s.hdr[h:]
	k := sbytes - h
	if k > 0 {
		s.off += k
		s.remain -= k
		s.sentfile = true
		counters.sendfileCalls.Add(1)
		counters.sendfileBytes.Add(uint64(k))
	}
	switch {
	case err == nil && k == 0 && len(s.hdr) == 0:
		// End of file before n bytes: the file shrank.
		s.mode = modePad
	case err == nil, err == unix.EINTR:
	case err == unix.EAGAIN:
		return true, false
	case !s.sentfile && (err == unix.EINVAL || err == unix.ENOSYS ||
		err == unix.EOPNOTSUPP || err == unix.ENOTSOCK):
		s.mode = modeCopy
	default:
		s.err = fmt.Errorf("zerocopy: sendfile at %d: %w", s.off, err)
		return true, true
	}
	return false, false
}
