package sign

import (
	"bytes"
	"crypto/aes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// unhex decodes hex, ignoring spaces and newlines, and fails the test on
// bad input.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' {
			return -1
		}
		return r
	}, s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// pattern returns n deterministic bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// RFC 4493 section 4 test vectors.
func TestCMACRFC4493(t *testing.T) {
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	msg := unhex(t, `6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
		30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`)
	b, _ := aes.NewCipher(key)
	c := newCMAC(b)
	if got, want := c.k1[:], unhex(t, "fbeed618357133667c85e08f7236a8de"); !bytes.Equal(got, want) {
		t.Errorf("K1 = %x, want %x", got, want)
	}
	if got, want := c.k2[:], unhex(t, "f7ddac306ae266ccf90bc11ee46d513b"); !bytes.Equal(got, want) {
		t.Errorf("K2 = %x, want %x", got, want)
	}
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "bb1d6929e95937287fa37d129b756746"},
		{16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{40, "dfa66747de9ae63030ca32611497c827"},
		{64, "51f0bebf7e3b9d92fc49741779363cfe"},
		// Longer than one CBC chunk, cross-checked with an independent
		// implementation (pyca/cryptography).
		{-5000, "e7c7e52be337ec38ae07c77b560a76cb"},
	} {
		m := msg[:max(tc.n, 0)]
		if tc.n < 0 {
			m = pattern(-tc.n)
		}
		var out [16]byte
		var tmp [16]byte
		c.sum(&out, &tmp, m)
		if got := hex.EncodeToString(out[:]); got != tc.want {
			t.Errorf("CMAC(len %d) = %s, want %s", len(m), got, tc.want)
		}
	}
}

// RFC 3610 packet vector #1 (M = 8, L = 2).
func TestCCMRFC3610(t *testing.T) {
	b, _ := aes.NewCipher(unhex(t, "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"))
	c, err := newCCM(b, 13, 8)
	if err != nil {
		t.Fatal(err)
	}
	nonce := unhex(t, "00000003020100a0a1a2a3a4a5")
	in := unhex(t, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e")
	aad, pt := in[:8], in[8:]
	want := unhex(t, "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0")
	got := c.Seal(nil, nonce, pt, aad)
	if !bytes.Equal(got, want) {
		t.Fatalf("Seal = %x, want %x", got, want)
	}
	back, err := c.Open(nil, nonce, got, aad)
	if err != nil || !bytes.Equal(back, pt) {
		t.Fatalf("Open = %x, %v", back, err)
	}
	got[3] ^= 1
	if _, err := c.Open(nil, nonce, got, aad); err == nil {
		t.Fatal("Open accepted a modified ciphertext")
	}
}

// AES-CCM as SMB uses it (11-byte nonce, 16-byte tag, 32-byte AAD) for
// lengths around block boundaries and beyond one CBC chunk. Expected values
// come from pyca/cryptography's AESCCM.
func TestCCMSMBShape(t *testing.T) {
	nonce := unhex(t, "101112131415161718191a")
	aad := make([]byte, 32)
	for i := range aad {
		aad[i] = byte(0x40 + i)
	}
	data := pattern(3000)
	for _, tc := range []struct {
		keyLen, n   int
		sha256, tag string
	}{
		{16, 0, "43fdcd7981aae8eff9da3ad66db6354e2a02a9a3bc5b4433859cdeb54a30679e", "fe95a1b6ffbc1c510c91dace727fa0b3"},
		{16, 1, "b304e21b221c7828fd10da7407b5959d315f42b0eb2374c2c68c76c5d2d951e1", "d9c0f6eea8530b6d69906a5f05da87db"},
		{16, 15, "a5132a21810f387a1033c5a631dfd3eacbad14c67315f303b0b5953ab9b07da5", "f3fbe4561a5cf1a118c5f5d68983b1ed"},
		{16, 16, "1ccb077475f3e3da90d83ead82dc2cdbf2e3c2c7023bdf67c31941a7a95e9843", "75a9e8ae78e0d68d4bcf7238042a50c6"},
		{16, 17, "d4a1e869770145f32492feb76679b03bee3b4c4b703c175b528d52d764c8161f", "536d32d0e1ca30f91f32a02a40f250d3"},
		{16, 100, "d42d0030575631433f02ec8134f94fca2567371bc4a50cd5a261dc502ea8fb98", "be9c19a9697fbda4d7b7fccaa6966497"},
		{16, 3000, "1ca87f4dda9ede56a1fc2d07abafea2713600ab79f9a9967734d735a923a7037", "d9c21d8bab353b0a682e31112938761d"},
		{32, 0, "99d4cff7d414de081c5956d887a8727906689b889ba98b8f993c143d98788612", "4c6e02afe8657e4f3b6e63a7023145a9"},
		{32, 17, "16fc28b7fce36098647d84b80e8c7f1378419b0f9e4739f26d650e68a75d0d81", "370a88fe709ee6cda1af6232ef6a898d"},
		{32, 3000, "b90dd3159be9a07d31559cac0861729b28e95006a37dbe93fe19efedb56c65e5", "eeda343b5a4a8cab749251bde338dd23"},
	} {
		key := make([]byte, tc.keyLen)
		for i := range key {
			key[i] = byte(i)
		}
		b, _ := aes.NewCipher(key)
		c, _ := newCCM(b, 11, 16)
		pt := data[:tc.n]
		ct := c.Seal(nil, nonce, pt, aad)
		sum := sha256.Sum256(ct)
		if got := hex.EncodeToString(sum[:]); got != tc.sha256 {
			t.Errorf("AES-%d-CCM len %d: sha256(ct) = %s, want %s", tc.keyLen*8, tc.n, got, tc.sha256)
		}
		if got := hex.EncodeToString(ct[len(ct)-16:]); got != tc.tag {
			t.Errorf("AES-%d-CCM len %d: tag = %s, want %s", tc.keyLen*8, tc.n, got, tc.tag)
		}
		// In-place round trip.
		buf := append([]byte(nil), ct...)
		back, err := c.Open(buf[:0], nonce, buf, aad)
		if err != nil || !bytes.Equal(back, pt) {
			t.Errorf("AES-%d-CCM len %d: Open failed: %v", tc.keyLen*8, tc.n, err)
		}
		badAAD := append([]byte(nil), aad...)
		badAAD[31] ^= 0x80
		if _, err := c.Open(nil, nonce, ct, badAAD); err == nil {
			t.Errorf("AES-%d-CCM len %d: Open accepted modified AAD", tc.keyLen*8, tc.n)
		}
	}
}

func TestCCMRejectsShort(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 16))
	c, _ := newCCM(b, 11, 16)
	if _, err := c.Open(nil, make([]byte, 11), make([]byte, 15), nil); err == nil {
		t.Fatal("Open accepted input shorter than the tag")
	}
	for _, bad := range [][2]int{{6, 16}, {14, 16}, {11, 3}, {11, 7}, {11, 18}} {
		if _, err := newCCM(b, bad[0], bad[1]); err == nil {
			t.Errorf("newCCM(nonce %d, tag %d) succeeded", bad[0], bad[1])
		}
	}
}
