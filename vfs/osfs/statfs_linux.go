//go:build linux

package osfs

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/vfs"
)

// statfs runs fstatfs(2) on the share's directory. Linux counts blocks
// in f_frsize units; f_bsize is only the preferred I/O size.
func statfs(d *os.File) (vfs.FSStat, error) {
	var st unix.Statfs_t
	if err := control(d, func(fd int) error { return unix.Fstatfs(fd, &st) }); err != nil {
		return vfs.FSStat{}, err
	}
	bs := int64(st.Frsize)
	if bs <= 0 {
		bs = int64(st.Bsize)
	}
	return vfs.FSStat{
		BlockSize:   clampU32(uint64(max(bs, 1))),
		TotalBlocks: uint64(st.Blocks),
		FreeBlocks:  uint64(st.Bavail),
		Serial:      uint32(st.Fsid.Val[0]) ^ uint32(st.Fsid.Val[1]),
	}, nil
}
