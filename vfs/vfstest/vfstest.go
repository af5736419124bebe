// Package vfstest is a conformance suite for vfs.FS implementations.
// TestFS checks file and directory semantics on a fresh, writable tree;
// TestReadOnly checks that a read-only view refuses every mutation.
// Implementation-specific checks (symlinks escaping an osfs share, for
// instance) stay with the implementation's own tests.
package vfstest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"testing"

	"github.com/zerosmb/zerosmb/vfs"
)

// TestFS runs the suite. newFS must return a new, empty, writable tree
// for every call; the suite closes it.
func TestFS(t *testing.T, newFS func(t *testing.T) vfs.FS) {
	tests := []struct {
		name string
		fn   func(*testing.T, vfs.FS)
	}{
		{"CreateReadWrite", testCreateReadWrite},
		{"OpenFlags", testOpenFlags},
		{"Truncate", testTruncate},
		{"Mkdir", testMkdir},
		{"ReadDir", testReadDir},
		{"ReadDirChunks", testReadDirChunks},
		{"Remove", testRemove},
		{"Rename", testRename},
		{"RenameErrors", testRenameErrors},
		{"Stat", testStat},
		{"Chtimes", testChtimes},
		{"WriteUpdatesTimes", testWriteUpdatesTimes},
		{"InvalidNames", testInvalidNames},
		{"Statfs", testStatfs},
		{"OpenAfterRemove", testOpenAfterRemove},
		{"Closed", testClosed},
		{"Concurrent", testConcurrent},
		{"Sparse", testSparse},
		{"ReadDirStreams", testReadDirStreams},
		{"DirResume", testDirResume},
		{"Link", testLink},
		{"Chmod", testChmod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := newFS(t)
			t.Cleanup(func() { fsys.Close() })
			tt.fn(t, fsys)
		})
	}
}

// WriteFile creates (or truncates) name and writes data to it.
func WriteFile(t testing.TB, fsys vfs.FS, name string, data []byte) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	if len(data) > 0 {
		if n, err := f.WriteAt(data, 0); n != len(data) || err != nil {
			t.Fatalf("write %q: %d, %v", name, n, err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %q: %v", name, err)
	}
}

// ReadFile returns the whole content of name.
func ReadFile(t testing.TB, fsys vfs.FS, name string) []byte {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open %q: %v", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatalf("stat %q: %v", name, err)
	}
	buf := make([]byte, fi.Size())
	n, err := f.ReadAt(buf, 0)
	if n != len(buf) || (err != nil && err != io.EOF) {
		t.Fatalf("read %q: %d of %d, %v", name, n, len(buf), err)
	}
	return buf
}

// wantErr fails unless err matches target (errors.Is).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func testCreateReadWrite(t *testing.T, fsys vfs.FS) {
	f, err := fsys.OpenFile("f.txt", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Name() != "f.txt" {
		t.Errorf("Name = %q", f.Name())
	}
	if n, err := f.WriteAt([]byte("hello"), 0); n != 5 || err != nil {
		t.Fatalf("WriteAt 0: %d, %v", n, err)
	}
	if n, err := f.WriteAt([]byte("world"), 10); n != 5 || err != nil {
		t.Fatalf("WriteAt 10: %d, %v", n, err)
	}
	want := []byte("hello\x00\x00\x00\x00\x00world")
	buf := make([]byte, 15)
	if n, err := f.ReadAt(buf, 0); n != 15 || (err != nil && err != io.EOF) || !bytes.Equal(buf, want) {
		t.Errorf("ReadAt all = %d, %v, %q", n, err, buf)
	}
	buf = make([]byte, 20)
	if n, err := f.ReadAt(buf, 3); n != 12 || err != io.EOF || !bytes.Equal(buf[:n], want[3:]) {
		t.Errorf("ReadAt past end = %d, %v, %q; want 12, EOF", n, err, buf[:n])
	}
	if n, err := f.ReadAt(buf, 100); n != 0 || err != io.EOF {
		t.Errorf("ReadAt beyond EOF = %d, %v", n, err)
	}
	if _, err := f.ReadAt(buf, -1); err == nil {
		t.Error("ReadAt negative offset succeeded")
	}
	if _, err := f.WriteAt(buf, -1); err == nil {
		t.Error("WriteAt negative offset succeeded")
	}
	if err := f.Sync(); err != nil {
		t.Errorf("Sync: %v", err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 15 || !fi.Mode().IsRegular() || fi.Name() != "f.txt" {
		t.Errorf("Stat = %v, %v", fi, err)
	}
	if got := ReadFile(t, fsys, "f.txt"); !bytes.Equal(got, want) {
		t.Errorf("reopened content = %q", got)
	}
}

func testOpenFlags(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "f", []byte("data"))
	_, err := fsys.OpenFile("f", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	wantErr(t, "O_EXCL on existing", err, fs.ErrExist)
	_, err = fsys.OpenFile("missing", os.O_RDONLY, 0)
	wantErr(t, "open missing", err, fs.ErrNotExist)
	_, err = fsys.OpenFile("nodir/f", os.O_RDWR|os.O_CREATE, 0o644)
	wantErr(t, "create in missing dir", err, fs.ErrNotExist)

	// O_CREATE without O_EXCL opens the existing file untouched.
	f, err := fsys.OpenFile("f", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := ReadFile(t, fsys, "f"); string(got) != "data" {
		t.Errorf("O_CREATE changed content: %q", got)
	}

	// A read-only handle refuses writes and truncation.
	f, err = fsys.OpenFile("f", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("x"), 0); err == nil {
		t.Error("WriteAt on O_RDONLY handle succeeded")
	}
	if err := f.Truncate(0); err == nil {
		t.Error("Truncate on O_RDONLY handle succeeded")
	}
	f.Close()

	// A write-only handle refuses reads.
	f, err = fsys.OpenFile("f", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); err == nil || err == io.EOF {
		t.Errorf("ReadAt on O_WRONLY handle: %v", err)
	}
	f.Close()

	// O_TRUNC empties the file.
	f, err = fsys.OpenFile("f", os.O_RDWR|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 0 {
		t.Errorf("after O_TRUNC: %v, %v", fi, err)
	}
	f.Close()

	// A path through a file is not a directory.
	_, err = fsys.OpenFile("f/x", os.O_RDONLY, 0)
	wantErr(t, "open through file", err, errNotDir)

	// Cleaned names.
	if err := fsys.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	f, err = fsys.OpenFile("./d//g/", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != "d/g" {
		t.Errorf("Name = %q, want d/g", f.Name())
	}
	f.Close()
}

func testTruncate(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "f", []byte("0123456789"))
	f, err := fsys.OpenFile("f", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(3); err != nil {
		t.Fatal(err)
	}
	if fi, _ := f.Stat(); fi.Size() != 3 {
		t.Errorf("size after shrink = %d", fi.Size())
	}
	if err := f.Truncate(6); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if n, err := f.ReadAt(buf, 0); n != 6 || (err != nil && err != io.EOF) || string(buf) != "012\x00\x00\x00" {
		t.Errorf("after grow: %d, %v, %q", n, err, buf)
	}
	if err := f.Truncate(-1); err == nil {
		t.Error("Truncate(-1) succeeded")
	}
	if fi, err := fsys.Stat("f"); err != nil || fi.Size() != 6 {
		t.Errorf("Stat after truncate: %v, %v", fi, err)
	}
}
