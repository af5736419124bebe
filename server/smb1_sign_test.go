package server

import (
	"testing"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// s1Signed is a raw SMB1 connection logged on as testUser with MD5
// signing active: key and the next request's sequence number.
type s1Signed struct {
	*s1Conn
	key []byte
	seq uint32
}

// signedMsg builds a request with Flags2SecuritySig, signed with the next
// sequence number.
func (c *s1Signed) signedMsg(cmd smb1.Command, words, data []byte) []byte {
	return c.signed(c.s1Msg(cmd, words, data))
}

// call sends a signed request and checks the response is signed with the
// following sequence number.
func (c *s1Signed) call(what string, m []byte) s1Resp {
	c.t.Helper()
	r := c.s1Call(m)
	if !smb1.Verify(c.key, r.msg, c.seq+1) {
		c.t.Fatalf("%s: response not signed with sequence number %d", what, c.seq+1)
	}
	c.seq += 2
	return r
}

// s1SignedSession negotiates NT LM 0.12 on a server that requires signing,
// logs on as testUser by raw NTLMv2 and connects to "share", checking the
// signatures of the responses.
func s1SignedSession(t *testing.T, addr string) *s1Signed {
	t.Helper()
	c := &s1Signed{s1Conn: &s1Conn{rawConn: dialRaw(t, addr)}}
	r := c.s1Call(s1Negotiate(smb1.DialectNTLM012))
	if r.hdr.Status != 0 || len(r.blk.Words) != 34 {
		t.Fatalf("NEGOTIATE: status %#x, words % x", r.hdr.Status, r.blk.Words)
	}
	if mode := r.blk.Words[2]; mode&smb1.SecModeSigningEnabled == 0 || mode&smb1.SecModeSigningRequired == 0 {
		t.Fatalf("SecurityMode %#x: signing not enabled and required", mode)
	}
	neg := rawNTLM(1, 32)
	le.PutUint32(neg[12:], rawNTLMFlags)
	r = c.s1Call(c.s1Msg(smb1.ComSessionSetupX, sessionWords(len(neg)), neg))
	if smb2.Status(r.hdr.Status) != smb2.StatusMoreProcessingRequired || r.hdr.UID == 0 {
		t.Fatalf("SESSION_SETUP 1: %v uid %d", smb2.Status(r.hdr.Status), r.hdr.UID)
	}
	c.uid = r.hdr.UID
	bl := r.msg[r.blk.BytesOff:r.blk.End]
	n := int(le.Uint16(r.blk.Words[6:]))
	if n < 48 || n > len(bl) {
		t.Fatalf("SESSION_SETUP 1: blob of %d in %d bytes", n, len(bl))
	}
	am, key := rawAuthenticateKey(bl[:n], testUser, testPass)
	c.key = key
	m := c.s1Msg(smb1.ComSessionSetupX, sessionWords(len(am)), am)
	le.PutUint16(m[10:], le.Uint16(m[10:])|smb1.Flags2SecuritySig)
	r = c.s1Call(m) // sequence number 0, not checked: signing starts with its response
	if r.hdr.Status != 0 {
		t.Fatalf("SESSION_SETUP 2: %v", smb2.Status(r.hdr.Status))
	}
	if !smb1.Verify(key, r.msg, 1) {
		t.Fatal("final SESSION_SETUP response not signed with sequence number 1")
	}
	c.seq = 2
	r = c.call("TREE_CONNECT", c.treeConnectMsgSigned())
	if r.hdr.Status != 0 || r.hdr.TID == 0 {
		t.Fatalf("TREE_CONNECT: %v", smb2.Status(r.hdr.Status))
	}
	c.tid = r.hdr.TID
	return c
}

func (c *s1Signed) treeConnectMsgSigned() []byte {
	return c.signed(c.treeConnectMsg("share", "?????"))
}

// TestSMB1SigningRaw: with SigningRequired an SMB1 client that signs is
// served, every response is signed with the sequence number after its
// request's (NT_CANCEL takes one number), and a request whose bytes were
// changed after signing, that replays an old sequence number or that is
// not signed closes the connection.
func TestSMB1SigningRaw(t *testing.T) {
	hs := startHostileWith(t, func(cfg *Config) { cfg.SMB1 = true; cfg.SigningRequired = true })
	c := s1SignedSession(t, hs.Addr)
	r := c.call("NT_CREATE", c.signed(c.ntCreateMsg("f.txt", 0x12019F, 7, 5)))
	if r.hdr.Status != 0 {
		t.Fatalf("NT_CREATE: %v", smb2.Status(r.hdr.Status))
	}
	fid := le.Uint16(r.blk.Words[5:])
	r = c.call("WRITE_ANDX", c.signed(c.writeMsg(fid, 0, []byte("signed data"))))
	if r.hdr.Status != 0 {
		t.Fatalf("WRITE_ANDX: %v", smb2.Status(r.hdr.Status))
	}
	// NT_CANCEL: no response, one sequence number.
	c.write(rawFrame(c.signedMsg(smb1.ComNTCancel, nil, nil)))
	c.seq++
	r = c.call("ECHO", c.signedMsg(smb1.ComEcho, []byte{1, 0}, []byte("ping")))
	if r.hdr.Status != 0 {
		t.Fatalf("ECHO: %v", smb2.Status(r.hdr.Status))
	}

	tampered := c.signedMsg(smb1.ComEcho, []byte{1, 0}, []byte("ping"))
	tampered[len(tampered)-1] ^= 0x20
	c.write(rawFrame(tampered))
	c.expectClosed("tampered signed ECHO")

	c = s1SignedSession(t, hs.Addr)
	c.seq -= 2 // replays TREE_CONNECT's number
	c.write(rawFrame(c.signedMsg(smb1.ComEcho, []byte{1, 0}, []byte("ping"))))
	c.expectClosed("replayed sequence number")

	c = s1SignedSession(t, hs.Addr)
	c.write(rawFrame(c.s1Msg(smb1.ComEcho, []byte{1, 0}, []byte("ping"))))
	c.expectClosed("unsigned ECHO after signing started")
}

// signed sets Flags2SecuritySig on a message built by s1Conn and signs it.
func (c *s1Signed) signed(m []byte) []byte {
	le.PutUint16(m[10:], le.Uint16(m[10:])|smb1.Flags2SecuritySig)
	smb1.Sign(c.key, m, c.seq)
	return m
}

// TestSMB1SigningSecondary: with signing active a TRANS2 split over a
// primary and two secondaries takes two sequence numbers per request
// (MS-SMB 3.3.5.1: the first secondary, which gets no response, too);
// the interim response is signed with the primary's number + 1 and the
// final answer with the last secondary's.
func TestSMB1SigningSecondary(t *testing.T) {
	hs := startHostileWith(t, func(cfg *Config) { cfg.SMB1 = true; cfg.SigningRequired = true })
	c := s1SignedSession(t, hs.Addr)
	params := []byte{0x02, 0x01, 0, 0, 0, 0, 0, 0}
	primary, secs := c.trans2Split(smb1.Trans2QueryPathInfo, params, 2, 3)
	if r := c.call("primary", c.signed(primary)); r.hdr.Status != 0 {
		t.Fatalf("interim response: %v", smb2.Status(r.hdr.Status))
	}
	c.write(rawFrame(c.signed(secs[0])))
	c.seq += 2
	r := c.call("last secondary", c.signed(secs[1]))
	if r.hdr.Status != 0 || r.hdr.Command != smb1.ComTransaction2 {
		t.Fatalf("final response: %v command %#x", smb2.Status(r.hdr.Status), r.hdr.Command)
	}
	if r := c.call("ECHO after", c.signedMsg(smb1.ComEcho, []byte{1, 0}, []byte("ping"))); r.hdr.Status != 0 {
		t.Fatalf("ECHO: %v", smb2.Status(r.hdr.Status))
	}
}
