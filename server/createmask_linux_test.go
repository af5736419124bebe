//go:build linux

package server

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// processUmask reads the umask from /proc/self/status.
func processUmask(t *testing.T) os.FileMode {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Umask:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				t.Fatal(err)
			}
			return os.FileMode(n)
		}
	}
	t.Skip("no Umask line in /proc/self/status")
	return 0
}

// TestShareCreateMask: new files and directories get 0666 & CreateMask
// and 0777 & DirectoryMask, less the umask; without masks, 0666/0777.
func TestShareCreateMask(t *testing.T) {
	umask := processUmask(t)
	for _, tc := range []struct {
		file, dir os.FileMode
	}{{0, 0}, {0o640, 0o750}, {0o600, 0o700}} {
		dir := t.TempDir()
		fsys, err := osfs.New(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		db := auth.NewUserDB()
		db.Add(testUser, testPass)
		ts := serveConfig(t, Config{
			Shares: []*Share{{Name: "share", FS: fsys, Path: dir, CreateMask: tc.file, DirectoryMask: tc.dir}},
			Users:  db, Logger: testLogger(t),
		}, dir)
		c := dialGo(t, ts)
		if err := c.WriteFile("f", []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := c.Mkdir("d", 0o755); err != nil {
			t.Fatal(err)
		}
		wantF, wantD := os.FileMode(0o666), os.FileMode(0o777)
		if tc.file != 0 {
			wantF &= tc.file
		}
		if tc.dir != 0 {
			wantD &= tc.dir
		}
		wantF, wantD = wantF&^umask, wantD&^umask
		for name, want := range map[string]os.FileMode{"f": wantF, "d": wantD} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("masks %o/%o, umask %o: %s has mode %o, want %o", tc.file, tc.dir, umask, name, got, want)
			}
		}
		ts.Stop()
	}
}
