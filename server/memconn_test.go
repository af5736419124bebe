package server

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// memConn is one end of an in-memory, buffered, full-duplex connection
// (newMemPipe): unlike net.Pipe a Write never waits for the reader, so a
// fuzz input goes to the server in one step and the server reads it
// without a goroutine hand-off per Read. Deadlines are supported.
type memConn struct {
	in, out *memBuf
}

// memBuf is one direction of a memPipe.
type memBuf struct {
	mu       sync.Mutex
	cond     sync.Cond
	data     []byte
	closed   bool // writer or reader closed
	deadline time.Time
}

func newMemPipe() (*memConn, *memConn) {
	a, b := &memBuf{}, &memBuf{}
	a.cond.L, b.cond.L = &a.mu, &b.mu
	return &memConn{in: a, out: b}, &memConn{in: b, out: a}
}

func (c *memConn) Read(p []byte) (int, error) {
	b := c.in
	b.mu.Lock()
	defer b.mu.Unlock()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for len(b.data) == 0 {
		if b.closed {
			return 0, io.EOF
		}
		if !b.deadline.IsZero() {
			d := time.Until(b.deadline)
			if d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			if timer == nil {
				timer = time.AfterFunc(d, func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() })
			}
		}
		b.cond.Wait()
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	if len(b.data) == 0 {
		b.data = nil
	}
	return n, nil
}

func (c *memConn) Write(p []byte) (int, error) {
	b := c.out
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.ErrClosedPipe
	}
	b.data = append(b.data, p...)
	b.cond.Broadcast()
	return len(p), nil
}

func (c *memConn) Close() error {
	for _, b := range []*memBuf{c.in, c.out} {
		b.mu.Lock()
		b.closed = true
		b.cond.Broadcast()
		b.mu.Unlock()
	}
	return nil
}

// CloseWrite ends the direction this end writes: the peer reads what is
// buffered, then EOF, and may still write back.
func (c *memConn) CloseWrite() error {
	c.out.mu.Lock()
	c.out.closed = true
	c.out.cond.Broadcast()
	c.out.mu.Unlock()
	return nil
}

func (c *memConn) SetReadDeadline(t time.Time) error {
	c.in.mu.Lock()
	c.in.deadline = t
	c.in.cond.Broadcast()
	c.in.mu.Unlock()
	return nil
}

func (c *memConn) SetWriteDeadline(time.Time) error { return nil } // writes never block
func (c *memConn) SetDeadline(t time.Time) error    { return c.SetReadDeadline(t) }
func (c *memConn) LocalAddr() net.Addr              { return pipeAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return pipeAddr{} }
