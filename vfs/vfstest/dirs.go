package vfstest

import (
	"io"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/zerosmb/zerosmb/vfs"
)

var (
	errNotDir   error = syscall.ENOTDIR
	errNotEmpty error = syscall.ENOTEMPTY
)

func testMkdir(t *testing.T, fsys vfs.FS) {
	if err := fsys.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "Mkdir existing", fsys.Mkdir("d", 0o755), fs.ErrExist)
	wantErr(t, "Mkdir root", fsys.Mkdir("", 0o755), fs.ErrExist)
	wantErr(t, "Mkdir missing parent", fsys.Mkdir("x/y", 0o755), fs.ErrNotExist)
	if err := fsys.Mkdir("d/e", 0o755); err != nil {
		t.Fatal(err)
	}
	WriteFile(t, fsys, "d/e/f", []byte("x"))
	wantErr(t, "Mkdir over file", fsys.Mkdir("d/e/f", 0o755), fs.ErrExist)
	wantErr(t, "Mkdir under file", fsys.Mkdir("d/e/f/g", 0o755), errNotDir)

	for _, name := range []string{"d", "d/e", "", "."} {
		f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
		if err != nil {
			t.Errorf("open dir %q: %v", name, err)
			continue
		}
		fi, err := f.Stat()
		if err != nil || !fi.IsDir() {
			t.Errorf("stat dir %q: %v, %v", name, fi, err)
		}
		if _, err := f.ReadAt(make([]byte, 1), 0); err == nil || err == io.EOF {
			t.Errorf("ReadAt on dir %q: %v", name, err)
		}
		f.Close()
	}
	if f, err := fsys.OpenFile("d", os.O_RDWR, 0); err == nil {
		f.Close()
		t.Error("opened directory for writing")
	}
	if f, err := fsys.OpenFile("d", os.O_RDWR|os.O_CREATE, 0o644); err == nil {
		f.Close()
		t.Error("O_CREATE on a directory succeeded")
	}
}

// readDirNames lists dir with ReadDir(-1), sorted (backends list in
// their own order).
func readDirNames(t *testing.T, fsys vfs.FS, dir string) []string {
	t.Helper()
	f, err := fsys.OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		t.Fatalf("ReadDir(%q): %v", dir, err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func testReadDir(t *testing.T, fsys vfs.FS) {
	files := []string{"b", "a", "c", "B", "10", "9", "zz", "ä"}
	for _, name := range files {
		WriteFile(t, fsys, name, []byte(name))
	}
	if err := fsys.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(files), "sub")
	slices.Sort(want)
	if got := readDirNames(t, fsys, ""); !slices.Equal(got, want) {
		t.Errorf("ReadDir = %q, want %q", got, want)
	}
	if got := readDirNames(t, fsys, "sub"); len(got) != 0 {
		t.Errorf("empty dir lists %q", got)
	}

	f, err := fsys.OpenFile(".", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ents, err := f.ReadDir(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Errorf("Info(%q): %v", e.Name(), err)
			continue
		}
		if e.Name() == "sub" {
			if !e.IsDir() || !fi.IsDir() || !e.Type().IsDir() {
				t.Errorf("sub: IsDir %v, info %v", e.IsDir(), fi.Mode())
			}
			continue
		}
		if e.IsDir() || fi.Size() != int64(len(e.Name())) || fi.Name() != e.Name() {
			t.Errorf("%q: IsDir %v, size %d, name %q", e.Name(), e.IsDir(), fi.Size(), fi.Name())
		}
	}
	// Exhausted: ReadDir(-1) returns nothing, ReadDir(n) io.EOF.
	if more, err := f.ReadDir(-1); len(more) != 0 || err != nil {
		t.Errorf("second ReadDir(-1) = %d entries, %v", len(more), err)
	}
	if _, err := f.ReadDir(1); err != io.EOF {
		t.Errorf("ReadDir(1) at end = %v, want io.EOF", err)
	}
	if rw, ok := f.(vfs.DirRewinder); ok {
		if err := rw.RewindDir(); err != nil {
			t.Fatal(err)
		}
		again, err := f.ReadDir(-1)
		if err != nil || len(again) != len(want) {
			t.Errorf("after RewindDir: %d entries, %v", len(again), err)
		}
	}

	// Entries stay usable after the directory is closed (the server
	// lists, closes, then stats entries).
	d, err := fsys.OpenFile("", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ents, err = d.ReadDir(-1)
	d.Close()
	if err != nil || len(ents) != len(want) {
		t.Fatalf("ReadDir: %d entries, %v", len(ents), err)
	}
	for _, e := range ents {
		if fi, err := e.Info(); err != nil || fi.Name() != e.Name() {
			t.Errorf("Info(%q) after Close: %v, %v", e.Name(), fi, err)
		}
	}

	g, err := fsys.OpenFile("a", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.ReadDir(-1); err == nil {
		t.Error("ReadDir on a file succeeded")
	}
}

func testReadDirChunks(t *testing.T, fsys vfs.FS) {
	var want []string
	for i := range 25 {
		name := string(rune('a'+i%26)) + string(rune('a'+(i*7)%26))
		WriteFile(t, fsys, name, nil)
		want = append(want, name)
	}
	slices.Sort(want)
	f, err := fsys.OpenFile("", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	for {
		ents, err := f.ReadDir(4)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) == 0 || len(ents) > 4 {
			t.Fatalf("ReadDir(4) returned %d entries", len(ents))
		}
		for _, e := range ents {
			got = append(got, e.Name())
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("chunked listing = %q, want %q", got, want)
	}
}

func testRemove(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "f", nil)
	if err := fsys.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	WriteFile(t, fsys, "d/g", nil)
	if err := fsys.Remove("f"); err != nil {
		t.Fatal(err)
	}
	_, err := fsys.Stat("f")
	wantErr(t, "Stat removed", err, fs.ErrNotExist)
	wantErr(t, "Remove missing", fsys.Remove("f"), fs.ErrNotExist)
	wantErr(t, "Remove in missing dir", fsys.Remove("x/y"), fs.ErrNotExist)
	wantErr(t, "Remove non-empty dir", fsys.Remove("d"), errNotEmpty)
	if err := fsys.Remove("d/g"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove("d"); err != nil {
		t.Fatalf("Remove empty dir: %v", err)
	}
	if err := fsys.Remove(""); err == nil {
		t.Error("Remove of the root succeeded")
	}
	if got := readDirNames(t, fsys, ""); len(got) != 0 {
		t.Errorf("root still lists %q", got)
	}
}

func testRename(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "a", []byte("A"))
	WriteFile(t, fsys, "b", []byte("B"))
	if err := fsys.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	// An open handle follows the file.
	h, err := fsys.OpenFile("a", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	before, _ := fsys.Stat("a")

	if err := fsys.Rename("a", "d/a2"); err != nil {
		t.Fatal(err)
	}
	_, err = fsys.Stat("a")
	wantErr(t, "old name after rename", err, fs.ErrNotExist)
	after, err := fsys.Stat("d/a2")
	if err != nil {
		t.Fatal(err)
	}
	if vfs.FileIndex(before) != vfs.FileIndex(after) {
		t.Errorf("rename changed file index %d -> %d", vfs.FileIndex(before), vfs.FileIndex(after))
	}
	buf := make([]byte, 1)
	if n, err := h.ReadAt(buf, 0); n != 1 || buf[0] != 'A' {
		t.Errorf("handle after rename: %d, %v, %q", n, err, buf)
	}

	// Replace an existing file.
	if err := fsys.Rename("b", "d/a2"); err != nil {
		t.Fatalf("rename replacing: %v", err)
	}
	if got := ReadFile(t, fsys, "d/a2"); string(got) != "B" {
		t.Errorf("replaced content = %q", got)
	}
	if got := readDirNames(t, fsys, ""); !slices.Equal(got, []string{"d"}) {
		t.Errorf("root lists %q", got)
	}

	// Rename a directory with its contents, into another directory.
	if err := fsys.Rename("d", "e"); err != nil {
		t.Fatal(err)
	}
	if got := ReadFile(t, fsys, "e/a2"); string(got) != "B" {
		t.Errorf("content after dir rename = %q", got)
	}
	if err := fsys.Mkdir("p", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename("e", "p/e"); err != nil {
		t.Fatal(err)
	}
	if got := readDirNames(t, fsys, "p/e"); !slices.Equal(got, []string{"a2"}) {
		t.Errorf("moved dir lists %q", got)
	}
	// Renaming onto itself is a no-op, for files and directories.
	for _, name := range []string{"p/e/a2", "p/e"} {
		if err := fsys.Rename(name, name); err != nil {
			t.Errorf("rename %q onto itself: %v", name, err)
		}
		if _, err := fsys.Stat(name); err != nil {
			t.Errorf("after self-rename: %v", err)
		}
	}
}

func testRenameErrors(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "f", nil)
	for _, d := range []string{"d", "full"} {
		if err := fsys.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	WriteFile(t, fsys, "full/x", nil)
	wantErr(t, "missing source", fsys.Rename("nope", "g"), fs.ErrNotExist)
	wantErr(t, "missing target dir", fsys.Rename("f", "nodir/g"), fs.ErrNotExist)
	// A directory is never replaced, empty or not.
	if err := fsys.Mkdir("empty", 0o755); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "dir onto non-empty dir", fsys.Rename("d", "full"), fs.ErrExist)
	wantErr(t, "dir onto empty dir", fsys.Rename("d", "empty"), fs.ErrExist)
	wantErr(t, "file onto dir", fsys.Rename("f", "d"), fs.ErrExist)
	if err := fsys.Rename("d", "f"); err == nil {
		t.Error("dir onto file succeeded")
	}
	if err := fsys.Rename("d", "d/sub"); err == nil {
		t.Error("dir into itself succeeded")
	}
	if err := fsys.Rename("", "x"); err == nil {
		t.Error("rename of the root succeeded")
	}
	for _, name := range []string{"f", "d", "full/x", "empty"} {
		if _, err := fsys.Stat(name); err != nil {
			t.Errorf("%q lost after failed renames: %v", name, err)
		}
	}
	if err := fsys.Rename("f", "g"); err != nil {
		t.Errorf("plain rename after failures: %v", err)
	}
}
