package server

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// AuthThrottle limits password guessing. Failed logons are counted per
// user name and per client IP address; a count starts with its first
// failure and is forgotten Lockout later. Reaching UserFailures failures
// for a name, or AddrFailures from an address, locks that name or address
// out until the count is forgotten: its logons fail with
// STATUS_ACCOUNT_LOCKED_OUT whatever the password (so a guess that
// happens to be right is not recognisable). Every failed or locked-out
// logon is answered only after FailDelay; the delay holds up that
// connection alone. A successful logon as a user clears the user's count.
//
// Zero fields take the defaults below; a negative field disables its part.
type AuthThrottle struct {
	FailDelay    time.Duration // default DefaultAuthFailDelay (1 s)
	UserFailures int           // default DefaultAuthUserFailures (30)
	AddrFailures int           // default DefaultAuthAddrFailures (10)
	Lockout      time.Duration // default DefaultAuthLockout (1 min)
}

// Defaults of AuthThrottle.
const (
	DefaultAuthFailDelay    = time.Second
	DefaultAuthUserFailures = 30
	DefaultAuthAddrFailures = 10
	DefaultAuthLockout      = time.Minute
)

func (a *AuthThrottle) setDefaults() error {
	if a.FailDelay == 0 {
		a.FailDelay = DefaultAuthFailDelay
	}
	if a.FailDelay > time.Minute {
		return fmt.Errorf("server: Throttle.FailDelay %v is over a minute", a.FailDelay)
	}
	if a.UserFailures == 0 {
		a.UserFailures = DefaultAuthUserFailures
	}
	if a.AddrFailures == 0 {
		a.AddrFailures = DefaultAuthAddrFailures
	}
	if a.Lockout == 0 {
		a.Lockout = DefaultAuthLockout
	}
	return nil
}

// maxThrottleEntries bounds each of the user and address tables; when a
// table is full and nothing in it has expired, new names or addresses are
// not tracked (the ones already tracked stay, so flooding the table with
// made-up names does not reset a victim's count).
const maxThrottleEntries = 1 << 16

type failCount struct {
	n     int
	since time.Time
}

// throttle holds the failure counts of AuthThrottle.
type throttle struct {
	cfg   AuthThrottle
	mu    sync.Mutex
	users map[string]*failCount
	addrs map[string]*failCount
	swept time.Time // last sweep of a full table
}

func newThrottle(cfg AuthThrottle) *throttle {
	return &throttle{cfg: cfg, users: map[string]*failCount{}, addrs: map[string]*failCount{}}
}

// userKey is the table key of a user name: case-folded and cut to
// maxUserKey bytes, so made-up names cannot make entries large.
func userKey(user string) string {
	if len(user) > maxUserKey {
		user = user[:maxUserKey]
	}
	return strings.ToLower(user)
}

// maxUserKey bounds a user name as a throttle key (and in log lines).
const maxUserKey = 128

// current returns m[key] if it has not expired.
func (t *throttle) current(m map[string]*failCount, key string, now time.Time) *failCount {
	f := m[key]
	if f != nil && now.Sub(f.since) >= t.cfg.Lockout {
		delete(m, key)
		return nil
	}
	return f
}

// lockedOut reports whether logons as user or from addr are locked out.
func (t *throttle) lockedOut(user, addr string, now time.Time) bool {
	if t.cfg.Lockout < 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.cfg.AddrFailures; m > 0 {
		if f := t.current(t.addrs, addr, now); f != nil && f.n >= m {
			return true
		}
	}
	if m := t.cfg.UserFailures; m > 0 && user != "" {
		if f := t.current(t.users, userKey(user), now); f != nil && f.n >= m {
			return true
		}
	}
	return false
}

// failed counts a failed logon as user from addr.
func (t *throttle) failed(user, addr string, now time.Time) {
	if t.cfg.Lockout < 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cfg.AddrFailures > 0 {
		t.count(t.addrs, addr, now)
	}
	if t.cfg.UserFailures > 0 && user != "" {
		t.count(t.users, userKey(user), now)
	}
}

func (t *throttle) count(m map[string]*failCount, key string, now time.Time) {
	f := t.current(m, key, now)
	if f == nil {
		if len(m) >= maxThrottleEntries {
			// Sweep out expired counts, at most once a second: a flood
			// of made-up names must not cost a full sweep per failure.
			if now.Sub(t.swept) >= time.Second {
				t.swept = now
				for k, v := range m {
					if now.Sub(v.since) >= t.cfg.Lockout {
						delete(m, k)
					}
				}
			}
			if len(m) >= maxThrottleEntries {
				return
			}
		}
		f = &failCount{since: now}
		m[key] = f
	}
	f.n++
}

// succeeded clears user's failure count after a successful logon.
func (t *throttle) succeeded(user string) {
	t.mu.Lock()
	delete(t.users, userKey(user))
	t.mu.Unlock()
}

// failDelay holds up c's failed logon answer for FailDelay, or until the
// connection goes away.
func (c *conn) failDelay() {
	d := c.srv.cfg.Throttle.FailDelay
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.ctx.Done():
	}
}
