//go:build linux

package osfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/vfs"
)

func newSidecarFS(t *testing.T) (*FS, string) {
	t.Helper()
	dir := t.TempDir()
	fsys, err := New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys, dir
}

func mkfile(t *testing.T, fsys *FS, name string) *File {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f.(*File)
}

func streamNames(t *testing.T, f vfs.Streamer) []string {
	t.Helper()
	infos, err := f.Streams()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	return names
}

// TestSidecarStreamIO writes a stream sparsely past 1 MiB, reads it back
// at random offsets, and checks Stat and Streams report its size with
// the base file's identity.
func TestSidecarStreamIO(t *testing.T) {
	fsys, _ := newSidecarFS(t)
	base := mkfile(t, fsys, "a.txt")
	if _, err := base.OpenStream("AFP_Resource", os.O_RDWR); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open of a missing stream: %v, want ErrNotExist", err)
	}
	s, err := base.OpenStream("AFP_Resource", os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	for _, off := range []int64{0, 1 << 20, 3 << 10} {
		if _, err := s.WriteAt(chunk, off); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, len(chunk))
	if _, err := s.ReadAt(got, 1<<20); err != nil || !bytes.Equal(got, chunk) {
		t.Fatalf("read back at 1 MiB: %v", err)
	}
	fi, err := s.Stat()
	if err != nil {
		t.Fatal(err)
	}
	bi, _ := base.Stat()
	if want := int64(1<<20 + len(chunk)); fi.Size() != want {
		t.Errorf("stream size %d, want %d", fi.Size(), want)
	}
	if vfs.FileIndex(fi) != vfs.FileIndex(bi) || fi.Name() != "a.txt:AFP_Resource" {
		t.Errorf("stream info: id %d name %q, base id %d", vfs.FileIndex(fi), fi.Name(), vfs.FileIndex(bi))
	}
	if bi.Size() != 0 {
		t.Errorf("base file grew to %d", bi.Size())
	}
	if err := s.Truncate(100); err != nil {
		t.Fatal(err)
	}
	infos, err := base.Streams()
	if err != nil || len(infos) != 1 || infos[0].Name != "AFP_Resource" || infos[0].Size != 100 {
		t.Fatalf("Streams = %+v, %v", infos, err)
	}
	if _, ok := s.(interface{ OSFile() *os.File }); !ok {
		t.Error("a sidecar stream offers no descriptor for sendfile/splice")
	}
	if _, ok := s.(vfs.Streamer); ok {
		t.Error("a stream has streams of its own")
	}
}

// TestSidecarLinksRenameDelete checks that hard links share streams, a
// rename keeps them, removing one name keeps them and removing the last
// (or replacing the file by a rename) removes the sidecar directory.
func TestSidecarLinksRenameDelete(t *testing.T) {
	fsys, dir := newSidecarFS(t)
	base := mkfile(t, fsys, "f")
	s, err := base.OpenStream("x", os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	s.WriteAt([]byte("stream data"), 0)
	s.Close()
	if err := fsys.Link("f", "g"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename("f", "h"); err != nil {
		t.Fatal(err)
	}
	g, err := fsys.OpenFile("g", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if got := streamNames(t, g.(vfs.Streamer)); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("the hard link's streams: %v", got)
	}
	sidecars := func() int {
		m, _ := filepath.Glob(filepath.Join(dir, MetaDir, "files", "*", "*"))
		return len(m)
	}
	if n := sidecars(); n != 1 {
		t.Fatalf("%d sidecar directories, want 1", n)
	}
	if err := fsys.Remove("h"); err != nil {
		t.Fatal(err)
	}
	if n := sidecars(); n != 1 {
		t.Fatalf("removing one of two names dropped the streams (%d dirs)", n)
	}
	mkfile(t, fsys, "other")
	if err := fsys.Rename("other", "g"); err != nil { // replaces the last name
		t.Fatal(err)
	}
	if n := sidecars(); n != 0 {
		t.Fatalf("%d sidecar directories after the file's last name went, want 0", n)
	}
	// A directory's streams go with the directory.
	if err := fsys.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := fsys.OpenFile("d", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := d.(vfs.Streamer).OpenStream("ds", os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	ds.Close()
	d.Close()
	if n := sidecars(); n != 1 {
		t.Fatalf("%d sidecar directories for the directory's stream", n)
	}
	if err := fsys.Remove("d"); err != nil {
		t.Fatal(err)
	}
	if n := sidecars(); n != 0 {
		t.Errorf("%d sidecar directories after rmdir, want 0", n)
	}
}

// TestSidecarInodeReuse deletes a file with streams behind the server's
// back and creates files until one reuses the inode number: none sees
// the old streams, because the ID went with the old inode.
func TestSidecarInodeReuse(t *testing.T) {
	fsys, dir := newSidecarFS(t)
	base := mkfile(t, fsys, "victim")
	s, err := base.OpenStream("secret", os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	bi, _ := base.Stat()
	ino := vfs.FileIndex(bi)
	base.Close()
	if err := os.Remove(filepath.Join(dir, "victim")); err != nil { // outside the server
		t.Fatal(err)
	}
	reused := false
	for i := 0; i < 200 && !reused; i++ {
		f := mkfile(t, fsys, "n"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		fi, _ := f.Stat()
		reused = vfs.FileIndex(fi) == ino
		if got := streamNames(t, f); len(got) != 0 {
			t.Fatalf("a new file (inode reused: %v) sees streams %v", reused, got)
		}
	}
	t.Logf("inode %d reused: %v", ino, reused)
}

// TestSidecarHidden checks the metadata directory is out of every
// client path: not listed, not openable, not creatable, not a rename
// target, whatever the case.
func TestSidecarHidden(t *testing.T) {
	fsys, _ := newSidecarFS(t)
	base := mkfile(t, fsys, "f")
	if err := base.WriteMeta("ntacl", []byte("blob")); err != nil {
		t.Fatal(err)
	}
	root, err := fsys.OpenFile("", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ents, err := root.ReadDir(-1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == MetaDir {
			t.Error("the metadata directory is listed")
		}
	}
	for _, name := range []string{MetaDir, ".ZeroSMB", MetaDir + "/files", ".zerosmb/x"} {
		if _, err := fsys.OpenFile(name, os.O_RDONLY, 0); !errors.Is(err, vfs.ErrReservedName) {
			t.Errorf("open %s: %v", name, err)
		}
		if _, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644); !errors.Is(err, vfs.ErrReservedName) {
			t.Errorf("create %s: %v", name, err)
		}
		if err := fsys.Rename("f", name); !errors.Is(err, vfs.ErrReservedName) {
			t.Errorf("rename to %s: %v", name, err)
		}
		if err := fsys.Remove(name); !errors.Is(err, vfs.ErrReservedName) {
			t.Errorf("remove %s: %v", name, err)
		}
		if _, err := fsys.Stat(name); !errors.Is(err, vfs.ErrReservedName) {
			t.Errorf("stat %s: %v", name, err)
		}
	}
	// Nor through a symlink: none may name it, and a path through a
	// link to the root names it itself.
	for _, target := range []string{MetaDir, "./.ZEROSMB/files", "sub/../" + MetaDir, "/x/" + MetaDir, `..\` + MetaDir} {
		if err := fsys.Symlink(target, "lnk"); !errors.Is(err, vfs.ErrReservedName) {
			t.Errorf("symlink to %s: %v", target, err)
		}
	}
	if err := fsys.Symlink(".", "up"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"up/" + MetaDir, "up/" + MetaDir + "/files", "sub/" + MetaDir} {
		if _, err := fsys.OpenFile(name, os.O_RDONLY, 0); !errors.Is(err, vfs.ErrReservedName) {
			t.Errorf("open %s: %v", name, err)
		}
		if err := fsys.Mkdir(name, 0o755); !errors.Is(err, vfs.ErrReservedName) {
			t.Errorf("mkdir %s: %v", name, err)
		}
	}
}

// TestSidecarMeta round-trips a 20 KiB blob, replaces it and removes it,
// and checks the stream names escape and unescape.
func TestSidecarMeta(t *testing.T) {
	fsys, _ := newSidecarFS(t)
	base := mkfile(t, fsys, "f")
	if _, err := base.ReadMeta("ntacl"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadMeta before any: %v", err)
	}
	big := bytes.Repeat([]byte{7}, 20<<10)
	for _, v := range [][]byte{big, []byte("short")} {
		if err := base.WriteMeta("ntacl", v); err != nil {
			t.Fatal(err)
		}
		got, err := base.ReadMeta("ntacl")
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("ReadMeta = %d bytes, %v; want %d", len(got), err, len(v))
		}
	}
	if err := base.RemoveMeta("ntacl"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".", "..", "a%b", "%2E", "plain"} {
		s, err := base.OpenStream(name, os.O_RDWR|os.O_CREATE)
		if err != nil {
			t.Fatalf("stream %q: %v", name, err)
		}
		s.Close()
	}
	want := []string{"%2E", ".", "..", "a%b", "plain"}
	if got := streamNames(t, base); !slices.Equal(got, want) {
		t.Errorf("streams %q, want %q", got, want)
	}
	ro, err := New(fsys.Dir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rf, err := ro.OpenFile("f", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	if _, err := rf.(vfs.Streamer).OpenStream("plain", os.O_RDWR); !errors.Is(err, vfs.ErrReadOnly) {
		t.Errorf("read-write stream open on a read-only share: %v", err)
	}
	if s, err := rf.(vfs.Streamer).OpenStream("plain", os.O_RDONLY); err != nil {
		t.Errorf("read-only stream open on a read-only share: %v", err)
	} else {
		s.Close()
	}
}

// TestSidecarAsServer calls the store from an OS thread whose fsuid is
// an unprivileged user's (as Unix identities run requests): the sidecar
// files are still made, and owned by the server (root), in a directory
// that user could not write.
func TestSidecarAsServer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch the fsuid")
	}
	fsys, dir := newSidecarFS(t)
	base := mkfile(t, fsys, "f")
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		unix.Setfsuid(65534)
		defer unix.Setfsuid(0)
		if _, err := os.Create(filepath.Join(dir, "probe")); err == nil {
			errc <- errors.New("the fsuid switch did not take")
			return
		}
		s, err := base.OpenStream("x", os.O_RDWR|os.O_CREATE)
		if err == nil {
			s.Close()
			err = base.WriteMeta("ntacl", []byte("sd"))
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	m, _ := filepath.Glob(filepath.Join(dir, MetaDir, "files", "*", "*", "*", "*"))
	if len(m) != 2 {
		t.Fatalf("sidecar files %v, want the stream and the blob", m)
	}
	for _, p := range m {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if uid, _, _ := vfs.Owner(fi); uid != 0 {
			t.Errorf("%s owned by %d, want the server (0)", p, uid)
		}
	}
}
