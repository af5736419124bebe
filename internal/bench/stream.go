//go:build linux

package bench

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/zerosmb/zerosmb/internal/sign"
)

// Transfer moves length bytes of the open file starting at off in requests
// of ioSize bytes, keeping up to depth requests outstanding (fewer when the
// server's credits run short). write selects WRITE (payload taken from a
// constant pattern) instead of READ (payload discarded). It returns the
// bytes the server reported moved.
func (c *Client) Transfer(id FileID, write bool, off, length int64, ioSize, depth int) (int64, error) {
	limit := c.MaxRead
	if write {
		limit = c.MaxWrite
	}
	if ioSize <= 0 || uint32(ioSize) > limit {
		return 0, fmt.Errorf("bench: I/O size %d outside server limit %d", ioSize, limit)
	}
	if length <= 0 {
		return 0, nil
	}
	depth = max(depth, 1)
	c.mu.Lock()
	c.sendDone, c.err = false, nil
	c.mu.Unlock()
	done := make(chan int64, 1)
	go func() { done <- c.receive(write, ioSize) }()

	var buf []byte
	if write {
		buf = make([]byte, 4+hdrSize+48+ioSize)
		for i := range buf[4+hdrSize+48:] {
			buf[4+hdrSize+48+i] = byte(i*7 + i>>12)
		}
	} else {
		buf = make([]byte, 4+hdrSize+49)
	}
	end := off + length
	for pos := off; pos < end; {
		n := int(min(int64(ioSize), end-pos))
		charge := uint16((n-1)>>16 + 1)
		c.mu.Lock()
		for c.err == nil && (c.outstanding >= depth || c.credits < int(charge)) {
			if c.outstanding == 0 { // nothing in flight will bring more credits
				c.err = fmt.Errorf("bench: %d credits, request needs %d", c.credits, charge)
				break
			}
			c.cond.Wait()
		}
		if c.err != nil {
			c.mu.Unlock()
			break
		}
		id64 := c.msgID
		c.msgID += uint64(charge)
		c.credits -= int(charge)
		c.outstanding++
		c.sendDone = pos+int64(n) >= end // set before the last send so the receiver knows when to stop
		c.mu.Unlock()

		msg := c.buildIO(buf, write, id, charge, id64, pos, n)
		if err := c.send(buf[:4+len(msg)], true); err != nil {
			c.fail(err)
			break
		}
		pos += int64(n)
	}
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		c.conn.Close() // unblock the receiver; the client is unusable now
	}
	moved := <-done
	c.mu.Lock()
	err = c.err
	c.mu.Unlock()
	if err == nil && moved != length {
		err = fmt.Errorf("bench: moved %d of %d bytes", moved, length)
	}
	return moved, err
}

// buildIO fills buf (frame header, SMB2 header, READ or WRITE body; a WRITE
// payload is already in place) and returns the message without the frame
// header.
func (c *Client) buildIO(buf []byte, write bool, id FileID, charge uint16, msgID uint64, pos int64, n int) []byte {
	le := binary.LittleEndian
	req := 256 - min(c.creditsNow(), 255) // keep asking until ~256 credits are banked
	msg := buf[4:]
	cmd := uint16(cmdRead)
	if write {
		cmd = cmdWrite
	}
	c.header(msg, cmd, charge, msgID, uint16(int(charge)+req))
	body := msg[hdrSize:]
	if write {
		clear(body[:48])
		le.PutUint16(body[0:], 49)
		le.PutUint16(body[2:], hdrSize+48)
		msg = msg[:hdrSize+48+n]
	} else {
		clear(body[:49])
		le.PutUint16(body[0:], 49)
		body[2] = 0x50
		msg = msg[:hdrSize+49]
	}
	le.PutUint32(body[4:], uint32(n))
	le.PutUint64(body[8:], uint64(pos))
	copy(body[16:32], id[:])
	putFrame(buf, len(msg))
	return msg
}

// creditsNow returns the credits currently available.
func (c *Client) creditsNow() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.credits
}

func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.cond.Broadcast()
	c.mu.Unlock()
}

// receive reads responses until the sender has nothing outstanding. Each
// response is read whole into one reused buffer, unsealed or its signature
// checked (see ClientConfig.VerifyData), and discarded.
func (c *Client) receive(write bool, ioSize int) int64 {
	le := binary.LittleEndian
	var moved int64
	buf := make([]byte, 4+sign.TransformHeaderSize+hdrSize+64+ioSize+4096)
	for {
		if _, err := io.ReadFull(c.br, buf[:4]); err != nil {
			c.fail(fmt.Errorf("bench: receive: %w", err))
			return moved
		}
		n := int(buf[1])<<16 | int(buf[2])<<8 | int(buf[3])
		if buf[0] != 0 || n < hdrSize || n > len(buf)-4 {
			c.fail(fmt.Errorf("bench: receive: bad frame %x (at most %d bytes expected)", buf[:4], len(buf)-4))
			return moved
		}
		if _, err := io.ReadFull(c.br, buf[4:4+n]); err != nil {
			c.fail(fmt.Errorf("bench: receive: %w", err))
			return moved
		}
		h, err := c.unprotect(buf[4:4+n], true, !write)
		if err != nil {
			c.fail(err)
			return moved
		}
		st, flags := le.Uint32(h[8:]), le.Uint32(h[16:])
		granted := int(le.Uint16(h[14:]))
		final := !(st == statusPending && flags&flagAsync != 0)
		var count int64
		if final && st == statusOK && len(h) >= hdrSize+16 {
			count = int64(le.Uint32(h[hdrSize+4:])) // WRITE Count and READ DataLength share offset 4
			if !write && int64(len(h)) < int64(h[hdrSize+2])+count {
				c.fail(fmt.Errorf("bench: READ response: %d data bytes outside the message", count))
				return moved
			}
		}
		c.mu.Lock()
		c.credits += granted
		if final {
			if st != statusOK && c.err == nil {
				c.err = fmt.Errorf("bench: %s response: status %#x", map[bool]string{true: "WRITE", false: "READ"}[write], st)
			}
			moved += count
			c.outstanding--
		}
		finished := c.sendDone && c.outstanding == 0
		c.cond.Broadcast()
		c.mu.Unlock()
		if finished {
			return moved
		}
	}
}

// ReadAt reads len(p) bytes (at most 64 KiB, one credit) at off with one
// synchronous READ.
func (c *Client) ReadAt(id FileID, p []byte, off int64) (int, error) {
	if len(p) > 1<<16 {
		return 0, fmt.Errorf("bench: ReadAt of %d bytes: at most 64 KiB", len(p))
	}
	le := binary.LittleEndian
	b := make([]byte, 49)
	le.PutUint16(b[0:], 49)
	b[2] = 0x50
	le.PutUint32(b[4:], uint32(len(p)))
	le.PutUint64(b[8:], uint64(off))
	copy(b[16:32], id[:])
	r, st, err := c.roundTrip(cmdRead, b, true)
	if err != nil {
		return 0, err
	}
	if st != statusOK || len(r) < hdrSize+16 {
		return 0, fmt.Errorf("bench: READ: status %#x", st)
	}
	doff, dlen := int(r[hdrSize+2]), int(le.Uint32(r[hdrSize+4:]))
	if doff+dlen > len(r) {
		return 0, fmt.Errorf("bench: READ: data outside message")
	}
	return copy(p, r[doff:doff+dlen]), nil
}

// SendRead sends one READ of n bytes at off and returns without reading
// the response, so the server's reply backs up behind a client that
// does not drain its socket (tests use this to hold a READ in flight).
// It fails when n exceeds the server's limit or the credits run short.
func (c *Client) SendRead(id FileID, off int64, n int) error {
	if n <= 0 || uint32(n) > c.MaxRead {
		return fmt.Errorf("bench: READ of %d bytes outside server limit %d", n, c.MaxRead)
	}
	charge := uint16((n-1)>>16 + 1)
	c.mu.Lock()
	if c.credits < int(charge) {
		c.mu.Unlock()
		return fmt.Errorf("bench: %d credits, READ needs %d", c.credits, charge)
	}
	id64 := c.msgID
	c.msgID += uint64(charge)
	c.credits -= int(charge)
	c.mu.Unlock()
	buf := make([]byte, 4+hdrSize+49)
	msg := c.buildIO(buf, false, id, charge, id64, off, n)
	return c.send(buf[:4+len(msg)], true)
}

// WriteAt writes p (at most 64 KiB, one credit) at off with one synchronous
// WRITE and returns the count the server reported.
func (c *Client) WriteAt(id FileID, p []byte, off int64) (int, error) {
	if len(p) > 1<<16 {
		return 0, fmt.Errorf("bench: WriteAt of %d bytes: at most 64 KiB", len(p))
	}
	le := binary.LittleEndian
	b := make([]byte, 48+len(p))
	le.PutUint16(b[0:], 49)
	le.PutUint16(b[2:], hdrSize+48)
	le.PutUint32(b[4:], uint32(len(p)))
	le.PutUint64(b[8:], uint64(off))
	copy(b[16:32], id[:])
	copy(b[48:], p)
	r, st, err := c.roundTrip(cmdWrite, b, true)
	if err != nil {
		return 0, err
	}
	if st != statusOK || len(r) < hdrSize+16 {
		return 0, fmt.Errorf("bench: WRITE: status %#x", st)
	}
	return int(le.Uint32(r[hdrSize+4:])), nil
}
