package sign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"testing"
)

// testMessage builds a 64-byte SMB2 header plus body with the given flags,
// command and MessageId.
func testMessage(flags uint32, cmd uint16, mid uint64, body []byte) []byte {
	m := make([]byte, headerSize, headerSize+len(body))
	copy(m, "\xFESMB")
	binary.LittleEndian.PutUint16(m[4:], 64)
	binary.LittleEndian.PutUint16(m[offCommand:], cmd)
	binary.LittleEndian.PutUint32(m[offFlags:], flags)
	binary.LittleEndian.PutUint64(m[offMessageID:], mid)
	binary.LittleEndian.PutUint64(m[40:], 0x1122334455667788)
	return append(m, body...)
}

// An SMB 3.0 signed response (go-smb2's signing test data): the signing key
// is derived from the session key and the message carries its signature.
func TestSignCMACVector(t *testing.T) {
	keys := DeriveKeys(0x0300, unhex(t, "726d4c454e63516446695457664e5042"), nil, 128)
	pkt := unhex(t, `fe534d42400001000000000001007f00090000000000000003000000000000000000000000000000
		020000007bfba3f4041393e756a048c9092c4e52dc7037190900000048000900a1073005a0030a0100`)
	s, err := NewSigner(AESCMAC, keys.Signing)
	if err != nil {
		t.Fatal(err)
	}
	orig := append([]byte(nil), pkt...)
	if !s.Verify(pkt) {
		t.Fatal("Verify rejected a genuine signature")
	}
	if !bytes.Equal(pkt, orig) {
		t.Fatal("Verify modified the message")
	}
	clear(pkt[offSignature : offSignature+sigSize])
	s.Sign(pkt)
	if !bytes.Equal(pkt, orig) {
		t.Fatalf("Sign produced signature %x, want %x", pkt[48:64], orig[48:64])
	}
}

// AES-GMAC signatures for a request, a response and a CANCEL; expected tags
// computed with pyca/cryptography's AESGCM over the same bytes with the
// nonce built by hand from MS-SMB2 3.1.4.1.
func TestSignGMACVector(t *testing.T) {
	key := unhex(t, "000102030405060708090a0b0c0d0e0f")
	s, err := NewSigner(AESGMAC, key)
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 40)
	for i := range body {
		body[i] = byte(i)
	}
	for _, tc := range []struct {
		name  string
		flags uint32
		cmd   uint16
		mid   uint64
		nonce string
		want  string
	}{
		{"request", 0, 0x0008, 5, "050000000000000000000000", "506b97ec0b0fd20315c310f73374096c"},
		{"response", flagServerToRedir, 0x0008, 5, "050000000000000001000000", "7628f1403a5e1a62a9384b74895b67a4"},
		{"cancel", 0, commandCancel, 7, "070000000000000002000000", "f2542ae3f204295349106937c7446c66"},
	} {
		m := testMessage(tc.flags, tc.cmd, tc.mid, body)
		var n [12]byte
		gmacNonce(&n, m)
		if got := hex.EncodeToString(n[:]); got != tc.nonce {
			t.Errorf("%s: nonce = %s, want %s", tc.name, got, tc.nonce)
		}
		s.Sign(m)
		if got := hex.EncodeToString(m[offSignature : offSignature+sigSize]); got != tc.want {
			t.Errorf("%s: signature = %s, want %s", tc.name, got, tc.want)
		}
		if !s.Verify(m) {
			t.Errorf("%s: Verify rejected own signature", tc.name)
		}
	}
}

func TestSignHMACSHA256(t *testing.T) {
	key := unhex(t, "00112233445566778899aabbccddeeff")
	s, err := NewSigner(HMACSHA256, key)
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage(0, 0x0005, 9, []byte("hello"))
	s.Sign(m)
	if binary.LittleEndian.Uint32(m[offFlags:])&flagSigned == 0 {
		t.Error("Sign did not set SMB2_FLAGS_SIGNED")
	}
	// Independent computation: HMAC-SHA256 over the message with the
	// signature field zeroed, truncated to 16 bytes.
	z := append([]byte(nil), m...)
	clear(z[offSignature : offSignature+sigSize])
	want := hmacSHA256(key, z)[:16]
	if got := m[offSignature : offSignature+sigSize]; !bytes.Equal(got, want) {
		t.Errorf("signature = %x, want %x", got, want)
	}
}

func TestSignRoundTripAndTamper(t *testing.T) {
	key := unhex(t, "0f0e0d0c0b0a09080706050403020100")
	for _, alg := range []Algorithm{HMACSHA256, AESCMAC, AESGMAC} {
		s, err := NewSigner(alg, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 15, 16, 17, 100, 5000} {
			m := testMessage(flagServerToRedir, 0x0008, 42, pattern(n))
			// Stale bytes in the signature field must not matter.
			copy(m[offSignature:], "garbagegarbage!!")
			s.Sign(m)
			if !s.Verify(m) {
				t.Fatalf("%v len %d: Verify rejected own signature", alg, n)
			}
			for _, off := range []int{0, offFlags, offMessageID, offSignature, offSignature + 15, len(m) - 1} {
				m[off] ^= 0x01
				if s.Verify(m) {
					t.Errorf("%v len %d: Verify accepted message with byte %d flipped", alg, n, off)
				}
				m[off] ^= 0x01
			}
			if !s.Verify(m) {
				t.Errorf("%v len %d: Verify did not restore the message", alg, n)
			}
			other, _ := NewSigner(alg, append([]byte{key[0] ^ 1}, key[1:]...))
			if other.Verify(m) {
				t.Errorf("%v len %d: Verify accepted signature under another key", alg, n)
			}
		}
		if s.Verify(make([]byte, 63)) {
			t.Errorf("%v: Verify accepted a short message", alg)
		}
	}
}

func TestNewSignerErrors(t *testing.T) {
	if _, err := NewSigner(AESCMAC, make([]byte, 32)); err == nil {
		t.Error("AES-CMAC accepted a 32-byte key")
	}
	if _, err := NewSigner(AESGMAC, make([]byte, 8)); err == nil {
		t.Error("AES-GMAC accepted an 8-byte key")
	}
	if _, err := NewSigner(Algorithm(7), make([]byte, 16)); err == nil {
		t.Error("unknown algorithm accepted")
	}
	if got := Algorithm(7).String(); got != "Algorithm(0x0007)" {
		t.Errorf("String = %q", got)
	}
}

func TestSignConcurrent(t *testing.T) {
	for _, alg := range []Algorithm{HMACSHA256, AESCMAC, AESGMAC} {
		s, _ := NewSigner(alg, pattern(16))
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 200 {
					m := testMessage(0, 8, uint64(g*1000+i), pattern(100+i))
					s.Sign(m)
					if !s.Verify(m) {
						t.Errorf("%v: concurrent Verify failed", alg)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
}

func TestSignAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects under the race detector")
	}
	m := testMessage(0, 8, 1, pattern(4096))
	for _, alg := range []Algorithm{HMACSHA256, AESCMAC, AESGMAC} {
		s, _ := NewSigner(alg, pattern(16))
		s.Sign(m)
		n := testing.AllocsPerRun(100, func() { s.Sign(m); s.Verify(m) })
		if n > 0.5 {
			t.Errorf("%v: %.1f allocations per Sign+Verify", alg, n)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(uint8(0), testMessage(0, 8, 1, []byte("body")))
	f.Add(uint8(1), make([]byte, 64))
	f.Add(uint8(2), []byte{1, 2, 3})
	signers := make([]*Signer, 3)
	for i, alg := range []Algorithm{HMACSHA256, AESCMAC, AESGMAC} {
		signers[i], _ = NewSigner(alg, pattern(16))
	}
	f.Fuzz(func(t *testing.T, which uint8, msg []byte) {
		s := signers[int(which)%len(signers)]
		orig := append([]byte(nil), msg...)
		if s.Verify(msg) {
			t.Fatalf("random message verified")
		}
		if !bytes.Equal(msg, orig) {
			t.Fatal("Verify modified the message")
		}
		if len(msg) >= headerSize {
			m := orig // never modify the fuzzer's input
			s.Sign(m)
			if !s.Verify(m) {
				t.Fatal("Verify rejected a freshly signed message")
			}
		}
	})
}

func hmacSHA256(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}
