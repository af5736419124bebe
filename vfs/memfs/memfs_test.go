package memfs

import (
	"testing"

	"github.com/zerosmb/zerosmb/vfs"
	"github.com/zerosmb/zerosmb/vfs/vfstest"
)

func TestConformance(t *testing.T) {
	vfstest.TestFS(t, func(*testing.T) vfs.FS { return New() })
}

func TestReadOnly(t *testing.T) {
	vfstest.TestReadOnly(t, func(*testing.T) (vfs.FS, vfs.FS) {
		m := New()
		return m, m.ReadOnly()
	})
}
