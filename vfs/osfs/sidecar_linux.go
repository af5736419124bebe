//go:build linux

package osfs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/vfs"
)

// sidecarXattr holds a file's sidecar ID (16 bytes; see sidecar.go).
const sidecarXattr = "sidecar"

var _ vfs.Streamer = (*File)(nil)

// sidecarID returns the file's sidecar ID in hex. Without one it fails
// with an error wrapping fs.ErrNotExist, unless create is set: then it
// makes one (XATTR_CREATE, so two racing creators agree on the winner's).
func (f *File) sidecarID(create bool) (string, error) {
	for {
		v, err := f.Getxattr(sidecarXattr)
		if err == nil {
			if len(v) != 16 {
				return "", &fs.PathError{Op: "sidecar", Path: f.name, Err: fmt.Errorf("osfs: corrupt sidecar id (%d bytes): %w", len(v), syscall.EIO)}
			}
			return hex.EncodeToString(v), nil
		}
		if !errors.Is(err, vfs.ErrNoXattr) || !create {
			return "", err
		}
		if err := f.writable("sidecar"); err != nil {
			return "", err
		}
		id := make([]byte, 16)
		rand.Read(id)
		err = control(f.f, func(fd int) error {
			return unix.Fsetxattr(fd, xattrPrefix+sidecarXattr, id, unix.XATTR_CREATE)
		})
		if errors.Is(err, unix.EEXIST) {
			continue // another open made one first: use it
		}
		if err != nil {
			return "", f.xattrErr("setxattr", err)
		}
		return hex.EncodeToString(id), nil
	}
}

// sidecarDir is the share-relative directory of the sidecar ID id.
func sidecarDir(id string) string { return path.Join(MetaDir, "files", id[:2], id) }

// sidecarPath is the directory sub ("streams" or "meta") of f's store;
// with create set it makes the ID and the directory when missing.
func (f *File) sidecarPath(sub string, create bool) (string, error) {
	id, err := f.sidecarID(create)
	if err != nil {
		return "", err
	}
	dir := path.Join(sidecarDir(id), sub)
	if create {
		if err := f.fsys.root.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("osfs: sidecar directory: %w", err)
		}
	}
	return dir, nil
}

// asServer runs fn in a goroutine of its own and waits for it. Sidecar
// files belong to the server, whatever identity the caller's thread has:
// with Unix identities a request may run on an OS thread locked to a
// user's fsuid (setfsuid is per thread), which a new goroutine never
// shares (the Go runtime starts threads for it from a clean template
// thread when the creating one is locked), so fn runs with the process's
// own credentials. It costs one goroutine per sidecar operation.
func asServer[T any](fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	r := <-ch
	return r.v, r.err
}

// OpenStream opens (with os.O_CREATE, creates) the named stream of f
// (vfs.Streamer).
func (f *File) OpenStream(name string, flag int) (vfs.File, error) {
	return asServer(func() (vfs.File, error) { return f.openStream(name, flag) })
}

func (f *File) openStream(name string, flag int) (vfs.File, error) {
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	if err := f.streamName("openstream", name); err != nil {
		return nil, err
	}
	if acc != os.O_RDONLY || flag&(os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0 {
		if err := f.writable("openstream"); err != nil {
			return nil, err
		}
	}
	dir, err := f.sidecarPath("streams", flag&os.O_CREATE != 0)
	if err != nil {
		return nil, err
	}
	p := path.Join(dir, escapeStream(name))
	df, err := f.fsys.root.OpenFile(p, flag|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, osErr(err)
	}
	if fi, err := df.Stat(); err != nil || !fi.Mode().IsRegular() {
		df.Close()
		return nil, &fs.PathError{Op: "openstream", Path: f.name + ":" + name, Err: errNotRegular}
	}
	base, err := f.dup()
	if err != nil {
		df.Close()
		return nil, err
	}
	data := &File{f: df, name: p, fsys: f.fsys, append: flag&os.O_APPEND != 0}
	return &StreamFile{data: data, base: base, stream: name}, nil
}

// streamName refuses names that cannot be stream file names.
func (f *File) streamName(op, name string) error {
	if name == "" || len(name) > 255 || containsAny(name, "/\x00") {
		return &fs.PathError{Op: op, Path: f.name + ":" + name, Err: vfs.ErrInvalidName}
	}
	return nil
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}

// dup returns a second descriptor for f, for a stream's view of its base.
func (f *File) dup() (*File, error) {
	var nfd int
	err := control(f.f, func(fd int) error {
		var err error
		nfd, err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "dup", Path: f.name, Err: err}
	}
	return &File{f: os.NewFile(uintptr(nfd), f.f.Name()), name: f.name, fsys: f.fsys}, nil
}

// Streams lists f's sidecar streams (vfs.Streamer). A file without a
// sidecar ID (ENODATA, whoever asks) has none: the common case, answered
// on the caller's thread without a goroutine.
func (f *File) Streams() ([]vfs.StreamInfo, error) {
	if _, err := f.Getxattr(sidecarXattr); errors.Is(err, vfs.ErrNoXattr) {
		return nil, nil
	}
	return asServer(f.streams)
}

func (f *File) streams() ([]vfs.StreamInfo, error) {
	dir, err := f.sidecarPath("streams", false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d, err := f.fsys.root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, osErr(err)
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	var out []vfs.StreamInfo
	for _, e := range ents {
		name, err := unescapeStream(e.Name())
		if err != nil || !e.Type().IsRegular() {
			continue // not ours
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, vfs.StreamInfo{Name: name, Size: fi.Size(), AllocationSize: vfs.AllocationSize(fi)})
	}
	return out, nil
}

// RemoveStream deletes the named stream (vfs.Streamer).
func (f *File) RemoveStream(name string) error {
	_, err := asServer(func() (struct{}, error) { return struct{}{}, f.removeStream(name) })
	return err
}

func (f *File) removeStream(name string) error {
	if err := f.streamName("removestream", name); err != nil {
		return err
	}
	if err := f.writable("removestream"); err != nil {
		return err
	}
	dir, err := f.sidecarPath("streams", false)
	if err != nil {
		return err
	}
	return osErr(f.fsys.root.Remove(path.Join(dir, escapeStream(name))))
}

// StreamFile is an open named stream of the sidecar store: the stream's
// own file (so READ and WRITE take the sendfile and splice paths), seen
// through Stat with its base file's times, id, link count and owner. It
// has no attributes or streams of its own.
type StreamFile struct {
	data   *File // the stream's data file
	base   *File // a descriptor of the base file
	stream string
}

var (
	_ vfs.File       = (*StreamFile)(nil)
	_ vfs.SparseFile = (*StreamFile)(nil)
)

// Name returns "path:stream".
func (s *StreamFile) Name() string { return s.base.name + ":" + s.stream }

// ReadAt reads from the stream (pread(2)).
func (s *StreamFile) ReadAt(b []byte, off int64) (int, error) { return s.data.ReadAt(b, off) }

// WriteAt writes to the stream (pwrite(2)).
func (s *StreamFile) WriteAt(b []byte, off int64) (int, error) { return s.data.WriteAt(b, off) }

// Truncate changes the stream's size.
func (s *StreamFile) Truncate(size int64) error { return s.data.Truncate(size) }

// Sync commits the stream's data (fsync(2)).
func (s *StreamFile) Sync() error { return s.data.Sync() }

// OSFile returns the stream's data file, for sendfile(2) and splice(2).
func (s *StreamFile) OSFile() *os.File { return s.data.f }

// SyscallConn returns the raw descriptor of the stream's data file.
func (s *StreamFile) SyscallConn() (syscall.RawConn, error) { return s.data.SyscallConn() }

// Appending reports whether the stream was opened with O_APPEND.
func (s *StreamFile) Appending() bool { return s.data.append }

// PunchHole deallocates a range of the stream (vfs.SparseFile).
func (s *StreamFile) PunchHole(off, n int64) error { return s.data.PunchHole(off, n) }

// ZeroRange zeroes a range of the stream (vfs.SparseFile).
func (s *StreamFile) ZeroRange(off, n int64) error { return s.data.ZeroRange(off, n) }

// Allocate reserves space for a range of the stream (vfs.SparseFile).
func (s *StreamFile) Allocate(off, n int64) error { return s.data.Allocate(off, n) }

// NextData finds the stream's next data region (vfs.SparseFile).
func (s *StreamFile) NextData(off int64) (data, hole int64, err error) { return s.data.NextData(off) }

// ReadDir fails: a stream is not a directory.
func (s *StreamFile) ReadDir(int) ([]fs.DirEntry, error) {
	return nil, &fs.PathError{Op: "readdir", Path: s.Name(), Err: syscall.ENOTDIR}
}

// Close closes the stream and its view of the base file.
func (s *StreamFile) Close() error {
	err := s.data.Close()
	if berr := s.base.Close(); err == nil {
		err = berr
	}
	return err
}

// Remove deletes the stream from its base file; the open keeps working
// on the deleted data.
func (s *StreamFile) Remove() error { return s.base.RemoveStream(s.stream) }

// Stat describes the stream: its size and allocation, with the base
// file's times, id, link count and owner.
func (s *StreamFile) Stat() (fs.FileInfo, error) {
	di, err := s.data.Stat()
	if err != nil {
		return nil, err
	}
	bi, err := s.base.Stat()
	if err != nil {
		return nil, err
	}
	return streamInfo{data: di, base: bi, name: bi.Name() + ":" + s.stream}, nil
}

// streamInfo is the fs.FileInfo of a sidecar stream.
type streamInfo struct {
	data, base fs.FileInfo
	name       string
}

func (s streamInfo) Name() string       { return s.name }
func (s streamInfo) Size() int64        { return s.data.Size() }
func (s streamInfo) Mode() fs.FileMode  { return s.base.Mode().Perm() }
func (s streamInfo) ModTime() time.Time { return s.base.ModTime() }
func (s streamInfo) IsDir() bool        { return false }

// Sys is the data file's stat structure, for its block count.
func (s streamInfo) Sys() any { return s.data.Sys() }

// Times reports the base file's times (vfs.Timeser).
func (s streamInfo) Times() (atime, mtime, ctime, btime time.Time) { return vfs.Times(s.base) }

// FileID reports the base file's id (vfs.FileIDer).
func (s streamInfo) FileID() uint64 { return vfs.FileIndex(s.base) }

// Links reports the base file's link count (vfs.FileIDer).
func (s streamInfo) Links() uint32 { return vfs.Links(s.base) }

// Owner reports the base file's owner (vfs.Ownerer).
func (s streamInfo) Owner() (uid, gid uint32, ok bool) { return vfs.Owner(s.base) }
