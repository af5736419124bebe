package server

import (
	"fmt"
	"io"
	"time"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb2"
)

func (c *conn) readLoop() error {
	var fh [4]byte
	for {
		if c.closing.Load() {
			return nil
		}
		if c.batch.next(c) {
			// A complete frame taken from the socket earlier.
			c.busy.Store(true)
			err := c.handleFrame(c.batch.frame, nil)
			c.busy.Store(false)
			if err != nil {
				return err
			}
			continue
		}
		c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.IdleTimeout))
		if c.closing.Load() { // Shutdown may have raced with the deadline above
			return nil
		}
		if c.batching() {
			if c.batch.afterSplit {
				done, err := c.readAfterSplit()
				if err != nil {
					if c.closing.Load() {
						return nil
					}
					return err
				}
				if done {
					continue
				}
			}
			got, err := c.batch.fill(c)
			if err != nil {
				if c.closing.Load() {
					return nil
				}
				return err
			}
			if got {
				continue
			}
			// The head of the stream is a large or incomplete frame:
			// read it exactly (a WRITE payload must stay in the socket).
			if n, ok := c.batch.headLen(); ok {
				c.busy.Store(true)
				c.nc.SetReadDeadline(time.Now().Add(2 * time.Minute))
				err := c.readLargeFrame(n)
				c.busy.Store(false)
				if err != nil {
					return err
				}
				continue
			}
		}
		if err := c.flushOut(); err != nil {
			return err
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

// batchSize is how many bytes of small request frames one receive may take.
const batchSize = 4096

// frameBatch holds complete request frames taken from the socket in one
// receive and not yet handled. Only whole frames that cannot carry a
// spliceable WRITE payload are ever taken (see fill), so the socket's read
// position is always at a frame boundary.
type frameBatch struct {
	buf    []byte // frames taken, 4-byte headers included
	off    int    // start of the next unhandled frame in buf
	end    int    // bytes taken
	peeked int    // bytes visible at the last fill (buf[:peeked] when end is 0)
	frame  []byte // the frame returned by the last next (header excluded)
	accept func([]byte) int
	wait   func() // writes corked responses before the read parks
	c      *conn
	// afterSplit says the last frame was a header-split WRITE, so the next
	// is likely one too (see readAfterSplit).
	afterSplit bool
}

// batching reports whether the connection reads requests in batches.
func (c *conn) batching() bool {
	return c.sc != nil && zerocopy.PeekAvailable()
}

// next moves to the next buffered frame; false when none is left.
func (b *frameBatch) next(c *conn) bool {
	if b.off >= b.end {
		return false
	}
	n, _ := smb2.FrameLength(b.buf[b.off:])
	// No spare capacity: what follows is the next frame, and handlers
	// may use a frame's spare capacity as scratch (handleTransform).
	b.frame = b.buf[b.off+4 : b.off+4+n : b.off+4+n]
	b.off += 4 + n
	return true
}

// fill waits for request bytes and takes the complete frames at the head of
// the stream that fill accepts. It reports false when the first frame must
// be read exactly instead.
func (b *frameBatch) fill(c *conn) (bool, error) {
	if b.buf == nil {
		b.buf = make([]byte, batchSize)
		b.c = c
		b.accept = b.acceptFrames
		b.wait = func() { c.flushOut() }
	}
	b.off, b.end, b.peeked, b.frame = 0, 0, 0, nil
	taken, peeked, err := zerocopy.ReadAccepted(c.sc, b.buf, b.accept, b.wait)
	b.end, b.peeked = taken, peeked
	if err != nil {
		return false, err
	}
	return taken > 0, nil
}

// headLen returns the length of the SMB2 frame at the head of the stream
// after a fill that took nothing, if the peek showed a plausible one.
func (b *frameBatch) headLen() (int, bool) {
	if b.peeked < 4 {
		return 0, false
	}
	n, ok := smb2.FrameLength(b.buf)
	if !ok || n < smb2.HeaderSize || n > b.c.maxFrame() {
		return 0, false
	}
	return n, true
}

// readLargeFrame reads and handles a frame of length n whose 4-byte header
// is still in the socket, taking header and body (or, for a header-split
// WRITE candidate, header and WRITE fixed part) with one read.
func (c *conn) readLargeFrame(n int) error {
	if c.recvfileCandidate(n) {
		return c.readSplitWrite(n, nil)
	}
	buf, err := c.frameBuf(n, 4)
	if err != nil {
		return err
	}
	defer c.freeFrameBuf(buf, n)
	if _, err := io.ReadFull(c.nc, buf); err != nil {
		return err
	}
	return c.handleFrame(buf[4:], nil)
}

// acceptFrames returns the length of the leading run of complete SMB2
// frames in p that are no candidates for header splitting. Anything
// unusual (NetBIOS session frames, bad lengths) ends the run; the exact
// path deals with it.
func (b *frameBatch) acceptFrames(p []byte) int {
	c := b.c
	m := c.srv.cfg.RecvfileMin
	splice := m > 0 && zerocopy.RecvAvailable()
	off := 0
	for len(p)-off >= 4 {
		n, ok := smb2.FrameLength(p[off:])
		if !ok || n < smb2.HeaderSize || n > c.maxFrame() || off+4+n > len(p) {
			break
		}
		if splice && n >= minSplitHeader+m {
			// It might be a WRITE to splice (negotiation may finish
			// earlier in this batch, so do not look at c.negotiated).
			break
		}
		off += 4 + n
	}
	return off
}

// readFrame reads and handles the frame whose 4-byte header is fh.
func (c *conn) readFrame(fh [4]byte) error {
	n, ok := smb2.FrameLength(fh[:])
	if !ok {
		// FrameLength reports 0 for other types; their (17-bit) length
		// still says how much to skip.
		n = smb2.NetBIOSLength(fh[:])
		switch fh[0] {
		case smb2.NBSessionKeepalive:
			if n > 1024 {
				return errCloseConn
			}
			_, err := io.CopyN(io.Discard, c.nc, int64(n))
			return err
		case smb2.NBSessionRequest: // port 139: answer positively
			if n > 1024 {
				return errCloseConn
			}
			if _, err := io.CopyN(io.Discard, c.nc, int64(n)); err != nil {
				return err
			}
			return c.writeFrame([]byte{smb2.NBPositiveResponse, 0, 0, 0})
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
		c.log.Warn("frame too large; closing", "length", n, "max", c.maxFrame(), "logged_on", c.authed)
		return errCloseConn
	}
	if c.recvfileCandidate(n) {
		return c.readSplitWrite(n, fh[:])
	}
	buf, err := c.frameBuf(n, 0)
	if err != nil {
		return err
	}
	defer c.freeFrameBuf(buf, n)
	if _, err := io.ReadFull(c.nc, buf); err != nil {
		return err
	}
	return c.handleFrame(buf, nil)
}

// handleFrame processes one complete frame. split is non-nil when the
// frame's WRITE payload is still in the socket (header splitting). Any
// capacity of buf beyond its length belongs to the frame: an encrypted
// frame's tag is moved there to decrypt in place (callers that hold
// further frames after buf pass it with no spare capacity).
func (c *conn) handleFrame(buf []byte, split *splitPayload) error {
	if !plainReadWrite(buf) {
		// Corked responses wait only behind READs and WRITEs, never behind
		// a handler that may take long (FLUSH, QUERY_DIRECTORY, ...).
		if err := c.flushOut(); err != nil {
			return err
		}
	}
	if c.s1 != nil && smb2.ProtocolID(buf) != smb2.ProtocolSMB1 {
		c.log.Warn("SMB2 frame on an SMB1 connection; closing")
		return errCloseConn
	}
	switch smb2.ProtocolID(buf) {
	case smb2.ProtocolSMB2:
		return c.handleCompound(buf, split, nil)
	case smb2.ProtocolSMB1:
		return c.handleSMB1(buf)
	case smb2.ProtocolTransform:
		return c.handleTransform(buf)
	}
	c.log.Warn("unknown protocol id; closing", "id", fmt.Sprintf("%#x", smb2.ProtocolID(buf)))
	return errCloseConn
}

// plainReadWrite reports whether buf is a lone, unencrypted SMB2 request
// of a corking command (READ, WRITE: see the command table).
func plainReadWrite(buf []byte) bool {
	cmd, ok := smb2.LoneCommand(buf)
	return ok && corks(cmd)
}
