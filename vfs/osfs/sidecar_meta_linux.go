//go:build linux

package osfs

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxMetaSize bounds a metadata blob read back (a security descriptor is
// at most 64 KiB; the bound keeps a damaged store from costing memory).
const maxMetaSize = 1 << 20

// ReadMeta returns f's metadata blob name (vfs.Streamer).
func (f *File) ReadMeta(name string) ([]byte, error) {
	return asServer(func() ([]byte, error) { return f.readMeta(name) })
}

func (f *File) readMeta(name string) ([]byte, error) {
	if err := f.streamName("readmeta", name); err != nil {
		return nil, err
	}
	dir, err := f.sidecarPath("meta", false)
	if err != nil {
		return nil, err
	}
	mf, err := f.fsys.root.OpenFile(path.Join(dir, escapeStream(name)), syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, osErr(err)
	}
	defer mf.Close()
	data, err := io.ReadAll(io.LimitReader(mf, maxMetaSize+1))
	if err != nil {
		return nil, fmt.Errorf("osfs: read metadata %s of %s: %w", name, f.name, err)
	}
	if len(data) > maxMetaSize {
		return nil, &fs.PathError{Op: "readmeta", Path: f.name, Err: syscall.EFBIG}
	}
	return data, nil
}

// WriteMeta replaces f's metadata blob name atomically (vfs.Streamer): the
// data goes to a temporary file that is synced and renamed over the old
// blob, and the directory is synced, so a crash leaves the old blob or
// the new one.
func (f *File) WriteMeta(name string, data []byte) error {
	_, err := asServer(func() (struct{}, error) { return struct{}{}, f.writeMeta(name, data) })
	return err
}

func (f *File) writeMeta(name string, data []byte) error {
	if err := f.streamName("writemeta", name); err != nil {
		return err
	}
	if err := f.writable("writemeta"); err != nil {
		return err
	}
	dir, err := f.sidecarPath("meta", true)
	if err != nil {
		return err
	}
	rnd := make([]byte, 8)
	rand.Read(rnd)
	tmp := path.Join(dir, ".tmp-"+hex.EncodeToString(rnd))
	tf, err := f.fsys.root.OpenFile(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return osErr(err)
	}
	_, err = tf.Write(data)
	if err == nil {
		err = tf.Sync()
	}
	if cerr := tf.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = osErr(f.fsys.root.Rename(tmp, path.Join(dir, escapeStream(name))))
	}
	if err != nil {
		f.fsys.root.Remove(tmp)
		return fmt.Errorf("osfs: write metadata %s of %s: %w", name, f.name, err)
	}
	return f.fsys.syncDir(dir)
}

// RemoveMeta deletes f's metadata blob name (vfs.Streamer).
func (f *File) RemoveMeta(name string) error {
	_, err := asServer(func() (struct{}, error) { return struct{}{}, f.removeMeta(name) })
	return err
}

func (f *File) removeMeta(name string) error {
	if err := f.streamName("removemeta", name); err != nil {
		return err
	}
	if err := f.writable("removemeta"); err != nil {
		return err
	}
	dir, err := f.sidecarPath("meta", false)
	if err != nil {
		return err
	}
	return osErr(f.fsys.root.Remove(path.Join(dir, escapeStream(name))))
}

// syncDir makes the entries of the share-relative directory dir durable.
func (fsys *FS) syncDir(dir string) error {
	d, err := fsys.root.Open(dir)
	if err != nil {
		return osErr(err)
	}
	defer d.Close()
	return d.Sync()
}

// sidecarCleanup runs op, which may remove the last name of the file at
// the clean path p (Remove; Rename onto p), and then removes that file's
// sidecar directory if it has one and op left it without a name. The
// file is held open across op, so its link count afterwards is exact
// even if another name was added meanwhile. op runs as the caller (the
// kernel checks the unlink as the caller's identity); the sidecar work
// runs as the server (asServer).
func (fsys *FS) sidecarCleanup(p string, op func() error) error {
	of, _ := asServer(func() (*os.File, error) { return fsys.sidecarHolder(p), nil })
	if of == nil {
		return op()
	}
	defer of.Close()
	if err := op(); err != nil {
		return err
	}
	asServer(func() (struct{}, error) {
		var st unix.Stat_t
		if err := control(of, func(fd int) error { return unix.Fstat(fd, &st) }); err != nil || st.Nlink != 0 {
			return struct{}{}, nil // still named: its data stays
		}
		id, err := (&File{f: of, name: p, fsys: fsys}).sidecarID(false)
		if err == nil {
			fsys.root.RemoveAll(sidecarDir(id)) // failing leaves an orphan, not a wrong answer
		}
		return struct{}{}, nil
	})
	return nil
}

// sidecarHolder opens the file at p if it has a sidecar ID, else nil.
func (fsys *FS) sidecarHolder(p string) *os.File {
	fi, err := fsys.root.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil
	}
	of, err := fsys.root.OpenFile(p, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	if _, err := (&File{f: of, name: p, fsys: fsys}).sidecarID(false); err != nil {
		of.Close()
		return nil // no sidecar data (or none readable)
	}
	return of
}
