package server

import (
	"container/list"
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Connection admission. Every accepted connection holds one of
// Config.MaxConnections slots until it ends. A connection is "pending"
// from accept until its first SESSION_SETUP succeeds (guest and anonymous
// logons count); a pending connection
//
//   - is closed when Config.HandshakeTimeout passes first,
//   - gives up its slot to a new connection when every slot is taken (the
//     oldest pending connection goes first), so sockets that never log on
//     cannot lock logged-on users out, and
//   - counts against Config.MaxHandshakesPerAddr for its client address.
//
// Refusals, evictions and handshake timeouts are logged as one aggregated
// line per interval (see eventLog), never one line per connection.

// Defaults of the connection limits.
const (
	DefaultMaxConnections       = 16384
	DefaultMaxHandshakesPerAddr = 64
	DefaultHandshakeTimeout     = 30 * time.Second
	DefaultIdleTimeout          = 15 * time.Minute
	DefaultMaxRequestMemory     = 512 << 20
)

// addrConns counts one client address's connections (under Server.mu).
type addrConns struct {
	all, pending int
}

// clientAddr is the key of per-address limits: the IP of a TCP peer, the
// whole address string otherwise.
func clientAddr(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	if a == nil {
		return ""
	}
	return a.String()
}

// admit decides whether nc gets a slot and, if so, registers its conn;
// evicted is the address of the pending connection that gave up its slot
// for it, if one did. It returns nil and the refusal reason otherwise.
// The caller holds s.mu (and logs the events after releasing it).
func (s *Server) admit(nc net.Conn, addr string) (c *conn, why, evicted string) {
	ac := s.perAddr[addr]
	if ac != nil {
		if m := s.cfg.MaxConnectionsPerAddr; m > 0 && ac.all >= m {
			return nil, "per_addr_limit", ""
		}
		if m := s.cfg.MaxHandshakesPerAddr; m > 0 && ac.pending >= m {
			return nil, "per_addr_handshakes", ""
		}
	}
	if s.slots >= s.cfg.MaxConnections {
		front := s.pending.Front()
		if front == nil {
			return nil, "server_full", ""
		}
		victim := front.Value.(*conn)
		s.releaseSlot(victim)
		victim.kill()
		evicted = victim.addr
		ac = s.perAddr[addr] // the victim may have been its last connection
	}
	if ac == nil {
		ac = &addrConns{}
		s.perAddr[addr] = ac
	}
	c = newConn(s, nc)
	c.addr = addr
	c.log = slog.New(preauthHandler{s.log.Handler(), s.events, addr}).With("remote", nc.RemoteAddr().String())
	c.slot = true
	ac.all++
	ac.pending++
	s.slots++
	c.pendElem = s.pending.PushBack(c)
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	c.hsTimer = time.AfterFunc(s.cfg.HandshakeTimeout, c.handshakeExpired)
	return c, "", evicted
}

// releaseSlot gives back c's slot and address counts, if it holds one.
// The caller holds s.mu.
func (s *Server) releaseSlot(c *conn) {
	if !c.slot {
		return
	}
	c.slot = false
	s.slots--
	ac := s.perAddr[c.addr]
	ac.all--
	if c.pendElem != nil {
		s.pending.Remove(c.pendElem)
		c.pendElem = nil
		ac.pending--
	}
	if ac.all == 0 {
		delete(s.perAddr, c.addr)
	}
}

// loggedOn records that c completed a SESSION_SETUP: it is no longer
// pending, so neither the handshake timeout nor eviction applies.
func (c *conn) loggedOn() {
	if c.authed {
		return
	}
	c.authed = true
	if c.hsTimer != nil {
		c.hsTimer.Stop()
	}
	// Its warnings are worth a line each from now on (see preauthHandler).
	c.log = c.srv.log.With("remote", c.nc.RemoteAddr().String())
	s := c.srv
	s.mu.Lock()
	if c.pendElem != nil {
		s.pending.Remove(c.pendElem)
		c.pendElem = nil
		if ac := s.perAddr[c.addr]; ac != nil {
			ac.pending--
		}
	}
	s.mu.Unlock()
}

// handshakeExpired closes c if it is still pending (timer goroutine).
func (c *conn) handshakeExpired() {
	s := c.srv
	s.mu.Lock()
	expired := c.pendElem != nil
	s.mu.Unlock()
	if expired {
		s.log.Debug("no logon within the handshake timeout; closing", "remote", c.nc.RemoteAddr().String(), "timeout", s.cfg.HandshakeTimeout)
		s.events.note("handshake_timeout", c.addr)
		c.kill()
	}
}

// kill closes c's socket and cancels whatever it waits for; its serve
// goroutine then ends.
func (c *conn) kill() {
	c.cancel()
	c.nc.Close()
}

// connCtx gives c a context that kill and teardown cancel.
func (c *conn) connCtx() {
	c.ctx, c.cancel = context.WithCancel(context.Background())
}

// Request frame memory. Frames above smallFrame are read into buffers
// accounted against Config.MaxRequestMemory server-wide; a connection
// whose frame does not fit waits (its bytes stay in the socket, so TCP
// pushes back on the client) until other frames are done.
const smallFrame = 64 << 10

// maxPreauthFrame bounds request frames until a SESSION_SETUP succeeded
// on the connection: NEGOTIATE and SESSION_SETUP (even with a large
// Kerberos ticket) fit, the 8 MiB of a large WRITE does not.
const maxPreauthFrame = 64 << 10

// acquireFrame reserves n bytes of request memory for a frame of length n;
// it returns a non-nil error if the connection ends while waiting.
func (c *conn) acquireFrame(n int) error {
	if n <= smallFrame {
		return nil
	}
	if err := c.srv.reqMem.Acquire(c.ctx, int64(n)); err != nil {
		return fmt.Errorf("waiting for request memory: %w", err)
	}
	c.srv.reqMemHeld.Add(int64(n))
	return nil
}

// releaseFrame returns what acquireFrame(n) reserved.
func (c *conn) releaseFrame(n int) {
	if n > smallFrame {
		c.srv.reqMemHeld.Add(-int64(n))
		c.srv.reqMem.Release(int64(n))
	}
}

// newPendingList returns an empty list of pending connections.
func newPendingList() *list.List { return list.New() }

// setLimitDefaults fills in and checks the connection and memory limits.
func (cfg *Config) setLimitDefaults() error {
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.MaxConnections < 0 {
		return fmt.Errorf("server: MaxConnections %d is negative", cfg.MaxConnections)
	}
	if cfg.MaxHandshakesPerAddr == 0 {
		cfg.MaxHandshakesPerAddr = DefaultMaxHandshakesPerAddr
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxRequestMemory == 0 {
		cfg.MaxRequestMemory = DefaultMaxRequestMemory
	}
	if min := int64(cfg.MaxIOSize) + 64<<10; cfg.MaxRequestMemory < min {
		cfg.MaxRequestMemory = min // the largest frame must fit
	}
	if cfg.Encrypt == EncryptOff && cfg.EncryptData {
		cfg.Encrypt = EncryptDesired
	}
	if cfg.Encrypt < EncryptOff || cfg.Encrypt > EncryptRequired {
		return fmt.Errorf("server: unknown Encrypt mode %d", cfg.Encrypt)
	}
	return cfg.Throttle.setDefaults()
}

// MaxConnections returns the connection limit in force (after defaults).
func (s *Server) MaxConnections() int { return s.cfg.MaxConnections }
