//go:build linux

package osfs

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxMetaSize bounds a metadata blob read back (a security descriptor is
// at most 64 KiB; the bound keeps a damaged store from costing memory).
const maxMetaSize = 1 << 20

// ReadMeta returns f's metadata blob name (vfs.Streamer).
func (f *File) ReadMeta(name string) ([]byte, error) {
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
// even if another name was added meanwhile.
func (fsys *FS) sidecarCleanup(p string, op func() error) error {
	fi, err := fsys.root.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() && !fi.IsDir() {
		return op()
	}
	of, err := fsys.root.OpenFile(p, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return op()
	}
	defer of.Close()
	bf := &File{f: of, name: p, fsys: fsys}
	id, idErr := bf.sidecarID(false)
	if err := op(); err != nil {
		return err
	}
	if idErr != nil {
		return nil // no sidecar data (or none readable)
	}
	var st unix.Stat_t
	if err := control(of, func(fd int) error { return unix.Fstat(fd, &st) }); err != nil || st.Nlink != 0 {
		return nil // still named: its data stays
	}
	fsys.root.RemoveAll(sidecarDir(id)) // failing leaves an orphan, not a wrong answer
	return nil
}
