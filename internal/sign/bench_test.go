package sign

import "testing"

func BenchmarkSign(b *testing.B) {
	for _, alg := range []Algorithm{HMACSHA256, AESCMAC, AESGMAC} {
		b.Run(alg.String(), func(b *testing.B) {
			s, _ := NewSigner(alg, pattern(16))
			m := testMessage(0, 8, 1, pattern(64<<10))
			b.SetBytes(int64(len(m)))
			b.ReportAllocs()
			for b.Loop() {
				s.Sign(m)
			}
		})
	}
}

func BenchmarkSeal(b *testing.B) {
	for _, c := range []Cipher{AES128CCM, AES128GCM, AES256CCM, AES256GCM} {
		b.Run(c.String(), func(b *testing.B) {
			s, _ := NewSealer(c, pattern(c.KeySize()))
			msg := pattern(64 << 10)
			buf := make([]byte, 0, len(msg)+TransformHeaderSize+16)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				s.Seal(buf[:0], 1, msg)
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, c := range []Cipher{AES128CCM, AES128GCM} {
		b.Run(c.String(), func(b *testing.B) {
			s, _ := NewSealer(c, pattern(c.KeySize()))
			frame := s.Seal(nil, 1, pattern(64<<10))
			buf := make([]byte, 0, len(frame))
			b.SetBytes(int64(len(frame) - TransformHeaderSize))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.Open(buf[:0], frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
