//go:build linux

package vfs

import "syscall"

// fromSys reads Linux's stat structure. stat(2) carries no birth time.
func fromSys(sys any) (sysInfo, bool) {
	st, ok := sys.(*syscall.Stat_t)
	if !ok || st == nil {
		return sysInfo{}, false
	}
	return sysInfo{
		ino:       st.Ino,
		nlink:     uint32(st.Nlink),
		atime:     tsTime(st.Atim.Unix()),
		mtime:     tsTime(st.Mtim.Unix()),
		ctime:     tsTime(st.Ctim.Unix()),
		blocks:    int64(st.Blocks),
		hasBlocks: true,
		uid:       st.Uid,
		gid:       st.Gid,
		hasOwner:  true,
	}, true
}
