package osfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
	"github.com/zerosmb/zerosmb/vfs/vfstest"
)

func newFS(t *testing.T) vfs.FS {
	fsys, err := New(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestConformance(t *testing.T) {
	vfstest.TestFS(t, newFS)
}

func TestReadOnly(t *testing.T) {
	vfstest.TestReadOnly(t, func(t *testing.T) (vfs.FS, vfs.FS) {
		dir := t.TempDir()
		rw, err := New(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		ro, err := New(dir, true)
		if err != nil {
			t.Fatal(err)
		}
		if !ro.ReadOnly() || rw.ReadOnly() {
			t.Error("ReadOnly() wrong")
		}
		return rw, ro
	})
}

func TestNewErrors(t *testing.T) {
	if _, err := New(filepath.Join(t.TempDir(), "missing"), false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(file, false); err == nil {
		t.Error("New on a file succeeded")
	}
}

// TestEscapes plants symlinks that point out of the share and checks
// that nothing can be read, written, created or listed through them.
func TestEscapes(t *testing.T) {
	base := t.TempDir()
	share := filepath.Join(base, "share")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{share, outside, filepath.Join(share, "in")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"etc":       "/etc",                 // absolute, to a directory
		"passwd":    "/etc/passwd",          // absolute, to a file
		"up":        "../outside",           // relative, out of the share
		"in/upup":   "../../outside/secret", // relative from a subdirectory
		"in/loop":   "loop",                 // self loop
		"dangling":  "../outside/nothing",   // escapes to a missing name
		"inside":    "in",                   // stays inside: allowed
		"in/parent": "..",                   // the share root: allowed
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(share, name)); err != nil {
			t.Skipf("symlink: %v", err)
		}
	}
	fsys, err := New(share, false)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()

	bad := []string{
		"etc", "etc/passwd", "etc/hostname", "passwd", "up", "up/secret", "in/upup",
		"in/loop", "dangling", "up/new", "etc/new", "inside/../up/secret",
	}
	for _, name := range bad {
		if f, err := fsys.OpenFile(name, os.O_RDONLY, 0); err == nil {
			f.Close()
			t.Errorf("open %q succeeded", name)
		}
		if f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644); err == nil {
			f.Close()
			t.Errorf("create %q succeeded", name)
		}
		if _, err := fsys.Stat(name); err == nil {
			t.Errorf("stat %q succeeded", name)
		}
		if err := fsys.Mkdir(name+"/x", 0o755); err == nil {
			t.Errorf("mkdir under %q succeeded", name)
		}
		if err := fsys.Chtimes(name, time.Unix(1, 0), time.Unix(1, 0)); err == nil {
			t.Errorf("chtimes %q succeeded", name)
		}
	}
	// Escapes through a symlink are reported as such.
	_, err = fsys.Stat("up/secret")
	if !errors.Is(err, vfs.ErrOutsideShare) || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("stat up/secret: %v, want vfs.ErrOutsideShare", err)
	}
	// Renaming onto or through an escaping link must not move files out.
	vfstest.WriteFile(t, fsys, "mine", []byte("mine"))
	if err := fsys.Rename("mine", "up/stolen"); err == nil {
		t.Error("rename through escaping link succeeded")
	}
	if _, err := os.Lstat(filepath.Join(outside, "stolen")); err == nil {
		t.Error("file landed outside the share")
	}
	if err := fsys.Rename("up/secret", "got"); err == nil {
		t.Error("rename from outside succeeded")
	}
	// Lstat sees the link itself, which lives inside the share.
	if fi, err := fsys.Lstat("up"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("lstat up: %v, %v", fi, err)
	}
	// Links that stay inside work.
	vfstest.WriteFile(t, fsys, "in/f", []byte("ok"))
	if got := vfstest.ReadFile(t, fsys, "inside/f"); string(got) != "ok" {
		t.Errorf("inside/f = %q", got)
	}
	if fi, err := fsys.Stat("in/parent/in/f"); err != nil || fi.Size() != 2 {
		t.Errorf("stat in/parent/in/f: %v, %v", fi, err)
	}
	// Removing the link removes the link, not the target.
	if err := fsys.Remove("up"); err != nil {
		t.Errorf("remove link: %v", err)
	}
	if got, err := os.ReadFile(secret); err != nil || string(got) != "secret" {
		t.Errorf("outside file changed: %q, %v", got, err)
	}
	// Directory listings of a subdirectory stay inside too.
	f, err := fsys.OpenFile("in", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if _, err := e.Info(); err != nil {
			t.Errorf("Info(%q): %v", e.Name(), err)
		}
	}
}
