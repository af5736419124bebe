//go:build windows

package vfs

import (
	"syscall"
	"time"
)

// fromSys reads the attribute data os.Stat returns on Windows. It has
// no file index or link count; ctime is taken to be the write time.
func fromSys(sys any) (sysInfo, bool) {
	d, ok := sys.(*syscall.Win32FileAttributeData)
	if !ok || d == nil {
		return sysInfo{}, false
	}
	mtime := time.Unix(0, d.LastWriteTime.Nanoseconds())
	return sysInfo{
		nlink: 1,
		atime: time.Unix(0, d.LastAccessTime.Nanoseconds()),
		mtime: mtime,
		ctime: mtime,
		btime: time.Unix(0, d.CreationTime.Nanoseconds()),
	}, true
}
