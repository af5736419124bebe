//go:build linux || darwin || freebsd

package osfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/vfs"
	"github.com/zerosmb/zerosmb/vfs/vfstest"
)

// TestFIFO checks that a FIFO in the share neither blocks OpenFile nor
// gets opened.
func TestFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	fsys, err := New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	done := make(chan error, 1)
	go func() {
		f, err := fsys.OpenFile("pipe", os.O_RDONLY, 0)
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("open FIFO: %v, want fs.ErrPermission", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OpenFile blocked on a FIFO")
	}
	// It is still visible to Lstat.
	if fi, err := fsys.Lstat("pipe"); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("lstat pipe: %v, %v", fi, err)
	}
}

// TestOSFile checks the zero-copy accessors: the descriptor is the open
// file, and it is in blocking mode.
func TestOSFile(t *testing.T) {
	fsys, err := New(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	vfstest.WriteFile(t, fsys, "f", []byte("payload"))
	vf, err := fsys.OpenFile("f", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer vf.Close()
	f := vf.(*File)
	osf := f.OSFile()
	buf := make([]byte, 7)
	if n, err := osf.ReadAt(buf, 0); n != 7 || string(buf) != "payload" {
		t.Errorf("OSFile ReadAt: %d, %v, %q", n, err, buf)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	var flags int
	var cerr error
	err = rc.Control(func(fd uintptr) {
		if cerr = unix.Fstat(int(fd), &st); cerr == nil {
			flags, cerr = unix.FcntlInt(fd, unix.F_GETFL, 0)
		}
	})
	if err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	fi, err := fsys.Stat("f")
	if err != nil {
		t.Fatal(err)
	}
	if uint64(st.Ino) != vfs.FileIndex(fi) || st.Size != 7 {
		t.Errorf("fd inode %d size %d, Stat index %d", st.Ino, st.Size, vfs.FileIndex(fi))
	}
	if flags&unix.O_NONBLOCK != 0 {
		t.Error("descriptor left in non-blocking mode")
	}
	if _, ok := fi.Sys().(*syscall.Stat_t); !ok {
		t.Errorf("Sys() = %T, want *syscall.Stat_t", fi.Sys())
	}
}

func TestStatfsMatchesKernel(t *testing.T) {
	dir := t.TempDir()
	fsys, err := New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	st, err := fsys.Statfs()
	if err != nil {
		t.Fatal(err)
	}
	var ks unix.Statfs_t
	if err := unix.Statfs(dir, &ks); err != nil {
		t.Fatal(err)
	}
	if st.TotalBlocks != uint64(ks.Blocks) || st.BlockSize == 0 || st.Serial == 0 {
		t.Errorf("Statfs = %+v, kernel blocks %d", st, ks.Blocks)
	}
	again, _ := fsys.Statfs()
	if again.Serial != st.Serial {
		t.Error("serial not stable")
	}
}

// TestAppending checks the O_APPEND report the splice path relies on
// instead of fcntl(2): a wrong false would let splice write at an offset
// the kernel then ignores.
func TestAppending(t *testing.T) {
	fsys := newFS(t)
	for _, tc := range []struct {
		flag int
		want bool
	}{
		{os.O_RDWR | os.O_CREATE, false},
		{os.O_WRONLY | os.O_APPEND, true},
		{os.O_RDONLY, false},
	} {
		f, err := fsys.OpenFile("a.txt", tc.flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		a, ok := f.(zerocopy.Appender)
		if !ok {
			t.Fatal("osfs.File does not implement zerocopy.Appender")
		}
		if got := a.Appending(); got != tc.want {
			t.Errorf("flag %#x: Appending() = %v, want %v", tc.flag, got, tc.want)
		}
		fl, err := unix.FcntlInt(f.(*File).OSFile().Fd(), unix.F_GETFL, 0)
		if err == nil && (fl&unix.O_APPEND != 0) != tc.want {
			t.Errorf("flag %#x: kernel says O_APPEND=%v", tc.flag, fl&unix.O_APPEND != 0)
		}
		f.Close()
	}
}

// TestSymlinker: Symlink stores the target as given and Readlink returns
// it without following; an existing name is refused, a read-only share
// refuses Symlink, and opening a link that leaves the share fails.
func TestSymlinker(t *testing.T) {
	dir := t.TempDir()
	fsys, err := New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	var _ vfs.Symlinker = fsys
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	if err := fsys.Symlink("f", "l"); err != nil {
		t.Fatal(err)
	}
	if got, err := fsys.Readlink("l"); err != nil || got != "f" {
		t.Fatalf("Readlink: %q %v", got, err)
	}
	if err := fsys.Symlink("f", "l"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Symlink over an existing name: %v", err)
	}
	if err := fsys.Symlink("../../outside", "out"); err != nil {
		t.Fatal(err) // stored as given: the server decides what to show
	}
	if _, err := fsys.OpenFile("out", os.O_RDONLY, 0); err == nil {
		t.Error("opened a link that leaves the share")
	}
	if _, err := fsys.Readlink("f"); err == nil {
		t.Error("Readlink of a regular file succeeded")
	}
	ro, err := New(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Symlink("f", "l2"); err == nil {
		t.Error("Symlink on a read-only share succeeded")
	}
	if got, err := ro.Readlink("l"); err != nil || got != "f" {
		t.Errorf("Readlink on a read-only share: %q %v", got, err)
	}
}
