package server

import (
	"strings"
	"time"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// SMB1 file commands, each run as the SMB2 operation that does the same.

const (
	smb1ShareAll        = 7 // FILE_SHARE_READ | WRITE | DELETE
	fileAttrDirectory   = 0x10
	fileListDirectory   = fileReadData
	maxSMB1FIDs         = 0xFFF0
	fileDispositionInfo = 13
)

// smb1Name turns an SMB1 path (leading backslashes, maybe "\\") into the
// share-relative name SMB2 CREATE takes.
func smb1Name(name string) string {
	return strings.TrimLeft(name, `\`)
}

// allocFID maps id to a new FID.
func (c *conn) allocFID(id smb2.FileID) (uint16, bool) {
	s := c.s1
	if len(s.fids) >= maxSMB1FIDs {
		c.purgeFIDs()
	}
	for range 0x10000 {
		s.nextFID++
		if f := s.nextFID; f != 0 && f != 0xFFFF {
			if _, used := s.fids[f]; !used {
				s.fids[f] = id
				return f, true
			}
		}
	}
	return 0, false
}

// purgeFIDs forgets FIDs whose opens are gone (closed by a tree
// disconnect, logoff or oplock-free teardown).
func (c *conn) purgeFIDs() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for f, id := range c.s1.fids {
		if o := c.opens[id.Volatile]; o == nil || o.id != id {
			delete(c.s1.fids, f)
		}
	}
}

// fileID returns the open a FID names (FILE_CLOSED semantics are left to
// the SMB2 handler: an unknown FID maps to a FileID no open has).
func (s *smb1State) fileID(fid uint16) smb2.FileID {
	if id, ok := s.fids[fid]; ok {
		return id
	}
	return smb2.FileID{Persistent: 0, Volatile: 0}
}

// smb1NTCreate is NT_CREATE_ANDX: SMB2 CREATE with the same access, share,
// disposition, option fields and oplock request (smb1oplock.go).
func (c *conn) smb1NTCreate(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeNTCreateRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil {
		return smb1Err(smb1Status(err))
	}
	out, st := c.smb1NTCreateOpen(r, &req, nil)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	return smb1Resp{block: out.Append(nil)}
}

// Create options of SMB1 opens that MS-SMB 2.2.4.9.1 says the server
// ignores (FILE_CREATE_TREE_CONNECTION, FILE_OPEN_FOR_RECOVERY,
// FILE_OPEN_FOR_FREE_SPACE_QUERY and the reserved 0x000F0000), and
// those SMB1 answers STATUS_INVALID_PARAMETER (FILE_RESERVE_OPFILTER,
// which SMB2 answers STATUS_NOT_SUPPORTED, and FILE_SYNCHRONOUS_IO_ALERT
// and _NONALERT), as Windows and Samba.
const (
	smb1CreateOptionsIgnored uint32 = 0x00000080 | 0x00000400 | 0x00800000 | 0x000F0000
	smb1CreateOptionsInvalid uint32 = 0x00100000 | 0x00000010 | 0x00000020
)

// smb1NTCreateOpen runs the open of NT_CREATE_ANDX or NT_TRANSACT_CREATE
// (with create contexts ctxs: a security descriptor, extended
// attributes) and gives it a FID.
func (c *conn) smb1NTCreateOpen(r *smb1Req, req *smb1.NTCreateRequest, ctxs []smb2.CreateContext) (smb1.NTCreateResponse, smb2.Status) {
	name := smb1Name(req.Name)
	if req.RootDirectoryFID != 0 {
		c.mu.Lock()
		o := c.opens[c.s1.fileID(uint16(req.RootDirectoryFID)).Volatile]
		c.mu.Unlock()
		if o == nil || !o.isDir || o.tree != r.tree {
			return smb1.NTCreateResponse{}, smb2.StatusInvalidHandle
		}
		if o.name != "" {
			name = strings.ReplaceAll(o.name, "/", `\`) + `\` + name
		}
	}
	if req.CreateOptions&smb1CreateOptionsInvalid != 0 {
		return smb1.NTCreateResponse{}, smb2.StatusInvalidParameter
	}
	cr := smb2.CreateRequest{
		ImpersonationLevel: req.ImpersonationLevel,
		DesiredAccess:      req.DesiredAccess,
		FileAttributes:     req.ExtFileAttributes,
		ShareAccess:        req.ShareAccess,
		CreateDisposition:  req.CreateDisposition,
		CreateOptions:      req.CreateOptions &^ smb1CreateOptionsIgnored,
		Name:               name,
		CreateContexts:     ctxs,

		RequestedOplockLevel: smb1WantOplock(req.Flags),
	}
	resp, fid, st := c.smb1Open(r, &cr)
	if st != smb2.StatusSuccess {
		return smb1.NTCreateResponse{}, st
	}
	r.setChainFID(fid)
	out := smb1.NTCreateResponse{
		FID: fid, CreateAction: resp.CreateAction,
		CreationTime: resp.CreationTime, LastAccessTime: resp.LastAccessTime,
		LastWriteTime: resp.LastWriteTime, ChangeTime: resp.ChangeTime,
		ExtFileAttributes: resp.FileAttributes, AllocationSize: resp.AllocationSize,
		EndOfFile: resp.EndOfFile, Directory: resp.FileAttributes&fileAttrDirectory != 0,
		OplockLevel: smb1GrantedOplock(resp.OplockLevel),
	}
	if r.tree.ipc {
		// A message-mode named pipe, one instance (MS-CIFS 2.2.4.64.2).
		out.ResourceType, out.NMPipeStatus, out.Directory = 2, 0x05FF, false
	}
	return out, smb2.StatusSuccess
}

// smb1Status maps a decode error to its status.
func smb1Status(err error) smb2.Status {
	if err == smb1.ErrBadName {
		return smb2.StatusObjectNameInvalid
	}
	if st, ok := err.(smb2.Status); ok {
		return st
	}
	return smb2.StatusInvalidParameter
}

// smb1Close is CLOSE: LastTimeModified, unless 0 or all ones, is set as
// the last write time first.
func (c *conn) smb1Close(r *smb1Req) smb1Resp {
	fid, mtime, err := smb1.DecodeCloseRequest(&r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	fid = r.fid(fid)
	if t := utime(mtime); t != 0 {
		if st := fidStatus(c.smb1SetWriteTime(r, c.s1.fileID(fid), t)); st == smb2.StatusInvalidHandle {
			return smb1Err(st)
		}
	}
	return smb1Resp{status: c.smb1CloseFID(r, fid)}
}

// smb1Flush is FLUSH (FID 0xFFFF: every open of the process; here a no-op
// success).
func (c *conn) smb1Flush(r *smb1Req) smb1Resp {
	fid, err := smb1.DecodeFIDRequest(&r.blk, 1)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	if fid == 0xFFFF {
		return smb1Resp{}
	}
	resp := c.smb2Call(r, smb2.Flush, (&smb2.FlushRequest{FileID: c.s1.fileID(fid)}).Append(nil))
	return smb1Resp{status: fidStatus(resp.status)}
}

// fidStatus is the SMB1 answer to an SMB2 status about a handle.
func fidStatus(st smb2.Status) smb2.Status {
	if st == smb2.StatusFileClosed {
		return smb2.StatusInvalidHandle
	}
	return st
}

// smb1Read is READ_ANDX: SMB2 READ, whose payload descriptor goes out by
// sendfile when the read is alone in its message (smb1SendData).
func (c *conn) smb1Read(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeReadAndXRequest(r.msg, &r.blk, true)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	// MinCount is not a minimum for files (a short read near the end
	// returns what there is, as Windows and Samba).
	rr := smb2.ReadRequest{Length: req.MaxCount, Offset: req.Offset, FileID: c.s1.fileID(r.fid(req.FID))}
	if r.hdr.Flags2&smb1.Flags2ReadPermitExecute == 0 && !c.smb1OpenHas(r, rr.FileID, fileReadData) {
		// An open with FILE_EXECUTE only may be read only by a request
		// that says it reads for execution (MS-SMB 2.2.3.1).
		return smb1Err(smb2.StatusAccessDenied)
	}
	resp := c.smb2Call(r, smb2.Read, rr.Append(nil))
	if resp.status.IsError() {
		if resp.status == smb2.StatusEndOfFile {
			// SMB1 answers a read at or past the end with 0 bytes.
			return smb1Resp{block: smb1.AppendReadAndXResponse(nil, 0)}
		}
		return smb1Err(fidStatus(resp.status))
	}
	if resp.data == nil || resp.data.n == 0 {
		return smb1Resp{block: smb1.AppendReadAndXResponse(nil, 0)}
	}
	return smb1Resp{block: smb1.AppendReadAndXResponse(nil, uint32(resp.data.n)), data: resp.data}
}

// smb1Write is WRITE_ANDX: SMB2 WRITE, the payload either in the message
// or (header splitting) still in the socket, for the SMB2 handler to
// splice into the file.
func (c *conn) smb1Write(r *smb1Req) smb1Resp {
	var (
		req  smb1.WriteAndXRequest
		data []byte
		err  error
	)
	if r.split != nil {
		req, err = smb1.DecodeWriteAndXWords(&r.blk, r.msgLen, true)
	} else {
		req, data, err = smb1.DecodeWriteAndXRequest(r.msg, &r.blk, true)
	}
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	w := smb2.WriteRequest{DataOffset: smb2.HeaderSize + smb2.WriteRequestFixedSize, Length: req.DataLength,
		Offset: req.Offset, FileID: c.s1.fileID(r.fid(req.FID))}
	if req.WriteMode&smb1.WriteThrough != 0 {
		w.Flags = smb2.WriteFlagWriteThrough
	}
	body := w.AppendFixed(make([]byte, 0, smb2.WriteRequestFixedSize))
	var resp response
	if r.split != nil {
		rq := c.smb2Req(r, smb2.Write, body)
		rq.split = r.split
		resp = rq.rule.handler(c, rq)
	} else {
		// The payload is copied once, into a pooled SMB2 message.
		buf := getBuf(smb2.HeaderSize + len(body) + len(data))
		resp = c.smb2Run(c.smb2ReqIn(r, smb2.Write, buf, body, data))
		putBuf(buf)
	}
	if resp.disconnect {
		return smb1Resp{disconnect: true}
	}
	if resp.status.IsError() {
		return smb1Err(fidStatus(resp.status))
	}
	n, err := smb2.DecodeWriteResponse(resp.body)
	if err != nil {
		return smb1Err(smb2.StatusInternalError)
	}
	return smb1Resp{block: smb1.AppendWriteAndXResponse(nil, n)}
}

// smb1Path decodes the one path of a core command.
func (c *conn) smb1Path(r *smb1Req) (string, smb2.Status) {
	name, err := smb1.DecodePathRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil {
		return "", smb1Status(err)
	}
	if strings.ContainsAny(name, "*?<>\"") {
		return "", smb2.StatusObjectNameInvalid // no wildcard deletes
	}
	return smb1CleanPath(smb1Name(name))
}

// smb1CleanPath resolves the "." and ".." components of a share-relative
// path of a core command, as Windows and Samba do for SMB1 paths; a path
// that climbs above the share root is STATUS_OBJECT_PATH_SYNTAX_BAD.
func smb1CleanPath(p string) (string, smb2.Status) {
	if !strings.Contains(p, ".") {
		return p, smb2.StatusSuccess
	}
	var out []string
	for _, c := range strings.Split(p, `\`) {
		switch c {
		case ".", "":
		case "..":
			if len(out) == 0 {
				return "", smb2.StatusObjectPathSyntaxBad
			}
			out = out[:len(out)-1]
		default:
			out = append(out, c)
		}
	}
	return strings.Join(out, `\`), smb2.StatusSuccess
}

// smb1Remove opens name with opts and marks it delete-on-close (DELETE,
// DELETE_DIRECTORY), so read-only files and non-empty directories fail as
// SMB2 SET_INFO fails them. share is what the open shares: nothing for
// DELETE (as Windows and Samba: deleting a file open elsewhere is a
// sharing violation whatever that open shares), everything for
// DELETE_DIRECTORY (a directory open elsewhere fails as not empty or
// delete-pending, not as a sharing violation).
//
// DELETE passes its search attributes: a hidden or system file they do
// not include is not found (STATUS_NO_SUCH_FILE, as Windows and Samba).
func (c *conn) smb1Remove(r *smb1Req, opts, share uint32, search int) smb1Resp {
	name, st := c.smb1Path(r)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	resp, st := c.smb2Create(r, &smb2.CreateRequest{DesiredAccess: accessDelete | fileReadAttributes,
		ShareAccess: share, CreateDisposition: smb2.FileOpen, CreateOptions: opts, Name: name})
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	if search >= 0 && !smb1.AttrsMatch(resp.FileAttributes&^fileAttrDirectory, uint16(search)) {
		c.smb2Close(r, resp.FileID)
		return smb1Err(smb2.StatusNoSuchFile)
	}
	st = c.smb2SetInfo(r, resp.FileID, fileDispositionInfo, []byte{1})
	if cst := c.smb2Close(r, resp.FileID); st == smb2.StatusSuccess {
		st = cst
	}
	return smb1Resp{status: st}
}

// smb1Delete is DELETE (one file; no wildcards).
func (c *conn) smb1Delete(r *smb1Req) smb1Resp {
	if len(r.blk.Words) != 2 {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	return c.smb1Remove(r, smb2.FileNonDirectoryFile, 0, int(le16get(r.blk.Words)))
}

// smb1Rmdir is DELETE_DIRECTORY.
func (c *conn) smb1Rmdir(r *smb1Req) smb1Resp {
	return c.smb1Remove(r, smb2.FileDirectoryFile, smb1ShareAll, -1)
}

// smb1Mkdir is CREATE_DIRECTORY.
func (c *conn) smb1Mkdir(r *smb1Req) smb1Resp {
	name, st := c.smb1Path(r)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	resp, st := c.smb2Create(r, &smb2.CreateRequest{DesiredAccess: fileReadAttributes,
		ShareAccess: smb1ShareAll, CreateDisposition: smb2.FileCreate, CreateOptions: smb2.FileDirectoryFile, Name: name})
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	return smb1Resp{status: c.smb2Close(r, resp.FileID)}
}

// smb1CheckPath is CHECK_DIRECTORY.
func (c *conn) smb1CheckPath(r *smb1Req) smb1Resp {
	name, st := c.smb1Path(r)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	resp, st := c.smb2Create(r, &smb2.CreateRequest{DesiredAccess: fileReadAttributes,
		ShareAccess: smb1ShareAll, CreateDisposition: smb2.FileOpen, CreateOptions: smb2.FileDirectoryFile, Name: name})
	if st == smb2.StatusObjectNameNotFound {
		st = smb2.StatusObjectPathNotFound // as Samba and Windows answer CHECK_DIRECTORY
	}
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	return smb1Resp{status: c.smb2Close(r, resp.FileID)}
}

// smb1Rename is RENAME (one file or directory; no wildcards).
func (c *conn) smb1Rename(r *smb1Req) smb1Resp {
	oldName, newName, err := smb1.DecodeRenameRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil || len(r.blk.Words) != 2 {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	if strings.ContainsAny(oldName+newName, "*?<>\"") {
		return smb1Err(smb2.StatusObjectNameInvalid)
	}
	resp, st := c.smb2Create(r, &smb2.CreateRequest{DesiredAccess: accessDelete | fileReadAttributes,
		ShareAccess: smb1ShareAll, CreateDisposition: smb2.FileOpen, Name: smb1Name(oldName)})
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	st = c.smb2SetInfo(r, resp.FileID, smb2.FileRenameInformation, renameInfo(smb1Name(newName), false))
	if cst := c.smb2Close(r, resp.FileID); st == smb2.StatusSuccess {
		st = cst
	}
	return smb1Resp{status: st}
}

// smb1OpenAndX is OPEN_ANDX, the DOS-era open, as an SMB2 CREATE. A file
// it creates or truncates gets AllocSize as its size and Time as its last
// write time (as Samba).
func (c *conn) smb1OpenAndX(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeOpenAndXRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil {
		return smb1Err(smb1Status(err))
	}
	cr, ok := dosOpenCreate(smb1Name(req.Name), req.AccessMode, req.OpenMode)
	if !ok {
		return smb1Err(smb1.StatusDOSBadAccess)
	}
	cr.FileAttributes = uint32(req.FileAttrs) & 0x27
	cr.RequestedOplockLevel = smb1OpenAndXOplock(req.Flags)
	resp, fid, st := c.smb1Open(r, &cr)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	r.setChainFID(fid)
	size := resp.EndOfFile
	if resp.CreateAction == 2 || resp.CreateAction == 3 { // created, overwritten
		if req.AllocSize != 0 {
			eof := make([]byte, 8)
			le64(eof, uint64(req.AllocSize))
			if c.smb2SetInfo(r, resp.FileID, smb2.FileEndOfFileInformation, eof) == smb2.StatusSuccess {
				size = uint64(req.AllocSize)
			}
		}
		c.smb1SetWriteTime(r, resp.FileID, utime(req.Time))
	}
	out := smb1.OpenAndXResponse{FID: fid, FileAttrs: uint16(resp.FileAttributes & 0x37),
		LastWriteTime: utimeOf(resp.LastWriteTime), FileDataSize: uint32(min(size, 0xFFFFFFFF)),
		AccessRights: req.AccessMode & 7, OpenResults: uint16(resp.CreateAction & 3),
		Extended: req.Flags&smb1.OpenAndXExtendedResponse != 0, MaximalAccess: 0x001F0000}
	if t := utime(req.Time); t != 0 && (resp.CreateAction == 2 || resp.CreateAction == 3) {
		out.LastWriteTime = req.Time
	}
	if resp.OplockLevel == smb2.OplockLevelExclusive || resp.OplockLevel == smb2.OplockLevelBatch {
		out.OpenResults |= smb1.OpenAndXOplockGranted
	}
	return smb1Resp{block: out.Append(nil)}
}

// smb1QueryInformation is QUERY_INFORMATION (getatr): attributes, last
// write time and size from an SMB2 CREATE of the path.
func (c *conn) smb1QueryInformation(r *smb1Req) smb1Resp {
	name, st := c.smb1Path(r)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	resp, st := c.smb2Create(r, &smb2.CreateRequest{DesiredAccess: fileReadAttributes,
		ShareAccess: smb1ShareAll, CreateDisposition: smb2.FileOpen, Name: name})
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	c.smb2Close(r, resp.FileID)
	mtime := smb2.TimeFromFileTime(resp.LastWriteTime).Unix()
	attrs := uint16(resp.FileAttributes & 0x37)
	return smb1Resp{block: smb1.AppendQueryInformationResponse(nil, attrs, uint32(max(mtime, 0)),
		uint32(min(resp.EndOfFile, 0xFFFFFFFF)))}
}

// smb1SetInformation is SET_INFORMATION (setatr): attributes and, unless
// 0 or all ones, the last write time, as SMB2 FileBasicInformation.
func (c *conn) smb1SetInformation(r *smb1Req) smb1Resp {
	attrs, mtime, err := smb1.DecodeSetInformationWords(&r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	name, st := c.smb1Path(r)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	resp, st := c.smb2Create(r, &smb2.CreateRequest{DesiredAccess: fileWriteAttributes,
		ShareAccess: smb1ShareAll, CreateDisposition: smb2.FileOpen, Name: name})
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	basic := make([]byte, 40)
	if mtime != 0 && mtime != 0xFFFFFFFF {
		le64(basic[16:], smb2.FileTime(time.Unix(int64(mtime), 0)))
	}
	a := uint32(attrs) & 0x27
	if resp.FileAttributes&fileAttrDirectory != 0 {
		a |= fileAttrDirectory
	}
	if a == 0 {
		a = 0x80 // FILE_ATTRIBUTE_NORMAL: clear them all
	}
	le32(basic[32:], a)
	st = c.smb2SetInfo(r, resp.FileID, smb2.FileBasicInformation, basic)
	if cst := c.smb2Close(r, resp.FileID); st == smb2.StatusSuccess {
		st = cst
	}
	return smb1Resp{status: st}
}

func le64(b []byte, v uint64) {
	le32(b, uint32(v))
	le32(b[4:], uint32(v>>32))
}

func le16get(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
