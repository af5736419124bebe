//go:build !linux && !darwin && !freebsd

package osfs

import (
	"os"

	"github.com/zerosmb/zerosmb/vfs"
)

// statfs is a stand-in where no fstatfs binding is wired up: it reports
// a 1 TiB volume, half free, so clients can still work. The numbers are
// not real.
func statfs(*os.File) (vfs.FSStat, error) {
	return vfs.FSStat{BlockSize: 4096, TotalBlocks: 1 << 28, FreeBlocks: 1 << 27}, nil
}
