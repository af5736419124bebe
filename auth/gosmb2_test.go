package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"testing"
	"time"

	smb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/auth"
)

// Interoperability with an independent NTLMv2/SPNEGO client: go-smb2 dials a
// tiny fake SMB 2.1 server whose only job is to relay security buffers to
// auth.Context. With signing required, go-smb2 accepts the final
// SESSION_SETUP response only if it is signed (HMAC-SHA256) with the same
// session key the server derived, so a successful Dial proves key agreement
// as well as acceptance of go-smb2's AUTHENTICATE, MIC and mechListMIC.

const (
	statusSuccess         = 0
	statusMoreProcessing  = 0xc0000016
	statusLogonFailure    = 0xc000006d
	cmdNegotiate          = 0
	cmdSessionSetup       = 1
	cmdTreeConnect        = 3
	statusAccessDenied    = 0xc0000022
	hdrLen                = 64
	flagResponse          = 0x1
	flagSigned            = 0x8
	sessionFlagGuest      = 0x1
	securityModeRequired  = 0x3 // signing enabled | required
	securityModeEnabled   = 0x1
	fakeSessionID         = 0x1122334455667788
	dialect21             = 0x0210
	negotiateRespBodySize = 64
)

type fakeServer struct {
	cfg         *auth.Config
	signingReq  bool
	ctx         *auth.Context
	lastStepErr error
	treeSigOK   bool // TREE_CONNECT carried a valid signature under our key
}

// sign signs an SMB2 2.x message in place with HMAC-SHA256(key).
func sign(pkt, key []byte) {
	binary.LittleEndian.PutUint32(pkt[16:], binary.LittleEndian.Uint32(pkt[16:])|flagSigned)
	clear(pkt[48:64])
	m := hmac.New(sha256.New, key)
	m.Write(pkt)
	copy(pkt[48:64], m.Sum(nil))
}

// treeConnect checks the request signature and refuses the share, with a
// signed error response the client must verify.
func (s *fakeServer) treeConnect(req []byte) []byte {
	key := s.ctx.SessionKey()
	if key != nil && binary.LittleEndian.Uint32(req[16:])&flagSigned != 0 {
		got := append([]byte(nil), req[48:64]...)
		chk := append([]byte(nil), req...)
		sign(chk, key)
		s.treeSigOK = hmac.Equal(got, chk[48:64])
	}
	resp := reply(req, statusAccessDenied, fakeSessionID, []byte{9, 0, 0, 0, 0, 0, 0, 0, 0})
	if key != nil {
		sign(resp, key)
	}
	return resp
}

func readFrame(c net.Conn) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return nil, err
	}
	n := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	b := make([]byte, n)
	_, err := io.ReadFull(c, b)
	return b, err
}

func writeFrame(c net.Conn, b []byte) error {
	n := len(b)
	_, err := c.Write(append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, b...))
	return err
}

// reply builds a response header for req followed by body.
func reply(req []byte, status uint32, sessionID uint64, body []byte) []byte {
	le := binary.LittleEndian
	h := make([]byte, hdrLen, hdrLen+len(body))
	copy(h, "\xfeSMB")
	le.PutUint16(h[4:], hdrLen)
	le.PutUint16(h[6:], 1)
	le.PutUint32(h[8:], status)
	copy(h[12:14], req[12:14])         // command
	le.PutUint16(h[14:], 64)           // credits granted
	le.PutUint32(h[16:], flagResponse) // flags
	copy(h[24:32], req[24:32])         // message id
	le.PutUint64(h[40:], sessionID)
	return append(h, body...)
}

func (s *fakeServer) negotiate(req []byte) []byte {
	le := binary.LittleEndian
	tok := auth.InitialToken()
	b := make([]byte, negotiateRespBodySize, negotiateRespBodySize+len(tok))
	le.PutUint16(b[0:], 65)
	mode := uint16(securityModeEnabled)
	if s.signingReq {
		mode = securityModeRequired
	}
	le.PutUint16(b[2:], mode)
	le.PutUint16(b[4:], dialect21)
	for _, off := range []int{28, 32, 36} {
		le.PutUint32(b[off:], 1<<20)
	}
	le.PutUint16(b[56:], hdrLen+negotiateRespBodySize)
	le.PutUint16(b[58:], uint16(len(tok)))
	return reply(req, statusSuccess, 0, append(b, tok...))
}

func (s *fakeServer) sessionSetup(req []byte) ([]byte, error) {
	le := binary.LittleEndian
	body := req[hdrLen:]
	off, n := int(le.Uint16(body[12:])), int(le.Uint16(body[14:]))
	if off+n > len(req) {
		return nil, errors.New("bad security buffer")
	}
	if s.ctx == nil {
		s.ctx = s.cfg.NewContext()
	}
	out, done, err := s.ctx.Step(req[off : off+n])
	s.lastStepErr = err
	status := uint32(statusMoreProcessing)
	var flags uint16
	switch {
	case err != nil:
		status = statusLogonFailure
	case done:
		status = statusSuccess
		if s.ctx.IsGuest() {
			flags = sessionFlagGuest
		}
	}
	rb := make([]byte, 8, 8+len(out))
	le.PutUint16(rb[0:], 9)
	le.PutUint16(rb[2:], flags)
	le.PutUint16(rb[4:], hdrLen+8)
	le.PutUint16(rb[6:], uint16(len(out)))
	resp := reply(req, status, fakeSessionID, append(rb, out...))
	if done && err == nil && s.ctx.SessionKey() != nil {
		sign(resp, s.ctx.SessionKey())
	}
	return resp, nil
}

func (s *fakeServer) serve(c net.Conn) error {
	defer c.Close()
	for {
		req, err := readFrame(c)
		if err != nil {
			return nil // client went away
		}
		if len(req) < hdrLen+24 || string(req[:4]) != "\xfeSMB" {
			return fmt.Errorf("unexpected request %x", req[:min(len(req), 8)])
		}
		var resp []byte
		switch cmd := binary.LittleEndian.Uint16(req[12:]); cmd {
		case cmdNegotiate:
			resp = s.negotiate(req)
		case cmdSessionSetup:
			if resp, err = s.sessionSetup(req); err != nil {
				return err
			}
		case cmdTreeConnect:
			resp = s.treeConnect(req)
		default:
			return nil // LOGOFF etc.: we are done
		}
		if err := writeFrame(c, resp); err != nil {
			return err
		}
	}
}

// dialGoSMB2 logs on with go-smb2 and, if that works, tries a TREE_CONNECT,
// which the fake server refuses with a signed STATUS_ACCESS_DENIED.
func dialGoSMB2(t *testing.T, srv *fakeServer, user, password string) error {
	t.Helper()
	cc, sc := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- srv.serve(sc) }()
	cc.SetDeadline(time.Now().Add(10 * time.Second))
	d := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: user, Password: password, Domain: "GODOM"}}
	sess, err := d.Dial(cc)
	if err == nil {
		_, err = sess.Mount(`\\srv\share`)
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("Mount: %v, want the server's signed STATUS_ACCESS_DENIED", err)
		}
		err = nil
	}
	cc.Close()
	if serr := <-done; serr != nil {
		t.Fatalf("fake server: %v", serr)
	}
	return err
}

func TestGoSMB2Client(t *testing.T) {
	db := auth.NewUserDB()
	db.Add("alice", "s3cret!")
	cfg := &auth.Config{Users: db}

	srv := &fakeServer{cfg: cfg, signingReq: true}
	if err := dialGoSMB2(t, srv, "Alice", "s3cret!"); err != nil {
		t.Fatalf("go-smb2 Dial: %v (server: %v)", err, srv.lastStepErr)
	}
	if srv.ctx.User() != "alice" || srv.ctx.Domain() != "GODOM" || srv.ctx.IsGuest() {
		t.Errorf("user %q domain %q guest %v", srv.ctx.User(), srv.ctx.Domain(), srv.ctx.IsGuest())
	}
	if !srv.treeSigOK {
		t.Error("TREE_CONNECT signature does not verify with the server's session key")
	}

	srv = &fakeServer{cfg: cfg, signingReq: true}
	if err := dialGoSMB2(t, srv, "alice", "wrong"); err == nil {
		t.Fatal("wrong password: Dial succeeded")
	}
	if !errors.Is(srv.lastStepErr, auth.ErrLogonFailure) {
		t.Fatalf("wrong password: server error %v", srv.lastStepErr)
	}

	guestCfg := &auth.Config{Users: db, AllowGuest: true}
	srv = &fakeServer{cfg: guestCfg}
	if err := dialGoSMB2(t, srv, "visitor", "x"); err != nil {
		t.Fatalf("guest: %v (server: %v)", err, srv.lastStepErr)
	}
	if !srv.ctx.IsGuest() || srv.ctx.SessionKey() != nil {
		t.Errorf("guest: IsGuest %v key %x", srv.ctx.IsGuest(), srv.ctx.SessionKey())
	}
}
