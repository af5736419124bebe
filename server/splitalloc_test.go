//go:build linux

package server

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// splitAllocs sends frame (a WRITE of n payload bytes, eligible for
// header splitting) reps times, emptying the buffer pools (two GCs) before
// each, and returns the bytes the process allocated per WRITE. A reader
// that takes a frame-sized buffer before knowing the WRITE is spliced
// allocates at least n per WRITE here.
func splitAllocs(t *testing.T, write func(), reps int) uint64 {
	t.Helper()
	var m0, m1 runtime.MemStats
	write() // warm up: connection buffers, the pipe
	runtime.GC()
	runtime.ReadMemStats(&m0)
	for range reps {
		runtime.GC()
		runtime.GC()
		write()
	}
	runtime.ReadMemStats(&m1)
	return (m1.TotalAlloc - m0.TotalAlloc) / uint64(reps)
}

// TestSplitWriteTakesNoFrameBuffer: a spliced 1 MiB WRITE (SMB2 WRITE and
// SMB1 WRITE_ANDX) reads its header into a small buffer; the frame-sized
// one is taken only on the copy path.
func TestSplitWriteTakesNoFrameBuffer(t *testing.T) {
	hs := startSMB1Hostile(t)
	payload := bytes.Repeat([]byte("zerosmb!"), 128<<10) // 1 MiB
	const reps = 8
	const limit = 256 << 10

	s2 := hs.session(t)
	id, st := s2.create("split2.bin", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatalf("create: %v", st)
	}
	var msg []byte
	before := hs.Srv.DataStats().WriteSplitBytes
	perWrite := splitAllocs(t, func() {
		if msg == nil {
			msg = rawFrame(s2.msg(smb2.Write, rawWrite(id, 0, payload), func(h *smb2.Header) { h.CreditCharge = 16 }))
		} else {
			le.PutUint64(msg[4+24:], s2.mid) // a fresh MessageId, the same bytes otherwise
			s2.mid += 16
		}
		s2.write(msg)
		if r := s2.recv(); r.hdr.Status != smb2.StatusSuccess {
			t.Fatalf("WRITE: %v", r.hdr.Status)
		}
	}, reps)
	if got := hs.Srv.DataStats().WriteSplitBytes - before; got != (reps+1)<<20 {
		t.Fatalf("SMB2: %d bytes spliced, want %d (the test needs header splitting)", got, (reps+1)<<20)
	}
	t.Logf("SMB2 WRITE 1 MiB spliced: %d bytes allocated per WRITE", perWrite)
	if perWrite > limit {
		t.Errorf("SMB2 spliced WRITE allocates %d bytes, want < %d (a frame-sized buffer?)", perWrite, limit)
	}

	c := s1Session(t, hs.Addr)
	fid := le.Uint16(c.expect("create", c.ntCreateMsg(`\split1.bin`, 0x0012019F, 7, 5), 0).blk.Words[5:])
	frame := rawFrame(c.writeMsg(fid, 0, payload))
	before = hs.Srv.DataStats().WriteSplitBytes
	perWrite = splitAllocs(t, func() {
		c.write(frame)
		if r := c.s1Recv(); r.hdr.Status != 0 {
			t.Fatalf("WRITE_ANDX: %#x", r.hdr.Status)
		}
	}, reps)
	if got := hs.Srv.DataStats().WriteSplitBytes - before; got != (reps+1)<<20 {
		t.Fatalf("SMB1: %d bytes spliced, want %d", got, (reps+1)<<20)
	}
	t.Logf("SMB1 WRITE_ANDX 1 MiB spliced: %d bytes allocated per WRITE", perWrite)
	if perWrite > limit {
		t.Errorf("SMB1 spliced WRITE_ANDX allocates %d bytes, want < %d", perWrite, limit)
	}
	got, err := os.ReadFile(filepath.Join(hs.Base, "share", "split1.bin"))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("SMB1 file: %d bytes (%v), want the payload", len(got), err)
	}
}

// TestSMB1SplitWriteAtThreshold: a WRITE_ANDX of exactly RecvfileMin
// bytes is spliced (its frame is shorter than an SMB2 WRITE of the same
// size, which once kept it off the split path).
func TestSMB1SplitWriteAtThreshold(t *testing.T) {
	hs := startSMB1Hostile(t) // RecvfileMin 64 KiB
	c := s1Session(t, hs.Addr)
	fid := le.Uint16(c.expect("create", c.ntCreateMsg(`\edge.bin`, 0x0012019F, 7, 5), 0).blk.Words[5:])
	payload := bytes.Repeat([]byte{0xA5, 0x5A}, 32<<10)
	before := hs.Srv.DataStats().WriteSplitBytes
	c.expect("write 64 KiB", c.writeMsg(fid, 0, payload), 0)
	if got := hs.Srv.DataStats().WriteSplitBytes - before; got != 64<<10 {
		t.Fatalf("%d bytes spliced, want 65536", got)
	}
	got, err := os.ReadFile(filepath.Join(hs.Base, "share", "edge.bin"))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("file: %d bytes (%v)", len(got), err)
	}
}
