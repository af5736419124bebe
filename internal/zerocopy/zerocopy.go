// Package zerocopy moves bulk payload bytes between sockets and files
// without copying them through user space where the platform allows it.
//
// It is the platform layer under the SMB READ and WRITE data paths:
// SendFile writes a caller-built frame header followed by a file range to a
// socket (sendfile(2) on Linux and FreeBSD), and Receiver.RecvFile moves a
// payload from a socket into a file range (splice(2) through a pipe on
// Linux). Every operation has a portable copy fallback (CopySend, CopyRecv)
// that reads into pooled buffers.
//
// The package knows nothing of SMB: framing, validation, signing, locking
// and the decision whether zero-copy is allowed at all belong to the caller.
// Callers must serialize writers on a connection themselves (a frame is only
// uninterrupted if nobody else writes to the socket meanwhile), and must not
// have buffered payload bytes in front of the socket when receiving.
package zerocopy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// Source is a file that the transport can send from. Both *os.File and the
// share backend's file type satisfy it. The descriptor obtained through
// SyscallConn must refer to a regular file for the zero-copy paths.
type Source interface {
	SyscallConn() (syscall.RawConn, error)
}

// Sink is a file that the transport can receive into: a Source for the
// splice path, and an io.WriterAt for the copy fallback.
type Sink interface {
	Source
	io.WriterAt
}

// Appender is implemented by a Sink that knows whether its descriptor was
// opened with O_APPEND. RecvFile then trusts it instead of asking the
// kernel with fcntl(2) on every call.
type Appender interface {
	Appending() bool
}

// Stats counts which data path was taken. Counters are process-wide and
// monotonically increasing; they exist for tests and metrics.
type Stats struct {
	SendfileCalls  uint64 // sendfile(2) calls that moved at least one byte
	SendfileBytes  uint64 // payload bytes sent by sendfile(2)
	CopySendBytes  uint64 // payload bytes sent by read+write
	SpliceCalls    uint64 // socket→pipe splice(2) calls that moved bytes into a file
	SpliceBytes    uint64 // payload bytes spliced into files
	CopyRecvBytes  uint64 // payload bytes received by read+write
	PaddedBytes    uint64 // zero bytes sent because a file shrank
	DiscardedBytes uint64 // payload bytes consumed and thrown away
}

var counters struct {
	sendfileCalls, sendfileBytes, copySendBytes atomic.Uint64
	spliceCalls, spliceBytes, copyRecvBytes     atomic.Uint64
	paddedBytes, discardedBytes                 atomic.Uint64
}

// Snapshot returns the current values of the process-wide counters.
func Snapshot() Stats {
	return Stats{
		SendfileCalls:  counters.sendfileCalls.Load(),
		SendfileBytes:  counters.sendfileBytes.Load(),
		CopySendBytes:  counters.copySendBytes.Load(),
		SpliceCalls:    counters.spliceCalls.Load(),
		SpliceBytes:    counters.spliceBytes.Load(),
		CopyRecvBytes:  counters.copyRecvBytes.Load(),
		PaddedBytes:    counters.paddedBytes.Load(),
		DiscardedBytes: counters.discardedBytes.Load(),
	}
}

// FileError reports that writing a received payload to the file failed
// (for example ENOSPC). RecvFile and CopyRecv return it only after they have
// consumed and discarded the rest of the payload, so the stream is still in
// sync and the caller may answer with an error status instead of closing
// the connection. Any other error from RecvFile leaves the stream unusable.
type FileError struct {
	Err error
}

// Error describes the failed file write.
func (e *FileError) Error() string { return "zerocopy: writing file: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// errNegative is returned for negative offsets or lengths.
var errNegative = errors.New("zerocopy: negative offset or length")

// Buffer pools. Small requests take a small buffer so that many idle
// connections do not pin megabytes each.
const (
	smallBufSize = 64 << 10
	largeBufSize = 1 << 20
)

var (
	smallPool = sync.Pool{New: func() any { b := make([]byte, smallBufSize); return &b }}
	largePool = sync.Pool{New: func() any { b := make([]byte, largeBufSize); return &b }}
)

// getBuf returns a pooled buffer suited to moving n bytes.
func getBuf(n int64) *[]byte {
	if n <= smallBufSize {
		return smallPool.Get().(*[]byte)
	}
	return largePool.Get().(*[]byte)
}

func putBuf(b *[]byte) {
	switch len(*b) {
	case smallBufSize:
		smallPool.Put(b)
	case largeBufSize:
		largePool.Put(b)
	}
}

// CopySend is the copy path for a READ response: it reads n bytes of f at
// off into a pooled buffer and writes hdr followed by the data to w, using
// one vectored write per buffer-full (net.Buffers, i.e. writev on a
// *net.TCPConn). If f ends before off+n the rest of the frame is zeros and
// padded reports how many were sent, so the frame always carries n bytes.
// A read error before anything was written leaves w untouched.
func CopySend(w io.Writer, hdr []byte, f io.ReaderAt, off, n int64) (padded int64, err error) {
	if off < 0 || n < 0 {
		return 0, errNegative
	}
	if n == 0 {
		if len(hdr) > 0 {
			if _, err := w.Write(hdr); err != nil {
				return 0, fmt.Errorf("zerocopy: writing header: %w", err)
			}
		}
		return 0, nil
	}
	bp := getBuf(n)
	defer putBuf(bp)
	buf := *bp
	eof := false
	for n > 0 {
		chunk := buf[:min(n, int64(len(buf)))]
		k := 0
		if !eof {
			var rerr error
			k, rerr = f.ReadAt(chunk, off)
			if k < len(chunk) {
				if rerr != nil && rerr != io.EOF {
					return padded, fmt.Errorf("zerocopy: reading file at %d: %w", off, rerr)
				}
				eof = true
			}
		}
		clear(chunk[k:])
		pad := int64(len(chunk) - k)
		bufs := net.Buffers{chunk}
		if hdr != nil {
			bufs = net.Buffers{hdr, chunk}
			hdr = nil
		}
		if _, err := bufs.WriteTo(w); err != nil {
			return padded, fmt.Errorf("zerocopy: writing payload: %w", err)
		}
		counters.copySendBytes.Add(uint64(k))
		if pad > 0 {
			counters.paddedBytes.Add(uint64(pad))
			padded += pad
		}
		off += int64(len(chunk))
		n -= int64(len(chunk))
	}
	return padded, nil
}

// CopyRecv is the copy fallback for RecvFile: it reads exactly n bytes from
// r into a pooled buffer and writes them to f at off. It returns the number
// of bytes written to f. If r ends early the error is io.ErrUnexpectedEOF.
// If writing f fails, CopyRecv still consumes the rest of the payload and
// returns a *FileError.
func CopyRecv(r io.Reader, f io.WriterAt, off, n int64) (int64, error) {
	if off < 0 || n < 0 {
		return 0, errNegative
	}
	if n == 0 {
		return 0, nil
	}
	bp := getBuf(n)
	defer putBuf(bp)
	buf := *bp
	var written int64
	var ferr error
	for remain := n; remain > 0; {
		chunk := buf[:min(remain, int64(len(buf)))]
		k, err := io.ReadFull(r, chunk)
		remain -= int64(k)
		if ferr == nil && k > 0 {
			w, werr := f.WriteAt(chunk[:k], off+written)
			written += int64(w)
			counters.copyRecvBytes.Add(uint64(w))
			if werr != nil {
				ferr = werr
			}
		} else if ferr != nil {
			counters.discardedBytes.Add(uint64(k))
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return written, fmt.Errorf("zerocopy: reading payload: %w", err)
		}
	}
	if ferr != nil {
		return written, &FileError{Err: ferr}
	}
	return written, nil
}

// copyDiscard reads and throws away exactly n bytes from r.
func copyDiscard(r io.Reader, n int64) error {
	if n <= 0 {
		return nil
	}
	bp := getBuf(n)
	defer putBuf(bp)
	buf := *bp
	for n > 0 {
		k, err := io.ReadFull(r, buf[:min(n, int64(len(buf)))])
		n -= int64(k)
		counters.discardedBytes.Add(uint64(k))
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("zerocopy: discarding payload: %w", err)
		}
	}
	return nil
}
