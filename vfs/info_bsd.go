//go:build darwin || freebsd

package vfs

import "syscall"

// fromSys reads the BSD stat structure, which carries the birth time.
func fromSys(sys any) (sysInfo, bool) {
	st, ok := sys.(*syscall.Stat_t)
	if !ok || st == nil {
		return sysInfo{}, false
	}
	si := sysInfo{
		ino:       uint64(st.Ino),
		nlink:     uint32(st.Nlink),
		atime:     tsTime(st.Atimespec.Unix()),
		mtime:     tsTime(st.Mtimespec.Unix()),
		ctime:     tsTime(st.Ctimespec.Unix()),
		blocks:    int64(st.Blocks),
		hasBlocks: true,
		uid:       st.Uid,
		gid:       st.Gid,
		hasOwner:  true,
	}
	if sec, nsec := st.Birthtimespec.Unix(); sec > 0 {
		si.btime = tsTime(sec, nsec)
	}
	return si, true
}
