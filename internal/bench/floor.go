//go:build linux

package bench

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"golang.org/x/sys/unix"
)

// The kernel floor: a server that moves file bytes over TCP and does nothing
// else. The wire protocol is a 17-byte request — op ('R', 'W' or 'S'),
// offset and length as little-endian uint64 — after which the server sends
// length bytes of the file (READ) or receives length bytes into the file at
// offset and answers one byte (WRITE). For STAT, length bytes of a file
// name follow; the server stats it in its directory (fstatat, not
// following symlinks) and answers one byte, 1 if it exists (the floor of
// bench meta). A connection may carry many requests.

// FloorMode selects how the floor server moves bytes.
type FloorMode string

// Floor modes.
const (
	FloorZeroCopy FloorMode = "zerocopy" // sendfile for READ, splice for WRITE
	FloorCopy     FloorMode = "copy"     // pread+write for READ, read+pwrite for WRITE
	// FloorNetpoll moves bytes with the zerocopy package itself on Go's
	// non-blocking sockets: the floor for any server that, like zerosmb,
	// never blocks a thread on the socket.
	FloorNetpoll FloorMode = "netpoll"
)

const (
	floorReqSize = 17
	floorMaxName = 4096 // longest STAT name
)

// FloorFiles names what a floor serves; an empty name refuses its op.
type FloorFiles struct {
	Read    string // the file sent for READ
	Write   string // the file written by WRITE (created if missing)
	StatDir string // the directory STAT names are looked up in
}

// floorOpen holds a floor's open files (nil when not served).
type floorOpen struct {
	rf, wf, dir *os.File
}

// ServeFloor accepts connections on ln until it is closed, serving files
// with mode. Each connection runs on blocking file descriptors so the
// program does nothing but the system calls that move the data.
func ServeFloor(ln net.Listener, files FloorFiles, mode FloorMode) error {
	var f floorOpen
	for _, o := range []struct {
		dst  **os.File
		name string
		flag int
	}{{&f.rf, files.Read, os.O_RDONLY}, {&f.wf, files.Write, os.O_WRONLY | os.O_CREATE}, {&f.dir, files.StatDir, os.O_RDONLY}} {
		if o.name == "" {
			continue
		}
		file, err := os.OpenFile(o.name, o.flag, 0o644)
		if err != nil {
			return fmt.Errorf("bench: floor: %w", err)
		}
		defer file.Close()
		*o.dst = file
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			if err := serveFloorConn(c.(*net.TCPConn), f, mode); err != nil && err != io.EOF {
				fmt.Fprintln(os.Stderr, "floor:", err)
			}
		}()
	}
}

// floorStat answers a STAT request of n name bytes read from r: one byte,
// 1 if the name exists in dir.
func floorStat(r io.Reader, w io.Writer, dir *os.File, n int64, name []byte) error {
	if dir == nil || n <= 0 || n > floorMaxName {
		return fmt.Errorf("bench: floor: STAT of %d name bytes refused", n)
	}
	if _, err := io.ReadFull(r, name[:n]); err != nil {
		return err
	}
	var st unix.Stat_t
	ok := byte(0)
	if unix.Fstatat(int(dir.Fd()), string(name[:n]), &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		ok = 1
	}
	_, err := w.Write([]byte{ok})
	return err
}

// floorFD is f's descriptor, or -1.
func floorFD(f *os.File) int {
	if f == nil {
		return -1
	}
	return int(f.Fd())
}

func serveFloorConn(c *net.TCPConn, f floorOpen, mode FloorMode) error {
	if mode == FloorNetpoll {
		return serveFloorNetpoll(c, f)
	}
	sf, err := c.File() // a blocking dup of the socket
	if err != nil {
		return err
	}
	defer sf.Close()
	sock, rfd, wfd := int(sf.Fd()), floorFD(f.rf), floorFD(f.wf)
	name := make([]byte, floorMaxName)
	var pipe [2]int
	var buf []byte
	if mode == FloorZeroCopy {
		if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
			return err
		}
		defer unix.Close(pipe[0])
		defer unix.Close(pipe[1])
		unix.FcntlInt(uintptr(pipe[0]), unix.F_SETPIPE_SZ, 1<<20)
	} else {
		buf = make([]byte, 1<<20)
	}
	for {
		op, off, n, err := readFloorReq(sf)
		if err != nil {
			return err
		}
		switch {
		case op == 'R' && rfd < 0, op == 'W' && wfd < 0:
			err = fmt.Errorf("bench: floor: op %q not served", op)
		case op == 'S':
			err = floorStat(sf, sf, f.dir, n, name)
		case op == 'R' && mode == FloorZeroCopy:
			err = floorSendfile(sock, rfd, off, n)
		case op == 'R':
			err = floorPreadWrite(sock, rfd, off, n, buf)
		case op == 'W' && mode == FloorZeroCopy:
			err = floorSplice(sock, wfd, pipe, off, n)
		case op == 'W':
			err = floorReadPwrite(sock, wfd, off, n, buf)
		default:
			err = fmt.Errorf("bench: floor: bad op %q", op)
		}
		if err == nil && op == 'W' {
			_, err = unix.Write(sock, []byte{1})
		}
		if err != nil {
			return err
		}
	}
}

// serveFloorNetpoll is serveFloorConn for FloorNetpoll: the socket stays
// non-blocking and every wait parks on the netpoller.
func serveFloorNetpoll(c *net.TCPConn, f floorOpen) error {
	recv := zerocopy.NewReceiver()
	defer recv.Close()
	name := make([]byte, floorMaxName)
	for {
		op, off, n, err := readFloorReq(c)
		if err != nil {
			return err
		}
		switch {
		case op == 'R' && f.rf == nil, op == 'W' && f.wf == nil:
			err = fmt.Errorf("bench: floor: op %q not served", op)
		case op == 'S':
			err = floorStat(c, c, f.dir, n, name)
		case op == 'R':
			_, _, err = zerocopy.SendFile(c, nil, f.rf, off, n)
		case op == 'W':
			if _, err = recv.RecvFile(c, f.wf, off, n); err == nil {
				_, err = c.Write([]byte{1})
			}
		default:
			err = fmt.Errorf("bench: floor: bad op %q", op)
		}
		if err != nil {
			return err
		}
	}
}

// readFloorReq reads one floor request: op, file offset, length.
func readFloorReq(r io.Reader) (op byte, off, n int64, err error) {
	var req [floorReqSize]byte
	if _, err := io.ReadFull(r, req[:]); err != nil {
		return 0, 0, 0, err
	}
	return req[0], int64(binary.LittleEndian.Uint64(req[1:])), int64(binary.LittleEndian.Uint64(req[9:])), nil
}

func floorSendfile(sock, file int, off, n int64) error {
	for n > 0 {
		k, err := unix.Sendfile(sock, file, &off, int(min(n, 1<<30)))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("sendfile: %w", err)
		}
		if k == 0 {
			return io.ErrUnexpectedEOF
		}
		n -= int64(k)
	}
	return nil
}

func floorPreadWrite(sock, file int, off, n int64, buf []byte) error {
	for n > 0 {
		k, err := unix.Pread(file, buf[:min(n, int64(len(buf)))], off)
		if err != nil || k == 0 {
			return fmt.Errorf("pread: %v", err)
		}
		for p := buf[:k]; len(p) > 0; {
			w, err := unix.Write(sock, p)
			if err != nil && err != unix.EINTR {
				return fmt.Errorf("write: %w", err)
			}
			p = p[max(w, 0):]
		}
		off += int64(k)
		n -= int64(k)
	}
	return nil
}

func floorSplice(sock, file int, pipe [2]int, off, n int64) error {
	for n > 0 {
		k, err := unix.Splice(sock, nil, pipe[1], nil, int(min(n, 1<<20)), unix.SPLICE_F_MOVE)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("splice in: %w", err)
		}
		if k == 0 {
			return io.ErrUnexpectedEOF
		}
		n -= k
		for k > 0 {
			w, err := unix.Splice(pipe[0], nil, file, &off, int(k), unix.SPLICE_F_MOVE)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return fmt.Errorf("splice out: %w", err)
			}
			k -= w
		}
	}
	return nil
}

func floorReadPwrite(sock, file int, off, n int64, buf []byte) error {
	for n > 0 {
		k, err := unix.Read(sock, buf[:min(n, int64(len(buf)))])
		if err == unix.EINTR {
			continue
		}
		if err != nil || k == 0 {
			return fmt.Errorf("read: %v", err)
		}
		for p := buf[:k]; len(p) > 0; {
			w, err := unix.Pwrite(file, p, off)
			if err != nil {
				return fmt.Errorf("pwrite: %w", err)
			}
			p, off = p[w:], off+int64(w)
		}
		n -= int64(k)
	}
	return nil
}

// floorClient drives a floor server the way Client drives an SMB server:
// one request per I/O of the case's size, depth requests outstanding. With
// stream set it instead asks for a client's whole share in one request,
// which no request-based server can match (the "floor-stream" reference).
type floorClient struct {
	conn   net.Conn
	buf    []byte // request header followed by an I/O's payload
	stream bool
}

func dialFloor(addr string, stream bool) (*floorClient, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &floorClient{conn: c, stream: stream}, nil
}

// transfer moves length bytes at off in ioSize requests, depth at a time
// (in stream mode: one request, moved in ioSize pieces), and returns how
// many bytes moved.
func (c *floorClient) transfer(write bool, off, length int64, ioSize, depth int) (int64, error) {
	reqSize := int64(ioSize)
	if c.stream {
		reqSize, depth = length, 1
	}
	if len(c.buf) < floorReqSize+ioSize {
		c.buf = make([]byte, floorReqSize+ioSize)
	}
	end, next := off+length, off
	// send issues the request for the next I/O, with its payload for WRITE.
	send := func() error {
		n := min(reqSize, end-next)
		req := c.buf[:floorReqSize]
		req[0] = 'R'
		if write {
			req[0] = 'W'
		}
		binary.LittleEndian.PutUint64(req[1:], uint64(next))
		binary.LittleEndian.PutUint64(req[9:], uint64(n))
		next += n
		if !write {
			_, err := c.conn.Write(req)
			return err
		}
		for first := true; n > 0; first = false {
			k := min(n, int64(ioSize))
			p := c.buf[floorReqSize : floorReqSize+k]
			if first {
				p = c.buf[:floorReqSize+k] // header and payload in one write
			}
			if _, err := c.conn.Write(p); err != nil {
				return err
			}
			n -= k
		}
		return nil
	}
	var done int64
	for inflight := 0; done < length; inflight-- {
		for ; inflight < depth && next < end; inflight++ {
			if err := send(); err != nil {
				return done, err
			}
		}
		n := min(reqSize, length-done)
		if write {
			if _, err := io.ReadFull(c.conn, c.buf[:1]); err != nil {
				return done, err
			}
			done += n
			continue
		}
		for n > 0 {
			k, err := c.conn.Read(c.buf[floorReqSize : floorReqSize+min(n, int64(ioSize))])
			done, n = done+int64(k), n-int64(k)
			if err != nil {
				return done, err
			}
		}
	}
	return done, nil
}

// Stat asks the floor to stat name (relative to its StatDir, with SMB's
// backslashes) and fails unless it exists.
func (c *floorClient) Stat(name string) error {
	name = strings.ReplaceAll(name, `\`, "/")
	req := make([]byte, floorReqSize+len(name))
	req[0] = 'S'
	binary.LittleEndian.PutUint64(req[9:], uint64(len(name)))
	copy(req[floorReqSize:], name)
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	var ok [1]byte
	if _, err := io.ReadFull(c.conn, ok[:]); err != nil {
		return err
	}
	if ok[0] != 1 {
		return fmt.Errorf("bench: floor: %s not found", name)
	}
	return nil
}

// Close closes the connection.
func (c *floorClient) Close() error { return c.conn.Close() }
