package sign

import (
	"bytes"
	"crypto/rand"
	mrand "math/rand/v2"
	"testing"
)

// TestStreamMatchesSign signs random messages split into random parts
// (every part but the last a multiple of 16) and compares with Sign over
// the concatenation, for every algorithm.
func TestStreamMatchesSign(t *testing.T) {
	key := make([]byte, 16)
	rand.Read(key)
	rng := mrand.New(mrand.NewPCG(1, 2))
	for _, alg := range []Algorithm{HMACSHA256, AESCMAC, AESGMAC} {
		s, err := NewSigner(alg, key)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 300; i++ {
			hdr := 64 + 16*rng.IntN(3)
			n := rng.IntN(70000)
			switch i {
			case 0:
				n = 0
			case 1:
				n = 1
			case 2:
				n = 16
			case 3:
				n = 1 << 20
			}
			msg := make([]byte, hdr+n)
			rand.Read(msg)
			h := append([]byte(nil), msg[:hdr]...)
			payload := append([]byte(nil), msg[hdr:]...)
			s.Sign(msg)
			var st Stream
			if !s.Start(&st, h) {
				t.Fatalf("%v: Start refused a %d-byte header", alg, hdr)
			}
			for rest := payload; len(rest) > 0; {
				k := 16 * (1 + rng.IntN(5000))
				if rng.IntN(4) == 0 {
					k = 16
				}
				if k >= len(rest) {
					k = len(rest)
				}
				st.Write(rest[:k])
				rest = rest[k:]
			}
			st.Finish()
			if !bytes.Equal(h, msg[:hdr]) {
				t.Fatalf("%v hdr=%d n=%d: streamed signature differs from Sign", alg, hdr, n)
			}
			if !s.Verify(append(h, payload...)) {
				t.Fatalf("%v hdr=%d n=%d: Verify fails", alg, hdr, n)
			}
		}
	}
}

func TestStreamRefusesOddHeaderAndOddPart(t *testing.T) {
	key := make([]byte, 16)
	for _, alg := range []Algorithm{AESCMAC, AESGMAC} {
		s, _ := NewSigner(alg, key)
		var st Stream
		if s.Start(&st, make([]byte, 72)) {
			t.Errorf("%v: Start accepted a 72-byte header", alg)
		}
		if !s.Start(&st, make([]byte, 64)) {
			t.Fatalf("%v: Start refused a 64-byte header", alg)
		}
		st.Write(make([]byte, 17))
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%v: a part after a 17-byte one was accepted", alg)
				}
			}()
			st.Write(make([]byte, 16))
		}()
	}
}

func TestGFMulIdentityAndH(t *testing.T) {
	one := gfe{hi: 1 << 63}
	x := gfe{0x0123456789abcdef, 0xfedcba9876543210}
	if gfMul(x, one) != x || gfMul(one, x) != x {
		t.Fatal("1 is not the identity")
	}
	s, _ := NewSigner(AESGMAC, make([]byte, 16))
	g := s.ghash()
	if g.mulPow(one, 5) != gfMul(gfMul(gfMul(gfMul(g.h, g.h), g.h), g.h), g.h) {
		t.Fatal("H^5 by the power table differs from repeated multiplication")
	}
}

func BenchmarkStreamGMAC(b *testing.B) {
	s, _ := NewSigner(AESGMAC, make([]byte, 16))
	hdr := make([]byte, 80)
	chunk := make([]byte, 256<<10)
	b.SetBytes(1 << 20)
	for b.Loop() {
		var st Stream
		s.Start(&st, hdr)
		for range 4 {
			st.Write(chunk)
		}
		st.Finish()
	}
}

func BenchmarkSignGMAC1M(b *testing.B) {
	s, _ := NewSigner(AESGMAC, make([]byte, 16))
	msg := make([]byte, 80+1<<20)
	b.SetBytes(1 << 20)
	for b.Loop() {
		s.Sign(msg)
	}
}
