package sign

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"
)

// TestFastMACMatchesGeneric checks the accelerated CBC-MAC (key expansion
// and assembly loop) against the cipher.Block one: one block from a zero
// state is plain AES, and runs of every length up to 40 blocks chain the
// same way, for random keys and states.
func TestFastMACMatchesGeneric(t *testing.T) {
	if !haveMACAsm {
		t.Skip("no accelerated CBC-MAC on this CPU/architecture")
	}
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(r.Uint32())
		}
	}
	for i := range 100 {
		key := make([]byte, 16+16*(i%2)) // AES-128 and AES-256
		fill(key)
		b, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		fast := withFastMAC(b, key)
		if _, ok := fast.(*aesMAC); !ok {
			t.Fatalf("withFastMAC did not wrap an AES-%d block", len(key)*8)
		}
		var block, want, got [16]byte
		fill(block[:])
		b.Encrypt(want[:], block[:])
		cbcMAC(fast, &got, block[:])
		if got != want {
			t.Fatalf("key %x: one block = %x, AES gives %x", key, got, want)
		}
		for n := 0; n <= 40; n++ {
			data := make([]byte, n*16+r.IntN(16)) // a partial tail is ignored by both
			fill(data)
			var s1, s2 [16]byte
			fill(s1[:])
			s2 = s1
			cbcMAC(b, &s1, data)
			cbcMAC(fast, &s2, data)
			if s1 != s2 {
				t.Fatalf("key %x, %d bytes: fast %x, generic %x", key, len(data), s2, s1)
			}
		}
	}
	// Not AES-128 or AES-256: left alone.
	b192, _ := aes.NewCipher(make([]byte, 24))
	if _, ok := withFastMAC(b192, make([]byte, 24)).(*aesMAC); ok {
		t.Error("withFastMAC wrapped an AES-192 block")
	}
}

// TestAESSbox spot-checks the computed S-box against FIPS 197 Figure 7.
func TestAESSbox(t *testing.T) {
	s := aesSbox()
	for in, want := range map[byte]byte{0x00: 0x63, 0x01: 0x7c, 0x53: 0xed, 0x7f: 0xd2, 0xff: 0x16, 0x10: 0xca, 0xc9: 0xdd} {
		if s[in] != want {
			t.Errorf("S(%#02x) = %#02x, want %#02x", in, s[in], want)
		}
	}
	seen := map[byte]bool{}
	for _, v := range s {
		seen[v] = true
	}
	if len(seen) != 256 {
		t.Errorf("S-box is not a permutation: %d distinct values", len(seen))
	}
}

// TestFastCCMSeal seals and opens with the CCM whose CBC-MAC is
// accelerated and with a plain one, which must agree byte for byte.
func TestFastCCMSeal(t *testing.T) {
	for _, n := range []int{16, 32} {
		testFastCCMSeal(t, bytes.Repeat([]byte{7}, n))
	}
}

func testFastCCMSeal(t *testing.T, key []byte) {
	b, _ := aes.NewCipher(key)
	r := rand.New(rand.NewPCG(3, uint64(len(key))))
	for _, ns := range []int{11, 12, 13} {
		plain, _ := newCCM(b, ns, 16)
		fast, _ := newCCM(b, ns, 16)
		fast.mb = withFastMAC(b, key)
		if haveCCMAsm && fast.fused() == nil {
			t.Fatalf("AES-%d nonce %d: fused CCM path not taken", len(key)*8, ns)
		}
		nonce := make([]byte, ns)
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 1000, 4096, 65536 + 3} {
			if uint64(n) > plain.maxLen() {
				continue
			}
			for i := range nonce {
				nonce[i] = byte(r.Uint32())
			}
			msg := make([]byte, n)
			for i := range msg {
				msg[i] = byte(r.Uint32())
			}
			aad := []byte("header-with-an-odd-length")[:r.IntN(26)]
			a := plain.Seal(nil, nonce, msg, aad)
			f := fast.Seal(nil, nonce, msg, aad)
			if !bytes.Equal(a, f) {
				t.Fatalf("AES-%d nonce %d, %d bytes: sealed outputs differ", len(key)*8, ns, n)
			}
			// In place, both ways.
			buf := append(make([]byte, 0, n+16), msg...)
			sealed := fast.Seal(buf[:0], nonce, buf, aad)
			if !bytes.Equal(sealed, a) {
				t.Fatalf("AES-%d nonce %d, %d bytes: in-place seal differs", len(key)*8, ns, n)
			}
			if got, err := fast.Open(sealed[:0], nonce, sealed, aad); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("AES-%d nonce %d, %d bytes: in-place open: %v", len(key)*8, ns, n, err)
			}
			if got, err := plain.Open(nil, nonce, f, aad); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("AES-%d nonce %d, %d bytes: generic open of fused seal: %v", len(key)*8, ns, n, err)
			}
			bad := bytes.Clone(a)
			bad[r.IntN(len(bad))] ^= 1 << r.IntN(8)
			if _, err := fast.Open(nil, nonce, bad, aad); err == nil {
				t.Fatalf("AES-%d nonce %d, %d bytes: tampered message opened", len(key)*8, ns, n)
			}
		}
	}
	var _ cipher.AEAD = &ccm{}
}
