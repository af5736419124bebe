package server

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/smb2"
)

// TestLogonThrottle: failed logons are answered late (without holding up
// other connections), lock out the address or the user name for a while,
// and are logged as aggregated lines.
func TestLogonThrottle(t *testing.T) {
	neg := rawNegotiate(smb2.Dialect210)
	t.Run("addr", func(t *testing.T) {
		const delay = 300 * time.Millisecond
		hs := startLimited(t, func(c *Config) {
			c.Throttle = AuthThrottle{FailDelay: delay, AddrFailures: 3, UserFailures: -1, Lockout: time.Minute}
		})
		other, st := logonRaw(t, "127.0.0.3", hs.Addr, neg, "bob", testPass)
		if st != smb2.StatusSuccess {
			t.Fatalf("bob: %v", st)
		}
		c := dialFrom(t, "127.0.0.1", hs.Addr)
		c.negotiate(neg)
		for i := range 3 {
			start := time.Now()
			var wg sync.WaitGroup
			wg.Add(1)
			var echo time.Duration
			go func() {
				defer wg.Done()
				time.Sleep(delay / 3)
				t0 := time.Now()
				other.expectStatus("ECHO during a delayed logon failure", smb2.Echo, rawEcho(), nil, smb2.StatusSuccess)
				echo = time.Since(t0)
			}()
			if st := c.userLogon(testUser, "wrong"); st != smb2.StatusLogonFailure {
				t.Fatalf("guess %d: %v", i, st)
			}
			wg.Wait()
			if d := time.Since(start); d < delay {
				t.Errorf("guess %d answered after %v, want >= %v", i, d, delay)
			}
			if echo > delay/2 {
				t.Errorf("another connection's ECHO took %v while a failure was delayed", echo)
			}
		}
		if st := c.userLogon(testUser, testPass); st != smb2.StatusAccountLockedOut {
			t.Errorf("right password from a locked-out address: %v, want ACCOUNT_LOCKED_OUT", st)
		}
		if _, st := logonRaw(t, "127.0.0.2", hs.Addr, neg, testUser, testPass); st != smb2.StatusSuccess {
			t.Errorf("right password from another address: %v", st)
		}
	})
	t.Run("user", func(t *testing.T) {
		hs := startLimited(t, func(c *Config) {
			c.Throttle = AuthThrottle{FailDelay: -1, AddrFailures: -1, UserFailures: 3, Lockout: time.Minute}
		})
		c := dialFrom(t, "127.0.0.1", hs.Addr)
		c.negotiate(neg)
		for range 3 {
			if st := c.userLogon(strings.ToUpper(testUser), "wrong"); st != smb2.StatusLogonFailure {
				t.Fatalf("guess: %v", st)
			}
		}
		if _, st := logonRaw(t, "127.0.0.2", hs.Addr, neg, testUser, testPass); st != smb2.StatusAccountLockedOut {
			t.Errorf("locked-out user, right password, other address: %v, want ACCOUNT_LOCKED_OUT", st)
		}
		if st := c.userLogon("bob", testPass); st != smb2.StatusSuccess {
			t.Errorf("another user from the guessing address: %v", st)
		}
	})
	t.Run("log", func(t *testing.T) {
		hs := startLimited(t, func(c *Config) {
			c.Throttle = AuthThrottle{FailDelay: -1, AddrFailures: -1, UserFailures: -1}
		})
		c := dialRaw(t, hs.Addr)
		c.negotiate(neg)
		for range 40 {
			if st := c.userLogon(testUser, "wrong"); st != smb2.StatusLogonFailure {
				t.Fatalf("guess: %v", st)
			}
		}
		hs.Stop()
		log := hs.Log.String()
		if n := strings.Count(log, "authentication failed"); n < 1 || n > 2 {
			t.Errorf("%d 'authentication failed' lines for 40 failures, want 1 or 2:\n%s", n, log)
		}
		if !strings.Contains(log, "total=") || !strings.Contains(log, "alice@127.0.0.1") {
			t.Errorf("aggregated line lacks the count or the user@address:\n%s", log)
		}
	})
}

// TestGoSMB2LockedOutError: go-smb2 sees STATUS_ACCOUNT_LOCKED_OUT.
func TestGoSMB2LockedOutError(t *testing.T) {
	hs := startLimited(t, func(c *Config) {
		c.Throttle = AuthThrottle{FailDelay: -1, AddrFailures: 1, UserFailures: -1}
	})
	c := dialRaw(t, hs.Addr)
	c.negotiate(rawNegotiate(smb2.Dialect210))
	c.userLogon(testUser, "wrong")
	nc := dialRaw(t, hs.Addr).nc
	d := &gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: testUser, Password: testPass}}
	_, err := d.Dial(nc)
	var re *gosmb2.ResponseError
	if !errors.As(err, &re) || smb2.Status(re.Code) != smb2.StatusAccountLockedOut {
		t.Errorf("go-smb2 logon from a locked-out address: %v, want STATUS_ACCOUNT_LOCKED_OUT", err)
	}
}

// TestThrottleTables: counts expire after Lockout, the tables stay within
// maxThrottleEntries however many names are made up, a victim's count
// survives such a flood, long names are cut, and a successful logon
// clears the user's count.
func TestThrottleTables(t *testing.T) {
	th := newThrottle(AuthThrottle{UserFailures: 3, AddrFailures: 1000, Lockout: time.Minute})
	now := time.Now()
	for range 3 {
		th.failed("Alice", "10.0.0.1", now)
	}
	if !th.lockedOut("ALICE", "10.9.9.9", now) {
		t.Fatal("alice not locked out after 3 failures (names are case-insensitive)")
	}
	for i := range maxThrottleEntries + 5000 {
		th.failed("made-up-"+strconv.Itoa(i), "10.0.0.2", now)
	}
	if n := len(th.users); n > maxThrottleEntries {
		t.Errorf("user table holds %d entries, bound %d", n, maxThrottleEntries)
	}
	if !th.lockedOut("alice", "10.9.9.9", now) {
		t.Error("a flood of made-up names reset alice's count")
	}
	if th.lockedOut("alice", "10.9.9.9", now.Add(time.Minute)) {
		t.Error("lockout did not expire after Lockout")
	}
	th.failed(strings.Repeat("x", 100000), "10.0.0.3", now)
	for k := range th.users {
		if len(k) > maxUserKey {
			t.Fatalf("a %d-byte key was stored", len(k))
		}
	}
	th = newThrottle(AuthThrottle{UserFailures: 2, AddrFailures: -1, Lockout: time.Minute})
	th.failed("bob", "a", now)
	th.succeeded("bob")
	th.failed("bob", "a", now)
	if th.lockedOut("bob", "a", now) {
		t.Error("a successful logon did not clear bob's count")
	}
}
