package sign

import (
	"bytes"
	"crypto/rand"
	"testing"
)

func TestSignWithPayloadMatchesSign(t *testing.T) {
	key := make([]byte, 16)
	rand.Read(key)
	for _, alg := range []Algorithm{HMACSHA256, AESCMAC} {
		s, err := NewSigner(alg, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ hdr, n int }{{64, 0}, {80, 0}, {80, 1}, {80, 15}, {80, 16}, {80, 17}, {80, 4096}, {96, 65537}, {72, 33}} {
			if alg == AESCMAC && tc.hdr%16 != 0 {
				continue
			}
			msg := make([]byte, tc.hdr+tc.n)
			rand.Read(msg)
			hdr := append([]byte(nil), msg[:tc.hdr]...)
			payload := append([]byte(nil), msg[tc.hdr:]...)
			s.Sign(msg)
			if !s.SignWithPayload(hdr, payload) {
				t.Fatalf("%v hdr=%d n=%d: refused", alg, tc.hdr, tc.n)
			}
			if !bytes.Equal(hdr, msg[:tc.hdr]) {
				t.Errorf("%v hdr=%d n=%d: header differs from Sign", alg, tc.hdr, tc.n)
			}
			if !bytes.Equal(payload, msg[tc.hdr:]) {
				t.Errorf("%v hdr=%d n=%d: payload was modified", alg, tc.hdr, tc.n)
			}
			if !s.Verify(append(hdr, payload...)) {
				t.Errorf("%v hdr=%d n=%d: Verify fails", alg, tc.hdr, tc.n)
			}
		}
	}
}

func TestSignWithPayloadRefuses(t *testing.T) {
	key := make([]byte, 16)
	g, _ := NewSigner(AESGMAC, key)
	c, _ := NewSigner(AESCMAC, key)
	hdr := make([]byte, 72)
	hdr[0] = 0xfe
	orig := append([]byte(nil), hdr...)
	if g.SignWithPayload(hdr[:64], []byte("x")) {
		t.Error("AES-GMAC: want false")
	}
	if c.SignWithPayload(hdr, []byte("x")) {
		t.Error("AES-CMAC with a 72-byte header: want false")
	}
	if !bytes.Equal(hdr, orig) {
		t.Error("refused call modified the header")
	}
}
