//go:build linux

package server

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	gosmb2 "github.com/hirochachacha/go-smb2"
	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// streamListing returns FileStreamInformation's names and sizes for p.
func streamListing(t *testing.T, ts *testServer, p string) map[string]uint64 {
	t.Helper()
	o := &open{tree: &tree{share: ts.Srv.cfg.Shares[0]}, name: p, stream: "any"} // ::$DATA from the base
	out, st := (&conn{}).queryStreams(o, &smb2.FileInfo{})
	if st != smb2.StatusSuccess {
		t.Fatalf("queryStreams %s: %v", p, st)
	}
	m := map[string]uint64{}
	le := binary.LittleEndian
	for b := out; len(b) >= 24; { // MS-FSCC 2.4.44
		next, nameLen := le.Uint32(b), le.Uint32(b[4:])
		if 24+int(nameLen) > len(b) {
			t.Fatalf("bad FileStreamInformation %x", out)
		}
		u := make([]uint16, nameLen/2)
		for i := range u {
			u[i] = le.Uint16(b[24+2*i:])
		}
		m[string(utf16.Decode(u))] = le.Uint64(b[8:])
		if next == 0 || int(next) > len(b) {
			break
		}
		b = b[next:]
	}
	return m
}

// sidecarDirs counts the per-file directories of the sidecar store.
func sidecarDirs(ts *testServer) int {
	m, _ := filepath.Glob(filepath.Join(ts.Dir, osfs.MetaDir, "files", "*", "*"))
	return len(m)
}

// TestSidecarStreams drives the sidecar store through go-smb2: an 8 MiB
// stream written and read back by positional I/O on the zero-copy paths,
// an old attribute stream still read and listed beside new ones, the
// metadata directory out of reach, and deletes that remove the data.
func TestSidecarStreams(t *testing.T) {
	ts := startServer(t, testOpts{Sendfile: true, RecvfileMin: 65536, Guest: true})
	fs := dialGuest(t, ts) // unsigned, so the zero-copy paths apply
	if err := os.WriteFile(filepath.Join(ts.Dir, "old.txt"), []byte("base"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(filepath.Join(ts.Dir, "old.txt"), "user.zerosmb.stream.legacy", []byte("old data"), 0); err != nil {
		t.Skipf("no user xattrs here: %v", err)
	}
	data := randBytes(8<<20, 12)
	const off = 1 << 20
	before := zerocopy.Snapshot()
	f, err := fs.OpenFile("old.txt:Big", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, off); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(data))
	if _, err := f.ReadAt(got, off); err != nil && err != io.EOF || !bytes.Equal(got, data) {
		t.Fatalf("read back: %v (equal %v)", err, bytes.Equal(got, data))
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != off+int64(len(data)) {
		t.Errorf("stream stat: %v, %v", fi, err)
	}
	f.Close()
	after := zerocopy.Snapshot()
	sent, spliced := after.SendfileBytes-before.SendfileBytes, after.SpliceBytes-before.SpliceBytes
	t.Logf("8 MiB stream: sendfile %d bytes, splice %d bytes", sent, spliced)
	if sent < uint64(len(data)) || spliced < uint64(len(data)) {
		t.Errorf("stream I/O took the copy paths: sendfile %d, splice %d bytes of %d", sent, spliced, len(data))
	}
	if b, err := fs.ReadFile("old.txt:LEGACY"); err != nil || string(b) != "old data" {
		t.Errorf("old attribute stream = %q, %v", b, err)
	}
	if err := fs.WriteFile("old.txt:legacy", []byte("rewritten"), 0o666); err != nil {
		t.Errorf("rewrite the old attribute stream: %v", err)
	}
	want := map[string]uint64{"::$DATA": 4, ":Big:$DATA": off + uint64(len(data)), ":legacy:$DATA": 9}
	if got := streamListing(t, ts, "old.txt"); !mapsEqual(got, want) {
		t.Errorf("streams %v, want %v", got, want)
	}
	if b, err := os.ReadFile(filepath.Join(ts.Dir, "old.txt")); err != nil || string(b) != "base" {
		t.Errorf("base data %q, %v", b, err)
	}
	checkMetaDirHidden(t, fs)
	if n := sidecarDirs(ts); n != 1 {
		t.Fatalf("%d sidecar directories, want 1", n)
	}
	if err := fs.Remove("old.txt:big"); err != nil {
		t.Fatal(err)
	}
	if got := streamListing(t, ts, "old.txt"); got[":Big:$DATA"] != 0 || len(got) != 2 {
		t.Errorf("streams after deleting Big: %v", got)
	}
	if err := fs.WriteFile("d.txt:s", []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"old.txt", "d.txt"} {
		if err := fs.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
	if n := sidecarDirs(ts); n != 0 {
		t.Errorf("%d sidecar directories left after the base files were deleted", n)
	}
}

// checkMetaDirHidden checks no client path lists, opens, creates or
// renames into the sidecar store's directory.
func checkMetaDirHidden(t *testing.T, fs *gosmb2.Share) {
	t.Helper()
	ents, err := fs.ReadDir("")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.EqualFold(e.Name(), osfs.MetaDir) {
			t.Errorf("the root listing shows %s", e.Name())
		}
	}
	for _, name := range []string{osfs.MetaDir, `.ZEROSMBiles`, osfs.MetaDir + `
ew`} {
		if f, err := fs.Open(name); err == nil {
			f.Close()
			t.Errorf("opened %s", name)
		}
		if f, err := fs.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666); err == nil {
			f.Close()
			t.Errorf("created %s", name)
		}
		if err := fs.Mkdir(name, 0o777); err == nil {
			t.Errorf("made directory %s", name)
		}
		if err := fs.Rename("old.txt", name); err == nil {
			t.Fatalf("renamed old.txt to %s", name)
		}
		if err := fs.Remove(name); err == nil {
			t.Errorf("removed %s", name)
		}
	}
}

func mapsEqual(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestMaxStreamSize checks Config.MaxStreamSize: a WRITE or end of file
// past it is STATUS_DISK_FULL, up to it succeeds; the base file is not
// bounded by it.
func TestMaxStreamSize(t *testing.T) {
	dir := t.TempDir()
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	db := auth.NewUserDB()
	db.Add(testUser, testPass)
	ts := serveConfig(t, Config{Shares: []*Share{{Name: "share", FS: fsys, Path: dir}}, Users: db,
		Logger: testLogger(t), MaxStreamSize: 1 << 20}, dir)
	fs := dialGo(t, ts)
	f, err := fs.OpenFile("f:s", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("x"), 1<<20-1); err != nil {
		t.Errorf("write ending at the limit: %v", err)
	}
	if _, err := f.WriteAt([]byte("xy"), 1<<20-1); err == nil || !strings.Contains(err.Error(), "DISK_FULL") && !strings.Contains(err.Error(), "disk") {
		t.Errorf("write past the limit: %v, want DISK_FULL", err)
	}
	if err := f.Truncate(1<<20 + 1); err == nil {
		t.Error("end of file past the limit succeeded")
	}
	if err := fs.WriteFile("f", make([]byte, 2<<20), 0o666); err != nil {
		t.Errorf("the base file is bounded by the stream limit: %v", err)
	}
}
