package server

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestFilesCreateWriteReadStat(t *testing.T) {
	ts := startServer(t, testOpts{})
	fs := dialGo(t, ts)

	if err := fs.WriteFile("hello.txt", []byte("hello, world"), 0o644); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(ts.Dir, "hello.txt"))
	if err != nil || string(got) != "hello, world" {
		t.Fatalf("on disk: %q, %v", got, err)
	}
	b, err := fs.ReadFile("hello.txt")
	if err != nil || string(b) != "hello, world" {
		t.Fatalf("ReadFile: %q, %v", b, err)
	}
	fi, err := fs.Stat("hello.txt")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if fi.Size() != 12 || fi.IsDir() || fi.Name() != "hello.txt" {
		t.Errorf("Stat = size %d dir %v name %q", fi.Size(), fi.IsDir(), fi.Name())
	}
	// CREATE with FILE_CREATE on an existing name collides.
	_, err = fs.OpenFile("hello.txt", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if !os.IsExist(err) {
		t.Errorf("exclusive create of existing file: %v", err)
	}
	_, err = fs.Open("missing.txt")
	if !os.IsNotExist(err) {
		t.Errorf("open missing: %v", err)
	}
	_, err = fs.Open(`nodir\missing.txt`)
	if !os.IsNotExist(err) {
		t.Errorf("open in missing dir: %v", err)
	}
	// Truncate through SET_INFO EndOfFile.
	f, err := fs.OpenFile("hello.txt", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(5); err != nil {
		t.Fatalf("Truncate: %v", err)
	}
	f.Close()
	if fi, _ := os.Stat(filepath.Join(ts.Dir, "hello.txt")); fi.Size() != 5 {
		t.Errorf("size after truncate = %d", fi.Size())
	}
}

func TestFilesDirectories(t *testing.T) {
	ts := startServer(t, testOpts{})
	fs := dialGo(t, ts)

	if err := fs.MkdirAll(`a\b\c`, 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(ts.Dir, "a", "b", "c")); err != nil || !fi.IsDir() {
		t.Fatalf("dir on disk: %v", err)
	}
	for _, n := range []string{"x.txt", "y.txt", "z.dat"} {
		if err := fs.WriteFile(`a\`+n, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list, err := fs.ReadDir("a")
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	var names []string
	for _, fi := range list {
		names = append(names, fi.Name())
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "b,x.txt,y.txt,z.dat" {
		t.Errorf("ReadDir names = %v", names)
	}
	matches, err := fs.Glob(`a\*.txt`)
	if err != nil {
		t.Fatalf("Glob: %v", err)
	}
	if len(matches) != 2 {
		t.Errorf("Glob *.txt = %v", matches)
	}
	// Removing a non-empty directory fails; empty works.
	if err := fs.Remove(`a\b`); err == nil {
		t.Errorf("remove non-empty dir succeeded")
	}
	if err := fs.Remove(`a\b\c`); err != nil {
		t.Errorf("remove empty dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(ts.Dir, "a", "b", "c")); !os.IsNotExist(err) {
		t.Errorf("dir still there: %v", err)
	}
	if err := fs.RemoveAll("a"); err != nil {
		t.Errorf("RemoveAll: %v", err)
	}
	if _, err := os.Stat(filepath.Join(ts.Dir, "a")); !os.IsNotExist(err) {
		t.Errorf("tree still there: %v", err)
	}
}

func TestFilesRename(t *testing.T) {
	ts := startServer(t, testOpts{})
	fs := dialGo(t, ts)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fs.WriteFile("old.txt", []byte("data"), 0o644))
	must(fs.WriteFile("other.txt", []byte("other"), 0o644))
	must(fs.Mkdir("d", 0o755))
	must(fs.Rename("old.txt", `d\new.txt`))
	if b, err := os.ReadFile(filepath.Join(ts.Dir, "d", "new.txt")); err != nil || string(b) != "data" {
		t.Fatalf("renamed file: %q %v", b, err)
	}
	// go-smb2 renames with ReplaceIfExists=false.
	err := fs.Rename("other.txt", `d\new.txt`)
	if !os.IsExist(err) {
		t.Errorf("rename onto existing: %v", err)
	}
	// Renaming a directory with an open file below it is refused.
	f, err := fs.Open(`d\new.txt`)
	must(err)
	if err := fs.Rename("d", "e"); !os.IsPermission(err) {
		t.Errorf("rename dir with open child: %v", err)
	}
	f.Close()
	must(fs.Rename("d", "e"))
	if _, err := os.Stat(filepath.Join(ts.Dir, "e", "new.txt")); err != nil {
		t.Errorf("after dir rename: %v", err)
	}
	// Escapes are refused.
	if err := fs.Rename("other.txt", `..\escaped.txt`); err == nil {
		t.Errorf("rename out of the share succeeded")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(ts.Dir), "escaped.txt")); err == nil {
		t.Errorf("file escaped the share")
	}
}

func TestFilesShareModes(t *testing.T) {
	ts := startServer(t, testOpts{})
	fs1 := dialGo(t, ts)
	fs2 := dialGo(t, ts)
	if err := fs1.WriteFile("f.txt", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// go-smb2 opens with FILE_SHARE_READ|WRITE|DELETE, so a plain second
	// open works from another connection.
	f1, err := fs1.OpenFile("f.txt", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := fs2.Open("f.txt")
	if err != nil {
		t.Fatalf("shared open: %v", err)
	}
	f2.Close()
	f1.Close()
}

func TestFilesDeleteWithOpenHandle(t *testing.T) {
	ts := startServer(t, testOpts{})
	fs := dialGo(t, ts)
	if err := fs.WriteFile("busy.txt", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// go-smb2 opens with FILE_SHARE_READ|WRITE; its Remove asks for
	// DELETE, which that open does not share.
	f, err := fs.Open("busy.txt")
	if err != nil {
		t.Fatal(err)
	}
	err = fs.Remove("busy.txt")
	if err == nil || !strings.Contains(err.Error(), "share access") {
		t.Errorf("Remove with open handle: %v, want sharing violation", err)
	}
	f.Close()
	if _, err := os.Stat(filepath.Join(ts.Dir, "busy.txt")); err != nil {
		t.Errorf("file removed despite the violation: %v", err)
	}
	if err := fs.Remove("busy.txt"); err != nil {
		t.Errorf("Remove after close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(ts.Dir, "busy.txt")); !os.IsNotExist(err) {
		t.Errorf("file survives Remove: %v", err)
	}
}

func TestFilesReadOnlyShare(t *testing.T) {
	ts := startServer(t, testOpts{ReadOnly: true})
	if err := os.WriteFile(filepath.Join(ts.Dir, "ro.txt"), []byte("read me"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := dialGo(t, ts)
	if b, err := fs.ReadFile("ro.txt"); err != nil || string(b) != "read me" {
		t.Fatalf("read on ro share: %q %v", b, err)
	}
	if err := fs.WriteFile("new.txt", []byte("x"), 0o644); !os.IsPermission(err) {
		t.Errorf("create on ro share: %v", err)
	}
	if _, err := fs.OpenFile("ro.txt", os.O_RDWR, 0); !os.IsPermission(err) {
		t.Errorf("open for write on ro share: %v", err)
	}
	if err := fs.Remove("ro.txt"); err == nil {
		t.Errorf("remove on ro share succeeded")
	}
	if err := fs.Mkdir("d", 0o755); err == nil {
		t.Errorf("mkdir on ro share succeeded")
	}
	if _, err := os.Stat(filepath.Join(ts.Dir, "ro.txt")); err != nil {
		t.Errorf("file touched: %v", err)
	}
}

func TestFilesPathEscape(t *testing.T) {
	ts := startServer(t, testOpts{})
	outside := filepath.Join(filepath.Dir(ts.Dir), "outside.txt")
	os.WriteFile(outside, []byte("secret"), 0o644)
	fs := dialGo(t, ts)
	for _, name := range []string{`..\outside.txt`, `..\..\etc\passwd`, `a\..\..\outside.txt`} {
		if f, err := fs.Open(name); err == nil {
			b, _ := io.ReadAll(f)
			f.Close()
			t.Errorf("open %q succeeded: %q", name, b)
		}
		if err := fs.WriteFile(name, []byte("pwned"), 0o644); err == nil {
			t.Errorf("write %q succeeded", name)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "secret" {
		t.Errorf("outside file changed: %q", b)
	}
}
