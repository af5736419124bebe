package osfs

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"path"
	"syscall"

	"github.com/zerosmb/zerosmb/vfs"
)

var _ vfs.DirResumer = (*File)(nil)

// dirState is a directory listing read with getdents64(2): one 8 KiB
// buffer of kernel records, dropped at the end of the listing. Each
// record carries the offset of the next one (d_off), which ResumeDir
// seeks back to.
type dirState struct {
	buf      []byte
	pos, end int
	eof      bool
}

const direntBufSize = 8 << 10

// ReadDir lists the directory in the order the kernel returns entries
// (getdents64; not sorted), without "." and "..". It streams: with n > 0
// each call reads only as far as it needs and returns io.EOF at the end;
// n <= 0 returns all remaining entries. Entries' Info is an Lstat through
// the share's root, so it cannot be redirected outside the share.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := &f.dir
	var out []fs.DirEntry
	for n <= 0 || len(out) < n {
		if d.pos >= d.end {
			if d.eof {
				break
			}
			if err := f.fill(); err != nil {
				return out, err
			}
			continue
		}
		e, err := f.record()
		if err != nil {
			return out, err
		}
		if e != nil {
			out = append(out, e)
		}
	}
	if n > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	if out == nil {
		out = []fs.DirEntry{}
	}
	return out, nil
}

// fill reads the next batch of records; at the end it frees the buffer.
func (f *File) fill() error {
	d := &f.dir
	if d.buf == nil {
		d.buf = make([]byte, direntBufSize)
	}
	var nr int
	err := f.control(func(fd int) error {
		for {
			var err error
			nr, err = syscall.Getdents(fd, d.buf)
			if err != syscall.EINTR {
				return err
			}
		}
	})
	if err != nil {
		return &fs.PathError{Op: "readdirent", Path: f.name, Err: err}
	}
	d.pos, d.end = 0, nr
	if nr == 0 {
		d.eof, d.buf = true, nil
	}
	return nil
}

// record decodes the linux_dirent64 at d.pos and moves past it; it
// returns nil for "." and "..", for deleted slots and for entries named
// as the metadata directory (sidecar.go).
func (f *File) record() (*dirEntry, error) {
	d := &f.dir
	rec := d.buf[d.pos:d.end]
	ne := binary.NativeEndian
	if len(rec) < 19 {
		return nil, &fs.PathError{Op: "readdirent", Path: f.name, Err: syscall.EIO}
	}
	reclen := int(ne.Uint16(rec[16:]))
	if reclen < 19 || reclen > len(rec) {
		return nil, &fs.PathError{Op: "readdirent", Path: f.name, Err: syscall.EIO}
	}
	d.pos += reclen
	name := rec[19:reclen]
	for i, b := range name {
		if b == 0 {
			name = name[:i]
			break
		}
	}
	if ne.Uint64(rec) == 0 || string(name) == "." || string(name) == ".." || reserved(string(name)) {
		return nil, nil
	}
	e := &dirEntry{name: string(name), off: int64(ne.Uint64(rec[8:])), fsys: f.fsys, dir: f}
	e.path = path.Join(f.name, e.name)
	switch rec[18] {
	case syscall.DT_DIR:
		e.typ = fs.ModeDir
	case syscall.DT_REG:
	case syscall.DT_LNK:
		e.typ = fs.ModeSymlink
	case syscall.DT_FIFO:
		e.typ = fs.ModeNamedPipe
	case syscall.DT_SOCK:
		e.typ = fs.ModeSocket
	case syscall.DT_CHR:
		e.typ = fs.ModeDevice | fs.ModeCharDevice
	case syscall.DT_BLK:
		e.typ = fs.ModeDevice
	default: // DT_UNKNOWN: the file system does not say
		if fi, err := e.Info(); err == nil {
			e.typ = fi.Mode().Type()
		}
	}
	return e, nil
}

// RewindDir makes the next ReadDir list the directory afresh.
func (f *File) RewindDir() error {
	return f.seekDir(0)
}

// ResumeDir makes the next ReadDir continue after entry after, which an
// earlier ReadDir of this directory (through any open) returned: it
// seeks to the entry's d_off, which stays valid when entries are removed
// (ext4: a hash of the name; XFS, btrfs: stable cookies; tmpfs before
// Linux 6.6: a position, which removals shift).
func (f *File) ResumeDir(after fs.DirEntry) error {
	e, ok := after.(*dirEntry)
	if !ok {
		return &fs.PathError{Op: "seekdir", Path: f.name, Err: errors.ErrUnsupported}
	}
	return f.seekDir(e.off)
}

func (f *File) seekDir(off int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.control(func(fd int) error {
		_, err := syscall.Seek(fd, off, io.SeekStart)
		return err
	})
	if err != nil {
		return &fs.PathError{Op: "seekdir", Path: f.name, Err: err}
	}
	f.dir = dirState{}
	return nil
}

// dirEntry is one listed entry. Info resolves through the share's
// os.Root, by path, so it keeps working after the directory is closed
// (each call walks the path from the share root: depth+1 lookups).
type dirEntry struct {
	name string
	typ  fs.FileMode
	off  int64 // getdents offset of the next record
	fsys *FS
	path string
	dir  *File // the listed directory, for Getxattr while it is open
}

func (d *dirEntry) Name() string               { return d.name }
func (d *dirEntry) IsDir() bool                { return d.typ.IsDir() }
func (d *dirEntry) Type() fs.FileMode          { return d.typ }
func (d *dirEntry) String() string             { return fs.FormatDirEntry(d) }
func (d *dirEntry) Info() (fs.FileInfo, error) { return d.lstat() }

func (d *dirEntry) lstat() (fs.FileInfo, error) {
	fi, err := d.fsys.root.Lstat(d.path)
	return fi, osErr(err)
}
