package server

import (
	"container/list"
	"context"
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

	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/internal/zerocopy"
)

// conn is one client connection. A single goroutine (serve) reads requests
// and runs handlers in order; responses from that goroutine and from async
// completions are written whole, one at a time, under wmu.
//
// The fields are grouped by who may touch them.
//
// Files: conn.go (lifecycle: accept, serve, shutdown, teardown),
// readloop.go (the read loop, request batching, frame framing),
// write.go (response writes and corking), bufpool.go (request buffers),
// limits.go (admission: slots, handshake timeout, request memory).
type conn struct {
	// Set by newConn, read-only afterwards (log is replaced once, by the
	// serve goroutine at the first logon, before any other goroutine of
	// the connection exists: see loggedOn).
	srv *Server
	nc  net.Conn
	sc  syscall.Conn // nil when nc is not backed by a file descriptor
	log *slog.Logger

	// Owned by wmu: the socket's write side and the corked frames.
	wmu    sync.Mutex // serialises frames on the socket
	out    []byte     // corked response frames not yet written
	tail   [1]byte    // the held-back last byte of a signed sendfile READ (wmu)
	corked int        // frames in out
	// corkedTotal counts frames ever held back (read by tests).
	corkedTotal uint64
	wdSet       time.Time // when the write deadline was last moved

	// Owned by the serve goroutine: written during NEGOTIATE, read by
	// handlers afterwards (async completions only read them).
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
	posix          bool       // SMB 3.1.1 POSIX extensions negotiated (posix.go)
	s1             *smb1State // set when the connection negotiated SMB1 (smb1.go)

	// Set by the first CREATE whose AAPL context was granted READDIR_ATTR
	// (aapl.go); CREATEs may complete on other goroutines.
	aaplReaddirAttr atomic.Bool
	aaplCopyfile    atomic.Bool // OSX copyfile offered: a 0-chunk COPYCHUNK copies all

	// Owned by the serve goroutine: the read side of the socket.
	recv  *zerocopy.Receiver // splice pipe, created on first header-split WRITE
	batch frameBatch         // requests taken from the socket, not yet handled

	// Guarded by its own lock (grants from async completions too).
	credits creditWindow

	// Guarded by c.mu.
	mu       sync.Mutex
	sessions map[uint64]*session
	opens    map[uint64]*open // by FileID.Volatile
	async    map[uint64]*asyncOp

	// Admission (limits.go): addr keys the per-address limits; slot and
	// pendElem are guarded by srv.mu; authed is owned by the serve
	// goroutine; hsTimer, ctx and cancel are set once at accept.
	addr     string
	authed   bool          // a SESSION_SETUP succeeded
	slot     bool          // holds one of MaxConnections
	pendElem *list.Element // in srv.pending while not logged on
	hsTimer  *time.Timer   // HandshakeTimeout
	ctx      context.Context
	cancel   context.CancelFunc // kill, beginShutdown and teardown call it

	// Guarded by nmu: unsolicited notifications (breaks) waiting for the
	// socket (oplock.go queueNotification); notes says nq is not empty.
	nmu   sync.Mutex
	nq    [][]byte
	nrun  bool
	notes atomic.Bool

	// Atomics: set by Shutdown from another goroutine, read by serve.
	closing atomic.Bool
	busy    atomic.Bool // serve is handling a request (not parked in a read)
	// splitHeld is the bytes of split compounds' remaining elements held
	// until their CREATE completes (splitChain), at most maxSplitHeld.
	splitHeld atomic.Int64
	// dirStreams counts this connection's enumerations holding an open
	// listing (dirstream.go).
	dirStreams atomic.Int64

	since       time.Time     // accepted at
	dialectSeen atomic.Uint32 // c.dialect once negotiated, for Status
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
		since:    time.Now(),
	}
	if sc, ok := nc.(syscall.Conn); ok {
		c.sc = sc
	}
	c.credits.init()
	c.connCtx()
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
	if ferr := c.flushOut(); err == nil && ferr != nil {
		err = ferr
	}
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, errCloseConn):
		c.log.Info("connection closed", "duration", time.Since(start).Round(time.Millisecond))
	default:
		c.log.Info("connection closed", "duration", time.Since(start).Round(time.Millisecond), "err", err)
	}
}

func (c *conn) beginShutdown() {
	c.closing.Store(true)
	c.cancel()
	if !c.busy.Load() {
		c.nc.SetReadDeadline(time.Now())
	}
}

func (c *conn) teardown() {
	c.cancel()
	c.nc.Close()
	c.closing.Store(true)
	if c.negotiated {
		c.srv.clients.remove(c)
	}
	c.mu.Lock()
	ops := make([]*asyncOp, 0, len(c.async))
	for _, op := range c.async {
		ops = append(ops, op)
	}
	opens := make([]*open, 0, len(c.opens))
	for _, o := range c.opens {
		opens = append(opens, o)
	}
	sessions := c.sessions
	c.opens = map[uint64]*open{}
	c.sessions = map[uint64]*session{}
	c.mu.Unlock()
	for _, op := range ops {
		op.cancelOp()
	}
	for _, o := range opens {
		c.shutdownClose(o)
	}
	for _, s := range sessions {
		s.releaseTrees()
	}
	if c.recv != nil {
		c.recv.Close()
	}
}

// maxFrame bounds a request frame: the largest WRITE/IOCTL plus headers,
// compound slack and a transform header; before the first successful
// SESSION_SETUP, what NEGOTIATE and SESSION_SETUP need (maxPreauthFrame).
func (c *conn) maxFrame() int {
	if !c.authed {
		return maxPreauthFrame
	}
	if c.s1 != nil {
		return int(c.maxIO) + 64*1024 // large READ_ANDX/WRITE_ANDX (smb1.go)
	}
	return int(c.srv.cfg.MaxIOSize) + 64*1024
}
