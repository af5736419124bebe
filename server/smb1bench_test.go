package server

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// BenchmarkSMB1ReadAndX64K reads a file in 64 KiB READ_ANDX requests, 16
// outstanding, over one raw SMB1 connection to a server with sendfile on
// (the per-request cost the nt1 bench rows compare with Samba's). Profile
// with -cpuprofile and look at the server's goroutines.
func BenchmarkSMB1ReadAndX64K(b *testing.B) {
	hs := startHostileWith(b, func(cfg *Config) { cfg.SMB1 = true; cfg.Sendfile = true })
	const size, io64k, depth = 16 << 20, 64 << 10, 16
	if err := os.WriteFile(filepath.Join(hs.Dir, "big"), make([]byte, size), 0o644); err != nil {
		b.Fatal(err)
	}
	c := s1Session(b, hs.Addr)
	r := c.expect("open", c.ntCreateMsg(`\big`, 0x00120089, 7, 1), 0)
	fid := le.Uint16(r.blk.Words[5:])
	c.nc.SetReadDeadline(time.Time{}) // expect set one
	buf := make([]byte, io64k+256)
	recv := func() {
		var fh [4]byte
		if _, err := io.ReadFull(c.nc, fh[:]); err != nil {
			b.Fatal(err)
		}
		n := int(fh[1])<<16 | int(fh[2])<<8 | int(fh[3])
		if _, err := io.ReadFull(c.nc, buf[:n]); err != nil {
			b.Fatal(err)
		}
		if st := smb2.Status(le.Uint32(buf[5:])); st != smb2.StatusSuccess {
			b.Fatalf("READ_ANDX: %v", st)
		}
	}
	b.SetBytes(io64k)
	b.ResetTimer()
	sent, off := 0, 0
	for ; sent < min(depth, b.N); sent++ {
		c.write(rawFrame(c.readMsg(fid, uint32(off), io64k-1)))
		off = (off + io64k) % size
	}
	for i := 0; i < b.N; i++ {
		recv()
		if sent < b.N {
			c.write(rawFrame(c.readMsg(fid, uint32(off), io64k-1)))
			off = (off + io64k) % size
			sent++
		}
	}
}
