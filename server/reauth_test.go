package server

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// TestReauthAnonymous: a user session re-authenticates as anonymous
// (smbtorture smb2.session.reauth2–4). Its handles keep working with the
// access granted at open, but on a share anonymous may not connect to
// nothing new is opened, created or connected; re-authenticating as the
// user again restores that. An anonymous session cannot become anonymous
// "again" without guest access, and a first anonymous logon stays refused.
func TestReauthAnonymous(t *testing.T) {
	hs := startLimited(t, func(c *Config) { c.Shares[0].Guest = false })
	if err := os.WriteFile(filepath.Join(hs.Dir, "old"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, hs.Addr)
	c.negotiate(rawNegotiate(smb2.Dialect210))
	if st := c.userLogon(testUser, testPass); st != smb2.StatusSuccess {
		t.Fatalf("logon: %v", st)
	}
	c.treeConnect("share")
	old, st := c.create("old", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("open old: %v", st)
	}

	if st := c.logonLegs(c.sid, rawAnonAuthenticate); st != smb2.StatusSuccess {
		t.Fatalf("re-authentication as anonymous: %v", st)
	}
	r := c.expectStatus("READ through a handle opened before", smb2.Read, rawRead(old, 0, 5), nil, smb2.StatusSuccess)
	if !bytes.Contains(r.body, []byte("hello")) {
		t.Errorf("READ after anonymous re-authentication: %q", r.body)
	}
	c.expectStatus("WRITE through a handle opened before", smb2.Write, rawWrite(old, 5, []byte("!")), nil, smb2.StatusSuccess)
	if _, st := c.create("new", rawDispCreate); st != smb2.StatusAccessDenied {
		t.Errorf("CREATE of a new file as anonymous: %v, want ACCESS_DENIED", st)
	}
	if _, st := c.create("old", rawDispOpen); st != smb2.StatusAccessDenied {
		t.Errorf("second open of old as anonymous: %v, want ACCESS_DENIED", st)
	}
	c.expectStatus("TREE_CONNECT as anonymous", smb2.TreeConnect, rawTreeConnect(`\\127.0.0.1\share`), nil, smb2.StatusAccessDenied)

	if st := c.logonLegs(c.sid, func(ch []byte) []byte { return rawAuthenticate(ch, testUser, testPass) }); st != smb2.StatusSuccess {
		t.Fatalf("re-authentication as the user: %v", st)
	}
	id, st := c.create("new", rawDispCreate)
	if st != smb2.StatusSuccess {
		t.Fatalf("CREATE after re-authenticating as the user: %v", st)
	}
	c.expectStatus("close new", smb2.Close, rawClose(id), nil, smb2.StatusSuccess)
	c.expectStatus("close old", smb2.Close, rawClose(old), nil, smb2.StatusSuccess)
	if b, _ := os.ReadFile(filepath.Join(hs.Dir, "old")); string(b) != "hello!" {
		t.Errorf("old holds %q", b)
	}

	// Without guest access an anonymous logon is refused, so there is no
	// anonymous session to re-authenticate.
	a := dialRaw(t, hs.Addr)
	a.negotiate(rawNegotiate(smb2.Dialect210))
	if st := a.logonLegs(0, rawAnonAuthenticate); st != smb2.StatusLogonFailure {
		t.Errorf("anonymous logon without guest shares: %v, want LOGON_FAILURE", st)
	}
}

// TestReauthAnonymousToUser: with a guest share, a session that
// logged on anonymously and re-authenticates as a user gets the user's
// rights on a non-guest share.
func TestReauthAnonymousToUser(t *testing.T) {
	hs := startLimited(t, func(c *Config) {
		c.Shares = append(c.Shares, &Share{Name: "private", FS: c.Shares[0].FS, Path: c.Shares[0].Path})
	})
	c := dialRaw(t, hs.Addr)
	c.negotiate(rawNegotiate(smb2.Dialect210))
	c.anonLogon()
	c.expectStatus("anonymous TREE_CONNECT private", smb2.TreeConnect, rawTreeConnect(`\\127.0.0.1\private`), nil, smb2.StatusAccessDenied)
	c.treeConnect("share")
	if st := c.logonLegs(c.sid, func(ch []byte) []byte { return rawAuthenticate(ch, testUser, testPass) }); st != smb2.StatusSuccess {
		t.Fatalf("re-authentication as the user: %v", st)
	}
	c.expectStatus("user TREE_CONNECT private", smb2.TreeConnect, rawTreeConnect(`\\127.0.0.1\private`), nil, smb2.StatusSuccess)
}

// TestMalformedNTLMv2 (smbtorture smb2.session.ntlmssp_bug14932): an
// AUTHENTICATE whose NTLMv2 response has an AV pair list that overruns it,
// no MsvAvEOL, or is shorter than its fixed part gets
// STATUS_INVALID_PARAMETER, for known and unknown users alike (no hint of
// who exists), and does not count towards a lockout.
func TestMalformedNTLMv2(t *testing.T) {
	hs := startLimited(t, func(c *Config) {
		c.Shares[0].Guest = false
		c.Throttle = AuthThrottle{FailDelay: -1, UserFailures: 2, AddrFailures: 2}
	})
	fixed := append(bytes.Repeat([]byte{0xab}, 16), 1, 1, 0, 0, 0, 0, 0, 0)
	fixed = append(fixed, bytes.Repeat([]byte{0x3f}, 8)...) // timestamp
	fixed = append(fixed, bytes.Repeat([]byte{0xb8}, 8)...) // client challenge
	fixed = append(fixed, 0, 0, 0, 0)                       // reserved
	overrun := append(append([]byte(nil), fixed...), 0x11, 0xa2, 0x08, 0x81, 0x50, 0x38, 0x22, 0x78)
	noEOL := append(append([]byte(nil), fixed...), 0x02, 0x00, 0x02, 0x00, 'W', 0)
	short := fixed[:30]
	for _, tc := range []struct {
		name, user string
		nt         []byte
	}{
		{"overrunning AV pair, known user", testUser, overrun},
		{"overrunning AV pair, unknown user", "nobody", overrun},
		{"no MsvAvEOL", testUser, noEOL},
		{"shorter than the fixed part", testUser, short},
	} {
		c := dialRaw(t, hs.Addr)
		c.negotiate(rawNegotiate(smb2.Dialect210))
		if st := c.logonLegs(0, func([]byte) []byte { return rawAuthenticateNT(tc.user, tc.nt) }); st != smb2.StatusInvalidParameter {
			t.Errorf("%s: %v, want INVALID_PARAMETER", tc.name, st)
		}
	}
	c := dialRaw(t, hs.Addr)
	c.negotiate(rawNegotiate(smb2.Dialect210))
	if st := c.userLogon(testUser, testPass); st != smb2.StatusSuccess {
		t.Errorf("logon after malformed responses: %v (they must not lock the user or address out)", st)
	}
	// A wrong password is still a plain LOGON_FAILURE.
	if st := c.userLogon(testUser, "wrong"); st != smb2.StatusLogonFailure {
		t.Errorf("wrong password: %v", st)
	}
}
