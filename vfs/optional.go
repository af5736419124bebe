package vfs

// DirRewinder is implemented by Files whose directory listing can be
// restarted: after RewindDir, the next ReadDir lists the directory
// afresh from its first entry (SMB2 RESTART_SCANS and REOPEN).
// Both osfs and memfs files implement it.
type DirRewinder interface {
	RewindDir() error
}
