package server

import (
	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// TRANS2 subcommands and levels that carry OS/2-style EA lists (layouts
// in smb1/ea.go): TRANS2_OPEN2, TRANS2_CREATE_DIRECTORY and the EA
// query levels, on top of the SMB2 EA support (ea.go: the ExtA create
// context and FileFullEaInformation).

// eaContexts turns the FEALIST of a request's data into an ExtA create
// context (none for an empty list or one of 4 bytes).
func eaContexts(data []byte) ([]smb2.CreateContext, smb2.Status) {
	if len(data) <= 4 {
		return nil, smb2.StatusSuccess
	}
	eas, err := smb1.DecodeFEAList(data)
	if err != nil {
		return nil, smb2.StatusInvalidParameter
	}
	if len(eas) == 0 {
		return nil, smb2.StatusSuccess
	}
	return []smb2.CreateContext{{Name: smb2.CreateContextEABuffer, Data: smb1.AppendFullEAChain(nil, eas)}}, smb2.StatusSuccess
}

// open2 is TRANS2_OPEN2: OPEN_ANDX's open with an EA list (as Samba, an
// open function of 0 is STATUS_OBJECT_NAME_COLLISION and an impossible
// mode STATUS_ACCESS_DENIED).
func (t *trans2) open2() ([]byte, []byte, smb2.Status) {
	if t.r.tree.ipc {
		return nil, nil, smb2.StatusNetworkAccessDenied
	}
	req, err := smb1.DecodeOpen2(t.req.Params, t.unicode)
	if err != nil {
		return nil, nil, smb1Status(err)
	}
	if req.OpenMode == 0 {
		return nil, nil, smb2.StatusObjectNameCollision
	}
	cr, ok := dosOpenCreate(smb1Name(req.Name), req.AccessMode, req.OpenMode)
	if !ok {
		return nil, nil, smb2.StatusAccessDenied
	}
	cr.FileAttributes = uint32(req.FileAttrs) & 0x27
	var st smb2.Status
	if cr.CreateContexts, st = eaContexts(t.req.Data); st != smb2.StatusSuccess {
		return nil, nil, st
	}
	resp, fid, st := t.c.smb1Open(t.r, &cr)
	if st != smb2.StatusSuccess {
		return nil, nil, st
	}
	d, tm := smb1.DOSDateTime(smb2.TimeFromFileTime(resp.LastWriteTime))
	out := smb1.Open2Response{FID: fid, FileAttrs: uint16(resp.FileAttributes & 0x37),
		CreationTime: uint32(d) | uint32(tm)<<16, FileDataSize: uint32(min(resp.EndOfFile, 0xFFFFFFFF)),
		AccessMode: req.AccessMode, ActionTaken: uint16(resp.CreateAction & 3)}
	return out.Append(nil), nil, smb2.StatusSuccess
}

// mkdir is TRANS2_CREATE_DIRECTORY: CREATE_DIRECTORY with an EA list.
func (t *trans2) mkdir() ([]byte, smb2.Status) {
	name, err := smb1.DecodeCreateDirectory(t.req.Params, t.unicode)
	if err != nil {
		return nil, smb1Status(err)
	}
	ctxs, st := eaContexts(t.req.Data)
	if st != smb2.StatusSuccess {
		return nil, st
	}
	resp, st := t.c.smb2Create(t.r, &smb2.CreateRequest{DesiredAccess: fileReadAttributes,
		ShareAccess: smb1ShareAll, CreateDisposition: smb2.FileCreate, CreateOptions: smb2.FileDirectoryFile,
		Name: smb1Name(name), CreateContexts: ctxs})
	if st != smb2.StatusSuccess {
		return nil, st
	}
	return []byte{0, 0}, t.c.smb2Close(t.r, resp.FileID) // EaErrorOffset
}

// queryEAs answers the EA levels of QUERY_PATH/FILE_INFORMATION on open
// id; ok is false for other levels.
func (t *trans2) queryEAs(id smb2.FileID, level uint16) (out []byte, st smb2.Status, ok bool) {
	switch level {
	case smb1.InfoQueryEASize:
		std, st := t.queryInfo(id, smb1.InfoStandard)
		if st.IsError() {
			return nil, st, true
		}
		ea, st := t.c.smb2QueryInfo(t.r, id, smb2.InfoFile, smb2.FileEaInformation, 4)
		if st.IsError() || len(ea) < 4 {
			return nil, st, true
		}
		return append(std, ea[:4]...), smb2.StatusSuccess, true
	case smb1.InfoQueryEAsFromList, smb1.InfoQueryAllEAs:
	default:
		return nil, 0, false
	}
	q := smb2.QueryInfoRequest{InfoType: smb2.InfoFile, FileInfoClass: smb2.FileFullEaInformation,
		OutputBufferLength: uint32(min(t.budget*2+64, 0xFFFF)), Flags: smb2.SLRestartScan, FileID: id}
	if level == smb1.InfoQueryEAsFromList {
		names, err := smb1.DecodeGEAList(t.req.Data)
		if err != nil {
			return nil, smb2.StatusInvalidParameter, true
		}
		q.InputBuffer = smb1.AppendGetEAChain(nil, names)
	}
	full, st := t.c.smb2Output(t.r, smb2.QueryInfo, q.Append(nil))
	if st == smb2.StatusNoEAsOnFile {
		return smb1.AppendFEAList(nil, nil), smb2.StatusSuccess, true
	}
	if st.IsError() {
		return nil, st, true
	}
	eas, st := smb2.DecodeFullEA(full)
	if st != smb2.StatusSuccess {
		return nil, smb2.StatusInternalError, true
	}
	if smb1.FEAListSize(eas) > t.budget {
		return nil, smb2.StatusBufferOverflow, true
	}
	return smb1.AppendFEAList(nil, eas), smb2.StatusSuccess, true
}
