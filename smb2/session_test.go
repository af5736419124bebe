package smb2

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// reqMsg builds a request message: a header for cmd followed by body.
func reqMsg(cmd Command, body []byte) []byte {
	h := Header{Command: cmd, MessageID: 7, SessionID: 0x1122334455667788, TreeID: 5}
	return append(h.Append(nil), body...)
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{CreditCharge: 3, Status: StatusPending, Command: Read, Credits: 32, Flags: FlagResponse | FlagSigned,
			NextCommand: 0x68, MessageID: 1 << 40, TreeID: 9, SessionID: 42, Signature: [16]byte{1, 2, 3}},
		{Command: ChangeNotify, Flags: FlagAsync | FlagResponse, AsyncID: 0xdeadbeef, SessionID: 1},
	} {
		b := h.Append(nil)
		if len(b) != HeaderSize {
			t.Fatalf("encoded header is %d bytes", len(b))
		}
		got, err := DecodeHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		if got != h {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, h)
		}
	}
	bad := (&Header{}).Append(nil)
	bad[4] = 65 // StructureSize
	if _, err := DecodeHeader(bad); err == nil {
		t.Error("StructureSize 65 accepted")
	}
	if _, err := DecodeHeader(bad[:63]); err == nil {
		t.Error("63-byte header accepted")
	}
}

func TestDecodeNegotiateRequest(t *testing.T) {
	le := binary.LittleEndian
	body := make([]byte, 36)
	le.PutUint16(body, 36)
	le.PutUint16(body[2:], 3)
	le.PutUint16(body[4:], NegotiateSigningRequired)
	le.PutUint32(body[8:], CapLargeMTU)
	body = le.AppendUint16(body, Dialect210)
	body = le.AppendUint16(body, Dialect302)
	body = le.AppendUint16(body, Dialect311)
	// contexts start 8-aligned after the dialects
	ctxOff := HeaderSize + len(body)
	for ctxOff%8 != 0 {
		body = append(body, 0)
		ctxOff++
	}
	le.PutUint32(body[28:], uint32(ctxOff))
	le.PutUint16(body[32:], 2)
	body = AppendNegotiateContext(body, HeaderSize, PreauthIntegrityCapabilities, []byte{1, 0, 0, 0, 1, 0})
	body = AppendNegotiateContext(body, HeaderSize, SigningCapabilities, []byte{1, 0, 2, 0})
	r, err := DecodeNegotiateRequest(reqMsg(Negotiate, body))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Dialects) != 3 || r.Dialects[2] != Dialect311 || r.SecurityMode != NegotiateSigningRequired || r.Capabilities != CapLargeMTU {
		t.Errorf("decoded %+v", r)
	}
	if len(r.Contexts) != 2 || r.Contexts[1].Type != SigningCapabilities || !bytes.Equal(r.Contexts[1].Data, []byte{1, 0, 2, 0}) {
		t.Errorf("contexts %+v", r.Contexts)
	}
	// Count pointing past the end, zero dialects, bad context offset.
	for name, mut := range map[string]func([]byte){
		"no dialects":   func(b []byte) { le.PutUint16(b[HeaderSize+2:], 0) },
		"too many":      func(b []byte) { le.PutUint16(b[HeaderSize+2:], 500) },
		"ctx past end":  func(b []byte) { le.PutUint32(b[HeaderSize+28:], 1<<20) },
		"ctx count big": func(b []byte) { le.PutUint16(b[HeaderSize+32:], 65) },
		"struct size":   func(b []byte) { le.PutUint16(b[HeaderSize:], 35) },
	} {
		m := reqMsg(Negotiate, append([]byte(nil), body...))
		mut(m)
		if _, err := DecodeNegotiateRequest(m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNegotiateResponseLayout(t *testing.T) {
	r := NegotiateResponse{DialectRevision: Dialect311, SecurityBuffer: []byte("spnego"),
		Contexts: []NegotiateContext{{Type: PreauthIntegrityCapabilities, Data: make([]byte, 38)}, {Type: EncryptionCapabilities, Data: []byte{1, 0, 2, 0}}}}
	b := r.Append(nil)
	le := binary.LittleEndian
	if le.Uint16(b) != 65 || le.Uint16(b[4:]) != Dialect311 || le.Uint16(b[6:]) != 2 {
		t.Fatalf("fixed part wrong: % x", b[:8])
	}
	if off := le.Uint16(b[56:]); off != HeaderSize+64 || le.Uint16(b[58:]) != 6 || string(b[64:70]) != "spnego" {
		t.Errorf("security buffer at %d", off)
	}
	ctxOff := int(le.Uint32(b[60:])) - HeaderSize
	if ctxOff%8 != 0 || le.Uint16(b[ctxOff:]) != PreauthIntegrityCapabilities || le.Uint16(b[ctxOff+2:]) != 38 {
		t.Errorf("first context at body offset %d", ctxOff)
	}
	second := (ctxOff + 8 + 38 + 7) &^ 7
	if le.Uint16(b[second:]) != EncryptionCapabilities {
		t.Errorf("second context not 8-aligned after the first")
	}
}

func TestSessionSetupAndTreeConnect(t *testing.T) {
	le := binary.LittleEndian
	body := make([]byte, 24)
	le.PutUint16(body, 25)
	body[3] = 1
	le.PutUint16(body[12:], HeaderSize+24)
	le.PutUint16(body[14:], 4)
	body = append(body, "NTLM"...)
	r, err := DecodeSessionSetupRequest(reqMsg(SessionSetup, body))
	if err != nil || string(r.SecurityBuffer) != "NTLM" || r.SecurityMode != 1 {
		t.Fatalf("session setup: %+v %v", r, err)
	}
	le.PutUint16(body[14:], 5) // one byte past the end
	if _, err := DecodeSessionSetupRequest(reqMsg(SessionSetup, body)); err == nil {
		t.Error("security buffer past the end accepted")
	}
	le.PutUint16(body[12:], 10) // inside the header
	le.PutUint16(body[14:], 4)
	if _, err := DecodeSessionSetupRequest(reqMsg(SessionSetup, body)); err == nil {
		t.Error("security buffer inside the header accepted")
	}

	path := AppendUTF16(nil, `\\srv\Share`)
	tc := make([]byte, 8)
	le.PutUint16(tc, 9)
	le.PutUint16(tc[4:], HeaderSize+8)
	le.PutUint16(tc[6:], uint16(len(path)))
	tc = append(tc, path...)
	tr, err := DecodeTreeConnectRequest(reqMsg(TreeConnect, tc))
	if err != nil || tr.Path != `\\srv\Share` {
		t.Fatalf("tree connect: %+v %v", tr, err)
	}
	resp := (&TreeConnectResponse{ShareType: ShareTypeDisk, MaximalAccess: 0x1f01ff}).Append(nil)
	if len(resp) != 16 || le.Uint16(resp) != 16 || le.Uint32(resp[12:]) != 0x1f01ff {
		t.Errorf("tree connect response % x", resp)
	}
}

func TestSMB1NegotiateDialects(t *testing.T) {
	msg := make([]byte, 32)
	binary.LittleEndian.PutUint32(msg, ProtocolSMB1)
	msg[4] = 0x72
	var names []byte
	for _, d := range []string{"NT LM 0.12", SMB1Dialect2002, SMB1DialectWildcard} {
		names = append(append(append(names, 2), d...), 0)
	}
	msg = append(msg, 0)
	msg = binary.LittleEndian.AppendUint16(msg, uint16(len(names)))
	msg = append(msg, names...)
	d, ok := SMB1NegotiateDialects(msg)
	if !ok || len(d) != 3 || d[2] != SMB1DialectWildcard {
		t.Fatalf("dialects %q ok=%v", d, ok)
	}
	msg[4] = 0x73
	if _, ok := SMB1NegotiateDialects(msg); ok {
		t.Error("non-negotiate SMB1 command accepted")
	}
}

// FuzzDecodeSessionMessages feeds arbitrary bodies to the decoders in this
// file; none may panic, and whatever they return must lie inside msg.
func FuzzDecodeSessionMessages(f *testing.F) {
	f.Add([]byte{36, 0, 1, 0}, uint8(0))
	f.Add([]byte{25, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 88, 0, 4, 0}, uint8(1))
	f.Add([]byte{9, 0, 0, 0, 72, 0, 4, 0, 'a', 0, 'b', 0}, uint8(2))
	f.Add([]byte{0xff, 'S', 'M', 'B', 0x72}, uint8(3))
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		switch which % 5 {
		case 0:
			DecodeNegotiateRequest(reqMsg(Negotiate, body))
		case 1:
			r, err := DecodeSessionSetupRequest(reqMsg(SessionSetup, body))
			if err == nil && len(r.SecurityBuffer) > len(body) {
				t.Fatal("security buffer longer than the body")
			}
		case 2:
			DecodeTreeConnectRequest(reqMsg(TreeConnect, body))
		case 3:
			SMB1NegotiateDialects(body)
		case 4:
			DecodeHeader(body)
		}
	})
}
