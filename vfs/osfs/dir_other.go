//go:build !linux

package osfs

import (
	"io"
	"io/fs"
	"path"
)

// dirState is empty here: os.File keeps the listing.
type dirState struct{}

// ReadDir lists the directory in the order the system returns entries
// (not sorted), without "." and "..". It streams: with n > 0 each call
// reads only as far as it needs and returns io.EOF at the end; n <= 0
// returns all remaining entries. Entries' Info is an Lstat through the
// share's root, so it cannot be redirected outside the share.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ents, err := f.f.ReadDir(n)
	for n > 0 && err == nil && len(ents) == 1 && reserved(ents[0].Name()) {
		ents, err = f.f.ReadDir(n) // the only entry read was the hidden one
	}
	kept := ents[:0]
	for _, e := range ents {
		if reserved(e.Name()) {
			continue // the metadata directory (sidecar.go)
		}
		kept = append(kept, dirEntry{DirEntry: e, fsys: f.fsys, path: path.Join(f.name, e.Name())})
	}
	ents = kept
	if n <= 0 && ents == nil && err == nil {
		ents = []fs.DirEntry{}
	}
	return ents, err
}

// RewindDir makes the next ReadDir list the directory afresh.
func (f *File) RewindDir() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.f.Seek(0, io.SeekStart)
	return err
}

// dirEntry resolves Info through the share's os.Root, by path, so it
// keeps working after the directory is closed (each call walks the path
// from the share root: depth+1 lookups).
type dirEntry struct {
	fs.DirEntry
	fsys *FS
	path string
}

func (d dirEntry) Info() (fs.FileInfo, error) {
	fi, err := d.fsys.root.Lstat(d.path)
	return fi, osErr(err)
}
