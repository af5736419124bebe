package osfs

import (
	"testing"

	"github.com/zerosmb/zerosmb/vfs/vfstest"
)

func TestXattr(t *testing.T) { vfstest.TestXattr(t, newFS) }
