package server

import (
	"strings"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// TRANS2 over SMB1: directory search, file and file system information.
// A request whose parameters or data do not fit the primary request is
// reassembled from secondaries (smb1transsec.go).

// smb1Trans2 is TRANS2.
func (c *conn) smb1Trans2(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeTrans2Request(r.msg, &r.blk)
	switch {
	case err == smb1.ErrSecondaryNeeded:
		part := smb1.Trans2Part(&r.blk, &req)
		return c.smb1TransBegin(r, smb1.ComTransaction2, &part, func(r *smb1Req, params, data []byte) smb1Resp {
			req.Params, req.Data = params, data
			return c.smb1Trans2Run(r, &req)
		})
	case err != nil:
		return smb1Err(smb2.StatusInvalidParameter)
	}
	return c.smb1Trans2Run(r, &req)
}

// smb1Trans2Run dispatches a complete TRANS2 request by subcommand.
func (c *conn) smb1Trans2Run(r *smb1Req, req *smb1.Trans2Request) smb1Resp {
	budget := min(int(req.MaxDataCount), c.s1.clientMB-smb1.Trans2ResponseOverhead-16)
	if budget < 0 {
		budget = 0
	}
	t := &trans2{c: c, r: r, req: req, budget: budget, unicode: r.hdr.Unicode()}
	var params, data []byte
	var st smb2.Status
	switch req.Setup[0] {
	case smb1.Trans2FindFirst2:
		params, data, st = t.findFirst()
	case smb1.Trans2FindNext2:
		params, data, st = t.findNext()
	case smb1.Trans2QueryPathInfo:
		params, data, st = t.queryPath()
	case smb1.Trans2QueryFileInfo:
		params, data, st = t.queryFile()
	case smb1.Trans2SetPathInfo:
		params, st = t.setPath()
	case smb1.Trans2SetFileInfo:
		params, st = t.setFile()
	case smb1.Trans2QueryFSInfo:
		data, st = t.queryFS()
	case smb1.Trans2Open2:
		params, data, st = t.open2()
	case smb1.Trans2CreateDirectory:
		params, st = t.mkdir()
	default:
		c.log.Debug("TRANS2 subcommand not implemented", "subcommand", req.Setup[0])
		return smb1Err(smb2.StatusNotImplemented)
	}
	if st.IsError() {
		return smb1Err(st)
	}
	if len(params) > int(req.MaxParameterCount) {
		return smb1Err(smb2.StatusBufferTooSmall)
	}
	b := smb1.AppendTrans2Response(make([]byte, t.r.outOff, t.r.outOff+64+len(params)+len(data)), 0, params, data)
	return smb1Resp{status: st, block: b[t.r.outOff:]}
}

// trans2 is one TRANS2 request being answered.
type trans2 struct {
	c       *conn
	r       *smb1Req
	req     *smb1.Trans2Request
	budget  int // data bytes the response may carry
	unicode bool
}

// openPath opens a share-relative SMB1 path for a path-based subcommand.
func (t *trans2) openPath(name string, access, opts uint32) (smb2.FileID, smb2.Status) {
	resp, st := t.c.smb2Create(t.r, &smb2.CreateRequest{DesiredAccess: access, ShareAccess: smb1ShareAll,
		CreateDisposition: smb2.FileOpen, CreateOptions: opts, Name: smb1Name(name)})
	return resp.FileID, st
}

// allocSID maps directory open id to a new search id.
func (c *conn) allocSID(id smb2.FileID) (uint16, bool) {
	s := c.s1
	if len(s.sids) >= 4096 {
		return 0, false
	}
	for range 0x10000 {
		s.nextSID++
		if v := s.nextSID; v != 0 && v != 0xFFFF {
			if _, used := s.sids[v]; !used {
				s.sids[v] = id
				return v, true
			}
		}
	}
	return 0, false
}

// closeSID ends search sid.
func (c *conn) closeSID(r *smb1Req, sid uint16) smb2.Status {
	id, ok := c.s1.sids[sid]
	if !ok {
		return smb2.StatusInvalidHandle
	}
	delete(c.s1.sids, sid)
	delete(c.s1.searches, sid)
	c.smb2Close(r, id)
	return smb2.StatusSuccess
}

// smb1FindClose is FIND_CLOSE2.
func (c *conn) smb1FindClose(r *smb1Req) smb1Resp {
	sid, err := smb1.DecodeFIDRequest(&r.blk, 1)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	return smb1Resp{status: c.closeSID(r, sid)}
}

// queryInfo answers a QUERY_*_INFORMATION level on open id.
func (t *trans2) queryInfo(id smb2.FileID, level uint16) ([]byte, smb2.Status) {
	if out, st, ok := t.queryEAs(id, level); ok {
		return out, st
	}
	class, ok := smb1.QueryClass(level)
	if !ok {
		t.c.log.Debug("SMB1 query information level not supported", "level", level)
		return nil, smb2.StatusInvalidLevel
	}
	maxLen := t.budget
	if level == smb1.QueryFileAllInfo || level == smb1.QueryPassthroughAllInfo {
		maxLen += 32 // the SMB1 level is 32 bytes shorter than FileAllInformation
	}
	b, st := t.c.smb2QueryInfo(t.r, id, smb2.InfoFile, class, uint32(maxLen))
	if st.IsError() {
		return nil, st
	}
	out, err := smb1.ConvertQuery(level, b)
	if err != nil {
		return nil, smb2.StatusInfoLengthMismatch
	}
	if len(out) > t.budget {
		out, st = out[:t.budget], smb2.StatusBufferOverflow
	}
	return out, st
}

// queryPath is TRANS2_QUERY_PATH_INFORMATION.
func (t *trans2) queryPath() ([]byte, []byte, smb2.Status) {
	req, err := smb1.DecodePathInfo(t.req.Params, t.unicode)
	if err != nil {
		return nil, nil, smb1Status(err)
	}
	id, st := t.openPath(req.Name, fileReadAttributes|fileReadEA|readControl, 0)
	if st != smb2.StatusSuccess {
		return nil, nil, st
	}
	defer t.c.smb2Close(t.r, id)
	data, st := t.queryInfo(id, req.InfoLevel)
	return []byte{0, 0}, data, st // EaErrorOffset
}

// queryFile is TRANS2_QUERY_FILE_INFORMATION.
func (t *trans2) queryFile() ([]byte, []byte, smb2.Status) {
	req, err := smb1.DecodeFileInfo(t.req.Params)
	if err != nil {
		return nil, nil, smb2.StatusInvalidParameter
	}
	data, st := t.queryInfo(t.c.s1.fileID(req.FID), req.InfoLevel)
	return []byte{0, 0}, data, fidStatus(st)
}

// setInfo applies a SET_*_INFORMATION level to open id.
func (t *trans2) setInfo(id smb2.FileID, level uint16) smb2.Status {
	if level == smb1.InfoSetEA {
		eas, err := smb1.DecodeFEAList(t.req.Data)
		if err != nil || len(eas) == 0 {
			return smb2.StatusInvalidParameter
		}
		return t.c.smb2SetInfo(t.r, id, smb2.FileFullEaInformation, smb1.AppendFullEAChain(nil, eas))
	}
	class, ok := smb1.SetClass(level)
	if !ok {
		t.c.log.Debug("SMB1 set information level not supported", "level", level)
		return smb2.StatusInvalidLevel
	}
	if class == smb2.FileEndOfFileInformation && !t.c.smb1OpenHas(t.r, id, fileWriteData) {
		return smb2.StatusAccessDenied // MS-FSA 2.1.5.14.4: FILE_APPEND_DATA is not enough
	}
	data := t.req.Data
	if class == smb2.FileRenameInformation {
		var err error
		if data, err = smb1.RenameToSMB2(data, t.c.smb1OpenDir(t.r, id)); err != nil {
			return smb1Status(err)
		}
	}
	if class == smb2.FileBasicInformation && len(data) == 36 {
		data = append(append([]byte(nil), data...), 0, 0, 0, 0) // without Reserved
	}
	return t.c.smb2SetInfo(t.r, id, class, data)
}

// setPath is TRANS2_SET_PATH_INFORMATION.
func (t *trans2) setPath() ([]byte, smb2.Status) {
	req, err := smb1.DecodePathInfo(t.req.Params, t.unicode)
	if err != nil {
		return nil, smb1Status(err)
	}
	access := uint32(maximumAllowed)
	class, ok := smb1.SetClass(req.InfoLevel)
	if ok && class == smb2.FileBasicInformation {
		access = fileWriteAttributes // enough, and works on read-only files
	}
	rename := ok && class == smb2.FileRenameInformation
	t.c.s1.pathRename = rename
	id, st := t.openPath(req.Name, access, 0)
	t.c.s1.pathRename = false
	if st != smb2.StatusSuccess {
		return nil, st
	}
	defer t.c.smb2Close(t.r, id)
	if req.InfoLevel == smb1.SetFileEndOfFileInfo {
		// By handle only, as Windows and Samba (after the open, so
		// share-mode conflicts are still reported).
		return nil, smb2.StatusInvalidLevel
	}
	return []byte{0, 0}, t.setInfo(id, req.InfoLevel)
}

// setFile is TRANS2_SET_FILE_INFORMATION.
func (t *trans2) setFile() ([]byte, smb2.Status) {
	req, err := smb1.DecodeFileInfo(t.req.Params)
	if err != nil {
		return nil, smb2.StatusInvalidParameter
	}
	return []byte{0, 0}, fidStatus(t.setInfo(t.c.s1.fileID(req.FID), req.InfoLevel))
}

// queryFS is TRANS2_QUERY_FS_INFORMATION, answered on an open of the
// share root.
func (t *trans2) queryFS() ([]byte, smb2.Status) {
	level, err := smb1.DecodeFSInfo(t.req.Params)
	if err != nil {
		return nil, smb2.StatusInvalidParameter
	}
	class, ok := smb1.FSClass(level)
	if !ok {
		return nil, smb2.StatusInvalidLevel
	}
	id, st := t.openPath("", fileReadAttributes, 0)
	if st != smb2.StatusSuccess {
		return nil, st
	}
	defer t.c.smb2Close(t.r, id)
	b, st := t.c.smb2QueryInfo(t.r, id, smb2.InfoFilesystem, class, uint32(t.budget))
	if st.IsError() {
		return nil, st
	}
	out, err := smb1.ConvertFS(level, b)
	if err != nil {
		return nil, smb2.StatusInfoLengthMismatch
	}
	return out, st
}

// smb1OpenHas reports whether open id of r's session was granted any of
// access (true for an unknown open: the SMB2 handler then answers it).
func (c *conn) smb1OpenHas(r *smb1Req, id smb2.FileID, access uint32) bool {
	c.mu.Lock()
	o := c.opens[id.Volatile]
	c.mu.Unlock()
	return o == nil || o.id != id || o.sess != r.sess || o.has(access)
}

// smb1OpenDir is the share-relative directory of open id ("" for the root
// or an unknown open), with backslashes.
func (c *conn) smb1OpenDir(r *smb1Req, id smb2.FileID) string {
	c.mu.Lock()
	o := c.opens[id.Volatile]
	c.mu.Unlock()
	if o == nil || o.id != id || o.sess != r.sess {
		return ""
	}
	p := strings.ReplaceAll(o.path(), "/", `\`)
	if i := strings.LastIndexByte(p, '\\'); i >= 0 {
		return p[:i]
	}
	return ""
}
