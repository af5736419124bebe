package vfstest

import (
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

// TestReadOnly checks a read-only view. newPair must return a writable
// tree and a read-only view of the same (empty) tree; the suite fills the
// writable one, then tries every mutation through the view, expecting
// errors wrapping fs.ErrPermission and vfs.ErrReadOnly and no change.
func TestReadOnly(t *testing.T, newPair func(t *testing.T) (rw, ro vfs.FS)) {
	rw, ro := newPair(t)
	t.Cleanup(func() { ro.Close(); rw.Close() })
	WriteFile(t, rw, "f", []byte("data"))
	if err := rw.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}

	deny := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, fs.ErrPermission) || !errors.Is(err, vfs.ErrReadOnly) {
			t.Errorf("%s: err = %v, want vfs.ErrReadOnly", what, err)
		}
	}
	for _, flag := range []int{os.O_WRONLY, os.O_RDWR, os.O_RDONLY | os.O_CREATE, os.O_RDONLY | os.O_TRUNC, os.O_RDONLY | os.O_APPEND, os.O_RDWR | os.O_CREATE | os.O_EXCL} {
		for _, name := range []string{"f", "new"} {
			f, err := ro.OpenFile(name, flag, 0o644)
			if err == nil {
				f.Close()
			}
			deny("OpenFile "+name, err)
		}
	}
	deny("Mkdir", ro.Mkdir("e", 0o755))
	deny("Remove file", ro.Remove("f"))
	deny("Remove dir", ro.Remove("d"))
	deny("Rename", ro.Rename("f", "g"))
	deny("Chtimes", ro.Chtimes("f", time.Now(), time.Now()))

	f, err := ro.OpenFile("f", os.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); err == nil {
		t.Error("WriteAt through read-only view succeeded")
	}
	if err := f.Truncate(0); err == nil {
		t.Error("Truncate through read-only view succeeded")
	}
	if got := ReadFile(t, ro, "f"); string(got) != "data" {
		t.Errorf("content = %q", got)
	}
	if got := readDirNames(t, ro, ""); len(got) != 2 || got[0] != "d" || got[1] != "f" {
		t.Errorf("listing = %q", got)
	}
	if _, err := ro.Stat("new"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("new exists: %v", err)
	}
	if _, err := ro.Statfs(); err != nil {
		t.Errorf("Statfs: %v", err)
	}
}
