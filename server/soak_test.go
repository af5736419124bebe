//go:build linux

package server

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/smb2"
)

var (
	soakTime  = flag.Duration("soak", 0, "run TestSoak's abuse phase this long (0: a short run of about two seconds)")
	soakConns = flag.Int("soak.conns", 3000, "logged-on connections TestSoak holds in a -soak run")
)

// TestSoak holds many logged-on connections, runs valid go-smb2 clients
// doing I/O, and meanwhile floods the server from another address with
// hostile traffic: silent and NEGOTIATE-only sockets, oversized frames
// before logon, password guesses, junk frames. It checks that the valid
// clients see no error at all, that the server's memory stays bounded,
// and that afterwards every file descriptor, goroutine and slot is given
// back. Without -soak it runs for about two seconds with a few hundred
// connections; go test ./server -run Soak -soak=5m -soak.conns=5000 is
// the long version.
func TestSoak(t *testing.T) {
	dur, idleN, validN, hostileN := 2*time.Second, 200, 4, 6
	if testing.Short() {
		idleN = 100
	}
	if *soakTime > 0 {
		dur, idleN, validN, hostileN = *soakTime, *soakConns, 32, 16
		raiseNoFile(t, uint64(2*idleN+4096))
	}
	fds0, rss0, gor0 := fdCount(), rssBytes(), runtime.NumGoroutine()
	hs := startLimited(t, func(c *Config) {
		c.MaxConnections = idleN + validN + 40
		c.MaxHandshakesPerAddr = 60 // the hostile address can fill the slack and cause evictions
		c.HandshakeTimeout = 500 * time.Millisecond
		c.MaxRequestMemory = 32 << 20
		c.Throttle = AuthThrottle{FailDelay: 20 * time.Millisecond, AddrFailures: 50, UserFailures: -1, Lockout: time.Second}
	})
	hs.Log.mu.Lock()
	hs.Log.limit = 1 << 20 // keep the capture bounded on long runs
	hs.Log.mu.Unlock()

	// Logged-on idle connections, 16 logons at a time.
	idle := make([]*rawConn, idleN)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range idle {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			if st := c.userLogon(testUser, testPass); st != smb2.StatusSuccess {
				t.Errorf("idle logon %d: %v", i, st)
			}
			idle[i] = c
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	rssIdle := rssBytes()
	t.Logf("%d logged-on connections: RSS %d -> %d MB", idleN, rss0>>20, rssIdle>>20)

	stop := make(chan struct{})
	var validOps, validErrs, reconnects, hostileOps atomic.Int64
	var errMu sync.Mutex
	var firstErr error
	validErr := func(err error) {
		validErrs.Add(1)
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
	}
	var peakRSS atomic.Int64
	for i := range validN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			soakValid(hs.Addr, i, stop, &validOps, &reconnects, validErr)
		}()
	}
	for i := range hostileN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			soakHostile(hs.Addr, i, stop, &hostileOps)
		}()
	}
	deadline := time.Now().Add(dur)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if r := rssBytes(); r > peakRSS.Load() {
			peakRSS.Store(r)
		}
	}
	close(stop)
	wg.Wait()
	for _, c := range idle {
		c.expectStatus("ECHO on a logged-on connection after the flood", smb2.Echo, rawEcho(), nil, smb2.StatusSuccess)
	}
	t.Logf("%v: %d valid ops (%d reconnects), %d hostile actions, peak RSS %d MB (start %d MB, with idle conns %d MB)",
		dur, validOps.Load(), reconnects.Load(), hostileOps.Load(), peakRSS.Load()>>20, rss0>>20, rssIdle>>20)
	if n := validErrs.Load(); n > 0 {
		t.Errorf("valid clients saw %d errors; first: %v", n, firstErr)
	}
	if validOps.Load() == 0 || hostileOps.Load() == 0 {
		t.Errorf("no traffic: %d valid ops, %d hostile actions", validOps.Load(), hostileOps.Load())
	}
	// Memory: the idle connections plus bounded request memory and
	// transient buffers; an unbounded path (8 MiB per pending socket, as
	// in 9530240) would blow far past this.
	if growth := peakRSS.Load() - rssIdle; growth > 256<<20 {
		t.Errorf("RSS grew by %d MB during the flood", growth>>20)
	}

	for _, c := range idle {
		c.nc.Close()
	}
	hs.Stop()
	hs.Srv.mu.Lock()
	left := fmt.Sprintf("conns=%d slots=%d pending=%d addrs=%d", len(hs.Srv.conns), hs.Srv.slots, hs.Srv.pending.Len(), len(hs.Srv.perAddr))
	hs.Srv.mu.Unlock()
	if left != "conns=0 slots=0 pending=0 addrs=0" || hs.Srv.reqMemHeld.Load() != 0 {
		t.Errorf("after shutdown: %s, request memory %d", left, hs.Srv.reqMemHeld.Load())
	}
	if !waitFor(5*time.Second, func() bool { return fds0 < 0 || fdCount() <= fds0+2 }) {
		t.Errorf("file descriptors: %d before, %d after", fds0, fdCount())
	}
	if !waitFor(5*time.Second, func() bool { return runtime.NumGoroutine() <= gor0+5 }) {
		t.Errorf("goroutines: %d before, %d after", gor0, runtime.NumGoroutine())
	}
	if l := hs.Log.String(); !strings.Contains(l, "connections refused or closed before logon") {
		t.Errorf("no aggregated refusal line in the log")
	}
}

// soakValid is one well-behaved client: a go-smb2 session that writes,
// reads back and lists files, reconnecting every 50 operations.
func soakValid(addr string, id int, stop <-chan struct{}, ops, reconnects *atomic.Int64, fail func(error)) {
	buf := make([]byte, 64<<10+id)
	name := "valid" + strconv.Itoa(id)
	for {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			fail(fmt.Errorf("client %d dial: %w", id, err))
			return
		}
		d := &gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: testUser, Password: testPass}}
		s, err := d.Dial(nc)
		if err != nil {
			nc.Close()
			fail(fmt.Errorf("client %d logon: %w", id, err))
			return
		}
		fs, err := s.Mount("share")
		if err != nil {
			fail(fmt.Errorf("client %d mount: %w", id, err))
			s.Logoff()
			return
		}
		for range 50 {
			select {
			case <-stop:
				fs.Umount()
				s.Logoff()
				return
			default:
			}
			rand.Read(buf)
			if err := fs.WriteFile(name, buf, 0o644); err != nil {
				fail(fmt.Errorf("client %d write: %w", id, err))
			} else if got, err := fs.ReadFile(name); err != nil || !bytes.Equal(got, buf) {
				fail(fmt.Errorf("client %d read back: %d bytes, %v", id, len(got), err))
			} else if _, err := fs.ReadDir("."); err != nil {
				fail(fmt.Errorf("client %d list: %w", id, err))
			}
			ops.Add(1)
		}
		fs.Umount()
		s.Logoff()
		reconnects.Add(1)
	}
}

// soakHostile floods the server from 127.0.0.2 with one random abuse at a
// time. Errors are the point here and are ignored; sockets the server
// does not close are closed after a while.
func soakHostile(addr string, id int, stop <-chan struct{}, ops *atomic.Int64) {
	rng := mrand.New(mrand.NewPCG(uint64(id), 8))
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: time.Second}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for {
		select {
		case <-stop:
			return
		default:
		}
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		ops.Add(1)
		c := &rawConn{t: hostileTB{}, nc: nc, credits: 1}
		func() {
			defer func() {
				if p := recover(); p != nil && p != errHostileTB {
					panic(p)
				}
			}()
			switch rng.IntN(6) {
			case 0: // silent: the server must time it out or evict it
				held = append(held, nc)
				nc = nil
			case 1: // NEGOTIATE, then silence
				c.negotiate(rawNegotiate(smb2.Dialect311, smb2.Dialect210))
				held = append(held, nc)
				nc = nil
			case 2: // an 8 MiB frame header before logon
				hdr := make([]byte, 4+smb2.HeaderSize)
				smb2.PutFrameHeader(hdr, 8<<20)
				copy(hdr[4:], (&smb2.Header{Command: smb2.SessionSetup}).Append(nil))
				nc.Write(hdr)
				nc.Write(make([]byte, 32<<10))
			case 3: // password guesses for bob
				c.negotiate(rawNegotiate(smb2.Dialect210))
				for range 3 {
					c.userLogon("bob", "guess"+strconv.Itoa(rng.IntN(1e6)))
				}
			case 4: // junk after a valid negotiate
				c.negotiate(rawNegotiate(smb2.Dialect210))
				junk := make([]byte, 64+rng.IntN(4096))
				rand.Read(junk)
				smb2.PutFrameHeader(junk, len(junk)-4)
				nc.Write(junk)
				nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				io.Copy(io.Discard, nc)
			case 5: // anonymous logon, then a burst of bad requests
				c.negotiate(rawNegotiate(smb2.Dialect210))
				c.anonLogon()
				for range 8 {
					c.write(rawFrame(c.msg(smb2.Command(rng.IntN(19)), make([]byte, rng.IntN(200)), nil)))
				}
			}
		}()
		if nc != nil {
			nc.Close()
		}
		if len(held) > 20 {
			held[0].Close()
			held = held[1:]
		}
		// Paced: an unpaced flood of loopback connects overflows the
		// kernel's backlog queue on two busy cores (softnet drops), and
		// the dropped keepalives time out unrelated idle sockets — a test
		// of the machine, not of the server.
		time.Sleep(2 * time.Millisecond)
	}
}

var errHostileTB = errors.New("hostile client step failed")

// hostileTB turns rawConn's test failures into a panic the hostile loop
// recovers: for a hostile client a refused or closed connection is normal.
// Only the methods rawConn calls are provided.
type hostileTB struct{ testing.TB }

func (hostileTB) Helper()               {}
func (hostileTB) Fatalf(string, ...any) { panic(errHostileTB) }
func (hostileTB) Errorf(string, ...any) { panic(errHostileTB) }
func (hostileTB) Fatal(...any)          { panic(errHostileTB) }
func (hostileTB) Cleanup(func())        {}

// fdCount is the number of open file descriptors, or -1 if unknown.
func fdCount() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// rssBytes is the resident set size, or 0 if unknown.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func waitFor(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// raiseNoFile lifts RLIMIT_NOFILE to at least n if it can.
func raiseNoFile(t *testing.T, n uint64) {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil || rl.Cur >= n {
		return
	}
	nl := syscall.Rlimit{Cur: n, Max: max(rl.Max, n)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &nl); err != nil {
		t.Logf("cannot raise RLIMIT_NOFILE to %d (%v); the soft limit is %d", n, err, rl.Cur)
	}
}
