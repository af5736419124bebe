package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gosmb2 "github.com/hirochachacha/go-smb2"
	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb2"
)

// ioSizes are the payload sizes every data-path configuration must move
// byte-exactly: around the 64 KiB recvfile threshold, past 1 MiB, and a
// full 8 MiB MaxReadSize/MaxWriteSize request.
// goSMB2MaxWrite is the largest WRITE go-smb2 sends (its credit window).
const goSMB2MaxWrite = 1 << 20

var ioSizes = []int{0, 1, 65535, 65536, 65537, 1<<20 + 3, 8 << 20}

func randBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// statusOf extracts the NTSTATUS from a go-smb2 error.
func statusOf(err error) smb2.Status {
	var re *gosmb2.ResponseError
	switch {
	case errors.As(err, &re):
		return smb2.Status(re.Code)
	case errors.Is(err, os.ErrPermission): // go-smb2 maps ACCESS_DENIED
		return smb2.StatusAccessDenied
	}
	return 0
}

// dialGuest connects as a guest: go-smb2 signs every request of an
// authenticated session, so only guest sessions exercise the unsigned
// zero-copy paths.
func dialGuest(t *testing.T, ts *testServer) *gosmb2.Share {
	t.Helper()
	return dialGoAs(t, ts, "guest", "", "share")
}

// roundTrip writes data at off through the share, reads it back through
// the share and from disk, and compares.
func roundTrip(t *testing.T, ts *testServer, fs *gosmb2.Share, name string, data []byte, off int64) {
	t.Helper()
	f, err := fs.Create(name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	defer f.Close()
	if n, err := f.WriteAt(data, off); err != nil || n != len(data) {
		t.Fatalf("write %d bytes at %d: n=%d err=%v", len(data), off, n, err)
	}
	disk, err := os.ReadFile(filepath.Join(ts.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	want := append(make([]byte, off), data...)
	if len(data) == 0 {
		want = nil
	}
	if !bytes.Equal(disk, want) {
		t.Fatalf("on-disk content differs after writing %d bytes at %d (disk %d bytes)", len(data), off, len(disk))
	}
	got := make([]byte, len(data))
	n, err := f.ReadAt(got, off)
	if len(data) == 0 {
		return
	}
	if n != len(data) || (err != nil && err != io.EOF) {
		t.Fatalf("read %d bytes at %d: n=%d err=%v", len(data), off, n, err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read-back differs for %d bytes at %d", len(data), off)
	}
}

func TestReadWriteRoundTrip(t *testing.T) {
	configs := []struct {
		name      string
		opts      testOpts
		guest     bool
		zeroCopy  bool // sendfile and splice must carry the large payloads
		anyZeroCp bool // false: no byte may move through the zero-copy paths
	}{
		{"zerocopy", testOpts{Sendfile: true, RecvfileMin: 65536, Guest: true}, true, true, true},
		{"copy", testOpts{Guest: true}, true, false, false},
		// Signed sessions must fall back to copying.
		{"signed", testOpts{Sendfile: true, RecvfileMin: 65536, Signing: true}, false, false, false},
		{"signed-optional", testOpts{Sendfile: true, RecvfileMin: 65536}, false, false, false},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			ts := startServer(t, cfg.opts)
			var fs *gosmb2.Share
			if cfg.guest {
				fs = dialGuest(t, ts)
			} else {
				fs = dialGo(t, ts)
			}
			before := zerocopy.Snapshot()
			for i, size := range ioSizes {
				off := int64(4097 + 3*i) // unaligned
				roundTrip(t, ts, fs, fmt.Sprintf("f%d.bin", size), randBytes(size, uint64(i)), off)
			}
			after := zerocopy.Snapshot()
			sent := after.SendfileBytes - before.SendfileBytes
			spliced := after.SpliceBytes - before.SpliceBytes
			t.Logf("sendfile %d bytes, splice %d bytes, copy-send %d, copy-recv %d", sent, spliced,
				after.CopySendBytes-before.CopySendBytes, after.CopyRecvBytes-before.CopyRecvBytes)
			if cfg.zeroCopy {
				// Every READ goes out with sendfile; every WRITE of at
				// least 64 KiB is spliced. go-smb2 sends at most 1 MiB
				// per WRITE, so a short tail may be copied.
				var wantSent, wantSpliced uint64
				for _, s := range ioSizes {
					wantSent += uint64(s)
					wantSpliced += uint64(s / goSMB2MaxWrite * goSMB2MaxWrite)
					if tail := s % goSMB2MaxWrite; tail >= 65536 {
						wantSpliced += uint64(tail)
					}
				}
				if sent < wantSent {
					t.Errorf("sendfile moved %d bytes, want >= %d", sent, wantSent)
				}
				if spliced < wantSpliced {
					t.Errorf("splice moved %d bytes, want >= %d", spliced, wantSpliced)
				}
			}
			if !cfg.anyZeroCp && (sent != 0 || spliced != 0) {
				t.Errorf("zero-copy path used (sendfile %d, splice %d bytes) where it must not be", sent, spliced)
			}
		})
	}
}

func TestReadEdgeCases(t *testing.T) {
	ts := startServer(t, testOpts{Sendfile: true})
	fs := dialGo(t, ts)
	data := randBytes(1000, 7)
	if err := os.WriteFile(filepath.Join(ts.Dir, "r.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Open("r.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	// Past the end: STATUS_END_OF_FILE, which go-smb2 reports as io.EOF.
	if n, err := f.ReadAt(buf, 1000); n != 0 || err != io.EOF {
		t.Errorf("read at EOF: n=%d err=%v, want 0, EOF", n, err)
	}
	// Short read at the tail.
	if n, _ := f.ReadAt(buf, 900); n != 100 || !bytes.Equal(buf[:100], data[900:]) {
		t.Errorf("tail read: n=%d, want 100 matching bytes", n)
	}
	// Writing through a read-only handle is refused.
	if _, err := f.WriteAt([]byte("x"), 0); statusOf(err) != smb2.StatusAccessDenied {
		t.Errorf("write on read-only handle: %v, want ACCESS_DENIED", err)
	}
}

// TestReadShrinkingFile truncates the file on disk between and during
// READs; the server must answer every READ with consistent framing so the
// connection stays usable.
func TestReadShrinkingFile(t *testing.T) {
	for _, sendfile := range []bool{true, false} {
		t.Run(fmt.Sprintf("sendfile=%v", sendfile), func(t *testing.T) {
			ts := startServer(t, testOpts{Sendfile: sendfile, Guest: true})
			fs := dialGuest(t, ts)
			path := filepath.Join(ts.Dir, "shrink.bin")
			data := randBytes(8<<20, 3)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := fs.Open("shrink.bin")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, 1<<20)
			if _, err := f.ReadAt(buf, 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, 100); err != nil {
				t.Fatal(err)
			}
			if n, err := f.ReadAt(buf, 0); n != 100 || (err != nil && err != io.EOF) || !bytes.Equal(buf[:100], data[:100]) {
				t.Errorf("read after truncate: n=%d err=%v, want the 100 remaining bytes", n, err)
			}
			if n, err := f.ReadAt(buf, 4096); n != 0 || err != io.EOF {
				t.Errorf("read past new EOF: n=%d err=%v, want 0, EOF", n, err)
			}
			// Truncate concurrently with large READs.
			big := make([]byte, 8<<20)
			for i := 0; i < 5; i++ {
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				done := make(chan struct{})
				go func() { os.Truncate(path, int64(i)*1000); close(done) }()
				n, err := f.ReadAt(big, 0)
				<-done
				if err != nil && err != io.EOF {
					t.Fatalf("read racing truncate: n=%d err=%v", n, err)
				}
			}
			// The connection still works.
			roundTrip(t, ts, fs, "after.bin", randBytes(200000, 9), 1)
		})
	}
}

// forgetOpens drops the server's record of every open of name, so the
// client's FileId becomes invalid (STATUS_FILE_CLOSED).
func forgetOpens(ts *testServer, name string) int {
	n := 0
	ts.Srv.mu.Lock()
	defer ts.Srv.mu.Unlock()
	for c := range ts.Srv.conns {
		c.mu.Lock()
		for id, o := range c.opens {
			if o.name == name {
				delete(c.opens, id)
				n++
			}
		}
		c.mu.Unlock()
	}
	return n
}

// TestWriteRejectedPayloadDrained sends large WRITEs that fail validation
// after the header was split off: the payload must be consumed so the
// next request parses.
func TestWriteRejectedPayloadDrained(t *testing.T) {
	for _, recv := range []int{65536, 0} {
		t.Run(fmt.Sprintf("recvfileMin=%d", recv), func(t *testing.T) {
			ts := startServer(t, testOpts{Sendfile: true, RecvfileMin: recv, Guest: true})
			fs := dialGuest(t, ts)
			payload := randBytes(1<<20+5, 11)
			if err := os.WriteFile(filepath.Join(ts.Dir, "ro.bin"), []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}

			// Read-only handle.
			ro, err := fs.Open("ro.bin")
			if err != nil {
				t.Fatal(err)
			}
			before := zerocopy.Snapshot()
			if _, err := ro.WriteAt(payload, 0); statusOf(err) != smb2.StatusAccessDenied {
				t.Errorf("write on read-only handle: %v, want ACCESS_DENIED", err)
			}
			after := zerocopy.Snapshot()
			// go-smb2 gives up after the first refused 1 MiB chunk.
			if recv > 0 && after.DiscardedBytes-before.DiscardedBytes < goSMB2MaxWrite {
				t.Errorf("discarded %d bytes, want >= %d", after.DiscardedBytes-before.DiscardedBytes, goSMB2MaxWrite)
			}
			ro.Close()

			// Bad FileId.
			f, err := fs.Create("gone.bin")
			if err != nil {
				t.Fatal(err)
			}
			if forgetOpens(ts, "gone.bin") != 1 {
				t.Fatal("open of gone.bin not found on the server")
			}
			if _, err := f.WriteAt(payload, 0); statusOf(err) != smb2.StatusFileClosed {
				t.Errorf("write with stale FileId: %v, want FILE_CLOSED", err)
			}

			// The connection is still in sync.
			roundTrip(t, ts, fs, "ok.bin", payload, 3)
			if disk, _ := os.ReadFile(filepath.Join(ts.Dir, "ro.bin")); string(disk) != "keep" {
				t.Errorf("ro.bin changed: %q", disk)
			}
		})
	}
}

func TestWriteReadOnlyShare(t *testing.T) {
	ts := startServer(t, testOpts{ReadOnly: true, RecvfileMin: 65536, Guest: true})
	if err := os.WriteFile(filepath.Join(ts.Dir, "a.bin"), []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := dialGuest(t, ts)
	f, err := fs.Open("a.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{10, 200000} {
		if _, err := f.WriteAt(randBytes(n, 1), 0); statusOf(err) != smb2.StatusAccessDenied {
			t.Errorf("write %d bytes on read-only share: %v, want ACCESS_DENIED", n, err)
		}
	}
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "abc" {
		t.Errorf("read after refused writes: %q, %v", b, err)
	}
}

func TestWriteAppendAndTruncate(t *testing.T) {
	ts := startServer(t, testOpts{RecvfileMin: 65536})
	fs := dialGo(t, ts)
	f, err := fs.OpenFile("app.txt", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one ", "two ", "three"} {
		if _, err := f.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	b, _ := os.ReadFile(filepath.Join(ts.Dir, "app.txt"))
	if !strings.HasPrefix(string(b), "one ") || !strings.Contains(string(b), "three") {
		t.Errorf("append file = %q", b)
	}
}

func TestCheckRead(t *testing.T) {
	u := newUnitConn(t)
	o := u.open(t, "r", fileReadData|fileWriteData)
	if _, err := o.file.WriteAt(make([]byte, 100), 0); err != nil {
		t.Fatal(err)
	}
	wo := u.open(t, "r", fileWriteData)
	tests := []struct {
		name string
		o    *open
		req  smb2.ReadRequest
		n    int64
		st   smb2.Status
	}{
		{"whole", o, smb2.ReadRequest{Length: 100}, 100, smb2.StatusSuccess},
		{"clamped", o, smb2.ReadRequest{Offset: 90, Length: 50}, 10, smb2.StatusSuccess},
		{"min count not met", o, smb2.ReadRequest{Offset: 90, Length: 50, MinimumCount: 11}, 0, smb2.StatusEndOfFile},
		{"at eof", o, smb2.ReadRequest{Offset: 100, Length: 1}, 0, smb2.StatusEndOfFile},
		{"zero length past eof", o, smb2.ReadRequest{Offset: 1000}, 0, smb2.StatusSuccess},
		{"too long", o, smb2.ReadRequest{Length: 1<<20 + 1}, 0, smb2.StatusInvalidParameter},
		{"offset > int64", o, smb2.ReadRequest{Offset: 1 << 63}, 0, smb2.StatusInvalidParameter},
		{"end > int64", o, smb2.ReadRequest{Offset: 1<<63 - 1, Length: 1}, 0, smb2.StatusInvalidParameter},
		{"rdma channel", o, smb2.ReadRequest{Length: 1, Channel: smb2.ChannelRDMAV1}, 0, smb2.StatusInvalidParameter},
		{"no read access", wo, smb2.ReadRequest{Length: 1}, 0, smb2.StatusAccessDenied},
	}
	for _, tt := range tests {
		n, st := u.c.checkRead(tt.o, 0, &tt.req, u.c.maxIO)
		if n != tt.n || st != tt.st {
			t.Errorf("%s: %d, %v; want %d, %v", tt.name, n, st, tt.n, tt.st)
		}
	}
	dir := &open{isDir: true, access: fileReadData}
	if _, st := u.c.checkRead(dir, 0, &smb2.ReadRequest{Length: 1}, u.c.maxIO); st != smb2.StatusInvalidDeviceRequest {
		t.Errorf("read on directory: %v", st)
	}
}

func TestCheckWrite(t *testing.T) {
	u := newUnitConn(t)
	o := u.open(t, "w", fileReadData|fileWriteData)
	o.file.WriteAt(make([]byte, 50), 0)
	app := u.open(t, "w", fileAppendData)
	ro := u.open(t, "w", fileReadData)
	tests := []struct {
		name string
		o    *open
		req  smb2.WriteRequest
		off  int64
		st   smb2.Status
	}{
		{"plain", o, smb2.WriteRequest{Offset: 7, Length: 3}, 7, smb2.StatusSuccess},
		{"append-only goes to eof", app, smb2.WriteRequest{Offset: 0, Length: 3}, 50, smb2.StatusSuccess},
		{"append-only all-ones offset", app, smb2.WriteRequest{Offset: ^uint64(0), Length: 3}, 50, smb2.StatusSuccess},
		{"all-ones offset with write access", o, smb2.WriteRequest{Offset: ^uint64(0), Length: 3}, 0, smb2.StatusInvalidParameter},
		{"past max file size", o, smb2.WriteRequest{Offset: maxFileSize, Length: 1}, 0, smb2.StatusInvalidParameter},
		{"ends at max file size", o, smb2.WriteRequest{Offset: maxFileSize - 1, Length: 1}, 0, smb2.StatusDiskFull},
		{"zero length at int64 max", o, smb2.WriteRequest{Offset: 1<<63 - 1}, 1<<63 - 1, smb2.StatusSuccess},
		{"no write access", ro, smb2.WriteRequest{Length: 1}, 0, smb2.StatusAccessDenied},
	}
	for _, tt := range tests {
		off, st := u.c.checkWrite(tt.o, 0, &tt.req)
		if st != tt.st || (st == smb2.StatusSuccess && off != tt.off) {
			t.Errorf("%s: %d, %v; want %d, %v", tt.name, off, st, tt.off, tt.st)
		}
	}
	u.tree.readOnly = true // a read-only share, or a user on its read list
	if _, st := u.c.checkWrite(o, 0, &smb2.WriteRequest{Length: 1}); st != smb2.StatusAccessDenied {
		t.Errorf("write on read-only tree: %v", st)
	}
}

// TestSetSizeNeedsWriteData: end-of-file and allocation changes need
// FILE_WRITE_DATA; an append-only open is refused (MS-FSA 2.1.5.14.4).
func TestSetSizeNeedsWriteData(t *testing.T) {
	u := newUnitConn(t)
	w := u.open(t, "w", fileWriteData)
	app := u.open(t, "w", fileAppendData)
	size := make([]byte, 8)
	le.PutUint64(size, 10)
	for _, class := range []uint8{smb2.FileEndOfFileInformation, smb2.FileAllocationInformation} {
		if st := u.c.setSize(app, size, class); st != smb2.StatusAccessDenied {
			t.Errorf("class %d on an append-only open: %v, want STATUS_ACCESS_DENIED", class, st)
		}
		if st := u.c.setSize(w, size, class); st != smb2.StatusSuccess {
			t.Errorf("class %d with FILE_WRITE_DATA: %v", class, st)
		}
	}
}
