package server

import (
	"io/fs"
	"os"
	"path"

	"github.com/zerosmb/zerosmb/smb2"
)

// QUERY_DIRECTORY (MS-SMB2 3.3.5.18). An enumeration is a snapshot of the
// directory taken by the first query (or a restart): "." and "..", then
// the entries in the backend's order, filtered by the search pattern of
// that first query. Later queries without RESTART_SCANS or REOPEN
// continue it, whatever pattern they carry, as Windows does.

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
	if smb2.DirEntryFixedSize(req.FileInformationClass) == 0 {
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
	if o.dirEntries == nil || req.Flags&(smb2.QueryDirRestartScans|smb2.QueryDirReopen) != 0 {
		if st := c.startEnumeration(o, req.FileName); st != smb2.StatusSuccess {
			return errResp(st)
		}
		first = true
	}
	w := smb2.NewDirListWriter(nil, req.FileInformationClass, req.OutputBufferLength)
	share := o.tree.share
	for o.dirPos < len(o.dirEntries) {
		d := o.dirEntries[o.dirPos]
		e, ok := c.dirEntry(share, o.name, d)
		if !ok {
			o.dirPos++
			continue
		}
		if !w.Add(&e) {
			break
		}
		o.dirPos++
		if req.Flags&smb2.QueryDirReturnSingleEntry != 0 {
			break
		}
	}
	if w.Len() == 0 {
		switch {
		case o.dirPos < len(o.dirEntries):
			return errResp(smb2.StatusInfoLengthMismatch) // one entry does not fit
		case first && len(o.dirEntries) == 0:
			return errResp(smb2.StatusNoSuchFile)
		}
		return errResp(smb2.StatusNoMoreFiles)
	}
	return response{body: smb2.AppendOutputResponse(nil, w.Bytes())}
}

// startEnumeration (re)reads the directory of o and keeps the entries
// matching pattern. The caller holds o.mu.
func (c *conn) startEnumeration(o *open, pattern string) smb2.Status {
	if pattern == "" {
		pattern = "*"
	}
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '\\' || pattern[i] == '/' || pattern[i] == 0 {
			return smb2.StatusObjectNameInvalid
		}
	}
	fsys := o.tree.share.FS
	d, err := fsys.OpenFile(vfsName(o.name), os.O_RDONLY, 0)
	if err != nil {
		return statusFromError(err)
	}
	list, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return statusFromError(err)
	}
	entries := make([]fs.DirEntry, 0, len(list)+2)
	for _, name := range []string{".", ".."} {
		if smb2.MatchPattern(pattern, name) {
			entries = append(entries, dotEntry(name))
		}
	}
	for _, e := range list {
		if smb2.MatchPattern(pattern, e.Name()) {
			entries = append(entries, e)
		}
	}
	o.dirEntries = entries
	o.dirPos = 0
	o.dirPattern = pattern
	o.dirDone = false
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
			fi, err = share.FS.Stat(p)
		} else {
			fi, err = d.Info()
		}
	}
	if err != nil {
		return smb2.DirEntry{}, false
	}
	info := c.fileInfo(share, p, fi)
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
