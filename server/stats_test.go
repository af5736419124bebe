package server

import (
	"bytes"
	"testing"

	"github.com/zerosmb/zerosmb/vfs/memfs"
)

// TestDataStats moves data through a guest session (unsigned: sendfile
// and splice) and a signed user session (copy path) and checks that the
// totals count both and the zero-copy counters only the first.
func TestDataStats(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, Sendfile: true, RecvfileMin: 64 << 10})
	const size = 200000 // one WRITE and one READ each way (go-smb2 uses up to 1 MiB)
	data := randBytes(size, 42)
	move := func(name string, guest bool) {
		fs := dialGo(t, ts)
		if guest {
			fs = dialGuest(t, ts)
		}
		f, err := fs.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, size)
		if _, err := f.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back: %v", err)
		}
	}
	s0 := ts.Srv.DataStats()
	move("guest.bin", true)
	s1 := ts.Srv.DataStats()
	if d := s1.ReadSendfileBytes - s0.ReadSendfileBytes; d != size {
		t.Errorf("guest: %d bytes by sendfile, want %d", d, size)
	}
	if d := s1.WriteSplitBytes - s0.WriteSplitBytes; d != size {
		t.Errorf("guest: %d bytes by header splitting, want %d", d, size)
	}
	move("user.bin", false)
	s2 := ts.Srv.DataStats()
	if s2.ReadSendfileBytes != s1.ReadSendfileBytes || s2.WriteSplitBytes != s1.WriteSplitBytes {
		t.Errorf("signed session took a zero-copy path: %+v -> %+v", s1, s2)
	}
	if d := s2.ReadBytes - s0.ReadBytes; d != 2*size {
		t.Errorf("ReadBytes grew by %d, want %d", d, 2*size)
	}
	if d := s2.WriteBytes - s0.WriteBytes; d != 2*size {
		t.Errorf("WriteBytes grew by %d, want %d", d, 2*size)
	}
}

// TestWorkgroupReachesWkssvc: Config.Domain is the workgroup the RPC
// services report (NetrWkstaGetInfo), not the built-in default.
func TestWorkgroupReachesWkssvc(t *testing.T) {
	srv, err := New(Config{Shares: []*Share{{Name: "s", FS: memfs.New()}}, Domain: "LABNET", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if srv.rpc.Workgroup != "LABNET" {
		t.Errorf("rpc workgroup %q, want LABNET", srv.rpc.Workgroup)
	}
}
