package vfstest

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/zerosmb/zerosmb/vfs"
)

// TestXattr checks the vfs.XattrFile methods of the files newFS opens:
// set, replace, list, get, remove, the missing-attribute error, and
// persistence across opens. It skips when the files do not implement
// the interface or the underlying file system refuses attributes.
func TestXattr(t *testing.T, newFS func(t *testing.T) vfs.FS) {
	fsys := newFS(t)
	defer fsys.Close()
	for _, name := range []string{"f", "d"} {
		var f vfs.File
		var err error
		if name == "d" {
			if err = fsys.Mkdir(name, 0o755); err != nil {
				t.Fatal(err)
			}
			f, err = fsys.OpenFile(name, os.O_RDONLY, 0)
		} else {
			f, err = fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		x, ok := f.(vfs.XattrFile)
		if !ok {
			f.Close()
			t.Skip("files do not implement vfs.XattrFile")
		}
		if err := x.Setxattr("EAONE", []byte("v1")); errors.Is(err, vfs.ErrXattrUnsupported) {
			f.Close()
			t.Skip("file system refuses extended attributes")
		} else if err != nil {
			t.Fatalf("%s: Setxattr: %v", name, err)
		}
		if err := x.Setxattr("EAONE", []byte("value1")); err != nil {
			t.Fatalf("%s: replace: %v", name, err)
		}
		if err := x.Setxattr("TWO", bytes.Repeat([]byte{0, 1}, 300)); err != nil {
			t.Fatalf("%s: Setxattr TWO: %v", name, err)
		}
		if _, err := x.Getxattr("MISSING"); !errors.Is(err, vfs.ErrNoXattr) {
			t.Errorf("%s: Getxattr missing: %v, want ErrNoXattr", name, err)
		}
		if err := x.Removexattr("MISSING"); !errors.Is(err, vfs.ErrNoXattr) {
			t.Errorf("%s: Removexattr missing: %v, want ErrNoXattr", name, err)
		}
		f.Close()

		f, err = fsys.OpenFile(name, os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		x = f.(vfs.XattrFile)
		names, err := x.Listxattr()
		slices.Sort(names)
		if err != nil || !slices.Equal(names, []string{"EAONE", "TWO"}) {
			t.Errorf("%s: Listxattr = %q, %v", name, names, err)
		}
		if v, err := x.Getxattr("EAONE"); err != nil || string(v) != "value1" {
			t.Errorf("%s: Getxattr = %q, %v", name, v, err)
		}
		if v, err := x.Getxattr("TWO"); err != nil || len(v) != 600 || v[1] != 1 {
			t.Errorf("%s: Getxattr TWO = %d bytes, %v", name, len(v), err)
		}
		if err := x.Removexattr("EAONE"); err != nil {
			t.Errorf("%s: Removexattr: %v", name, err)
		}
		if names, _ := x.Listxattr(); !slices.Equal(names, []string{"TWO"}) {
			t.Errorf("%s: after remove Listxattr = %q", name, names)
		}
		f.Close()
	}
}
