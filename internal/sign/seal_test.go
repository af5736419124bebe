package sign

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// Encryption vectors from Microsoft's Open Specifications blog posts: a
// client WRITE request encrypted with the client-to-server key, and the
// server's WRITE response encrypted with the server-to-client key.
var msSealVectors = []struct {
	name        string
	cipher      Cipher
	keys        func(t *testing.T) Keys
	sessionID   uint64
	nonce       string // whole 16-byte nonce field of the request
	request     string // plaintext request
	requestEnc  string // transform frame of the request
	response    string // plaintext response
	responseEnc string // transform frame of the response
}{
	{
		name:   "3.0 AES-128-CCM",
		cipher: AES128CCM,
		keys: func(t *testing.T) Keys {
			return DeriveKeys(0x0300, unhex(t, ms30SessionKey), nil, 128)
		},
		sessionID: 0x8E40014000011,
		nonce:     "66E69A111892584FB5ED524A744DA3EE",
		request: `FE534D4240000100000000000900400008000000000000000400000000000000
			FFFE0000010000001100001400E4080000000000000000000000000000000000
			3100700017000000000000000000000015010000390000020100000039020000
			00000000000000007000000000000000536D623320656E6372797074696F6E20
			74657374696E67`,
		requestEnc: `FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A
			744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5
			2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4
			4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5
			AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6
			C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB`,
		response: `FE534D4240000100000000000900210009000000000000000400000000000000
			FFFE0000010000001100001400E4080000000000000000000000000000000000
			11000000170000000000000000000000`,
		responseEnc: `FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014
			00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079
			E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787
			1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1
			77309E5B`,
	},
	{
		name:   "3.1.1 AES-128-GCM",
		cipher: AES128GCM,
		keys: func(t *testing.T) Keys {
			return DeriveKeys(0x0311, unhex(t, ms311SessionKey), unhex(t, ms311Preauth), 128)
		},
		sessionID: 0x100000000025,
		nonce:     "C7D6822D269CAF48904C664C00000000",
		request: `FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000
			25000000001000000000000000000000000000000000000031007000170000000000000000000000
			0600000004000000010000000400000000000000000000007000000000000000536D623320656E63
			72797074696F6E2074657374696E67`,
		requestEnc: `FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000
			0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02
			D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4
			4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9
			1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8`,
		response: `FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000
			25000000001000000000000000000000000000000000000011000000170000000000000000000000`,
		responseEnc: `FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000
			00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8
			F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B
			82E03C9E18A050FF0EA1C967`,
	},
}

func TestSealMSVectors(t *testing.T) {
	for _, v := range msSealVectors {
		t.Run(v.name, func(t *testing.T) {
			k := v.keys(t)
			// The server decrypts the client's request with its
			// Decryption key...
			dec, err := NewSealer(v.cipher, k.Decryption)
			if err != nil {
				t.Fatal(err)
			}
			if p, _, err := dec.OpenInPlace(unhex(t, v.requestEnc)); err != nil || !bytes.Equal(p, unhex(t, v.request)) {
				t.Errorf("OpenInPlace(request) = %x, %v", p, err)
			}
			plain, sid, err := dec.Open(nil, unhex(t, v.requestEnc))
			if err != nil {
				t.Fatalf("Open(request): %v", err)
			}
			if sid != v.sessionID {
				t.Errorf("session id = %#x, want %#x", sid, v.sessionID)
			}
			if want := unhex(t, v.request); !bytes.Equal(plain, want) {
				t.Errorf("request plaintext = %x, want %x", plain, want)
			}
			// ...and sealing the same request with the same nonce
			// reproduces the client's frame byte for byte.
			var nonce [16]byte
			copy(nonce[:], unhex(t, v.nonce))
			if got, want := dec.seal(nil, &nonce, v.sessionID, unhex(t, v.request)), unhex(t, v.requestEnc); !bytes.Equal(got, want) {
				t.Errorf("seal(request) = %x, want %x", got, want)
			}
			// The response was encrypted with the server's
			// Encryption key.
			enc, err := NewSealer(v.cipher, k.Encryption)
			if err != nil {
				t.Fatal(err)
			}
			plain, _, err = enc.Open([]byte("prefix"), unhex(t, v.responseEnc))
			if err != nil {
				t.Fatalf("Open(response): %v", err)
			}
			if want := append([]byte("prefix"), unhex(t, v.response)...); !bytes.Equal(plain, want) {
				t.Errorf("response plaintext = %x, want %x", plain, want)
			}
			if _, _, err := dec.Open(nil, unhex(t, v.responseEnc)); !errors.Is(err, ErrAuth) {
				t.Errorf("Open with the wrong direction's key: err = %v, want ErrAuth", err)
			}
		})
	}
}

func TestSealRoundTrip(t *testing.T) {
	for _, c := range []Cipher{AES128CCM, AES128GCM, AES256CCM, AES256GCM} {
		s, err := NewSealer(c, pattern(c.KeySize()))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 64, 100, 4096 + 3} {
			msg := pattern(n)
			frame := s.Seal([]byte{0, 0, 0, 0}, 0xDEADBEEF01, msg)
			frame = frame[4:] // the NetBIOS length would go here
			if len(frame) != TransformHeaderSize+n {
				t.Fatalf("%v: frame is %d bytes, want %d", c, len(frame), TransformHeaderSize+n)
			}
			if frame[0] != 0xFD || string(frame[1:4]) != "SMB" {
				t.Fatalf("%v: protocol id %x", c, frame[:4])
			}
			if got := binary.LittleEndian.Uint32(frame[thOffOriginalSize:]); got != uint32(n) {
				t.Errorf("%v: OriginalMessageSize %d, want %d", c, got, n)
			}
			if got := binary.LittleEndian.Uint16(frame[thOffFlags:]); got != 1 {
				t.Errorf("%v: Flags %#x, want 1", c, got)
			}
			// Only the cipher's nonce length is random; the rest
			// of the nonce field is zero.
			nonceLen := 11
			if c == AES128GCM || c == AES256GCM {
				nonceLen = 12
			}
			if tail := frame[thOffNonce+nonceLen : thOffOriginalSize]; !bytes.Equal(tail, make([]byte, len(tail))) {
				t.Errorf("%v: nonce padding %x not zero", c, tail)
			}
			if n >= 16 && bytes.Contains(frame, msg[:16]) {
				t.Errorf("%v: plaintext visible in frame", c)
			}
			plain, sid, err := s.Open(nil, frame)
			if err != nil || sid != 0xDEADBEEF01 || !bytes.Equal(plain, msg) {
				t.Fatalf("%v len %d: Open = %x, %#x, %v", c, n, plain, sid, err)
			}
			inPlace := bytes.Clone(frame)
			plain, sid, err = s.OpenInPlace(inPlace)
			if err != nil || sid != 0xDEADBEEF01 || !bytes.Equal(plain, msg) || (n > 0 && &plain[0] != &inPlace[0]) {
				t.Fatalf("%v len %d: OpenInPlace = %x, %#x, %v", c, n, plain, sid, err)
			}
			tampered := bytes.Clone(frame)
			tampered[len(tampered)-1] ^= 1
			if _, _, err := s.OpenInPlace(tampered); n > 0 && !errors.Is(err, ErrAuth) {
				t.Errorf("%v len %d: OpenInPlace of a tampered frame: %v", c, n, err)
			}
			again := s.Seal(nil, 0xDEADBEEF01, msg)
			if bytes.Equal(again[thOffNonce:thOffOriginalSize], frame[thOffNonce:thOffOriginalSize]) {
				t.Errorf("%v: two Seals used the same nonce", c)
			}
		}
	}
}

func TestOpenTamper(t *testing.T) {
	for _, c := range []Cipher{AES128CCM, AES128GCM, AES256CCM, AES256GCM} {
		s, _ := NewSealer(c, pattern(c.KeySize()))
		msg := pattern(200)
		frame := s.Seal(nil, 7, msg)
		// Any bit of signature, nonce, session id or ciphertext.
		for _, off := range []int{thOffSignature, thOffSignature + 15, thOffNonce, thOffNonce + 15,
			thOffSessionID, thOffSessionID + 7, TransformHeaderSize, len(frame) - 1} {
			frame[off] ^= 0x20
			if _, _, err := s.Open(nil, frame); !errors.Is(err, ErrAuth) {
				t.Errorf("%v: byte %d flipped: err = %v, want ErrAuth", c, off, err)
			}
			frame[off] ^= 0x20
		}
		for _, tc := range []struct {
			name string
			edit func([]byte) []byte
		}{
			{"short", func(f []byte) []byte { return f[:TransformHeaderSize-1] }},
			{"protocol", func(f []byte) []byte { f[0] = 0xFE; return f }},
			{"size", func(f []byte) []byte { f[thOffOriginalSize]++; return f }},
			{"truncated", func(f []byte) []byte { return f[:len(f)-1] }},
			{"flags", func(f []byte) []byte { f[thOffFlags] = 2; return f }},
		} {
			f := tc.edit(append([]byte(nil), frame...))
			if _, _, err := s.Open(nil, f); !errors.Is(err, ErrMalformed) {
				t.Errorf("%v %s: err = %v, want ErrMalformed", c, tc.name, err)
			}
		}
		if _, _, err := s.Open(nil, frame); err != nil {
			t.Errorf("%v: pristine frame rejected after tamper tests: %v", c, err)
		}
	}
}

func TestNewSealerErrors(t *testing.T) {
	for _, tc := range []struct {
		c Cipher
		n int
	}{{AES128CCM, 32}, {AES128GCM, 15}, {AES256CCM, 16}, {AES256GCM, 24}, {Cipher(9), 16}, {Cipher(0), 16}} {
		if _, err := NewSealer(tc.c, make([]byte, tc.n)); err == nil {
			t.Errorf("NewSealer(%v, %d-byte key) succeeded", tc.c, tc.n)
		}
	}
}

func TestSessionID(t *testing.T) {
	s, _ := NewSealer(AES128GCM, pattern(16))
	f := s.Seal(nil, 0x0102030405060708, []byte("x"))
	if id, err := SessionID(f); err != nil || id != 0x0102030405060708 {
		t.Errorf("SessionID = %#x, %v", id, err)
	}
	if _, err := SessionID(f[:51]); err == nil {
		t.Error("SessionID accepted a short frame")
	}
}

func FuzzOpen(f *testing.F) {
	sealers := make([]*Sealer, 4)
	for i, c := range []Cipher{AES128CCM, AES128GCM, AES256CCM, AES256GCM} {
		sealers[i], _ = NewSealer(c, pattern(c.KeySize()))
		f.Add(uint8(i), sealers[i].Seal(nil, 1, []byte("seed message")))
	}
	f.Add(uint8(0), []byte("\xFDSMB"))
	f.Fuzz(func(t *testing.T, which uint8, frame []byte) {
		s := sealers[int(which)%len(sealers)]
		orig := append([]byte(nil), frame...)
		plain, _, err := s.Open(nil, frame)
		if !bytes.Equal(frame, orig) {
			t.Fatal("Open modified the frame")
		}
		inPlace, _, err2 := s.OpenInPlace(bytes.Clone(frame))
		if (err == nil) != (err2 == nil) || !bytes.Equal(inPlace, plain) {
			t.Fatalf("OpenInPlace = %x, %v; Open = %x, %v", inPlace, err2, plain, err)
		}
		spare := append(make([]byte, 0, len(frame)+16), frame...)
		inSpare, _, err3 := s.OpenInPlaceSpare(spare)
		if (err == nil) != (err3 == nil) || !bytes.Equal(inSpare, plain) {
			t.Fatalf("OpenInPlaceSpare = %x, %v; Open = %x, %v", inSpare, err3, plain, err)
		}
		if err != nil {
			return
		}
		// SealInPlace output opens like Seal's.
		buf := make([]byte, TransformHeaderSize+len(plain), TransformHeaderSize+len(plain)+16)
		copy(buf[TransformHeaderSize:], plain)
		if p2, _, err := s.Open(nil, s.SealInPlace(buf, 1)); err != nil || !bytes.Equal(p2, plain) {
			t.Fatalf("SealInPlace round trip failed: %v", err)
		}
		// Anything that opens must round-trip.
		again, _, err := s.Open(nil, s.Seal(nil, 1, plain))
		if err != nil || !bytes.Equal(again, plain) {
			t.Fatalf("re-seal round trip failed: %v", err)
		}
	})
}

func TestSealGCMAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects under the race detector")
	}
	s, _ := NewSealer(AES128GCM, pattern(16))
	msg := pattern(4096)
	buf := make([]byte, 0, len(msg)+TransformHeaderSize+16)
	pbuf := make([]byte, 0, len(msg)+16)
	frame := s.Seal(nil, 1, msg)
	n := testing.AllocsPerRun(50, func() {
		s.Seal(buf[:0], 1, msg)
		if _, _, err := s.Open(pbuf[:0], frame); err != nil {
			t.Fatal(err)
		}
	})
	if n > 0.5 {
		t.Errorf("%.1f allocations per GCM Seal+Open with room in dst", n)
	}
}

// TestSealOpenInPlace checks SealInPlace and OpenInPlaceSpare against
// Seal/Open for every cipher and odd sizes: same plaintext back, no copy
// when there is spare capacity, a fresh slice when there is not, and a
// tampered frame refused.
func TestSealOpenInPlace(t *testing.T) {
	for _, c := range []Cipher{AES128CCM, AES128GCM, AES256CCM, AES256GCM} {
		s, _ := NewSealer(c, pattern(c.KeySize()))
		for _, n := range []int{0, 1, 15, 16, 17, 4096 + 3, 65537} {
			msg := pattern(n)
			buf := make([]byte, TransformHeaderSize+n, TransformHeaderSize+n+16)
			copy(buf[TransformHeaderSize:], msg)
			frame := s.SealInPlace(buf, 0x1234)
			if &frame[0] != &buf[0] || len(frame) != len(buf) {
				t.Fatalf("%v %d: SealInPlace moved the frame", c, n)
			}
			if p, sid, err := s.Open(nil, frame); err != nil || sid != 0x1234 || !bytes.Equal(p, msg) {
				t.Fatalf("%v %d: Open of SealInPlace = %v, %#x", c, n, err, sid)
			}
			tight := make([]byte, TransformHeaderSize+n)
			copy(tight[TransformHeaderSize:], msg)
			if p, _, err := s.Open(nil, s.SealInPlace(tight, 1)); err != nil || !bytes.Equal(p, msg) {
				t.Fatalf("%v %d: SealInPlace without spare room: %v", c, n, err)
			}
			sealed := s.Seal(nil, 9, msg)
			spare := append(make([]byte, 0, len(sealed)+16), sealed...)
			p, sid, err := s.OpenInPlaceSpare(spare)
			if err != nil || sid != 9 || !bytes.Equal(p, msg) || (n > 0 && &p[0] != &spare[TransformHeaderSize]) {
				t.Fatalf("%v %d: OpenInPlaceSpare = %v, %#x (in place: %v)", c, n, err, sid, n > 0 && &p[0] == &spare[TransformHeaderSize])
			}
			p, _, err = s.OpenInPlaceSpare(bytes.Clone(sealed)[:len(sealed):len(sealed)])
			if err != nil || !bytes.Equal(p, msg) {
				t.Fatalf("%v %d: OpenInPlaceSpare without spare room: %v", c, n, err)
			}
			bad := append(make([]byte, 0, len(sealed)+16), sealed...)
			bad[len(bad)-1] ^= 0x40
			if _, _, err := s.OpenInPlaceSpare(bad); !errors.Is(err, ErrAuth) {
				t.Fatalf("%v %d: tampered frame: %v", c, n, err)
			}
		}
	}
}

// TestInPlaceAllocs: sealing and opening in place allocates nothing (with
// CCM off the fused assembly path, only crypto/cipher's CTR stream).
func TestInPlaceAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects under the race detector")
	}
	for _, c := range []Cipher{AES128CCM, AES128GCM, AES256CCM, AES256GCM} {
		s, _ := NewSealer(c, pattern(c.KeySize()))
		buf := make([]byte, TransformHeaderSize+65536, TransformHeaderSize+65536+16)
		limit := 0.5
		if (c == AES128CCM || c == AES256CCM) && !haveCCMAsm {
			limit = 2.5 // crypto/cipher's CTR stream: one per Seal and one per Open
		}
		n := testing.AllocsPerRun(50, func() {
			f := s.SealInPlace(buf, 1)
			if _, _, err := s.OpenInPlaceSpare(f); err != nil {
				t.Fatal(err)
			}
		})
		if n > limit {
			t.Errorf("%v: %.1f allocations per SealInPlace+OpenInPlaceSpare, want <= %.1f", c, n, limit)
		}
	}
}
