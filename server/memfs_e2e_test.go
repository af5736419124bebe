package server

import (
	"bytes"
	"io"
	"os"
	"sort"
	"testing"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/vfs"
	"github.com/zerosmb/zerosmb/vfs/memfs"
)

// TestMemfsBackend serves an in-memory tree end to end: the server only
// talks to vfs.FS, so a backend without file descriptors works (on the
// copy path) and what the client does is visible in the backend.
func TestMemfsBackend(t *testing.T) {
	fsys := memfs.New()
	db := auth.NewUserDB()
	db.Add(testUser, testPass)
	ts := serveConfig(t, Config{
		Shares:   []*Share{{Name: "mem", FS: fsys}},
		Users:    db,
		Sendfile: true, RecvfileMin: 65536, // must fall back: memfs has no fds
		Logger: testLogger(t),
	}, "")
	share := dialGoAs(t, ts, testUser, testPass, "mem")

	if err := share.Mkdir("docs", 0o755); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("zerosmb memfs "), 100000) // ~1.4 MB, several WRITEs
	if err := share.WriteFile(`docs\a.txt`, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := share.ReadFile(`docs\a.txt`)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("read back over SMB: %d bytes, err %v", len(got), err)
	}
	if err := share.Rename(`docs\a.txt`, `docs\b.txt`); err != nil {
		t.Fatal(err)
	}
	// The backend sees exactly what the client did.
	f, err := fsys.OpenFile("docs/b.txt", os.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("backend after rename: %v", err)
	}
	onDisk, _ := io.ReadAll(io.NewSectionReader(f, 0, int64(len(payload)+1)))
	f.Close()
	if !bytes.Equal(onDisk, payload) {
		t.Errorf("backend holds %d bytes, want %d", len(onDisk), len(payload))
	}
	if _, err := fsys.Stat("docs/a.txt"); err == nil {
		t.Error("old name still exists in the backend")
	}
	infos, err := share.ReadDir("docs")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range infos {
		names = append(names, fi.Name())
	}
	sort.Strings(names)
	if len(names) != 1 || names[0] != "b.txt" {
		t.Errorf("listing %v, want [b.txt]", names)
	}
	if err := share.Remove(`docs\b.txt`); err != nil {
		t.Fatal(err)
	}
	if err := share.Remove("docs"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat("docs"); err == nil {
		t.Error("directory still exists in the backend after Remove")
	}
}

var _ vfs.FS = (*memfs.FS)(nil)
