package server

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// The two stores of named streams (stream.go): a file's streams are the
// union of its attribute streams and its sidecar streams; a name in both
// (only possible if something outside the server made it so) is the
// sidecar one.

// streamEnt is one named stream of a file.
type streamEnt struct {
	name        string
	size, alloc int64
	sidecar     bool
}

// listAllStreams lists the streams of the base file whose attribute and
// sidecar stores are x and sc (either may be nil), sorted by name. With
// sizes unset the attribute streams' sizes are not read. An empty
// sidecar AFP_Resource does not exist (afpinfo.go).
func listAllStreams(x vfs.XattrFile, sc vfs.Streamer, sizes bool) ([]streamEnt, error) {
	var out []streamEnt
	if sc != nil {
		infos, err := sc.Streams()
		if err != nil {
			return nil, err
		}
		for _, i := range infos {
			if i.Size == 0 && isAfpResource(i.Name) {
				continue
			}
			out = append(out, streamEnt{name: i.Name, size: i.Size, alloc: i.AllocationSize, sidecar: true})
		}
	}
	if x != nil {
		names, err := listStreams(x)
		if err != nil && (sc == nil || !xattrUnsupported(err)) {
			return nil, err
		}
		for _, n := range names {
			if slices.ContainsFunc(out, func(e streamEnt) bool { return e.name == n }) {
				continue
			}
			e := streamEnt{name: n}
			if sizes {
				v, err := x.Getxattr(streamXattrPrefix + n)
				if err != nil {
					continue // removed meanwhile
				}
				e.size = int64(len(v))
				e.alloc = (e.size + 4095) &^ 4095
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b streamEnt) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// streamLookup is a stream being opened: its base file (open read-only)
// and where the stream is, if it exists.
type streamLookup struct {
	base    vfs.File
	x       vfs.XattrFile
	sc      vfs.Streamer
	name    string // as stored when it exists, else as asked
	exists  bool
	sidecar bool // exists in the sidecar store
}

// findStream opens the base p and looks stream up (case-insensitively)
// in both stores.
func findStream(fsys vfs.FS, p, stream string) (*streamLookup, smb2.Status) {
	bf, err := fsys.OpenFile(vfsName(p), os.O_RDONLY, 0)
	if err != nil {
		return nil, statusFromError(err)
	}
	l := &streamLookup{base: bf, name: stream}
	l.x, _ = bf.(vfs.XattrFile)
	l.sc, _ = bf.(vfs.Streamer)
	if l.x == nil && l.sc == nil {
		bf.Close()
		return nil, smb2.StatusObjectNameInvalid
	}
	ents, err := listAllStreams(l.x, l.sc, false)
	if err != nil {
		bf.Close()
		if xattrUnsupported(err) {
			return nil, smb2.StatusObjectNameInvalid
		}
		return nil, statusFromError(err)
	}
	if i := slices.IndexFunc(ents, func(e streamEnt) bool { return strings.EqualFold(e.name, stream) }); i >= 0 {
		l.name, l.exists, l.sidecar = ents[i].name, true, ents[i].sidecar
	}
	return l, smb2.StatusSuccess
}

// close releases the base file (after open, which may have taken it).
func (l *streamLookup) close() {
	if l.base != nil {
		l.base.Close()
		l.base = nil
	}
}

// open opens the stream, creating it if it does not exist: in the
// sidecar store when the backend has one, else (and for AFP_AfpInfo) as
// an attribute. readOnly opens a sidecar stream read-only (a read-only
// share). The stream takes over the base file; call close after anyway.
func (l *streamLookup) open(readOnly bool) (vfs.File, smb2.Status) {
	afp := isAfpInfo(l.name)
	switch {
	case l.exists && l.sidecar, !l.exists && l.sc != nil && !afp:
		flag := os.O_RDWR
		if readOnly {
			flag = os.O_RDONLY
		}
		if !l.exists {
			flag |= os.O_CREATE
		}
		f, err := l.sc.OpenStream(l.name, flag)
		if err != nil {
			return nil, statusFromError(err)
		}
		return f, smb2.StatusSuccess
	case l.x == nil:
		return nil, smb2.StatusObjectNameInvalid
	}
	sf := &streamFile{base: l.base, x: l.x, stream: l.name, afp: afp}
	if l.exists {
		data, err := l.x.Getxattr(streamXattrPrefix + l.name)
		if err != nil {
			return nil, statusFromError(err)
		}
		sf.data = data
	}
	l.base = nil // sf closes it
	return sf, smb2.StatusSuccess
}

// streamRemover is a stream open that can delete its stream
// (delete-on-close): streamFile and the sidecar store's streams.
type streamRemover interface {
	Remove() error
}

// removeStream deletes the stream open as f; one already gone is fine.
func removeStream(f vfs.File) error {
	r, ok := f.(streamRemover)
	if !ok {
		return nil
	}
	if err := r.Remove(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// resourceForkSize is the size of the AFP_Resource stream of the open
// base file f (0 when it has none).
func resourceForkSize(f vfs.File) uint64 {
	x, _ := f.(vfs.XattrFile)
	sc, _ := f.(vfs.Streamer)
	ents, err := listAllStreams(x, sc, false)
	if err != nil {
		return 0
	}
	i := slices.IndexFunc(ents, func(e streamEnt) bool { return isAfpResource(e.name) })
	switch {
	case i < 0:
		return 0
	case ents[i].sidecar:
		return uint64(ents[i].size)
	}
	v, err := x.Getxattr(streamXattrPrefix + ents[i].name)
	if err != nil {
		return 0
	}
	return uint64(len(v))
}

// copyStreams copies every named stream of the base file src to the base
// file dst, each into the store a new stream of dst goes to (copyfile).
func copyStreams(src, dst vfs.File) error {
	sx, _ := src.(vfs.XattrFile)
	ssc, _ := src.(vfs.Streamer)
	ents, err := listAllStreams(sx, ssc, false)
	if err != nil {
		if xattrUnsupported(err) {
			return nil
		}
		return err
	}
	dx, _ := dst.(vfs.XattrFile)
	dsc, _ := dst.(vfs.Streamer)
	for _, e := range ents {
		if err := copyStream(e, sx, ssc, dx, dsc); err != nil {
			return err
		}
	}
	return nil
}

// copyStream copies the stream e of (sx, ssc) to (dx, dsc).
func copyStream(e streamEnt, sx vfs.XattrFile, ssc vfs.Streamer, dx vfs.XattrFile, dsc vfs.Streamer) error {
	var in vfs.File
	var data []byte
	var size int64
	if e.sidecar {
		f, err := ssc.OpenStream(e.name, os.O_RDONLY)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		in, size = f, fi.Size()
	} else {
		v, err := sx.Getxattr(streamXattrPrefix + e.name)
		if err != nil {
			return err
		}
		data = v
	}
	if dsc == nil || isAfpInfo(e.name) {
		if dx == nil {
			return nil // nowhere to keep it
		}
		if in != nil {
			if size > maxStreamSize {
				return &fs.PathError{Op: "copyfile", Path: e.name, Err: syscall.ENOSPC}
			}
			data = make([]byte, size)
			if _, err := in.ReadAt(data, 0); err != nil && size > 0 {
				return err
			}
		}
		return dx.Setxattr(streamXattrPrefix+e.name, data)
	}
	out, err := dsc.OpenStream(e.name, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	defer out.Close()
	if in == nil {
		_, err = out.WriteAt(data, 0)
		return err
	}
	_, err = copyRange(out, 0, in, 0, size)
	return err
}
