package vfstest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/zerosmb/zerosmb/vfs"
)

// testSparse checks vfs.SparseFile where a backend offers it: punching
// and zeroing read back as zeros without changing the size, and the
// data regions cover the data.
func testSparse(t *testing.T, fsys vfs.FS) {
	const blk = 64 << 10
	data := bytes.Repeat([]byte{0xAA}, 4*blk)
	WriteFile(t, fsys, "s", data)
	f, err := fsys.OpenFile("s", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sf, ok := f.(vfs.SparseFile)
	if !ok {
		t.Skip("no vfs.SparseFile")
	}
	if err := sf.PunchHole(blk, blk); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("PunchHole: %v", err)
	}
	if err := sf.ZeroRange(3*blk, 100); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("ZeroRange: %v", err)
	}
	if err := sf.Allocate(0, 8*blk); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Allocate: %v", err)
	}
	want := bytes.Clone(data)
	clear(want[blk : 2*blk])
	clear(want[3*blk : 3*blk+100])
	if got := ReadFile(t, fsys, "s"); !bytes.Equal(got, want) {
		t.Errorf("after punch/zero: %d bytes, contents differ", len(got))
	}
	// Every byte that is not zero lies in a data region.
	covered := make([]bool, len(want))
	for off := int64(0); ; {
		d, h, err := sf.NextData(off)
		if err == io.EOF {
			break
		}
		if err != nil || h <= d || d < off {
			t.Fatalf("NextData(%d) = %d, %d, %v", off, d, h, err)
		}
		for i := d; i < min(h, int64(len(covered))); i++ {
			covered[i] = true
		}
		off = h
	}
	for i, b := range want {
		if b != 0 && !covered[i] {
			t.Fatalf("byte %d holds data outside every data region", i)
		}
	}
	if _, _, err := sf.NextData(int64(len(want))); err != io.EOF {
		t.Errorf("NextData at the end = %v, want io.EOF", err)
	}
}

// openFilledDir makes directory dir with n empty files dir/e0000... and
// opens it for listing.
func openFilledDir(t *testing.T, fsys vfs.FS, dir string, n int) vfs.File {
	t.Helper()
	if err := fsys.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		WriteFile(t, fsys, fmt.Sprintf("%s/e%04d", dir, i), nil)
	}
	f, err := fsys.OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// testReadDirStreams: ReadDir(n) pages through a directory bigger than
// any one page, every entry once, with entries' Info usable.
func testReadDirStreams(t *testing.T, fsys vfs.FS) {
	const n = 700
	f := openFilledDir(t, fsys, "big", n)
	defer f.Close()
	seen := map[string]bool{}
	for {
		ents, err := f.ReadDir(32)
		if err == io.EOF {
			break
		}
		if err != nil || len(ents) == 0 || len(ents) > 32 {
			t.Fatalf("ReadDir(32) = %d entries, %v", len(ents), err)
		}
		for _, e := range ents {
			if seen[e.Name()] {
				t.Fatalf("%s listed twice", e.Name())
			}
			seen[e.Name()] = true
			if _, err := e.Info(); err != nil {
				t.Fatalf("Info(%s): %v", e.Name(), err)
			}
		}
	}
	if len(seen) != n {
		t.Errorf("listed %d entries, want %d", len(seen), n)
	}
}

// testDirResume: a listing resumed in a new open after an entry, which
// was removed meanwhile, continues with the entries that followed it.
func testDirResume(t *testing.T, fsys vfs.FS) {
	const n = 300
	f := openFilledDir(t, fsys, "r", n)
	if _, ok := f.(vfs.DirResumer); !ok {
		f.Close()
		t.Skip("no vfs.DirResumer")
	}
	first, err := f.ReadDir(100)
	f.Close()
	if err != nil || len(first) != 100 {
		t.Fatalf("ReadDir(100) = %d, %v", len(first), err)
	}
	seen := map[string]bool{}
	for _, e := range first {
		seen[e.Name()] = true
		if err := fsys.Remove("r/" + e.Name()); err != nil { // as a client deleting what it listed
			t.Fatal(err)
		}
	}
	g, err := fsys.OpenFile("r", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.(vfs.DirResumer).ResumeDir(first[len(first)-1]); err != nil {
		t.Fatal(err)
	}
	rest, err := g.ReadDir(-1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rest {
		if seen[e.Name()] {
			t.Fatalf("%s listed again after resuming", e.Name())
		}
		seen[e.Name()] = true
	}
	if len(seen) != n {
		t.Errorf("%d entries listed in all, want %d", len(seen), n)
	}
}
