package server

import (
	"github.com/zerosmb/zerosmb/smb2"
)

// CLOSE (MS-SMB2 3.3.5.10) and FLUSH (3.3.5.11).

func (c *conn) handleClose(r *request) response {
	req, err := smb2.DecodeCloseRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	var resp smb2.CloseResponse
	if req.Flags&smb2.CloseFlagPostqueryAttrib != 0 && o.file != nil {
		if fi, err := o.file.Stat(); err == nil {
			info := c.fileInfo(o.tree.share, o.path(), fi, dosSrc(o))
			resp = smb2.CloseResponse{
				Flags:          smb2.CloseFlagPostqueryAttrib,
				CreationTime:   info.CreationTime,
				LastAccessTime: info.LastAccessTime,
				LastWriteTime:  info.LastWriteTime,
				ChangeTime:     info.ChangeTime,
				AllocationSize: info.AllocationSize,
				EndOfFile:      info.EndOfFile,
				FileAttributes: info.FileAttributes,
			}
		}
	}
	if !c.removeOpen(o) {
		return errResp(smb2.StatusFileClosed)
	}
	mayDelete := c.mayDeleteOnClose(o)
	if err := c.closeOpen(o); err != nil {
		c.log.Debug("close", "path", o.path(), "err", err)
	}
	removed := false
	if mayDelete {
		// The last open of a delete-pending file is gone: report the
		// removal to watchers if it happened.
		p := o.path()
		if _, err := o.tree.share.FS.Lstat(vfsName(p)); err != nil {
			c.srv.nodes.ns.notify(o.tree.share, p, smb2.FileActionRemoved, o.isDir)
			removed = true
		}
	}
	o.mu.Lock()
	wrote := o.wrote
	o.mu.Unlock()
	if wrote && !removed && o.stream == "" {
		// Data written through the handle: its last-write time changed
		// (reported once, at close, as Samba does when it fixes the
		// write time there; Windows reports it lazily too).
		c.srv.nodes.ns.notifyFiltered(o.tree.share, o.path(), smb2.FileActionModified, smb2.FileNotifyChangeLastWrite)
	}
	return response{body: resp.Append(nil)}
}

// mayDeleteOnClose reports whether closing o may remove its file.
func (c *conn) mayDeleteOnClose(o *open) bool {
	if o.node == nil {
		return false
	}
	o.mu.Lock()
	doc := o.deleteOnClose
	o.mu.Unlock()
	return c.srv.state.lastCloseDeletes(o, doc)
}

// path returns the open's current share path (renames change it).
func (o *open) path() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.name
}

func (c *conn) handleFlush(r *request) response {
	req, err := smb2.DecodeFlushRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if o.pipe != nil {
		return response{body: smb2.AppendFlushResponse(nil)}
	}
	if !o.has(fileWriteData | fileAppendData) {
		return errResp(smb2.StatusAccessDenied)
	}
	if !o.isDir {
		if err := o.file.Sync(); err != nil {
			return errResp(statusFromError(err))
		}
	}
	return response{body: smb2.AppendFlushResponse(nil)}
}
