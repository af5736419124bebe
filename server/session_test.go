package server

import (
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// logonRaw dials addr from the local IP from, negotiates the dialect(s)
// and logs on as user/pass; it returns the connection and the status.
func logonRaw(t *testing.T, from, addr string, neg []byte, user, pass string) (*rawConn, smb2.Status) {
	t.Helper()
	c := dialFrom(t, from, addr)
	c.negotiate(neg)
	return c, c.userLogon(user, pass)
}

// TestUnsignedTreeConnect311: MS-SMB2 3.3.5.7 — on 3.1.1 a user session's
// TREE_CONNECT must be signed; unsigned it is refused with ACCESS_DENIED
// (as Samba). Guests, anonymous sessions and 2.x stay allowed.
func TestUnsignedTreeConnect311(t *testing.T) {
	hs := startLimited(t, nil)
	c, st := logonRaw(t, "127.0.0.1", hs.Addr, rawNegotiate311(), testUser, testPass)
	if st != smb2.StatusSuccess {
		t.Fatalf("3.1.1 logon: %v", st)
	}
	c.expectStatus("unsigned 3.1.1 TREE_CONNECT", smb2.TreeConnect, rawTreeConnect(`\\127.0.0.1\share`), nil, smb2.StatusAccessDenied)
	c.expectStatus("unsigned 3.1.1 TREE_CONNECT to no share", smb2.TreeConnect, rawTreeConnect(`\\127.0.0.1\nosuch`), nil, smb2.StatusAccessDenied)

	c21, st := logonRaw(t, "127.0.0.1", hs.Addr, rawNegotiate(smb2.Dialect210), testUser, testPass)
	if st != smb2.StatusSuccess {
		t.Fatalf("2.1 logon: %v", st)
	}
	c21.expectStatus("unsigned 2.1 TREE_CONNECT", smb2.TreeConnect, rawTreeConnect(`\\127.0.0.1\share`), nil, smb2.StatusSuccess)

	anon := dialRaw(t, hs.Addr)
	anon.negotiate(rawNegotiate311())
	anon.anonLogon()
	anon.expectStatus("anonymous 3.1.1 TREE_CONNECT", smb2.TreeConnect, rawTreeConnect(`\\127.0.0.1\share`), nil, smb2.StatusSuccess)

	// A real 3.1.1 client signs it and gets in.
	fs := dialGoAs(t, hs.testServer, testUser, testPass, "share")
	if _, err := fs.Stat("."); err != nil {
		t.Fatalf("go-smb2 3.1.1 stat: %v", err)
	}
}

// TestEncryptRequired: with EncryptRequired, sessions that cannot encrypt
// (2.x, 3.1.1 without a cipher, guest, anonymous) are refused with
// ACCESS_DENIED; an encrypting 3.1.1 client works. EncryptDesired keeps
// serving 2.x in plaintext.
func TestEncryptRequired(t *testing.T) {
	hs := startLimited(t, func(c *Config) { c.Encrypt = EncryptRequired })
	for _, tc := range []struct {
		name string
		neg  []byte
		user string
	}{
		{"2.1 user", rawNegotiate(smb2.Dialect210), testUser},
		{"2.0.2 user", rawNegotiate(smb2.Dialect202), testUser},
		{"3.1.1 without a cipher", rawNegotiate311(), testUser},
		{"3.1.1 guest (unknown user)", rawNegotiate311(), "nobody-known"},
	} {
		if _, st := logonRaw(t, "127.0.0.1", hs.Addr, tc.neg, tc.user, testPass); st != smb2.StatusAccessDenied {
			t.Errorf("%s: logon status %v, want ACCESS_DENIED", tc.name, st)
		}
	}
	anon := dialRaw(t, hs.Addr)
	anon.negotiate(rawNegotiate(smb2.Dialect210))
	neg := rawNTLM(1, 32)
	le.PutUint32(neg[12:], 0x00000001|0x00000200|0x00000800)
	r := anon.call(smb2.SessionSetup, rawSessionSetup(neg), nil)
	am := rawNTLM(3, 88)
	le.PutUint32(am[60:], 0x00000001|0x00000200|0x00000800)
	anon.expectStatus("anonymous logon", smb2.SessionSetup, rawSessionSetup(am), func(h *smb2.Header) { h.SessionID = r.hdr.SessionID }, smb2.StatusAccessDenied)

	fs := dialGoAs(t, hs.testServer, testUser, testPass, "share")
	if err := fs.WriteFile("enc.txt", []byte("sealed"), 0o644); err != nil {
		t.Fatalf("encrypted write: %v", err)
	}
	if b, err := fs.ReadFile("enc.txt"); err != nil || string(b) != "sealed" {
		t.Fatalf("encrypted read: %q %v", b, err)
	}

	desired := startLimited(t, func(c *Config) { c.Encrypt = EncryptDesired })
	if _, st := logonRaw(t, "127.0.0.1", desired.Addr, rawNegotiate(smb2.Dialect210), testUser, testPass); st != smb2.StatusSuccess {
		t.Errorf("EncryptDesired, 2.1 user: %v, want success (plaintext)", st)
	}
	old := startLimited(t, func(c *Config) { c.EncryptData = true })
	if old.Srv.cfg.Encrypt != EncryptDesired {
		t.Errorf("EncryptData: true maps to %v, want EncryptDesired", old.Srv.cfg.Encrypt)
	}
}
