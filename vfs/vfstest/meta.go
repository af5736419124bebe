package vfstest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

func testStat(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "f", []byte("12345"))
	WriteFile(t, fsys, "g", nil)
	if err := fsys.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, stat := range []func(string) (fs.FileInfo, error){fsys.Stat, fsys.Lstat} {
		fi, err := stat("f")
		if err != nil {
			t.Fatal(err)
		}
		if fi.Name() != "f" || fi.Size() != 5 || !fi.Mode().IsRegular() || fi.IsDir() {
			t.Errorf("f: name %q size %d mode %v", fi.Name(), fi.Size(), fi.Mode())
		}
		if vfs.Links(fi) != 1 {
			t.Errorf("f: links = %d", vfs.Links(fi))
		}
		if a := vfs.AllocationSize(fi); a < 5 {
			t.Errorf("f: allocation size %d < 5", a)
		}
		di, err := stat("d")
		if err != nil || !di.IsDir() || di.Name() != "d" {
			t.Errorf("d: %v, %v", di, err)
		}
		ri, err := stat("")
		if err != nil || !ri.IsDir() {
			t.Errorf("root: %v, %v", ri, err)
		}
		_, err = stat("missing")
		wantErr(t, "stat missing", err, fs.ErrNotExist)
		_, err = stat("f/x")
		wantErr(t, "stat through file", err, errNotDir)
	}
	fi, _ := fsys.Stat("f")
	gi, _ := fsys.Stat("g")
	di, _ := fsys.Stat("d")
	ids := map[uint64]string{}
	for name, info := range map[string]fs.FileInfo{"f": fi, "g": gi, "d": di} {
		id := vfs.FileIndex(info)
		if other, dup := ids[id]; dup {
			t.Errorf("%s and %s share file index %d", name, other, id)
		}
		ids[id] = name
	}
	again, _ := fsys.Stat("f")
	if vfs.FileIndex(again) != vfs.FileIndex(fi) {
		t.Error("file index not stable")
	}
	f, err := fsys.OpenFile("f", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hi, err := f.Stat()
	if err != nil || vfs.FileIndex(hi) != vfs.FileIndex(fi) || hi.Size() != 5 {
		t.Errorf("handle Stat: %v, %v", hi, err)
	}
}

func testChtimes(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "f", nil)
	at := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	mt := time.Date(2002, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := fsys.Chtimes("f", at, mt); err != nil {
		t.Fatal(err)
	}
	check := func(wantA, wantM time.Time) {
		t.Helper()
		fi, err := fsys.Stat("f")
		if err != nil {
			t.Fatal(err)
		}
		a, m, c, b := vfs.Times(fi)
		if !a.Equal(wantA) || !m.Equal(wantM) || !fi.ModTime().Equal(wantM) {
			t.Errorf("times = a %v m %v (ModTime %v), want a %v m %v", a, m, fi.ModTime(), wantA, wantM)
		}
		if c.IsZero() || b.IsZero() || b.After(c) {
			t.Errorf("ctime %v btime %v", c, b)
		}
	}
	check(at, mt)
	mt2 := mt.Add(time.Hour)
	if err := fsys.Chtimes("f", time.Time{}, mt2); err != nil {
		t.Fatal(err)
	}
	check(at, mt2)
	at2 := at.Add(time.Hour)
	if err := fsys.Chtimes("f", at2, time.Time{}); err != nil {
		t.Fatal(err)
	}
	check(at2, mt2)
	wantErr(t, "Chtimes missing", fsys.Chtimes("missing", at, mt), fs.ErrNotExist)

	if err := fsys.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Chtimes("d", at, mt); err != nil {
		t.Fatalf("Chtimes on dir: %v", err)
	}
	if di, _ := fsys.Stat("d"); !di.ModTime().Equal(mt) {
		t.Errorf("dir mtime = %v", di.ModTime())
	}
}

func testWriteUpdatesTimes(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "f", nil)
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := fsys.Chtimes("f", old, old); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.OpenFile("f", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().After(old) {
		t.Errorf("mtime after write = %v, not after %v", fi.ModTime(), old)
	}
	// Creating an entry changes the directory's mtime.
	if err := fsys.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Chtimes("d", old, old); err != nil {
		t.Fatal(err)
	}
	WriteFile(t, fsys, "d/new", nil)
	if di, _ := fsys.Stat("d"); !di.ModTime().After(old) {
		t.Errorf("dir mtime after create = %v", di.ModTime())
	}
}

// BadNames are paths every implementation must refuse: they leave the
// share lexically or use characters a share path may not contain.
var BadNames = []string{
	"..", "../x", "a/../../x", "a/..", "../../../../etc/passwd",
	"/etc/passwd", "/", "a\\b", "..\\x", "a:stream", "f:$DATA", "a\x00b",
}

func testInvalidNames(t *testing.T, fsys vfs.FS) {
	if err := fsys.Mkdir("a", 0o755); err != nil {
		t.Fatal(err)
	}
	WriteFile(t, fsys, "f", nil)
	for _, name := range BadNames {
		errs := map[string]error{}
		f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
		if err == nil {
			f.Close()
		}
		errs["open"] = err
		f, err = fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			f.Close()
		}
		errs["create"] = err
		_, errs["stat"] = fsys.Stat(name)
		_, errs["lstat"] = fsys.Lstat(name)
		errs["mkdir"] = fsys.Mkdir(name, 0o755)
		errs["remove"] = fsys.Remove(name)
		errs["rename from"] = fsys.Rename(name, "z")
		errs["rename to"] = fsys.Rename("f", name)
		errs["chtimes"] = fsys.Chtimes(name, time.Now(), time.Now())
		for op, err := range errs {
			if !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("%s %q: err = %v, want fs.ErrInvalid", op, name, err)
			}
		}
	}
	if _, err := fsys.Stat("f"); err != nil {
		t.Errorf("f lost: %v", err)
	}
}

func testStatfs(t *testing.T, fsys vfs.FS) {
	st, err := fsys.Statfs()
	if err != nil {
		t.Fatal(err)
	}
	if st.BlockSize == 0 || st.TotalBlocks == 0 || st.FreeBlocks > st.TotalBlocks {
		t.Errorf("Statfs = %+v", st)
	}
}

func testOpenAfterRemove(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "f", []byte("still here"))
	f, err := fsys.OpenFile("f", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fsys.Remove("f"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n, err := f.ReadAt(buf, 0); n != 10 || string(buf) != "still here" {
		t.Errorf("read after remove: %d, %v, %q", n, err, buf)
	}
	if _, err := f.WriteAt([]byte("S"), 0); err != nil {
		t.Errorf("write after remove: %v", err)
	}
	if fi, err := f.Stat(); err != nil || vfs.Links(fi) != 0 {
		t.Errorf("Stat after remove: links %d, %v", vfs.Links(fi), err)
	}
	// The name is free again.
	WriteFile(t, fsys, "f", []byte("new"))
	if got := ReadFile(t, fsys, "f"); string(got) != "new" {
		t.Errorf("recreated = %q", got)
	}
}

func testClosed(t *testing.T, fsys vfs.FS) {
	WriteFile(t, fsys, "f", []byte("x"))
	f, err := fsys.OpenFile("f", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); err == nil {
		t.Error("ReadAt after Close succeeded")
	}
	if _, err := f.WriteAt([]byte("y"), 0); err == nil {
		t.Error("WriteAt after Close succeeded")
	}
	if _, err := f.Stat(); err == nil {
		t.Error("Stat after Close succeeded")
	}
}

func testConcurrent(t *testing.T, fsys vfs.FS) {
	const workers, files = 4, 20
	var wg sync.WaitGroup
	errc := make(chan error, workers*files)
	for w := range workers {
		dir := fmt.Sprintf("w%d", w)
		if err := fsys.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range files {
				name := fmt.Sprintf("%s/f%02d", dir, i)
				f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
				if err != nil {
					errc <- err
					return
				}
				_, err = f.WriteAt([]byte(name), int64(i))
				f.Close()
				if err != nil {
					errc <- err
				}
				if _, err := fsys.Stat(name); err != nil {
					errc <- err
				}
			}
		})
		wg.Go(func() {
			for range files {
				if f, err := fsys.OpenFile(dir, os.O_RDONLY, 0); err == nil {
					f.ReadDir(-1)
					f.Close()
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for w := range workers {
		if n := len(readDirNames(t, fsys, fmt.Sprintf("w%d", w))); n != files {
			t.Errorf("w%d has %d files", w, n)
		}
	}
}
