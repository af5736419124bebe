//go:build darwin || freebsd

package osfs

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/vfs"
)

// statfs runs fstatfs(2) on the share's directory; on the BSDs f_bsize
// is the unit f_blocks is counted in.
func statfs(d *os.File) (vfs.FSStat, error) {
	var st unix.Statfs_t
	if err := control(d, func(fd int) error { return unix.Fstatfs(fd, &st) }); err != nil {
		return vfs.FSStat{}, err
	}
	avail := int64(st.Bavail)
	return vfs.FSStat{
		BlockSize:   clampU32(max(uint64(st.Bsize), 1)),
		TotalBlocks: uint64(st.Blocks),
		FreeBlocks:  uint64(max(avail, 0)),
		Serial:      uint32(st.Fsid.Val[0]) ^ uint32(st.Fsid.Val[1]),
	}, nil
}
