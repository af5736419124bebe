package server

import (
	"io"
	"time"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// splitHeaderSize is what header splitting reads into user space: the SMB2
// header and the WRITE request's fixed part (smb2.SplitWriteHeaderSize).
const splitHeaderSize = smb2.SplitWriteHeaderSize

// recvfileCandidate reports whether a frame of length n might be a WRITE
// (an SMB1 WRITE_ANDX on an SMB1 connection) whose payload can be spliced
// into a file.
func (c *conn) recvfileCandidate(n int) bool {
	m := c.srv.cfg.RecvfileMin
	head := splitHeaderSize
	if c.s1 != nil {
		head = smb1.WriteAndXFixedSize
	}
	return m > 0 && c.negotiated && c.sc != nil && zerocopy.RecvAvailable() && n >= head+m
}

// minSplitHeader is the smallest header a header-split frame has (SMB1's
// WRITE_ANDX is shorter than SMB2's WRITE).
const minSplitHeader = min(splitHeaderSize, smb1.WriteAndXFixedSize)

// readSplitWrite reads only the header of a large frame of length n whose
// first bytes, pre (the 4-byte frame header included, at most the frame
// header plus splitHeaderSize bytes), were already taken from the socket.
// If it is an eligible WRITE the payload stays in the socket for the
// handler to splice; otherwise the rest of the frame is read and handled
// normally. The header goes into a small buffer: a frame-sized one is
// taken only on the copy path.
func (c *conn) readSplitWrite(n int, pre []byte) error {
	if c.s1 != nil {
		return c.smb1ReadSplitWrite(n, pre) // an SMB1 WRITE_ANDX (smb1split.go)
	}
	head := getBuf(4 + splitHeaderSize)
	defer putBuf(head)
	copy(head, pre)
	if _, err := io.ReadFull(c.nc, head[len(pre):]); err != nil {
		return err
	}
	if c.splitEligible(head[4:], n) {
		if c.recv == nil {
			c.recv = zerocopy.NewReceiver()
		}
		err := c.handleFrame(head[4:], &splitPayload{remaining: int64(n - splitHeaderSize)})
		c.batch.afterSplit = err == nil
		return err
	}
	return c.readRestAndHandle(head, n)
}

// readRestAndHandle reads the rest of a frame of length n whose first
// bytes (frame header included) are in head and handles it whole: a frame
// taken for header splitting that is not spliced after all.
func (c *conn) readRestAndHandle(head []byte, n int) error {
	if err := c.acquireFrame(n); err != nil {
		return err
	}
	defer c.releaseFrame(n)
	buf := getBuf(4 + n)
	defer putBuf(buf)
	copy(buf, head)
	if _, err := io.ReadFull(c.nc, buf[len(head):4+n]); err != nil {
		return err
	}
	return c.handleFrame(buf[4:4+n], nil)
}

// readAfterSplit runs after a header-split WRITE, when the next frame is
// most likely another one: it takes the bytes of such a header that are
// readable now with one recv, instead of a peek and a read. It reports
// false when nothing was readable (the caller then peeks and waits).
func (c *conn) readAfterSplit() (bool, error) {
	c.batch.afterSplit = false
	if len(c.batch.buf) < 4+splitHeaderSize {
		return false, nil // no batch buffer yet: take the usual path
	}
	p := c.batch.buf[:4+splitHeaderSize]
	k, err := zerocopy.ReadNow(c.sc, p)
	if err != nil || k == 0 {
		return false, err
	}
	c.busy.Store(true)
	defer c.busy.Store(false)
	c.nc.SetReadDeadline(time.Now().Add(2 * time.Minute))
	return true, c.handleTaken(p[:k])
}

// handleTaken handles the frames that start with p, bytes already taken
// from the socket at a frame boundary: the complete ones in p, then the one
// p ends inside, whose rest it reads. len(p) <= 4+splitHeaderSize.
func (c *conn) handleTaken(p []byte) error {
	for len(p) > 0 {
		if len(p) < 4 {
			var fh [4]byte
			copy(fh[:], p)
			if _, err := io.ReadFull(c.nc, fh[len(p):]); err != nil {
				return err
			}
			return c.readFrame(fh)
		}
		n, ok := smb2.FrameLength(p)
		switch {
		case len(p) == 4:
			return c.readFrame([4]byte(p))
		case p[0] == smb2.NBSessionKeepalive && p[1]|p[2]|p[3] == 0:
			p = p[4:]
		case !ok || n < smb2.HeaderSize || n > c.maxFrame():
			c.log.Warn("unexpected frame after a WRITE; closing", "type", p[0], "length", n)
			return errCloseConn
		case 4+n <= len(p):
			if err := c.handleFrame(p[4:4+n:4+n], nil); err != nil {
				return err
			}
			p = p[4+n:]
		case c.recvfileCandidate(n):
			return c.readSplitWrite(n, p)
		default:
			buf, err := c.frameBuf(n, 4)
			if err != nil {
				return err
			}
			defer c.freeFrameBuf(buf, n)
			copy(buf, p)
			if _, err := io.ReadFull(c.nc, buf[len(p):]); err != nil {
				return err
			}
			return c.handleFrame(buf[4:], nil)
		}
	}
	return nil
}

// splitEligible checks everything that can be checked before the payload
// moves: a lone, unsigned, unencrypted WRITE with its data right after the
// fixed part, on a session that does not need signing or encryption.
func (c *conn) splitEligible(h []byte, frameLen int) bool {
	sid, ok := smb2.PeekSplitWrite(h, frameLen)
	if !ok {
		return false
	}
	s := c.lookupSession(sid)
	if s == nil || !s.valid() || s.encryptData || (s.signingRequired && s.signer != nil) {
		return false
	}
	return true
}

// receivePayload moves a split WRITE payload into f at off. A non-nil
// error means the stream is out of sync and the connection must close.
func (c *conn) receivePayload(r *request, f vfs.File, off int64) (int64, error) {
	p := r.split
	n := p.remaining
	p.remaining = 0
	if sink, ok := f.(zerocopy.Sink); ok {
		return c.recv.RecvFile(c.sc, sink, off, n)
	}
	return zerocopy.CopyRecv(c.nc, f, off, n)
}
