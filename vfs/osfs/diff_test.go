//go:build linux

package osfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/zerosmb/zerosmb/vfs"
	"github.com/zerosmb/zerosmb/vfs/memfs"
)

// diffNames are the paths the differential fuzzer plays with.
var diffNames = []string{"a", "b", "a/b", "b/a", "a/b/c", "a/c", "."}

// errClass reduces an error to what the server distinguishes.
func errClass(err error) string {
	for _, c := range []struct {
		name   string
		target error
	}{
		{"notempty", syscall.ENOTEMPTY},
		{"notdir", syscall.ENOTDIR},
		{"isdir", syscall.EISDIR},
		{"notexist", fs.ErrNotExist},
		{"exist", fs.ErrExist},
		{"invalid", fs.ErrInvalid},
		{"perm", fs.ErrPermission},
	} {
		if errors.Is(err, c.target) {
			return c.name
		}
	}
	if err == nil {
		return "ok"
	}
	return "other"
}

// applyOp runs one encoded operation and returns its error class.
func applyOp(fsys vfs.FS, op, x, y byte) string {
	a := diffNames[int(x)%len(diffNames)]
	b := diffNames[int(y)%len(diffNames)]
	switch op % 6 {
	case 0:
		f, err := fsys.OpenFile(a, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return errClass(err)
		}
		defer f.Close()
		_, err = f.WriteAt([]byte(b), int64(y%7))
		return errClass(err)
	case 1:
		return errClass(fsys.Mkdir(a, 0o755))
	case 2:
		return errClass(fsys.Remove(a))
	case 3:
		return errClass(fsys.Rename(a, b))
	case 4:
		f, err := fsys.OpenFile(a, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
		}
		return errClass(err)
	default:
		f, err := fsys.OpenFile(a, os.O_RDWR, 0)
		if err != nil {
			return errClass(err)
		}
		defer f.Close()
		return errClass(f.Truncate(int64(y % 5)))
	}
}

// dump renders the whole tree: names, kinds and contents.
func dump(t *testing.T, fsys vfs.FS, dir string, sb *strings.Builder) {
	d, err := fsys.OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open %q: %v", dir, err)
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range ents {
		p := path.Join(dir, e.Name())
		if e.IsDir() {
			fmt.Fprintf(sb, "%s/\n", p)
			dump(t, fsys, p, sb)
			continue
		}
		f, err := fsys.OpenFile(p, os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<20))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(sb, "%s %q\n", p, data)
	}
}

// FuzzDifferential runs the same operations on osfs and memfs and
// requires the same error classes and the same final tree.
func FuzzDifferential(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 2, 0, 3, 2, 4, 2, 3, 1, 5, 4, 1})
	f.Add([]byte{1, 0, 0, 0, 3, 3, 0, 1, 3, 1, 3, 0})
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) > 60 {
			prog = prog[:60]
		}
		osys, err := New(t.TempDir(), false)
		if err != nil {
			t.Fatal(err)
		}
		defer osys.Close()
		msys := memfs.New()
		for i := 0; i+2 < len(prog); i += 3 {
			got, want := applyOp(msys, prog[i], prog[i+1], prog[i+2]), applyOp(osys, prog[i], prog[i+1], prog[i+2])
			if got != want {
				t.Fatalf("op %d (%d %q %q): memfs %s, osfs %s", i/3, prog[i]%6,
					diffNames[int(prog[i+1])%len(diffNames)], diffNames[int(prog[i+2])%len(diffNames)], got, want)
			}
		}
		var ms, os strings.Builder
		dump(t, msys, ".", &ms)
		dump(t, osys, ".", &os)
		if ms.String() != os.String() {
			t.Fatalf("trees differ:\nmemfs:\n%sosfs:\n%s", ms.String(), os.String())
		}
	})
}
