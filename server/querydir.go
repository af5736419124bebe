package server

import (
	"io/fs"
	"path"

	"github.com/zerosmb/zerosmb/smb2"
)

// QUERY_DIRECTORY (MS-SMB2 3.3.5.18). An enumeration lists "." and "..",
// then the directory's entries as the backend streams them, filtered by
// the search pattern of the first query (or of a restart). Later queries
// without RESTART_SCANS or REOPEN continue it, whatever pattern they
// carry, as Windows does. Entries created or removed while an
// enumeration runs may or may not be listed, as on Windows. The state
// kept per handle is bounded (dirstream.go).

func (c *conn) handleQueryDirectory(r *request) response {
	req, err := smb2.DecodeQueryDirectoryRequest(r.msg)
	if err != nil {
		return errResp(asStatus(err))
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if !o.isDir || o.file == nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	if smb2.DirEntryFixedSize(req.FileInformationClass) == 0 ||
		req.FileInformationClass == smb2.FilePosixInformation && !c.posix {
		return errResp(smb2.StatusInvalidInfoClass)
	}
	if !o.has(fileReadData) {
		return errResp(smb2.StatusAccessDenied)
	}
	if req.OutputBufferLength < uint32(smb2.DirEntryFixedSize(req.FileInformationClass)) {
		return errResp(smb2.StatusInfoLengthMismatch)
	}
	if req.OutputBufferLength > c.srv.cfg.MaxIOSize {
		return errResp(smb2.StatusInvalidParameter)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	first := false
	if o.dir == nil || req.Flags&(smb2.QueryDirRestartScans|smb2.QueryDirReopen) != 0 {
		if st := c.startEnumeration(o, req.FileName); st != smb2.StatusSuccess {
			return errResp(st)
		}
		first = true
	}
	d := o.dir
	if st := c.openListing(o, d); st != smb2.StatusSuccess {
		return errResp(st)
	}
	defer c.park(d)
	w := smb2.NewDirListWriter(nil, req.FileInformationClass, req.OutputBufferLength)
	st, full := c.fillDirList(o, d, w, req.Flags&smb2.QueryDirReturnSingleEntry != 0)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if w.Len() == 0 {
		switch {
		case full:
			return errResp(smb2.StatusInfoLengthMismatch) // one entry does not fit
		case first && !d.matched:
			return errResp(smb2.StatusNoSuchFile)
		}
		return errResp(smb2.StatusNoMoreFiles)
	}
	return response{body: smb2.AppendOutputResponse(nil, w.Bytes())}
}

// dirCancelEvery is how many listing entries an enumeration scans
// between checks that the client is still connected (a variable for
// tests).
var dirCancelEvery = 4096

// dirScanHook, when set (by tests), runs before each check that the
// client is still connected.
var dirScanHook func()

// fillDirList adds the next matching entries of d to w until w is full
// (full is then true), the listing ends, or one entry was added when
// single is set. It stops with STATUS_CANCELLED when the client has
// gone, so a long scan (a pattern matching nothing in a huge
// directory) does not outlive its connection.
func (c *conn) fillDirList(o *open, d *dirEnum, w *smb2.DirListWriter, single bool) (st smb2.Status, full bool) {
	share := o.tree.share
	var al aaplListing
	for scanned := 1; ; scanned++ {
		if scanned%dirCancelEvery == 0 && dirScanHook != nil {
			dirScanHook()
		}
		if scanned%dirCancelEvery == 0 && c.peerGone() {
			c.log.Debug("QUERY_DIRECTORY abandoned: the client has gone", "path", o.name, "scanned", scanned)
			return smb2.StatusCancelled, false
		}
		ent, ok, st := c.peek(d)
		if st != smb2.StatusSuccess {
			return st, false
		}
		if !ok {
			return smb2.StatusSuccess, false
		}
		if !d.pattern.Match(ent.Name()) {
			d.consume()
			continue
		}
		d.matched = true
		e, ok := c.dirEntry(share, o.name, ent)
		if !ok {
			d.consume()
			continue
		}
		c.aaplEntry(o, w.Class, &e, &al) // aapl.go
		if !w.Add(&e) {
			return smb2.StatusSuccess, true
		}
		d.consume()
		if single {
			return smb2.StatusSuccess, false
		}
	}
}

// startEnumeration starts (or restarts) the enumeration of o with
// pattern, checked as a file name component with wildcards (at most
// Config.MaxSearchPattern UTF-16 code units, as Windows' 255). The
// listing itself is opened by openListing. The caller holds o.mu.
func (c *conn) startEnumeration(o *open, pattern string) smb2.Status {
	if pattern == "" {
		pattern = "*"
	}
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '\\' || pattern[i] == '/' || pattern[i] == 0 {
			return smb2.StatusObjectNameInvalid
		}
	}
	if smb2.UTF16Len(pattern)/2 > c.srv.cfg.MaxSearchPattern {
		return smb2.StatusObjectNameInvalid
	}
	c.endDirEnum(o)
	o.dir = &dirEnum{pattern: smb2.CompilePattern(pattern), dots: 2}
	return smb2.StatusSuccess
}

// dotEntry is the "." or ".." entry of a listing; its information is
// looked up when the entry is sent.
type dotEntry string

func (d dotEntry) Name() string               { return string(d) }
func (d dotEntry) IsDir() bool                { return true }
func (d dotEntry) Type() fs.FileMode          { return fs.ModeDir }
func (d dotEntry) Info() (fs.FileInfo, error) { return nil, fs.ErrInvalid }

// dirEntry describes one listed entry of directory dir. It reports false
// for entries that vanished or cannot be described (dangling or escaping
// symlinks).
func (c *conn) dirEntry(share *Share, dir string, d fs.DirEntry) (smb2.DirEntry, bool) {
	var (
		p   string
		fi  fs.FileInfo
		err error
	)
	switch d.Name() {
	case ".":
		p = dir
		fi, err = share.FS.Stat(vfsName(p))
	case "..":
		p, _ = parentPath(dir)
		if dir == "" {
			p = ""
		}
		fi, err = share.FS.Stat(vfsName(p))
	default:
		p = path.Join(dir, d.Name())
		if d.Type()&fs.ModeSymlink != 0 {
			if _, lfi, ok := c.posixSymlink(share, p); ok {
				fi = lfi // a POSIX listing shows the link itself (symlink.go)
			} else {
				fi, err = share.FS.Stat(p)
			}
		} else {
			fi, err = d.Info()
		}
	}
	if err != nil {
		return smb2.DirEntry{}, false
	}
	var src any = d
	if d.Type()&fs.ModeSymlink != 0 {
		src = nil // the target's record, read by path
	}
	info := c.fileInfo(share, p, fi, src)
	return smb2.DirEntry{
		CreationTime:   info.CreationTime,
		LastAccessTime: info.LastAccessTime,
		LastWriteTime:  info.LastWriteTime,
		ChangeTime:     info.ChangeTime,
		EndOfFile:      info.EndOfFile,
		AllocationSize: info.AllocationSize,
		FileAttributes: info.FileAttributes,
		FileID:         info.IndexNumber,
		EaSize:         info.EaSize,
		Name:           d.Name(),
		ShortName:      dirShortName(d.Name()),
		Posix:          posixEntry(c, fi),
	}, true
}

// dirShortName is the 8.3 name listed for an entry, the same one
// FileAlternateNameInformation reports ("." and ".." have none).
func dirShortName(name string) string {
	if name == "." || name == ".." {
		return ""
	}
	return shortName(name)
}
