//go:build linux

package zerocopy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// errAppend refuses receiving into a file opened with O_APPEND.
var errAppend = errors.New("zerocopy: file is opened with O_APPEND")

// wantPipeSize is the pipe capacity a Receiver asks for.
const wantPipeSize = 1 << 20

// spliceFn is splice(2); tests replace it to exercise fallbacks.
var spliceFn = splice

// splice is unix.Splice with the count as int64 on every architecture.
func splice(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int64, error) {
	k, err := unix.Splice(rfd, roff, wfd, woff, n, flags)
	return int64(k), err
}

// RecvAvailable reports whether RecvFile can receive without copying
// through user space.
func RecvAvailable() bool { return true }

// Receiver moves payload bytes from a socket into files. It owns one pipe,
// created on first use and reused across calls, so keep one Receiver per
// connection rather than one per request (past fs.pipe-user-pages-soft the
// kernel hands out one-page pipes). A Receiver is not safe for concurrent
// use.
type Receiver struct {
	p    [2]int // read and write ends, -1 when there is no pipe
	size int    // pipe capacity in bytes
}

// NewReceiver returns a Receiver. The pipe is created lazily.
func NewReceiver() *Receiver {
	return &Receiver{p: [2]int{-1, -1}}
}

// Close releases the Receiver's pipe. The Receiver may be used again
// afterwards; it then creates a new pipe.
func (r *Receiver) Close() error {
	if r.p[0] < 0 {
		return nil
	}
	err0 := unix.Close(r.p[0])
	err1 := unix.Close(r.p[1])
	r.p = [2]int{-1, -1}
	if err0 != nil {
		return err0
	}
	return err1
}

// ensurePipe creates the pipe if there is none.
func (r *Receiver) ensurePipe() error {
	if r.p[0] >= 0 {
		return nil
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return fmt.Errorf("zerocopy: pipe2: %w", err)
	}
	if _, err := unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, wantPipeSize); err != nil {
		// EPERM: above fs.pipe-max-size (or the user's soft limit).
		// Try the system maximum; failing that keep the default.
		if max := pipeMaxSize(); max > 0 && max < wantPipeSize {
			unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, max)
		}
	}
	size, err := unix.FcntlInt(uintptr(p[1]), unix.F_GETPIPE_SZ, 0)
	if err != nil || size <= 0 {
		size = 64 << 10 // the historical default
	}
	r.p, r.size = p, size
	return nil
}

var pipeMax struct {
	once sync.Once
	n    int
}

// pipeMaxSize returns /proc/sys/fs/pipe-max-size, or 0 if unknown.
func pipeMaxSize() int {
	pipeMax.once.Do(func() {
		b, err := os.ReadFile("/proc/sys/fs/pipe-max-size")
		if err != nil {
			return
		}
		pipeMax.n, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	})
	return pipeMax.n
}

var devNull struct {
	once sync.Once
	fd   int
}

// devNullFD returns a write-only descriptor for /dev/null shared by the
// process, or -1 if it cannot be opened.
func devNullFD() int {
	devNull.once.Do(func() {
		fd, err := unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			fd = -1
		}
		devNull.fd = fd
	})
	return devNull.fd
}

// RecvFile moves exactly n bytes from conn into f at off and returns how
// many bytes it wrote to f. The caller must have no buffered payload bytes
// in front of conn.
//
// It splices socket→pipe (SPLICE_F_MOVE|SPLICE_F_NONBLOCK, parking on the
// netpoller when the socket is empty, so read deadlines apply) and then
// drains the pipe completely into f at an explicit offset before reading
// more; it never writes outside [off, off+n). If the socket or file cannot
// splice (EINVAL before any byte moved), it reads into a pooled buffer and
// pwrites instead. A file opened with O_APPEND is refused (*FileError).
//
// If writing f fails, RecvFile consumes and discards the rest of the payload
// and returns a *FileError: the stream is still in sync. Any other error
// (peer closed: io.ErrUnexpectedEOF, deadline, socket error) leaves the
// stream unusable and the caller must close the connection.
func (r *Receiver) RecvFile(conn syscall.Conn, f Sink, off, n int64) (written int64, err error) {
	if off < 0 || n < 0 {
		return 0, errNegative
	}
	if n == 0 {
		return 0, nil
	}
	sc, err := conn.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("zerocopy: socket: %w", err)
	}
	fc, err := f.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("zerocopy: file: %w", err)
	}
	st := receiver{r: r, file: -1, off: off, remain: n}
	cerr := fc.Control(func(ffd uintptr) {
		st.file = int(ffd)
		// O_APPEND would make pwrite ignore the offset (and splice refuse
		// it): refuse the write but keep the stream in sync.
		if appending(f, ffd) {
			st.ferr = errAppend
		}
		st.run(sc)
	})
	if st.err == nil && cerr != nil {
		st.err = fmt.Errorf("zerocopy: file: %w", cerr)
	}
	return st.written, st.result()
}

// appending reports whether f's descriptor fd was opened with O_APPEND.
func appending(f Sink, fd uintptr) bool {
	if a, ok := f.(Appender); ok {
		return a.Appending()
	}
	fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	return err == nil && fl&unix.O_APPEND != 0
}

// Discard consumes exactly n bytes from conn and throws them away, splicing
// them into /dev/null through the pipe. It keeps the stream in sync after a
// WRITE was refused once its header had been read.
func (r *Receiver) Discard(conn syscall.Conn, n int64) error {
	if n < 0 {
		return errNegative
	}
	if n == 0 {
		return nil
	}
	sc, err := conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("zerocopy: socket: %w", err)
	}
	st := receiver{r: r, file: -1, remain: n, discard: true}
	st.run(sc)
	return st.result()
}

// receiver is the progress of one RecvFile or Discard call, kept outside
// the RawConn.Read closure, which may run many times.
type receiver struct {
	r       *Receiver
	sock    int
	file    int   // destination, -1 for Discard
	off     int64 // file offset of the next byte to write
	remain  int64 // payload bytes still to take from the socket
	inPipe  int   // bytes sitting in the pipe
	written int64 // bytes written to the file
	discard bool  // throw bytes away instead of writing them
	copy    bool  // read/pwrite instead of splice
	moved   bool  // some byte was spliced already (no fallback after that)
	buf     *[]byte
	ferr    error // file write error; the rest is discarded
	err     error // fatal stream error
}

// run drives the transfer on the socket's read side.
func (st *receiver) run(sc syscall.RawConn) {
	defer func() {
		if st.buf != nil {
			putBuf(st.buf)
		}
		if st.inPipe > 0 {
			// Never reuse a pipe that still holds someone's payload.
			st.r.Close()
		}
	}()
	if !st.copy {
		if err := st.r.ensurePipe(); err != nil {
			st.copy = true // EMFILE and friends: copy instead
		}
	}
	rerr := sc.Read(func(fd uintptr) bool {
		st.sock = int(fd)
		return st.step()
	})
	if st.err == nil && rerr != nil {
		st.err = fmt.Errorf("zerocopy: waiting for socket: %w", rerr)
	}
}

// result is the error to report for a finished transfer.
func (st *receiver) result() error {
	if st.err != nil {
		return st.err
	}
	if st.ferr != nil {
		return &FileError{Err: st.ferr}
	}
	return nil
}

// step makes as much progress as the socket allows. It returns false to
// wait until the socket is readable, true when done or failed (st.err).
func (st *receiver) step() bool {
	for {
		if st.inPipe > 0 {
			if err := st.drain(); err != nil {
				st.err = err
				return true
			}
			continue
		}
		if st.remain == 0 {
			return true
		}
		var wait bool
		if st.copy {
			wait = st.readCopy()
		} else {
			wait = st.fill()
		}
		if wait || st.err != nil {
			return !wait
		}
	}
}

// fill splices from the socket into the (empty) pipe. It returns true to
// wait for the socket.
func (st *receiver) fill() (wait bool) {
	k, err := spliceFn(st.sock, nil, st.r.p[1], nil,
		int(min(st.remain, int64(st.r.size))), unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
	switch {
	case k > 0:
		st.moved = true
		st.remain -= k
		st.inPipe += int(k)
		if !st.discard {
			counters.spliceCalls.Add(1)
		}
	case err == nil:
		st.err = fmt.Errorf("zerocopy: reading payload: %w", io.ErrUnexpectedEOF)
	case err == unix.EAGAIN:
		return true
	case err == unix.EINTR:
	case !st.moved && (err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP):
		st.copy = true
	default:
		st.err = fmt.Errorf("zerocopy: splice from socket: %w", err)
	}
	return false
}

// drain moves bytes out of the pipe: into the file, or to /dev/null when
// discarding. Only pipe failures are returned; file failures become ferr.
func (st *receiver) drain() error {
	if st.discard || st.ferr != nil {
		if null := devNullFD(); null >= 0 {
			k, err := spliceFn(st.r.p[0], nil, null, nil, st.inPipe, unix.SPLICE_F_MOVE)
			if k > 0 {
				st.inPipe -= int(k)
				counters.discardedBytes.Add(uint64(k))
				return nil
			}
			if err == unix.EINTR {
				return nil
			}
		}
		return st.drainRead() // no /dev/null or it refused: read it out
	}
	if st.copy {
		return st.drainRead()
	}
	k, err := spliceFn(st.r.p[0], nil, st.file, &st.off, st.inPipe, unix.SPLICE_F_MOVE)
	switch {
	case k > 0:
		// The kernel advanced st.off.
		st.inPipe -= int(k)
		st.written += k
		counters.spliceBytes.Add(uint64(k))
	case err == unix.EINTR:
	case st.written == 0 && (err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP):
		st.copy = true // the file cannot splice: copy from here on
	case err == nil:
		st.ferr = io.ErrShortWrite
	default:
		st.ferr = err
	}
	return nil
}

// drainRead reads pipe contents into the buffer and consumes them.
func (st *receiver) drainRead() error {
	buf := st.buffer()
	k, err := unix.Read(st.r.p[0], buf[:min(st.inPipe, len(buf))])
	switch {
	case err == unix.EINTR:
		return nil
	case err != nil:
		return fmt.Errorf("zerocopy: reading pipe: %w", err)
	case k == 0:
		return fmt.Errorf("zerocopy: pipe lost %d bytes", st.inPipe)
	}
	st.inPipe -= k
	st.consume(buf[:k])
	return nil
}

// readCopy reads from the socket into the buffer and consumes the bytes.
// It returns true to wait for the socket.
func (st *receiver) readCopy() (wait bool) {
	buf := st.buffer()
	k, err := unix.Read(st.sock, buf[:min(st.remain, int64(len(buf)))])
	switch {
	case err == unix.EAGAIN:
		return true
	case err == unix.EINTR:
	case err != nil:
		st.err = fmt.Errorf("zerocopy: reading payload: %w", err)
	case k == 0:
		st.err = fmt.Errorf("zerocopy: reading payload: %w", io.ErrUnexpectedEOF)
	default:
		st.remain -= int64(k)
		st.consume(buf[:k])
	}
	return false
}

// consume writes b to the file at st.off, or drops it when discarding or
// after a file error.
func (st *receiver) consume(b []byte) {
	for len(b) > 0 && !st.discard && st.ferr == nil {
		k, err := unix.Pwrite(st.file, b, st.off)
		if k > 0 {
			b = b[k:]
			st.off += int64(k)
			st.written += int64(k)
			counters.copyRecvBytes.Add(uint64(k))
		}
		switch {
		case err == unix.EINTR:
		case err != nil:
			st.ferr = err
		case k == 0:
			st.ferr = io.ErrShortWrite
		}
	}
	counters.discardedBytes.Add(uint64(len(b)))
}

func (st *receiver) buffer() []byte {
	if st.buf == nil {
		st.buf = getBuf(st.remain + int64(st.inPipe))
	}
	return *st.buf
}
