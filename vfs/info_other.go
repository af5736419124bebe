//go:build !linux && !darwin && !freebsd && !windows

package vfs

// fromSys knows no stat structure on this platform.
func fromSys(sys any) (sysInfo, bool) { return sysInfo{}, false }
