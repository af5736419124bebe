//go:build linux || darwin || freebsd

package vfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestHelpersStat(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, make([]byte, 10000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(name, name+"2"); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2003, 4, 5, 6, 7, 8, 9000, time.UTC)
	at := mt.Add(time.Hour)
	if err := os.Chtimes(name, at, mt); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if FileIndex(fi) != uint64(st.Ino) || FileIndex(fi) == 0 {
		t.Errorf("FileIndex = %d, inode %d", FileIndex(fi), st.Ino)
	}
	if Links(fi) != 2 {
		t.Errorf("Links = %d, want 2", Links(fi))
	}
	a, m, c, b := Times(fi)
	if !a.Equal(at) || !m.Equal(mt) {
		t.Errorf("atime %v mtime %v, want %v %v", a, m, at, mt)
	}
	if time.Since(c) > time.Minute || b.After(c) {
		t.Errorf("ctime %v btime %v", c, b)
	}
	if got := AllocationSize(fi); got != int64(st.Blocks)*512 || got < 10000 {
		t.Errorf("AllocationSize = %d, blocks %d", got, st.Blocks)
	}
}

func TestOwnerFromStat(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	uid, gid, ok := Owner(fi)
	if !ok || uid != uint32(os.Getuid()) || gid != uint32(os.Getegid()) {
		t.Errorf("Owner = %d %d %v, want %d %d", uid, gid, ok, os.Getuid(), os.Getegid())
	}
}
