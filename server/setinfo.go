package server

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// SET_INFO (MS-SMB2 3.3.5.21): times and attributes, rename, delete
// disposition, size, position, mode and security descriptors. Security
// descriptors are remembered in memory only; nothing is enforced.

func (c *conn) handleSetInfo(r *request) response {
	req, err := smb2.DecodeSetInfoRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if o.pipe != nil {
		return errResp(smb2.StatusNotSupported)
	}
	if (isRename(&req) || isDelete(&req)) && !o.tree.share.ReadOnly && o.stream == "" {
		if wait := c.srv.state.breakHandles(o); wait != nil {
			return c.renameAfterBreak(r, o, req, wait)
		}
	}
	switch req.InfoType {
	case smb2.InfoFile:
		st = c.setFileInfo(o, &req)
	case smb2.InfoSecurity:
		st = c.setSecurity(o, &req)
	case smb2.InfoFilesystem, smb2.InfoQuota:
		st = smb2.StatusNotSupported
	default:
		st = smb2.StatusInvalidParameter
	}
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	return response{body: smb2.AppendSetInfoResponse(nil)}
}

// isRename reports whether req renames its file.
func isRename(req *smb2.SetInfoRequest) bool {
	return req.InfoType == smb2.InfoFile &&
		(req.FileInfoClass == smb2.FileRenameInformation || req.FileInfoClass == smb2.FileRenameInformationEx)
}

// isDelete reports whether req sets delete-pending on its file (an
// unlink): other leases' handle caching is broken first, as for a rename.
func isDelete(req *smb2.SetInfoRequest) bool {
	if req.InfoType != smb2.InfoFile || len(req.Buffer) == 0 {
		return false
	}
	switch req.FileInfoClass {
	case smb2.FileDispositionInformation, smb2.FileDispositionInformationEx:
		flags, err := smb2.DecodeFileDispositionInfo(req.Buffer, req.FileInfoClass)
		return err == nil && flags&smb2.FileDispositionDelete != 0
	}
	return false
}

// renameAfterBreak makes a rename (or an unlink) wait (async) until the
// handle caching other leases hold on the file is broken: acknowledged or
// timed out.
func (c *conn) renameAfterBreak(r *request, o *open, req smb2.SetInfoRequest, wait <-chan struct{}) response {
	req.Buffer = append([]byte(nil), req.Buffer...)
	cancelled := make(chan struct{})
	var once sync.Once
	op := c.goAsync(r, func() { once.Do(func() { close(cancelled) }) })
	go func() {
		for wait != nil {
			select {
			case <-wait:
			case <-cancelled:
				op.complete(errResp(smb2.StatusCancelled))
				return
			}
			wait = c.srv.state.breakHandles(o)
		}
		if st := c.setFileInfo(o, &req); st != smb2.StatusSuccess {
			op.complete(errResp(st))
			return
		}
		op.complete(response{body: smb2.AppendSetInfoResponse(nil)})
	}()
	return response{pending: op}
}

func (c *conn) setFileInfo(o *open, req *smb2.SetInfoRequest) smb2.Status {
	b := req.Buffer
	ro := o.tree.readOnly
	switch req.FileInfoClass {
	case smb2.FilePositionInformation:
		v, err := smb2.DecodeUint64Info(b)
		if err != nil {
			return asStatus(err)
		}
		if v > 1<<63-1 {
			return smb2.StatusInvalidParameter
		}
		o.mu.Lock()
		o.position = int64(v)
		o.mu.Unlock()
		return smb2.StatusSuccess
	case smb2.FileModeInformation:
		return setMode(o, b)
	case smb2.FileBasicInformation:
		if ro {
			return smb2.StatusAccessDenied
		}
		return c.setBasic(o, b)
	case smb2.FileRenameInformation, smb2.FileRenameInformationEx:
		if ro {
			return smb2.StatusAccessDenied
		}
		if o.stream != "" {
			return smb2.StatusInvalidParameter // renaming named streams is not supported (stream.go)
		}
		return c.setRename(o, b, req.FileInfoClass)
	case smb2.FileDispositionInformation, smb2.FileDispositionInformationEx:
		if ro {
			return smb2.StatusAccessDenied
		}
		return c.setDisposition(o, b, req.FileInfoClass)
	case smb2.FileEndOfFileInformation, smb2.FileAllocationInformation:
		if ro {
			return smb2.StatusAccessDenied
		}
		return c.setSize(o, b, req.FileInfoClass)
	case smb2.FileFullEaInformation:
		return c.setFullEA(o, b)
	case smb2.FileLinkInformation, smb2.FileLinkInformationEx:
		if ro {
			return smb2.StatusAccessDenied
		}
		return c.setLink(o, b, req.FileInfoClass)
	case smb2.FileShortNameInformation, smb2.FileValidDataLengthInformation:
		return smb2.StatusNotSupported
	}
	return smb2.StatusInvalidInfoClass
}

// asStatus turns a decoder error into a status.
func asStatus(err error) smb2.Status {
	var st smb2.Status
	if errors.As(err, &st) {
		return st
	}
	return smb2.StatusInvalidParameter
}

// setMode sets FileModeInformation: only the mode bits may be set, and
// the synchronous-I/O bits must match those the file was opened with.
func setMode(o *open, b []byte) smb2.Status {
	m, err := smb2.DecodeFileModeInfo(b)
	if err != nil {
		return asStatus(err)
	}
	const syncBits = smb2.FileSynchronousIOAlert | smb2.FileSynchronousIONonalert
	if m&^modeBits != 0 || (m^o.createOptions)&syncBits != 0 {
		return smb2.StatusInvalidParameter
	}
	o.mu.Lock()
	o.mode = m
	o.mu.Unlock()
	return smb2.StatusSuccess
}

// setBasic applies FileBasicInformation. A time of 0 leaves it alone; -1
// and -2 (stop/resume automatic updates) are treated the same way.
func (c *conn) setBasic(o *open, b []byte) smb2.Status {
	bi, err := smb2.DecodeFileBasicInfo(b)
	if err != nil {
		return asStatus(err)
	}
	if !o.has(fileWriteAttributes) {
		return smb2.StatusAccessDenied
	}
	if bi.FileAttributes&smb2.FileAttributeDirectory != 0 && !o.isDir {
		return smb2.StatusInvalidParameter
	}
	if bi.FileAttributes&^(validCreateAttrs) != 0 {
		return smb2.StatusInvalidParameter
	}
	if o.isDir && bi.FileAttributes&smb2.FileAttributeTemporary != 0 {
		return smb2.StatusInvalidParameter // MS-FSA 2.1.5.14.2
	}
	settime := func(v uint64) (time.Time, bool) {
		if v == 0 || v >= 0xFFFFFFFFFFFFFFFE {
			return time.Time{}, false
		}
		return smb2.TimeFromFileTime(v), true
	}
	share := o.tree.share
	p := o.path()
	at, aok := settime(bi.LastAccessTime)
	mt, mok := settime(bi.LastWriteTime)
	if aok || mok {
		if err := o.tree.fs().Chtimes(vfsName(p), at, mt); err != nil {
			return statusFromError(err)
		}
	}
	_, cok := settime(bi.ChangeTime)
	_, bok := settime(bi.CreationTime)
	if bok || bi.FileAttributes != 0 {
		c.updateDOSAttrib(o, false, func(d *smb2.DOSAttrib) {
			if bok {
				d.CreationTime = bi.CreationTime
			}
			if bi.FileAttributes != 0 {
				d.Attributes, d.HasAttributes = bi.FileAttributes&settableAttrs, true
			}
		})
	}
	if cok {
		// After the record's write, which changed the real change time:
		// the one set holds while the real one stays this.
		fi, err := o.file.Stat()
		if err != nil {
			return statusFromError(err)
		}
		realCtime := c.fileInfo(share, p, fi, dosSrc(o)).ChangeTime
		c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) { m.ctime, m.ctimeAt = bi.ChangeTime, realCtime })
	}
	if bi.FileAttributes != 0 && c.posix {
		posixReadonly(o, bi.FileAttributes&smb2.FileAttributeReadonly != 0) // posix.go
	}
	if bi.FileAttributes != 0 || aok || mok || bok || cok {
		c.entryChanged(o) // dirlease.go
		c.srv.nodes.ns.notifyFiltered(share, p, smb2.FileActionModified,
			smb2.FileNotifyChangeAttributes|smb2.FileNotifyChangeLastWrite|smb2.FileNotifyChangeCreation)
	}
	return smb2.StatusSuccess
}

// setSize applies FileEndOfFileInformation and FileAllocationInformation;
// both need FILE_WRITE_DATA (MS-FSA 2.1.5.14.4, 2.1.5.14.1): an
// append-only open may not change the size.
func (c *conn) setSize(o *open, b []byte, class uint8) smb2.Status {
	v, err := smb2.DecodeUint64Info(b)
	if err != nil {
		return asStatus(err)
	}
	if !o.has(fileWriteData) {
		return smb2.StatusAccessDenied
	}
	if o.isDir {
		return smb2.StatusInvalidParameter
	}
	if v > 1<<62 || o.stream != "" && v > uint64(c.srv.cfg.MaxStreamSize) {
		return smb2.StatusDiskFull
	}
	size := int64(v)
	share := o.tree.share
	p := o.path()
	c.srv.state.contend(o)
	if class == smb2.FileEndOfFileInformation {
		if err := o.file.Truncate(size); err != nil {
			return statusFromError(err)
		}
		c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) { m.alloc = 0 })
	} else {
		fi, err := o.file.Stat()
		if err != nil {
			return statusFromError(err)
		}
		if size < fi.Size() {
			if err := o.file.Truncate(size); err != nil {
				return statusFromError(err)
			}
		} else if sf, ok := o.file.(vfs.SparseFile); ok && c.srv.cfg.StrictAllocate && size > vfs.AllocationSize(fi) {
			// Reserve the space for real (fallocate KEEP_SIZE), as
			// Windows does; the size stays. Otherwise, and for
			// backends that cannot, the number is only remembered.
			if err := sf.Allocate(0, size); err != nil && !errors.Is(err, errors.ErrUnsupported) {
				return statusFromError(err)
			}
		}
		const cluster = 4096
		c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) { m.alloc = (size + cluster - 1) / cluster * cluster })
	}
	c.entryChanged(o) // dirlease.go
	c.srv.nodes.ns.notifyFiltered(share, p, smb2.FileActionModified, smb2.FileNotifyChangeSize)
	return smb2.StatusSuccess
}

// setDisposition sets or clears delete-pending on the file.
func (c *conn) setDisposition(o *open, b []byte, class uint8) smb2.Status {
	flags, err := smb2.DecodeFileDispositionInfo(b, class)
	if err != nil {
		return asStatus(err)
	}
	if !o.has(accessDelete) {
		return smb2.StatusAccessDenied
	}
	del := flags&smb2.FileDispositionDelete != 0
	if del && isAfpResource(o.stream) {
		return smb2.StatusSuccess // ignored, as on macOS (afpinfo.go)
	}
	p := o.path()
	if del {
		if p == "" {
			return smb2.StatusCannotDelete
		}
		fi, err := o.file.Stat()
		if err != nil {
			return statusFromError(err)
		}
		if flags&smb2.FileDispositionIgnoreReadonlyAttribute == 0 && c.isReadOnlyFile(o.tree.share, p, fi, dosSrc(o)) {
			return smb2.StatusCannotDelete
		}
		if fi.IsDir() {
			if st := dirEmpty(o); st != smb2.StatusSuccess {
				return st
			}
		}
		if st := o.tree.mayRemove(p); st != smb2.StatusSuccess { // unixusers.go
			return st
		}
	}
	if class == smb2.FileDispositionInformationEx && flags&smb2.FileDispositionOnClose != 0 {
		o.mu.Lock()
		o.deleteOnClose = del
		o.mu.Unlock()
		return smb2.StatusSuccess
	}
	c.srv.state.setDeletePending(o, del)
	if del && o.isDir {
		c.srv.nodes.ns.deletePending(o.node)
	}
	return smb2.StatusSuccess
}

// dirEmpty reports STATUS_DIRECTORY_NOT_EMPTY for a directory with entries.
func dirEmpty(o *open) smb2.Status {
	d, err := o.tree.fs().OpenFile(vfsName(o.path()), os.O_RDONLY, 0)
	if err != nil {
		return statusFromError(err)
	}
	defer d.Close()
	list, err := d.ReadDir(1)
	if err != nil && err != io.EOF {
		return statusFromError(err)
	}
	if len(list) > 0 {
		return smb2.StatusDirectoryNotEmpty
	}
	return smb2.StatusSuccess
}

// setSecurity is in aclinfo.go.
