package vfs

import (
	"hash/fnv"
	"io/fs"
	"time"
)

// Timeser is implemented by FileInfo values (or their Sys() values) that
// know all four file times. The helpers in this file consult it before
// looking at platform stat structures.
type Timeser interface {
	Times() (atime, mtime, ctime, btime time.Time)
}

// sysInfo is what a platform stat structure can tell beyond fs.FileInfo.
type sysInfo struct {
	ino       uint64
	nlink     uint32
	atime     time.Time
	mtime     time.Time
	ctime     time.Time
	btime     time.Time // zero when the platform does not report it
	blocks    int64     // 512-byte blocks allocated
	hasBlocks bool
	uid, gid  uint32
	hasOwner  bool
}

// Owner returns the file's numeric owner and group: an Ownerer's answer
// (on fi or fi.Sys()), else the platform stat structure's; ok is false
// when neither knows.
func Owner(fi fs.FileInfo) (uid, gid uint32, ok bool) {
	if o, isO := fi.(Ownerer); isO {
		return o.Owner()
	}
	if o, isO := fi.Sys().(Ownerer); isO {
		return o.Owner()
	}
	if si, isSI := fromSys(fi.Sys()); isSI && si.hasOwner {
		return si.uid, si.gid, true
	}
	return 0, 0, false
}

// FileIndex returns a stable identity for the file: the FileIDer's
// FileID, the inode number from the platform stat structure, or, when
// neither is known, a non-zero hash of the base name (stable, but not
// unique across directories).
func FileIndex(fi fs.FileInfo) uint64 {
	if id, ok := fileIDer(fi); ok {
		return id.FileID()
	}
	if si, ok := fromSys(fi.Sys()); ok && si.ino != 0 {
		return si.ino
	}
	h := fnv.New64a()
	h.Write([]byte(fi.Name()))
	if v := h.Sum64(); v != 0 {
		return v
	}
	return 1
}

// Identity returns the file's identity when the backend knows it (a
// FileIDer's FileID or the inode number): two names of one file (hard
// links) have the same identity. ok is false when FileIndex would fall
// back to a hash of the name.
func Identity(fi fs.FileInfo) (id uint64, ok bool) {
	if fid, isID := fileIDer(fi); isID {
		return fid.FileID(), true
	}
	if si, isSI := fromSys(fi.Sys()); isSI && si.ino != 0 {
		return si.ino, true
	}
	return 0, false
}

// Links returns the file's hard link count, or 1 when unknown.
func Links(fi fs.FileInfo) uint32 {
	if id, ok := fileIDer(fi); ok {
		return id.Links()
	}
	if si, ok := fromSys(fi.Sys()); ok {
		return si.nlink
	}
	return 1
}

// Times returns the access, modification, status-change and birth
// times. A Timeser (on fi or fi.Sys()) answers first; otherwise the
// platform stat structure is used. When the platform does not report a
// birth time (Linux stat(2)), btime is the earliest of ctime and mtime.
// Without any platform data, all four are fi.ModTime().
func Times(fi fs.FileInfo) (atime, mtime, ctime, btime time.Time) {
	if ts, ok := fi.(Timeser); ok {
		return ts.Times()
	}
	if ts, ok := fi.Sys().(Timeser); ok {
		return ts.Times()
	}
	si, ok := fromSys(fi.Sys())
	if !ok {
		m := fi.ModTime()
		return m, m, m, m
	}
	btime = si.btime
	if btime.IsZero() {
		btime = si.ctime
		if si.mtime.Before(btime) {
			btime = si.mtime
		}
	}
	return si.atime, si.mtime, si.ctime, btime
}

// AllocationSize returns the bytes allocated to the file on disk: the
// stat structure's 512-byte block count where the platform has one,
// otherwise the size rounded up to a multiple of 4096.
func AllocationSize(fi fs.FileInfo) int64 {
	if si, ok := fromSys(fi.Sys()); ok && si.hasBlocks {
		return si.blocks * 512
	}
	const unit = 4096
	size := fi.Size()
	if size <= 0 {
		return 0
	}
	return (size + unit - 1) / unit * unit
}

func fileIDer(fi fs.FileInfo) (FileIDer, bool) {
	if id, ok := fi.(FileIDer); ok {
		return id, true
	}
	id, ok := fi.Sys().(FileIDer)
	return id, ok
}

func tsTime(sec, nsec int64) time.Time { return time.Unix(sec, nsec) }
