package server

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// startLimited runs a server with a guest share "share", users alice and
// bob, the log captured, and mod applied to its Config.
func startLimited(t testing.TB, mod func(*Config)) *hostileServer {
	t.Helper()
	return serveGuestLogged(t, t.TempDir(), slog.LevelInfo, mod, testUser, "bob")
}

// dialFrom connects to addr from the local IP from (e.g. "127.0.0.2").
func dialFrom(t testing.TB, from, addr string) *rawConn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, credits: 1}
}

// isClosed reports whether the server closed c (EOF within d) rather than
// leaving it open.
func isClosed(c *rawConn, d time.Duration) bool {
	c.nc.SetReadDeadline(time.Now().Add(d))
	var b [1]byte
	_, err := c.nc.Read(b[:])
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// logLines counts the log lines containing s.
func logLines(hs *hostileServer, s string) int {
	return strings.Count(hs.Log.String(), s)
}

// TestHandshakeTimeout: a silent connection and a NEGOTIATE-only one are
// closed after HandshakeTimeout; a logged-on one stays (idle timeout is
// separate and long).
func TestHandshakeTimeout(t *testing.T) {
	hs := startLimited(t, func(c *Config) { c.HandshakeTimeout = 300 * time.Millisecond })
	silent := dialRaw(t, hs.Addr)
	negOnly := dialRaw(t, hs.Addr)
	negOnly.negotiate(rawNegotiate(smb2.Dialect210))
	user := dialRaw(t, hs.Addr)
	user.negotiate(rawNegotiate(smb2.Dialect210))
	if st := user.userLogon(testUser, testPass); st != smb2.StatusSuccess {
		t.Fatalf("logon: %v", st)
	}
	start := time.Now()
	if !isClosed(silent, 3*time.Second) {
		t.Fatal("silent connection still open 3s after a 300ms handshake timeout")
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("silent connection closed after %v, before the timeout", d)
	}
	if !isClosed(negOnly, 3*time.Second) {
		t.Fatal("NEGOTIATE-only connection still open")
	}
	time.Sleep(300 * time.Millisecond)
	user.expectStatus("ECHO after the handshake timeout", smb2.Echo, rawEcho(), nil, smb2.StatusSuccess)
	hs.waitConns(t, 1)
}

// TestSlotPolicy: when every slot is taken, the oldest connection that has
// not logged on makes room for a new one; logged-on connections are never
// evicted, and with every slot logged on new connections are refused.
// Refusals are logged as aggregated lines, not one per connection.
func TestSlotPolicy(t *testing.T) {
	hs := startLimited(t, func(c *Config) { c.MaxConnections = 4 })
	var users []*rawConn
	logon := func() *rawConn {
		c := dialRaw(t, hs.Addr)
		c.negotiate(rawNegotiate(smb2.Dialect210))
		if st := c.userLogon(testUser, testPass); st != smb2.StatusSuccess {
			t.Fatalf("logon: %v", st)
		}
		users = append(users, c)
		return c
	}
	logon()
	var silent []*rawConn
	for range 3 {
		silent = append(silent, dialRaw(t, hs.Addr))
	}
	waitTracked(t, hs, 4)
	// Full: the next logon takes the oldest silent connection's slot.
	logon()
	if !isClosed(silent[0], 3*time.Second) {
		t.Fatal("oldest pending connection not evicted for a new one")
	}
	if isClosed(silent[1], 100*time.Millisecond) || isClosed(silent[2], 10*time.Millisecond) {
		t.Fatal("a newer pending connection was evicted too")
	}
	logon() // evicts silent[1]
	logon() // evicts silent[2]
	// Every slot is logged on: new connections are refused at once.
	for i := range 50 {
		c := dialRaw(t, hs.Addr)
		if !isClosed(c, 3*time.Second) {
			t.Fatalf("connection %d accepted with every slot logged on", i)
		}
	}
	for i, u := range users {
		u.expectStatus("ECHO of a logged-on connection", smb2.Echo, rawEcho(), nil, smb2.StatusSuccess)
		_ = i
	}
	hs.Stop()
	if n := logLines(hs, "connections refused or closed before logon"); n < 1 || n > 3 {
		t.Errorf("%d aggregated refusal lines for 53 refusals/evictions, want 1..3:\n%s", n, hs.Log.String())
	}
	if !strings.Contains(hs.Log.String(), "server_full") || !strings.Contains(hs.Log.String(), "evicted_pending") {
		t.Errorf("refusal lines lack server_full/evicted_pending counts:\n%s", hs.Log.String())
	}
}

// waitTracked waits until the server holds n connection slots.
func waitTracked(t testing.TB, hs *hostileServer, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		hs.Srv.mu.Lock()
		live := hs.Srv.slots
		hs.Srv.mu.Unlock()
		if live == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server holds %d slots, want %d", live, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestPerAddrLimits: MaxHandshakesPerAddr bounds the pending connections of
// one client address, MaxConnectionsPerAddr all of them; other addresses
// are unaffected.
func TestPerAddrLimits(t *testing.T) {
	hs := startLimited(t, func(c *Config) { c.MaxHandshakesPerAddr = 2; c.MaxConnectionsPerAddr = 3 })
	a1, a2 := dialFrom(t, "127.0.0.1", hs.Addr), dialFrom(t, "127.0.0.1", hs.Addr)
	waitTracked(t, hs, 2)
	if c := dialFrom(t, "127.0.0.1", hs.Addr); !isClosed(c, 3*time.Second) {
		t.Fatal("third pending connection from one address accepted")
	}
	other := dialFrom(t, "127.0.0.2", hs.Addr)
	waitTracked(t, hs, 3)
	if isClosed(other, 100*time.Millisecond) {
		t.Fatal("connection from another address refused")
	}
	// Logging on frees a handshake slot but still counts for the address.
	a1.negotiate(rawNegotiate(smb2.Dialect210))
	if st := a1.userLogon(testUser, testPass); st != smb2.StatusSuccess {
		t.Fatalf("logon: %v", st)
	}
	a3 := dialFrom(t, "127.0.0.1", hs.Addr)
	waitTracked(t, hs, 4)
	if c := dialFrom(t, "127.0.0.1", hs.Addr); !isClosed(c, 3*time.Second) {
		t.Fatal("fourth connection from one address accepted")
	}
	if isClosed(a2, 10*time.Millisecond) || isClosed(a3, 10*time.Millisecond) {
		t.Fatal("an admitted connection was closed")
	}
}

// TestPreauthFrameLimit: before a logon, a frame longer than NEGOTIATE or
// SESSION_SETUP need closes the connection at once instead of being
// buffered (9530240 waited for 8 MiB per connection).
func TestPreauthFrameLimit(t *testing.T) {
	hs := startLimited(t, nil)
	for _, neg := range []bool{false, true} {
		c := dialRaw(t, hs.Addr)
		if neg {
			c.negotiate(rawNegotiate(smb2.Dialect210))
		}
		hdr := make([]byte, 4+smb2.HeaderSize)
		smb2.PutFrameHeader(hdr, 1<<20)
		copy(hdr[4:], (&smb2.Header{Command: smb2.SessionSetup, MessageID: 1}).Append(nil))
		c.write(hdr)
		if !isClosed(c, 2*time.Second) {
			t.Fatalf("negotiated=%v: 1 MiB frame before logon still being read after 2s", neg)
		}
	}
	// After a logon large frames are fine.
	c := dialRaw(t, hs.Addr)
	c.negotiate(rawNegotiate(smb2.Dialect210))
	if st := c.userLogon(testUser, testPass); st != smb2.StatusSuccess {
		t.Fatalf("logon: %v", st)
	}
	c.treeConnect("share")
	id, st := c.create("big", rawDispCreate)
	if st != smb2.StatusSuccess {
		t.Fatalf("create: %v", st)
	}
	c.expectStatus("1 MiB WRITE after logon", smb2.Write, rawWrite(id, 0, make([]byte, 1<<20)), func(h *smb2.Header) { h.CreditCharge = 16 }, smb2.StatusSuccess)
}

// TestRequestMemoryBound: large frames wait for request memory rather
// than being buffered beyond MaxRequestMemory server-wide.
func TestRequestMemoryBound(t *testing.T) {
	const frame = 1 << 20
	hs := startLimited(t, func(c *Config) {
		c.MaxIOSize = 1 << 20
		c.MaxRequestMemory = 2*frame + frame/2 // two 1 MiB frames at a time
		c.RecvfileMin = 0                      // every WRITE through memory
	})
	var conns []*rawConn
	var ids []smb2.FileID
	for i := range 4 {
		c := dialRaw(t, hs.Addr)
		c.negotiate(rawNegotiate(smb2.Dialect210))
		if st := c.userLogon(testUser, testPass); st != smb2.StatusSuccess {
			t.Fatalf("logon: %v", st)
		}
		c.treeConnect("share")
		id, st := c.create("f"+string(rune('a'+i)), rawDispCreate)
		if st != smb2.StatusSuccess {
			t.Fatalf("create: %v", st)
		}
		conns, ids = append(conns, c), append(ids, id)
	}
	// Each connection sends the first half of a ~1 MiB WRITE and stalls.
	frames := make([][]byte, 4)
	for i, c := range conns {
		frames[i] = rawFrame(c.msg(smb2.Write, rawWrite(ids[i], 0, make([]byte, frame-200)), func(h *smb2.Header) { h.CreditCharge = 16 }))
		c.write(frames[i][:len(frames[i])/2])
	}
	time.Sleep(200 * time.Millisecond)
	if got, want := hs.Srv.reqMemHeld.Load(), 2*int64(len(frames[0])-4); got != want {
		t.Fatalf("request memory held with four large frames half sent: %d, want %d (two frames)", got, want)
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.write(frames[i][len(frames[i])/2:])
		}()
	}
	wg.Wait()
	for _, c := range conns {
		if r := c.recv(); r.hdr.Status != smb2.StatusSuccess {
			t.Errorf("WRITE: %v", r.hdr.Status)
		}
	}
	if got := hs.Srv.reqMemHeld.Load(); got != 0 {
		t.Errorf("request memory held after the WRITEs: %d", got)
	}
}

var _ = io.EOF

// TestPreauthWarningsAggregated: junk from connections that never logged
// on is counted in the aggregated line instead of one WARN per
// connection; the same junk after a logon is still a WARN of its own.
func TestPreauthWarningsAggregated(t *testing.T) {
	hs := startLimited(t, nil)
	junk := rawFrame([]byte("JUNK this is not an SMB2 header, 64 bytes long ........................"))
	for range 20 {
		c := dialRaw(t, hs.Addr)
		c.write(junk)
		if !isClosed(c, 3*time.Second) {
			t.Fatal("junk frame did not close the connection")
		}
	}
	u := dialRaw(t, hs.Addr)
	u.negotiate(rawNegotiate(smb2.Dialect210))
	if st := u.userLogon(testUser, testPass); st != smb2.StatusSuccess {
		t.Fatalf("logon: %v", st)
	}
	u.write(junk)
	if !isClosed(u, 3*time.Second) {
		t.Fatal("junk frame after logon did not close the connection")
	}
	hs.Stop()
	l := hs.Log.String()
	if n := strings.Count(l, "unknown protocol id"); n != 1 {
		t.Errorf("%d 'unknown protocol id' lines for 20 junk connections before logon and 1 after, want 1:\n%s", n, l)
	}
	sum := 0
	for _, m := range regexp.MustCompile(`bad_input=(\d+)`).FindAllStringSubmatch(l, -1) {
		n, _ := strconv.Atoi(m[1])
		sum += n
	}
	if sum != 20 {
		t.Errorf("aggregated lines count bad_input=%d, want 20:\n%s", sum, l)
	}
}
