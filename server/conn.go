package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zerosmb/zerosmb/sign"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/zerocopy"
)

// conn is one client connection. A single goroutine (serve) reads requests
// and runs handlers in order; responses from that goroutine and from async
// completions are written whole, one at a time, under wmu.
type conn struct {
	srv *Server
	nc  net.Conn
	sc  syscall.Conn // nil when nc is not backed by a file descriptor
	log *slog.Logger

	wmu sync.Mutex // serialises frames on the socket

	// Negotiated state, written by the serve goroutine during NEGOTIATE.
	negotiated     bool
	dialect        uint16
	clientGUID     [16]byte
	clientSecMode  uint16
	clientCaps     uint32
	clientDialects []uint16
	serverSecMode  uint16
	serverCaps     uint32
	signingAlg     sign.Algorithm
	cipher         sign.Cipher
	preauth        sign.PreauthHash
	maxIO          uint32

	credits creditWindow

	mu       sync.Mutex // guards sessions, opens, async
	sessions map[uint64]*session
	opens    map[uint64]*open // by FileID.Volatile
	async    map[uint64]*asyncOp

	recv     *zerocopy.Receiver
	closing  atomic.Bool
	busy     atomic.Bool
	lastUsed atomic.Int64
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv:      s,
		nc:       nc,
		log:      s.log.With("remote", nc.RemoteAddr().String()),
		sessions: make(map[uint64]*session),
		opens:    make(map[uint64]*open),
		async:    make(map[uint64]*asyncOp),
		maxIO:    65536,
	}
	if sc, ok := nc.(syscall.Conn); ok {
		c.sc = sc
	}
	c.credits.init()
	return c
}

// errCloseConn makes the serve loop drop the connection without logging an
// error beyond what the caller already logged.
var errCloseConn = errors.New("close connection")

func (c *conn) serve() {
	defer c.srv.removeConn(c)
	defer c.teardown()
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("panic serving connection; closing it", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	c.log.Info("connection opened", "local", c.nc.LocalAddr().String())
	start := time.Now()
	err := c.readLoop()
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, errCloseConn):
		c.log.Info("connection closed", "duration", time.Since(start).Round(time.Millisecond))
	default:
		c.log.Info("connection closed", "duration", time.Since(start).Round(time.Millisecond), "err", err)
	}
}

func (c *conn) beginShutdown() {
	c.closing.Store(true)
	if !c.busy.Load() {
		c.nc.SetReadDeadline(time.Now())
	}
}

func (c *conn) teardown() {
	c.nc.Close()
	c.mu.Lock()
	ops := make([]*asyncOp, 0, len(c.async))
	for _, op := range c.async {
		ops = append(ops, op)
	}
	opens := make([]*open, 0, len(c.opens))
	for _, o := range c.opens {
		opens = append(opens, o)
	}
	c.opens = map[uint64]*open{}
	c.sessions = map[uint64]*session{}
	c.mu.Unlock()
	for _, op := range ops {
		op.cancelOp()
	}
	for _, o := range opens {
		c.closeOpen(o)
	}
	if c.recv != nil {
		c.recv.Close()
	}
}

// maxFrame bounds a request frame: the largest WRITE/IOCTL plus headers,
// compound slack and a transform header.
func (c *conn) maxFrame() int {
	return int(c.srv.cfg.MaxIOSize) + 64*1024
}

func (c *conn) readLoop() error {
	var fh [4]byte
	for {
		if c.closing.Load() {
			return nil
		}
		c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.IdleTimeout))
		if c.closing.Load() { // Shutdown may have raced with the deadline above
			return nil
		}
		if _, err := io.ReadFull(c.nc, fh[:]); err != nil {
			if c.closing.Load() {
				return nil
			}
			return err
		}
		c.busy.Store(true)
		c.nc.SetReadDeadline(time.Now().Add(2 * time.Minute))
		err := c.readFrame(fh)
		c.busy.Store(false)
		if err != nil {
			return err
		}
	}
}

// readFrame reads and handles the frame whose 4-byte header is fh.
func (c *conn) readFrame(fh [4]byte) error {
	n, ok := smb2.FrameLength(fh[:])
	if !ok {
		// FrameLength reports 0 for other types; their (17-bit) length
		// still says how much to skip.
		n = int(fh[1]&1)<<16 | int(fh[2])<<8 | int(fh[3])
		switch fh[0] {
		case 0x85: // NetBIOS keepalive
			if n > 1024 {
				return errCloseConn
			}
			_, err := io.CopyN(io.Discard, c.nc, int64(n))
			return err
		case 0x81: // session request (port 139): answer positively
			if n > 1024 {
				return errCloseConn
			}
			if _, err := io.CopyN(io.Discard, c.nc, int64(n)); err != nil {
				return err
			}
			return c.writeFrame([]byte{0x82, 0, 0, 0})
		}
		c.log.Warn("unknown NetBIOS frame type; closing", "type", fh[0])
		return errCloseConn
	}
	if n < smb2.HeaderSize && n != 0 {
		// SMB1 negotiates are shorter than an SMB2 header; anything else is junk.
		if n < 35 {
			c.log.Warn("frame too short; closing", "length", n)
			return errCloseConn
		}
	}
	if n == 0 {
		return nil
	}
	if n > c.maxFrame() {
		c.log.Warn("frame too large; closing", "length", n, "max", c.maxFrame())
		return errCloseConn
	}
	if c.recvfileCandidate(n) {
		return c.readSplitWrite(n)
	}
	buf := getBuf(n)
	defer putBuf(buf)
	if _, err := io.ReadFull(c.nc, buf); err != nil {
		return err
	}
	return c.handleFrame(buf, nil)
}

// handleFrame processes one complete frame. split is non-nil when the
// frame's WRITE payload is still in the socket (header splitting).
func (c *conn) handleFrame(buf []byte, split *splitPayload) error {
	switch binary.LittleEndian.Uint32(buf) {
	case smb2.ProtocolSMB2:
		return c.handleCompound(buf, split, nil)
	case smb2.ProtocolSMB1:
		return c.handleSMB1(buf)
	case smb2.ProtocolTransform:
		return c.handleTransform(buf)
	}
	c.log.Warn("unknown protocol id; closing", "id", fmt.Sprintf("%#x", binary.LittleEndian.Uint32(buf)))
	return errCloseConn
}

// writeFrame writes a complete frame (NetBIOS header included).
func (c *conn) writeFrame(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(2 * time.Minute))
	_, err := c.nc.Write(frame)
	return err
}

// Buffer pool for request frames, by power-of-two size class.
var bufPools [25]sync.Pool

func sizeClass(n int) int {
	cl := 12 // 4 KiB minimum
	for 1<<cl < n {
		cl++
	}
	return cl
}

func getBuf(n int) []byte {
	cl := sizeClass(n)
	if cl >= len(bufPools) {
		return make([]byte, n)
	}
	if p, ok := bufPools[cl].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<cl)
}

func putBuf(b []byte) {
	c := cap(b)
	cl := sizeClass(c)
	if cl >= len(bufPools) || 1<<cl != c {
		return
	}
	bufPools[cl].Put(&b)
}
