package vfs

import (
	"io"
	"io/fs"
)

// PageDirEntries implements File.ReadDir's paging over a listing taken
// once: it returns up to n entries from *pending (all of them when n <= 0,
// as an empty non-nil slice if none) and removes them; with n > 0 and
// nothing left it returns io.EOF, like os.File.ReadDir.
func PageDirEntries(pending *[]fs.DirEntry, n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		out := *pending
		*pending = nil
		if out == nil {
			out = []fs.DirEntry{}
		}
		return out, nil
	}
	if len(*pending) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(*pending))
	out := (*pending)[:n:n]
	*pending = (*pending)[n:]
	return out, nil
}
