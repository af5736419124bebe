package memfs

import (
	"errors"
	"os"
	"testing"

	"github.com/zerosmb/zerosmb/vfs"
	"github.com/zerosmb/zerosmb/vfs/vfstest"
)

func TestXattr(t *testing.T) {
	vfstest.TestXattr(t, func(*testing.T) vfs.FS { return New() })
}

func TestXattrReadOnly(t *testing.T) {
	fsys := New()
	f, err := fsys.OpenFile("f", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.(vfs.XattrFile).Setxattr("A", []byte("1"))
	f.Close()
	ro, err := fsys.ReadOnly().OpenFile("f", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	x := ro.(vfs.XattrFile)
	if err := x.Setxattr("B", nil); !errors.Is(err, vfs.ErrReadOnly) {
		t.Errorf("Setxattr on read-only view: %v", err)
	}
	if err := x.Removexattr("A"); !errors.Is(err, vfs.ErrReadOnly) {
		t.Errorf("Removexattr on read-only view: %v", err)
	}
	if v, err := x.Getxattr("A"); err != nil || string(v) != "1" {
		t.Errorf("Getxattr on read-only view = %q, %v", v, err)
	}
}
