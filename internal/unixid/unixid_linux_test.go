//go:build linux

package unixid

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/zerosmb/zerosmb/vfs/osfs"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root; these tests switch file system uids")
		}
		t.Skip("needs root: switches the file system uid of a thread")
	}
}

// threadFS returns the Fsuid and Fsgid lines' fourth fields and the
// Groups line of /proc/thread-self/status.
func threadFS(t *testing.T) (fsuid, fsgid, groups string) {
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 5 && f[0] == "Uid:":
			fsuid = f[4]
		case len(f) == 5 && f[0] == "Gid:":
			fsgid = f[4]
		case len(f) >= 1 && f[0] == "Groups:":
			groups = strings.Join(f[1:], " ")
		}
	}
	return
}

func TestDoSwitchesThreadOnly(t *testing.T) {
	needRoot(t)
	c := (&Cred{UID: 2001, GID: 2002, Groups: []uint32{3000, 3001}}).Normalize()
	_, _, rootGroups := threadFS(t)
	err := c.Do(func() error {
		u, g, gr := threadFS(t)
		if u != "2001" || g != "2002" || gr != "2002 3000 3001" {
			t.Errorf("inside Do: fsuid %s fsgid %s groups %q", u, g, gr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every thread (this one included) is back to root.
	for range 50 {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if u, g, gr := threadFS(t); u != "0" || g != "0" || gr != rootGroups {
				t.Errorf("after Do: fsuid %s fsgid %s groups %q (want 0 0 %q)", u, g, gr, rootGroups)
			}
		}()
		wg.Wait()
	}
	if u, _, _ := threadFS(t); u != "0" {
		t.Fatalf("caller's thread kept fsuid %s", u)
	}
}

func TestDoRestoresOnPanic(t *testing.T) {
	needRoot(t)
	func() {
		defer func() { recover() }()
		(&Cred{UID: 2001, GID: 2001}).Do(func() error { panic("boom") })
	}()
	if u, g, _ := threadFS(t); u != "0" || g != "0" {
		t.Fatalf("after a panic: fsuid %s fsgid %s", u, g)
	}
}

func owner(t *testing.T, p string) (uint32, uint32) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// TestWrapOwnershipAndChecks: files made through a view belong to its
// user; the kernel refuses what the user's mode bits do not allow, even
// though the server is root; the refusing view refuses everything.
func TestWrapOwnershipAndChecks(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	back, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	alice := Wrap(back, (&Cred{UID: 2001, GID: 2001}).Normalize())
	bob := Wrap(back, (&Cred{UID: 2002, GID: 2002}).Normalize())

	f, err := alice.OpenFile("a.txt", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("secret"), 0)
	f.Close()
	if u, g := owner(t, filepath.Join(dir, "a.txt")); u != 2001 || g != 2001 {
		t.Fatalf("a.txt owned %d:%d, want 2001:2001", u, g)
	}
	if err := alice.Mkdir("adir", 0o755); err != nil {
		t.Fatal(err)
	}
	if u, _ := owner(t, filepath.Join(dir, "adir")); u != 2001 {
		t.Fatalf("adir owned by %d", u)
	}
	if _, err := bob.OpenFile("a.txt", os.O_RDONLY, 0); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("bob opening alice's 0600 file: %v, want permission denied", err)
	}
	if _, err := bob.OpenFile("adir/b.txt", os.O_RDWR|os.O_CREATE, 0o666); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("bob creating in alice's 0755 dir: %v", err)
	}
	if err := bob.Mkdir("adir/sub", 0o755); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("bob mkdir in alice's dir: %v", err)
	}
	if err := alice.Chmod("adir", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := bob.Chmod("a.txt", 0o666); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("bob chmod of alice's file: %v", err)
	}
	if _, err := bob.Stat("adir/x"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("bob stat through alice's 0700 dir: %v", err)
	}
	if err := bob.Rename("a.txt", "b.txt"); err != nil {
		t.Fatalf("bob rename in a 0777 directory: %v", err) // the directory allows it, no sticky bit
	}
	os.Chmod(dir, os.ModeSticky|0o777) // sticky: only the owner renames or deletes
	if err := bob.Rename("b.txt", "c.txt"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("bob rename in a sticky directory: %v", err)
	}
	if err := bob.Remove("b.txt"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("bob remove in a sticky directory: %v", err)
	}
	if err := alice.Remove("b.txt"); err != nil {
		t.Fatal(err)
	}
	none := Wrap(back, nil)
	if _, err := none.Stat(""); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("refusing view: %v", err)
	}
}

// TestWrapConcurrent runs views of several users and root calls side by
// side (run with -race): every file has the owner of the view that made
// it, so no switched thread ever ran another goroutine's call.
func TestWrapConcurrent(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	back, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uid := uint32(0)
			var fsys interface {
				Mkdir(string, fs.FileMode) error
			} = back
			if w%4 != 0 {
				uid = uint32(2000 + w)
				fsys = Wrap(back, (&Cred{UID: uid, GID: uid}).Normalize())
			}
			for i := range 100 {
				name := "d" + string(rune('a'+w)) + string(rune('a'+i%26)) + string(rune('a'+i/26))
				if err := fsys.Mkdir(name, 0o755); err != nil {
					t.Error(err)
					return
				}
				if u, _ := owner(t, filepath.Join(dir, name)); u != uid {
					t.Errorf("%s owned by %d, want %d", name, u, uid)
				}
			}
		}()
	}
	wg.Wait()
}

func TestLookup(t *testing.T) {
	c, err := Lookup("root")
	if err != nil {
		t.Skip("no root in the passwd database:", err)
	}
	if c.UID != 0 || c.GID != 0 || len(c.Groups) == 0 || c.Groups[0] != 0 {
		t.Fatalf("root: %v", c)
	}
	if _, err := Lookup("no-such-user-zerosmb"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("unknown user: %v", err)
	}
}

// TestMayRemoveMatchesKernel compares MayRemove with what the kernel
// does for unlink as that user, over directory modes, owners and the
// sticky bit.
func TestMayRemoveMatchesKernel(t *testing.T) {
	needRoot(t)
	base := t.TempDir()
	back, err := osfs.New(base, false)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	users := []*Cred{
		(&Cred{UID: 2001, GID: 2001}).Normalize(),
		(&Cred{UID: 2002, GID: 2002, Groups: []uint32{2001}}).Normalize(),
		(&Cred{UID: 2003, GID: 2003}).Normalize(),
	}
	n := 0
	for _, mode := range []fs.FileMode{0o755, 0o775, 0o777, 0o733, 0o577, 0o770, 0o707, 0o777 | fs.ModeSticky, 0o775 | fs.ModeSticky} {
		for _, fileUID := range []uint32{2001, 2002, 2003} {
			for _, u := range users {
				n++
				d := filepath.Join(base, "d"+strings.Repeat("x", n))
				os.Mkdir(d, 0o700)
				f := filepath.Join(d, "f")
				os.WriteFile(f, nil, 0o644)
				os.Lchown(f, int(fileUID), int(fileUID))
				os.Chown(d, 2001, 2001)
				os.Chmod(d, mode)
				dfi, _ := os.Stat(d)
				want := u.MayRemove(dfi, fileUID)
				got := Wrap(back, u).Remove(filepath.Base(d)+"/f") == nil
				if got != want {
					t.Errorf("dir mode %v owner 2001, file owner %d, %v: kernel removes %v, MayRemove %v", mode, fileUID, u, got, want)
				}
			}
		}
	}
}

// BenchmarkDo is the cost of one switch and back around a no-op
// (LockOSThread, setgroups, setfsgid and setfsuid with their checks,
// twice).
func BenchmarkDo(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	c := (&Cred{UID: 2001, GID: 2001, Groups: []uint32{3000, 3001}}).Normalize()
	for b.Loop() {
		c.Do(func() error { return nil })
	}
}

// BenchmarkStat compares an Lstat through a view with a direct one.
func BenchmarkStat(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), nil, 0o644)
	back, _ := osfs.New(dir, false)
	defer back.Close()
	view := Wrap(back, (&Cred{UID: 2001, GID: 2001}).Normalize())
	b.Run("root", func(b *testing.B) {
		for b.Loop() {
			back.Lstat("f")
		}
	})
	b.Run("user", func(b *testing.B) {
		for b.Loop() {
			view.Lstat("f")
		}
	})
}
