package server

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// Symbolic links as reparse points, for POSIX opens (SMB 3.1.1 POSIX
// extensions, the Linux client's "posix" mount). A POSIX CREATE whose
// path names a symlink the backend keeps (vfs.Symlinker) fails with
// STATUS_STOPPED_ON_SYMLINK and the Symbolic Link Error Response
// carrying the target; the client resolves it itself. With
// FILE_OPEN_REPARSE_POINT the CREATE opens the link itself (no caching,
// no data): QUERY_INFO reports FILE_ATTRIBUTE_REPARSE_POINT and the
// symlink reparse tag, FSCTL_GET_REPARSE_POINT returns the reparse
// buffer, and delete/rename act on the link. POSIX listings show such
// links as reparse points instead of their targets.
//
// Only links whose target stays inside the share, read lexically from
// the link's directory, are shown (an absolute target under the share's
// local path is shown relative to the link); any other link stays what
// it was before: followed by the backend if it resolves inside the
// share, refused if not. The server never follows a link itself: the
// backend (os.Root for osfs) does, and never out of the share.
// Non-POSIX opens are unchanged (links followed inside the share).

// shareSymlink reports whether share path p is a symlink to show as a
// reparse point, with its reparse content and its own (lstat) info.
func shareSymlink(share *Share, p string) (smb2.Symlink, fs.FileInfo, bool) {
	sl, ok := share.FS.(vfs.Symlinker)
	if !ok || p == "" {
		return smb2.Symlink{}, nil, false
	}
	lfi, err := share.FS.Lstat(p)
	if err != nil || lfi.Mode()&fs.ModeSymlink == 0 {
		return smb2.Symlink{}, nil, false
	}
	target, err := sl.Readlink(p)
	if err != nil {
		return smb2.Symlink{}, nil, false
	}
	rel, ok := inShareTarget(share, p, target)
	if !ok {
		return smb2.Symlink{}, nil, false
	}
	name := strings.ReplaceAll(rel, "/", `\`)
	s := smb2.Symlink{SubstituteName: name, PrintName: name, Relative: true}
	return s, lfi, s.Valid()
}

// inShareTarget returns the link target of share path p relative to
// the link's directory if it stays inside the share, lexically.
func inShareTarget(share *Share, p, target string) (string, bool) {
	if target == "" || !utf8.ValidString(target) || strings.ContainsAny(target, "\\\x00:") {
		return "", false // a backslash or colon would change meaning on the wire
	}
	dir, _ := parentPath(p)
	if strings.HasPrefix(target, "/") {
		if share.Path == "" || !filepath.IsAbs(share.Path) {
			return "", false
		}
		r, err := filepath.Rel(filepath.Join(share.Path, filepath.FromSlash(dir)), filepath.Clean(target))
		if err != nil {
			return "", false
		}
		target = filepath.ToSlash(r)
	}
	if j := path.Join(dir, target); j == ".." || strings.HasPrefix(j, "../") {
		return "", false // climbs above the share root
	}
	return target, true
}

// posixSymlink is shareSymlink on connections with the POSIX extensions.
func (c *conn) posixSymlink(share *Share, p string) (smb2.Symlink, fs.FileInfo, bool) {
	if !c.posix {
		return smb2.Symlink{}, nil, false
	}
	return shareSymlink(share, p)
}

// symlinkStopped is the answer to a POSIX CREATE through symlink s.
func symlinkStopped(s smb2.Symlink) response {
	return response{status: smb2.StatusStoppedOnSymlink, errData: smb2.AppendSymlinkError(nil, s, 0)}
}

// linkFile is the vfs.File of an open of a symlink itself (a POSIX
// CREATE with FILE_OPEN_REPARSE_POINT): it has no data, Stat describes
// the link (lstat).
type linkFile struct {
	fsys vfs.FS
	name string
	link smb2.Symlink
}

var errLinkData = errors.New("zerosmb: a symlink opened as a reparse point has no data")

func (l *linkFile) ReadAt([]byte, int64) (int, error)  { return 0, errLinkData }
func (l *linkFile) WriteAt([]byte, int64) (int, error) { return 0, errLinkData }
func (l *linkFile) Close() error                       { return nil }
func (l *linkFile) Stat() (fs.FileInfo, error)         { return l.fsys.Lstat(l.name) }
func (l *linkFile) Truncate(int64) error               { return errLinkData }
func (l *linkFile) Sync() error                        { return nil }
func (l *linkFile) ReadDir(int) ([]fs.DirEntry, error) { return nil, io.EOF }
func (l *linkFile) Name() string                       { return l.name }

// openLinkBackend gives a link open its linkFile. Only opening an
// existing link is possible: overwriting one is refused.
func openLinkBackend(o *open, action uint32, s smb2.Symlink) smb2.Status {
	if action != smb2.FileOpened {
		return smb2.StatusAccessDenied
	}
	o.file = &linkFile{fsys: o.tree.share.FS, name: vfsName(o.name), link: s}
	return smb2.StatusSuccess
}

// getReparsePoint is FSCTL_GET_REPARSE_POINT: the symlink reparse
// buffer of a link open; any other open is no reparse point.
func getReparsePoint(o *open) ioctlResult {
	l, ok := o.file.(*linkFile)
	if !ok {
		return ioctlErr(smb2.StatusNotAReparsePoint)
	}
	return ioctlResult{out: smb2.AppendSymlinkReparse(nil, l.link)}
}

// setReparsePoint is FSCTL_SET_REPARSE_POINT with IO_REPARSE_TAG_SYMLINK,
// as Windows clients (and Linux clients from 6.10 on) make a symlink:
// CREATE an empty file, set the reparse point, CLOSE. The open's empty
// file is replaced by a symlink to the
// (relative, in-share) target, and the open becomes an open of the link.
// Other tags are not handled; absolute targets and targets climbing out
// of the share are refused; so are directory opens (mklink /D: not done).
func (c *conn) setReparsePoint(o *open, in []byte) ioctlResult {
	share := o.tree.share
	_, ok := share.FS.(vfs.Symlinker)
	if !ok || o.file == nil || o.stream != "" || o.isDir {
		return ioctlErr(smb2.StatusNotSupported) // directory links (mklink /D) not done
	}
	if o.access&(fileWriteData|fileWriteAttributes) == 0 || o.tree.readOnly {
		return ioctlErr(smb2.StatusAccessDenied)
	}
	if tag, err := smb2.ReparseTag(in); err != nil {
		return ioctlErr(smb2.StatusIOReparseDataInvalid)
	} else if tag != smb2.IOReparseTagSymlink {
		return ioctlErr(smb2.StatusIOReparseTagNotHandled)
	}
	s, err := smb2.DecodeSymlinkReparse(in)
	if err != nil || !s.Valid() {
		return ioctlErr(smb2.StatusIOReparseDataInvalid)
	}
	target := strings.ReplaceAll(s.SubstituteName, `\`, "/")
	if !s.Relative || strings.HasPrefix(target, "/") {
		return ioctlErr(smb2.StatusAccessDenied) // no targets outside the share
	}
	p := o.path()
	if _, ok := inShareTarget(share, p, target); !ok || p == "" {
		return ioctlErr(smb2.StatusAccessDenied)
	}
	if isLinkOpen(o) {
		return ioctlErr(smb2.StatusIOReparseDataInvalid) // already a link
	}
	fi, err := o.file.Stat()
	if err != nil {
		return ioctlErr(statusFromError(err))
	}
	if fi.Size() != 0 {
		return ioctlErr(smb2.StatusIOReparseDataInvalid) // only an empty file becomes a link
	}
	fsys := o.tree.fs() // the link is made as the user
	if err := fsys.Remove(vfsName(p)); err != nil {
		return ioctlErr(statusFromError(err))
	}
	if err := fsys.(vfs.Symlinker).Symlink(target, vfsName(p)); err != nil {
		return ioctlErr(statusFromError(err))
	}
	// The old descriptor stays open until the handle closes: a READ
	// answered just before may still be sending from it (sendfile runs
	// after the handler returned, when the response leaves).
	old := o.file
	o.mu.Lock()
	o.file = &linkFile{fsys: share.FS, name: vfsName(p), link: s}
	closed := o.closed
	if !closed {
		o.atClose(func() { old.Close() })
	}
	o.mu.Unlock()
	if closed {
		old.Close()
	}
	c.srv.nodes.ns.notifyFiltered(share, p, smb2.FileActionModified, smb2.FileNotifyChangeAttributes)
	return ioctlResult{}
}

// isLinkOpen reports whether o is an open of a symlink itself (it has
// no data to READ).
func isLinkOpen(o *open) bool {
	_, ok := o.file.(*linkFile)
	return ok
}

// isSymlinkInfo reports whether fi describes a symlink (a link open's
// or a POSIX listing's lstat information).
func isSymlinkInfo(fi fs.FileInfo) bool { return fi.Mode()&fs.ModeSymlink != 0 }
