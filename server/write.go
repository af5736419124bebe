package server

import (
	"net"
	"time"
)

// writeFrame writes a complete frame (NetBIOS header included), after any
// corked ones.
func (c *conn) writeFrame(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(frame)
}

// Response corking. While more requests are already waiting, the serve
// goroutine holds small READ/WRITE responses back in c.out and writes them
// together with the next frame, or just before the connection waits for
// input (frameBatch.wait) — one write, and one wake-up of the client, for a
// run of pipelined responses. Only the serve goroutine corks; every other
// writer sends the corked frames first, so order is kept.
const (
	maxCorked      = 16       // frames held at most
	maxCorkedBytes = 32 << 10 // bytes held at most
	maxCorkFrame   = 4 << 10  // larger frames are written at once
)

// queueFrame is writeFrame for the serve goroutine's READ/WRITE responses:
// it may hold the frame back (see Response corking).
func (c *conn) queueFrame(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(frame) > maxCorkFrame || c.corked+1 >= maxCorked || len(c.out)+len(frame) > maxCorkedBytes {
		return c.writeLocked(frame)
	}
	c.out = append(c.out, frame...)
	c.corked++
	c.corkedTotal++
	return nil
}

// flushOut writes the corked frames, if any.
func (c *conn) flushOut() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(c.out) == 0 {
		return nil
	}
	return c.writeLocked(nil)
}

// writeLocked writes the corked frames and then frame, with one system
// call when the kernel allows. The caller holds wmu.
func (c *conn) writeLocked(frame []byte) error {
	c.armWriteDeadline()
	if c.notes.Load() {
		// Break notifications queued before this response leave first.
		c.out = c.takeNotifications(c.out)
	}
	if len(c.out) == 0 {
		_, err := c.nc.Write(frame)
		return err
	}
	var err error
	if len(frame) == 0 {
		_, err = c.nc.Write(c.out)
	} else {
		bufs := net.Buffers{c.out, frame}
		_, err = bufs.WriteTo(c.nc)
	}
	c.out, c.corked = c.out[:0], 0
	return err
}

// writeTimeout bounds how long one response may take to leave.
const writeTimeout = 2 * time.Minute

// armWriteDeadline keeps the socket's write deadline between 1.5 and 2
// minutes ahead, moving it at most every 30 seconds (moving it is a
// runtime timer update, measurable at tens of thousands of responses per
// second). The caller holds wmu.
func (c *conn) armWriteDeadline() {
	now := time.Now()
	if now.Sub(c.wdSet) < writeTimeout/4 {
		return
	}
	c.nc.SetWriteDeadline(now.Add(writeTimeout))
	c.wdSet = now
}

// takeCorked returns the corked frames with hdr appended, for a writer that
// sends them itself, and forgets them. The caller holds wmu; the result is
// valid until the next corking.
func (c *conn) takeCorked(hdr []byte) []byte {
	if c.notes.Load() {
		c.out = c.takeNotifications(c.out)
	}
	if len(c.out) == 0 {
		return hdr
	}
	b := append(c.out, hdr...)
	c.out, c.corked = c.out[:0], 0
	return b
}
