package osfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/vfs"
)

// TestEntryGetxattr reads attributes of listed entries without opening
// them: a file's, none, a symlink's own (never its target's), a
// subdirectory's, with getxattrat and with lgetxattr on /proc/self/fd,
// and after the listed directory is closed.
func TestEntryGetxattr(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Setxattr(dir, "user.test", []byte("x"), 0); err != nil {
		t.Skipf("no user xattrs: %v", err)
	}
	outside := filepath.Join(t.TempDir(), "outside")
	os.WriteFile(outside, nil, 0o644)
	unix.Setxattr(outside, "user.zerosmb.a", []byte("outside"), 0)
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	for _, n := range []string{"d/with", "d/without", "d/sub"} {
		if n == "d/sub" {
			os.Mkdir(filepath.Join(dir, n), 0o755)
		} else {
			os.WriteFile(filepath.Join(dir, n), nil, 0o644)
		}
	}
	unix.Setxattr(filepath.Join(dir, "d/with"), "user.zerosmb.a", []byte("file"), 0)
	unix.Setxattr(filepath.Join(dir, "d/sub"), "user.zerosmb.a", []byte("dir"), 0)
	os.Symlink(outside, filepath.Join(dir, "d/link"))
	os.Symlink("with", filepath.Join(dir, "d/inlink"))
	fsys, err := New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fsys.OpenFile("d", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := f.ReadDir(-1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"with": "file", "sub": "dir", "without": "", "link": "", "inlink": ""}
	check := func(when string) {
		for _, e := range ents {
			v, err := e.(vfs.XattrEntry).Getxattr("a")
			w := want[e.Name()]
			switch {
			case w == "" && err == nil:
				t.Errorf("%s: %s: got %q, want none", when, e.Name(), v)
			case w != "" && (err != nil || string(v) != w):
				t.Errorf("%s: %s: %q, %v; want %q", when, e.Name(), v, err, w)
			case w == "" && e.Name() == "without" && !errors.Is(err, vfs.ErrNoXattr):
				t.Errorf("%s: without: %v, want ErrNoXattr", when, err)
			}
		}
	}
	check("open")
	haveGetxattrat.Store(false) // as on kernels before 6.13: /proc/self/fd
	check("open, lgetxattr")
	haveGetxattrat.Store(true)
	f.Close()
	check("closed")
	if len(ents) != 5 {
		t.Errorf("%d entries", len(ents))
	}
}
