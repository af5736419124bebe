//go:build linux

package sign

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

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

// BenchmarkCCMFused compares the fused CCM loop with the separate
// assembly CBC-MAC + crypto/cipher CTR it replaces, in one run (the
// machine's load hits both alike): -bench CCMFused -count 5.
func BenchmarkCCMFused(b *testing.B) {
	if !haveCCMAsm {
		b.Skip("no fused CCM on this CPU/architecture")
	}
	for _, c := range []Cipher{AES128CCM, AES256CCM} {
		for _, fused := range []bool{true, false} {
			name := c.String() + "/separate"
			if fused {
				name = c.String() + "/fused"
			}
			b.Run(name, func(b *testing.B) {
				s, _ := NewSealer(c, pattern(c.KeySize()))
				buf := make([]byte, TransformHeaderSize+1<<20, TransformHeaderSize+1<<20+16)
				setCCMAsm(fused)
				defer setCCMAsm(true)
				b.SetBytes(1 << 20)
				stop := threadCPU(b)
				for b.Loop() {
					s.SealInPlace(buf, 1)
				}
				stop()
			})
		}
	}
}

// threadCPU pins the benchmark to its thread and, when the returned
// function runs, reports the thread's CPU time per op and the MB/s that
// gives (wall-clock ns/op on a loaded machine counts time spent waiting
// for a core).
func threadCPU(b *testing.B) func() {
	runtime.LockOSThread()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		d := cpu() - start
		runtime.UnlockOSThread()
		per := float64(d.Nanoseconds()) / float64(b.N)
		b.ReportMetric(per, "cpu-ns/op")
		b.ReportMetric(float64(1<<20)/per*1e3, "cpu-MB/s")
	}
}
