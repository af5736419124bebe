package server

import (
	"hash/fnv"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// CREATE (MS-SMB2 3.3.5.9): opening and creating files, directories and,
// on IPC$, named pipes.

func (c *conn) handleCreate(r *request) response {
	for {
		resp := c.create(r, r.msg)
		if r.breakWait == nil {
			return resp
		}
		select {
		case <-r.breakWait: // nothing to wait for (a disconnected holder was purged)
			r.breakWait = nil
			continue
		default:
		}
		// In the middle of a compound too: the dispatcher then splits
		// the compound there (splitChain, dispatch.go).
		return c.createAfterBreak(r)
	}
}

// waitBreakInPlace blocks until wait closes or the break timeout (plus
// slack) passes: an SMB1 open's wait for a break (smb1bridge.go).
func (c *conn) waitBreakInPlace(wait <-chan struct{}) {
	t := time.NewTimer(c.srv.nodes.breakTimeout + time.Second)
	defer t.Stop()
	select {
	case <-wait:
	case <-t.C:
	}
}

// createAfterBreak makes a CREATE that must wait for an oplock or lease
// break go async: it is retried whenever the node's caching state changes
// (acknowledgment, break timeout, close) until it no longer has to wait.
// The break timeout bounds every wait, so no client stalls another longer.
func (c *conn) createAfterBreak(r *request) response {
	c.mu.Lock()
	full := len(c.async) >= maxAsyncPerConn
	c.mu.Unlock()
	if full {
		c.log.Warn("too many CREATEs waiting for breaks; refused")
		return errResp(smb2.StatusInsufficientResources)
	}
	msg := append([]byte(nil), r.msg...)
	wait := r.breakWait
	cancelled := make(chan struct{})
	var once sync.Once
	op := c.goAsync(r, func() { once.Do(func() { close(cancelled) }) })
	rc := *op.r
	if r.hdr.NextCommand == 0 {
		rc.chain = &compoundState{}
	} // else the compound goes on after it (splitChain) and needs its FileId

	limit := 2*c.srv.nodes.breakTimeout + 5*time.Second
	go func() {
		for {
			select {
			case <-wait:
			case <-cancelled:
				if rc.replay != nil {
					c.srv.state.endReplayable(rc.replay, nil)
				}
				op.complete(errResp(smb2.StatusCancelled))
				return
			case <-time.After(limit): // never expected: breaks time out themselves
			}
			rc.breakWait, rc.breakRetry = nil, true
			resp := c.create(&rc, msg)
			if rc.breakWait == nil {
				if o := rc.created; o != nil && c.closing.Load() && c.removeOpen(o) {
					// The connection was torn down after its opens were
					// collected: this one would be left behind.
					c.shutdownClose(o)
				}
				op.complete(resp)
				return
			}
			wait = rc.breakWait
		}
	}()
	return response{pending: op}
}

// create runs a CREATE; when it must wait for a break it sets r.breakWait
// and its response is to be ignored.
func (c *conn) create(r *request, msg []byte) response {
	req, err := smb2.DecodeCreateRequest(msg)
	if err != nil {
		return errResp(asStatus(err)) // INVALID_PARAMETER, or OBJECT_NAME_INVALID for a bad name
	}
	dur, st := parseDurable(&req)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if dur.reconnect != 0 {
		if r.tree.ipc {
			return errResp(smb2.StatusObjectNameNotFound) // no durable pipes
		}
		return c.reconnectDurable(r, &req, &dur)
	}
	if r.tree.ipc {
		return c.createPipe(r, &req)
	}
	if dur.version == 2 && c.dialect >= smb2.Dialect300 {
		if resp, done := c.beginReplayCreate(r, &req, &dur); done {
			return resp
		}
		defer c.endReplayCreate(r)
	}
	if dur.app, st = c.parseAppInstance(&req, &dur); st != smb2.StatusSuccess {
		return errResp(st)
	}
	if strings.HasPrefix(req.Name, `\`) {
		// MS-SMB2 3.3.5.9: the name must be relative to the share root.
		return errResp(smb2.StatusInvalidParameter)
	}
	if req.DesiredAccess&reservedAccessBits != 0 {
		return errResp(smb2.StatusAccessDenied) // checked before anything else, as Windows does
	}
	if st := validateCreate(&req); st != smb2.StatusSuccess {
		return errResp(st)
	}
	for _, cc := range req.CreateContexts {
		if len(cc.Name) < 4 {
			return errResp(smb2.StatusInvalidParameter) // as Windows: tags are at least 4 bytes
		}
	}
	if _, st := c.aaplQuery(&req); st != smb2.StatusSuccess {
		return errResp(st) // aapl.go
	}
	if _, ok := req.Context(smb2.CreateContextTimewarpToken); ok {
		return errResp(smb2.StatusObjectNameNotFound) // no previous versions (snapshots) exist
	}
	base, stream, st := splitStream(req.Name)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	p, st := sharePath(base)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	access, st := grantAccess(req.DesiredAccess, r.tree.rights().maxAccess)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	posixMode, posixOpen := c.posixCreate(&req)
	if !posixOpen {
		p = resolveCase(r.tree.fs(), p) // POSIX opens are case-sensitive
	}
	if stream == "" && base != req.Name {
		// "dir::$DATA": directories have no data stream.
		if st := dataStreamOfDir(r.tree.share, p, req.CreateOptions); st != smb2.StatusSuccess {
			return errResp(st)
		}
	}
	if dur.app != nil {
		if st := c.takeOverAppInstance(dur.app, r.tree.share, p, stream); st != smb2.StatusSuccess {
			return errResp(st)
		}
	}
	var link *smb2.Symlink // a POSIX open of a symlink itself (symlink.go)
	if posixOpen && stream == "" {
		if s, _, ok := shareSymlink(r.tree.share, p); ok {
			if req.CreateOptions&smb2.FileOpenReparsePoint == 0 {
				return symlinkStopped(s)
			}
			link = &s
		}
	}
	var o *open
	var action uint32
	var fi fs.FileInfo
	if stream != "" {
		o, action, fi, st = c.openStream(r, &req, p, stream, access)
	} else {
		o, action, fi, st = c.openPath(r, &req, p, access, link)
	}
	if r.breakWait != nil {
		return response{}
	}
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if posixOpen && action == smb2.FileCreated && stream == "" {
		applyPosixMode(r.tree, p, posixMode)
		if nfi, err := o.file.Stat(); err == nil {
			fi = nfi
		}
	}
	return c.createResponse(r, o, &req, &dur, p, action, fi, stream != "", posixOpen)
}

// createResponse registers a new open and builds its CREATE response,
// with the create contexts granted (MxAc, QFid, lease, durable handle).
func (c *conn) createResponse(r *request, o *open, req *smb2.CreateRequest, dur *durableRequest,
	p string, action uint32, fi fs.FileInfo, isStream, posixOpen bool) response {
	share := r.tree.share
	if k := c.srv.nodes.kernel; k != nil {
		k.take(o) // before the grant is answered: no lease, no caching
	}
	id := c.addOpen(o)
	r.setFileID(id)
	r.created, o.createAction = o, action
	o.channelSeq.Store(uint32(uint16(r.hdr.Status))) // the CREATE's ChannelSequence (3.x)
	info := c.fileInfo(share, p, fi, dosSrc(o))
	resp := c.openedResponse(o, action, id, info)
	resp.CreateContexts = createContextResponses(req, o.maxAccess, share, info.IndexNumber)
	if posixOpen {
		resp.CreateContexts = append(resp.CreateContexts, posixCreateResponse(fi))
	}
	if st := c.srv.state.describe(o); st.hasLease {
		resp.CreateContexts = append(resp.CreateContexts, leaseResponse(st))
	}
	if q, _ := c.aaplQuery(req); q != nil {
		resp.CreateContexts = append(resp.CreateContexts, c.aaplReply(share, q))
	}
	resp.CreateContexts = append(resp.CreateContexts, c.srv.state.grantDurable(o, dur)...)
	c.srv.state.setAppInstance(o, dur.app, c.clientGUID)
	if action == smb2.FileCreated && !isStream {
		c.srv.nodes.ns.notify(share, p, smb2.FileActionAdded, o.isDir)
	}
	if action != smb2.FileOpened && !isStream {
		c.srv.state.dirChanged(share, p, o) // created or truncated: the directory's leases break
	}
	return response{body: resp.Append(nil)}
}

// grantedOplock is the OplockLevel of o's CREATE response.
func (c *conn) grantedOplock(o *open) uint8 {
	if o.node == nil {
		return smb2.OplockLevelNone
	}
	return c.srv.state.describe(o).oplock
}

// cacheRequest describes the caching a CREATE asks for: an oplock level,
// or a lease (RqLs context, SMB 2.1 and later; version 2 on 3.x only).
func (c *conn) cacheRequest(r *request, req *smb2.CreateRequest, access uint32, isDir, exists, overwrite bool) *cacheRequest {
	q := &cacheRequest{access: access, shareAccess: req.ShareAccess, overwrite: overwrite, exists: exists,
		first: !r.breakRetry, isDir: isDir, client: c.clientGUID,
		deleteOnClose: exists && req.CreateOptions&smb2.FileDeleteOnClose != 0, smb3: c.dialect >= smb2.Dialect300}
	if c.s1 != nil {
		q.smb1Conn = c // see cacheRequest.smb1Conn
		q.renameOnly = c.s1.pathRename
		q.noLevelII = !c.s1.levelII
	}
	switch req.RequestedOplockLevel {
	case smb2.OplockLevelII, smb2.OplockLevelExclusive, smb2.OplockLevelBatch:
		q.oplock = req.RequestedOplockLevel
	case smb2.OplockLevelLease:
		b, ok := req.Context(smb2.CreateContextRequestLease)
		if !ok || c.dialect < smb2.Dialect210 {
			break
		}
		lr, err := smb2.DecodeLeaseRequest(b)
		if err != nil {
			break
		}
		if c.dialect < smb2.Dialect300 {
			lr.V2 = false
		}
		q.lease = &lr
	}
	if c.srv.nodes.kernel != nil {
		kernelCacheRequest(q)
	}
	return q
}

// createContextResponses answers the create contexts zerosmb supports:
// MxAc (maximal access) and QFid (on-disk id). Others are ignored; no
// lease or durable handle is granted.
func createContextResponses(req *smb2.CreateRequest, maxAccess uint32, share *Share, fileIndex uint64) []smb2.CreateContext {
	var out []smb2.CreateContext
	if _, ok := req.Context(smb2.CreateContextQueryMaximalAccess); ok {
		out = append(out, smb2.CreateContext{Name: smb2.CreateContextQueryMaximalAccess,
			Data: smb2.MaximalAccessResponse(smb2.StatusSuccess, maxAccess)})
	}
	if _, ok := req.Context(smb2.CreateContextQueryOnDiskID); ok {
		out = append(out, smb2.CreateContext{Name: smb2.CreateContextQueryOnDiskID,
			Data: smb2.QueryOnDiskIDResponse(fileIndex, volumeID(share))})
	}
	return out
}

// volumeID is a stable identifier of a share's volume.
func volumeID(share *Share) uint64 {
	h := fnv.New64a()
	h.Write([]byte(share.Name))
	return h.Sum64()
}

// openPath decides the outcome of a CREATE on share path p and performs
// it: the open (attached to its node), the CreateAction, and the file's
// state afterwards. A create that lost a race with another creating the
// same name (a directory made between our Stat and Mkdir) is decided
// again once, so OPEN_IF finds what the winner made (smbtorture
// smb2.create.mkdir-dup) and only FILE_CREATE reports the collision.
// link, if set, is the symlink a POSIX open names with
// FILE_OPEN_REPARSE_POINT: the link itself is opened (symlink.go).
func (c *conn) openPath(r *request, req *smb2.CreateRequest, p string, access uint32, link *smb2.Symlink) (*open, uint32, fs.FileInfo, smb2.Status) {
	o, action, fi, st := c.openPathOnce(r, req, p, access, link)
	if st == smb2.StatusObjectNameCollision && req.CreateDisposition != smb2.FileCreate && r.breakWait == nil {
		o, action, fi, st = c.openPathOnce(r, req, p, access, link)
	}
	return o, action, fi, st
}

func (c *conn) openPathOnce(r *request, req *smb2.CreateRequest, p string, access uint32, link *smb2.Symlink) (*open, uint32, fs.FileInfo, smb2.Status) {
	share := r.tree.share
	eas, st := createEAs(req)
	if st != smb2.StatusSuccess {
		return nil, 0, nil, st
	}
	fsys := r.tree.fs() // the user's view: the kernel checks the path as the user
	stat := fsys.Stat
	if link != nil {
		stat = fsys.Lstat // the link itself
	}
	fi, err := stat(vfsName(p))
	exists := err == nil
	if !exists {
		st := statusFromError(err)
		if st != smb2.StatusObjectNameNotFound {
			return nil, 0, nil, st
		}
		if dir, _ := parentPath(p); dir != "" {
			if dfi, err := fsys.Stat(dir); err != nil || !dfi.IsDir() {
				return nil, 0, nil, smb2.StatusObjectPathNotFound
			}
		}
	}
	action, st := c.createAction(share, req, p, fi, exists, access)
	if st != smb2.StatusSuccess {
		return nil, 0, nil, st
	}
	isDir := exists && fi.IsDir() || !exists && req.CreateOptions&smb2.FileDirectoryFile != 0
	var efi fs.FileInfo // the existing file's, for the descriptor cache
	if exists && link == nil {
		efi = fi // (a link's own stat does not describe the file its descriptor is read from)
	}
	ac, st := c.checkCreateACL(r, req, p, exists, efi, isDir, action) // aclcreate.go
	if st != smb2.StatusSuccess {
		return nil, 0, nil, st
	}
	access = ac.access
	o := &open{sess: r.sess, tree: r.tree, name: p, isDir: isDir, access: access,
		shareAccess: req.ShareAccess, createOptions: req.CreateOptions,
		mode: req.CreateOptions & modeBits, maxAccess: ac.maxAccess}
	n := c.srv.state.acquire(share, p)
	o.node = n
	overwrite := exists && (action == smb2.FileOverwritten || action == smb2.FileSuperseded)
	q := c.cacheRequest(r, req, access, isDir, exists, overwrite)
	o.setParentKey(q) // dirlease.go
	if exists && !isDir && vfs.Links(fi) > 1 || link != nil {
		// Caching state is per name (stateStore): a hard-linked file gets
		// none, or a write through one name would leave another name's
		// cache stale.
		q.oplock, q.lease = smb2.OplockLevelNone, nil
	}
	wait, st := c.srv.state.admit(n, o, q)
	if wait != nil || st != smb2.StatusSuccess {
		c.srv.state.put(n)
		r.breakWait = wait
		return nil, 0, nil, st
	}
	if k := c.srv.nodes.kernel; k != nil && (access&(fileWriteData|fileAppendData) != 0 || overwrite) {
		k.beforeWritableOpen(n) // release the server's own leases first
	}
	c.pendingSD(share, p, ac.newSD) // seen by CREATEs racing with this one (sdstore.go)
	if link != nil {
		st = openLinkBackend(o, action, *link)
	} else {
		st = c.openBackend(o, req, action)
	}
	if st != smb2.StatusSuccess {
		c.dropPendingSD(share, p, ac.newSD)
		c.srv.state.release(o, c.log)
		return nil, 0, nil, st
	}
	fi, err = o.file.Stat()
	if err != nil {
		c.closeOpen(o)
		return nil, 0, nil, statusFromError(err)
	}
	if action != smb2.FileOpened {
		attrs := req.FileAttributes & settableAttrs
		if !isDir {
			attrs |= smb2.FileAttributeArchive
		}
		c.srv.nodes.ns.resetMeta(share, p, !isDir)
		c.resetDOSAttrib(o, action == smb2.FileCreated, attrs)
		if st := c.replaceEAs(o, action, eas); st != smb2.StatusSuccess {
			c.closeOpen(o)
			return nil, 0, nil, st
		}
		c.applyCreateContexts(o, req)
		if st := c.storeNewSD(o, ac.newSD); st != smb2.StatusSuccess {
			c.closeOpen(o)
			return nil, 0, nil, st
		}
		if fi2, err := o.file.Stat(); err == nil {
			fi = fi2 // writing EAs and the SD changed the change time
		}
	}
	o.deleteOnClose = req.CreateOptions&smb2.FileDeleteOnClose != 0
	if o.deleteOnClose {
		if st := r.tree.mayRemove(p); st != smb2.StatusSuccess { // unixusers.go
			c.closeOpen(o)
			return nil, 0, nil, st
		}
	}
	return o, action, fi, smb2.StatusSuccess
}

// replaceEAs gives a created or overwritten file the EAs of the CREATE's
// ExtA context; an overwritten file loses the EAs it had.
func (c *conn) replaceEAs(o *open, action uint32, eas []eaEntry) smb2.Status {
	if action != smb2.FileCreated {
		if st := c.clearEAs(o); st != smb2.StatusSuccess {
			return st
		}
	}
	return c.writeEAs(o, eas)
}

// applyCreateContexts applies the AlSi (allocation size) context of a
// CREATE that made or overwrote a file; a malformed one is ignored. The
// SecD context is applied by checkCreateACL/storeNewSD (aclcreate.go).
func (c *conn) applyCreateContexts(o *open, req *smb2.CreateRequest) {
	share, p := o.tree.share, o.path()
	if b, ok := req.Context(smb2.CreateContextAllocationSize); ok && !o.isDir {
		if v, err := smb2.DecodeAllocationSize(b); err == nil && v <= 1<<62 {
			const cluster = 4096
			alloc := (int64(v) + cluster - 1) / cluster * cluster
			c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) { m.alloc = alloc })
		}
	}
}

// modeBits are the CreateOptions reported by FileModeInformation.
const modeBits = smb2.FileWriteThrough | smb2.FileSequentialOnly | smb2.FileNoIntermediateBuffering |
	smb2.FileSynchronousIOAlert | smb2.FileSynchronousIONonalert

// createAction applies the disposition to what exists at p and returns
// the CreateAction, or the status the CREATE fails with.
func (c *conn) createAction(share *Share, req *smb2.CreateRequest, p string, fi fs.FileInfo, exists bool, access uint32) (uint32, smb2.Status) {
	opts := req.CreateOptions
	disp := req.CreateDisposition
	overwrite := disp == smb2.FileSupersede || disp == smb2.FileOverwrite || disp == smb2.FileOverwriteIf
	if !exists {
		switch {
		case disp == smb2.FileOpen || disp == smb2.FileOverwrite:
			return 0, smb2.StatusObjectNameNotFound
		case share.ReadOnly:
			return 0, smb2.StatusAccessDenied
		case opts&smb2.FileDeleteOnClose != 0 && req.FileAttributes&smb2.FileAttributeReadonly != 0:
			return 0, smb2.StatusCannotDelete
		}
		return smb2.FileCreated, smb2.StatusSuccess
	}
	switch {
	case disp == smb2.FileCreate:
		return 0, smb2.StatusObjectNameCollision
	case fi.IsDir() && opts&smb2.FileNonDirectoryFile != 0:
		return 0, smb2.StatusFileIsADirectory
	case !fi.IsDir() && opts&smb2.FileDirectoryFile != 0:
		return 0, smb2.StatusNotADirectory
	case fi.IsDir() && overwrite:
		return 0, smb2.StatusInvalidParameter
	case p == "" && opts&smb2.FileDeleteOnClose != 0:
		return 0, smb2.StatusAccessDenied
	case overwrite && share.ReadOnly:
		return 0, smb2.StatusAccessDenied
	}
	var d smb2.DOSAttrib
	if !fi.IsDir() {
		d = c.dosAttrib(share, p, fi, nil) // read once, by path (dosattr.go)
	}
	if d.HasAttributes && d.Attributes&smb2.FileAttributeReadonly != 0 {
		if opts&smb2.FileDeleteOnClose != 0 {
			return 0, smb2.StatusCannotDelete
		}
		if overwrite || access&(fileWriteData|fileAppendData) != 0 {
			return 0, smb2.StatusAccessDenied
		}
	}
	if overwrite && !fi.IsDir() {
		// MS-FSA 2.1.5.1.2.1: overwriting a hidden or system file needs
		// the same attribute in the request.
		const hs = smb2.FileAttributeHidden | smb2.FileAttributeSystem
		if d.HasAttributes && d.Attributes&hs&^req.FileAttributes != 0 {
			return 0, smb2.StatusAccessDenied
		}
	}
	switch disp {
	case smb2.FileSupersede:
		return smb2.FileSuperseded, smb2.StatusSuccess
	case smb2.FileOverwrite, smb2.FileOverwriteIf:
		return smb2.FileOverwritten, smb2.StatusSuccess
	}
	return smb2.FileOpened, smb2.StatusSuccess
}

// openBackend creates and/or opens the vfs file for o.
func (c *conn) openBackend(o *open, req *smb2.CreateRequest, action uint32) smb2.Status {
	fsys := o.tree.fs() // created and opened as the user (unixusers.go)
	name := vfsName(o.name)
	if o.isDir {
		if action == smb2.FileCreated {
			if err := fsys.Mkdir(name, masked(0o777, o.tree.share.DirectoryMask)); err != nil {
				return statusFromError(err)
			}
		}
		f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
		if err != nil {
			return statusFromError(err)
		}
		o.file = f
		return smb2.StatusSuccess
	}
	flag := os.O_RDONLY
	if o.access&(fileWriteData|fileAppendData) != 0 {
		flag = os.O_RDWR
	}
	switch action {
	case smb2.FileCreated:
		flag = flag | os.O_CREATE
		if req.CreateDisposition == smb2.FileCreate {
			flag |= os.O_EXCL
		}
	case smb2.FileOverwritten, smb2.FileSuperseded:
		flag = os.O_RDWR | os.O_TRUNC
	}
	f, err := fsys.OpenFile(name, flag, masked(0o666, o.tree.share.CreateMask))
	if err != nil {
		return statusFromError(err)
	}
	o.file = f
	return smb2.StatusSuccess
}

// masked is perm limited by a share's create or directory mask (0: none).
func masked(perm, mask fs.FileMode) fs.FileMode {
	if mask == 0 {
		return perm
	}
	return perm & mask & fs.ModePerm
}

// createPipe opens a named pipe on IPC$.
func (c *conn) createPipe(r *request, req *smb2.CreateRequest) response {
	p, ok := c.srv.rpcFor(r.sess).OpenPipe(req.Name)
	if !ok {
		return errResp(smb2.StatusObjectNameNotFound)
	}
	p.SetAnonymous(r.sess.anonymous) // null sessions don't see share paths
	access, _ := grantAccess(req.DesiredAccess&^smb2.AccessSystemSec, accessReadWrite)
	o := &open{sess: r.sess, tree: r.tree, name: req.Name, pipe: p, access: access,
		shareAccess: req.ShareAccess, createOptions: req.CreateOptions}
	id := c.addOpen(o)
	r.setFileID(id)
	resp := smb2.CreateResponse{
		CreateAction:   smb2.FileOpened,
		FileAttributes: smb2.FileAttributeNormal,
		FileID:         id,
	}
	return response{body: resp.Append(nil)}
}

// openedResponse is the CREATE response for o granted with action and
// FileID id, its times, sizes and attributes from info (a new open and a
// durable reconnect answer alike); create contexts are the caller's.
func (c *conn) openedResponse(o *open, action uint32, id smb2.FileID, info smb2.FileInfo) smb2.CreateResponse {
	return smb2.CreateResponse{
		OplockLevel:    c.grantedOplock(o),
		CreateAction:   action,
		CreationTime:   info.CreationTime,
		LastAccessTime: info.LastAccessTime,
		LastWriteTime:  info.LastWriteTime,
		ChangeTime:     info.ChangeTime,
		AllocationSize: info.AllocationSize,
		EndOfFile:      info.EndOfFile,
		FileAttributes: info.FileAttributes,
		FileID:         id,
		Flags:          reparseFlag(info.FileAttributes),
	}
}

// reparseFlag is the CREATE response Flags of an open of a reparse
// point (SMB2_CREATE_FLAG_REPARSEPOINT).
func reparseFlag(attrs uint32) uint8 {
	if attrs&smb2.FileAttributeReparsePoint != 0 {
		return smb2.CreateFlagReparsePoint
	}
	return 0
}
