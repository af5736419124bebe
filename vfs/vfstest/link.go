package vfstest

import (
	"bytes"
	"io/fs"
	"os"
	"testing"

	"github.com/zerosmb/zerosmb/vfs"
)

// testLink checks vfs.Linker when the tree implements it: a second name
// shares data and identity, link counts follow, existing targets and
// directories are refused.
func testLink(t *testing.T, fsys vfs.FS) {
	l, ok := fsys.(vfs.Linker)
	if !ok {
		t.Skip("no vfs.Linker")
	}
	WriteFile(t, fsys, "a", []byte("one"))
	if err := l.Link("a", "b"); err != nil {
		t.Fatalf("link: %v", err)
	}
	links := func(name string) uint32 {
		fi, err := fsys.Stat(name)
		if err != nil {
			t.Fatalf("stat %s: %v", name, err)
		}
		return vfs.Links(fi)
	}
	if links("a") != 2 || links("b") != 2 {
		t.Errorf("links after link: %d %d, want 2 2", links("a"), links("b"))
	}
	f, err := fsys.OpenFile("b", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("two"), 3)
	f.Close()
	if got := ReadFile(t, fsys, "a"); !bytes.Equal(got, []byte("onetwo")) {
		t.Errorf("through the first name: %q", got)
	}
	ia, _ := fsys.Stat("a")
	ib, _ := fsys.Stat("b")
	if vfs.FileIndex(ia) != vfs.FileIndex(ib) {
		t.Errorf("file ids differ: %d %d", vfs.FileIndex(ia), vfs.FileIndex(ib))
	}
	WriteFile(t, fsys, "c", nil)
	wantErr(t, "link over an existing name", l.Link("a", "c"), fs.ErrExist)
	if err := fsys.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.Link("d", "e"); err == nil {
		t.Errorf("link of a directory succeeded")
	}
	wantErr(t, "link of a missing file", l.Link("nope", "x"), fs.ErrNotExist)
	if err := fsys.Remove("a"); err != nil {
		t.Fatal(err)
	}
	if links("b") != 1 {
		t.Errorf("links after removing one name: %d, want 1", links("b"))
	}
	if err := fsys.Rename("b", "c"); err != nil {
		t.Fatal(err)
	}
	if got := ReadFile(t, fsys, "c"); !bytes.Equal(got, []byte("onetwo")) {
		t.Errorf("after rename: %q", got)
	}
}

// testChmod checks vfs.Chmoder when the tree implements it: the
// permission bits read back through Stat.
func testChmod(t *testing.T, fsys vfs.FS) {
	c, ok := fsys.(vfs.Chmoder)
	if !ok {
		t.Skip("no vfs.Chmoder")
	}
	WriteFile(t, fsys, "m", nil)
	fsys.Mkdir("d", 0o755)
	for _, tc := range []struct {
		name string
		mode fs.FileMode
	}{{"m", 0o640}, {"m", 0o751}, {"d", 0o700}} {
		if err := c.Chmod(tc.name, tc.mode); err != nil {
			t.Fatalf("chmod %s: %v", tc.name, err)
		}
		fi, err := fsys.Stat(tc.name)
		if err != nil || fi.Mode().Perm() != tc.mode {
			t.Errorf("%s: mode %v %v, want %v", tc.name, fi.Mode(), err, tc.mode)
		}
	}
	if fi, _ := fsys.Stat("d"); !fi.IsDir() {
		t.Error("chmod lost the directory bit")
	}
	wantErr(t, "chmod of a missing file", c.Chmod("nope", 0o600), fs.ErrNotExist)
}
