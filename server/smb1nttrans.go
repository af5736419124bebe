package server

import (
	"slices"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// NT_TRANSACT over SMB1 (layouts in smb1/nttrans.go): CREATE, IOCTL,
// QUERY/SET_SECURITY_DESC and RENAME run as SMB2 CREATE, IOCTL,
// QUERY/SET_INFO; NOTIFY_CHANGE is answered STATUS_NOT_SUPPORTED (SMB1
// change notification would have to stay pending, which SMB1 requests
// here never do). A request whose parameters or data do not fit its
// primary message is reassembled from secondaries (smb1transsec.go).

// smb1NTTransOverhead bounds what an NT_TRANSACT response adds to its
// parameters and data (header, 18 words, ByteCount, alignment).
const smb1NTTransOverhead = smb1.HeaderSize + 1 + 36 + 2 + 8

// smb1NTTrans is NT_TRANSACT.
func (c *conn) smb1NTTrans(r *smb1Req) smb1Resp {
	req, part, err := smb1.DecodeNTTransRequest(r.msg, &r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	if !part.Complete() {
		req.Setup = slices.Clone(req.Setup) // r.msg is not kept
		return c.smb1TransBegin(r, smb1.ComNTTransact, &part, func(r *smb1Req, params, data []byte) smb1Resp {
			req.Params, req.Data = params, data
			return c.smb1NTTransRun(r, &req)
		})
	}
	return c.smb1NTTransRun(r, &req)
}

// smb1NTTransRun answers a complete NT_TRANSACT request.
func (c *conn) smb1NTTransRun(r *smb1Req, req *smb1.NTTransRequest) smb1Resp {
	var params, data []byte
	var st smb2.Status
	switch req.Function {
	case smb1.NTTransCreate:
		params, st = c.ntTransCreate(r, req)
	case smb1.NTTransIoctl:
		data, st = c.ntTransIoctl(r, req)
	case smb1.NTTransQuerySecurityDesc:
		params, data, st = c.ntTransQuerySD(r, req)
	case smb1.NTTransSetSecurityDesc:
		st = c.ntTransSetSD(r, req)
	case smb1.NTTransRename:
		st = c.ntTransRename(r, req)
	case smb1.NTTransNotifyChange:
		c.log.Debug("SMB1 NT_TRANSACT_NOTIFY_CHANGE refused")
		st = smb2.StatusNotSupported
	default:
		c.log.Debug("NT_TRANSACT function not implemented", "function", req.Function)
		st = smb2.StatusNotImplemented
	}
	if st.IsError() {
		return smb1Err(st)
	}
	// The answer goes in one message (no multi-part responses): it must
	// fit the counts the client allows and its buffer.
	if uint64(len(params)) > uint64(req.MaxParameterCount) || uint64(len(data)) > uint64(req.MaxDataCount) ||
		len(params)+len(data)+smb1NTTransOverhead > c.s1.clientMB {
		return smb1Err(smb2.StatusBufferTooSmall)
	}
	b := smb1.AppendNTTransResponse(make([]byte, r.outOff, r.outOff+80+len(params)+len(data)), 0, nil, params, data)
	return smb1Resp{status: st, block: b[r.outOff:]}
}

// ntTransCreate is NT_TRANSACT_CREATE: NT_CREATE_ANDX with a security
// descriptor and extended attributes, passed to SMB2 CREATE as the SecD
// and ExtA create contexts.
func (c *conn) ntTransCreate(r *smb1Req, req *smb1.NTTransRequest) ([]byte, smb2.Status) {
	cr, err := smb1.DecodeNTTransCreate(req.Params, req.Data, r.hdr.Unicode())
	if err != nil {
		return nil, smb1Status(err)
	}
	var ctxs []smb2.CreateContext
	if len(cr.SecurityDescriptor) > 0 {
		ctxs = append(ctxs, smb2.CreateContext{Name: smb2.CreateContextSecDesc, Data: cr.SecurityDescriptor})
	}
	if len(cr.ExtendedAttributes) > 0 {
		ctxs = append(ctxs, smb2.CreateContext{Name: smb2.CreateContextEABuffer, Data: cr.ExtendedAttributes})
	}
	out, st := c.smb1NTCreateOpen(r, &cr.NTCreateRequest, ctxs)
	if st != smb2.StatusSuccess {
		return nil, st
	}
	return smb1.AppendNTTransCreateParams(nil, &out), smb2.StatusSuccess
}

// ntTransIoctl is NT_TRANSACT_IOCTL: an FSCTL run as SMB2 IOCTL (device
// IOCTLs are not supported there either).
func (c *conn) ntTransIoctl(r *smb1Req, req *smb1.NTTransRequest) ([]byte, smb2.Status) {
	s, err := smb1.DecodeNTTransIoctlSetup(req.Setup)
	if err != nil {
		return nil, smb2.StatusInvalidParameter
	}
	if !s.IsFsctl {
		return nil, smb2.StatusNotSupported
	}
	ir := smb2.IoctlRequest{CtlCode: s.FunctionCode, FileID: c.s1.fileID(r.fid(s.FID)), Input: req.Data,
		MaxOutputResponse: min(req.MaxDataCount, uint32(c.maxIO)), Flags: smb2.IoctlFlagIsFsctl}
	resp := c.smb2Call(r, smb2.Ioctl, ir.Append(nil))
	if resp.status.IsError() && resp.status != smb2.StatusBufferOverflow || resp.body == nil {
		return nil, fidStatus(resp.status)
	}
	out, err := smb2.DecodeIoctlOutput(resp.body)
	if err != nil {
		return nil, smb2.StatusInternalError
	}
	return out, resp.status
}

// ntTransQuerySD is NT_TRANSACT_QUERY_SECURITY_DESC: the parameters are
// the descriptor's length, the data the descriptor.
func (c *conn) ntTransQuerySD(r *smb1Req, req *smb1.NTTransRequest) ([]byte, []byte, smb2.Status) {
	fid, info, err := smb1.DecodeNTTransSecDesc(req.Params)
	if err != nil {
		return nil, nil, smb2.StatusInvalidParameter
	}
	q := smb2.QueryInfoRequest{InfoType: smb2.InfoSecurity, OutputBufferLength: min(req.MaxDataCount, 0xFFFF),
		AdditionalInformation: info, FileID: c.s1.fileID(r.fid(fid))}
	sd, st := c.smb2Output(r, smb2.QueryInfo, q.Append(nil))
	if st.IsError() {
		return nil, nil, fidStatus(st)
	}
	params := make([]byte, 4)
	le32(params, uint32(len(sd)))
	return params, sd, smb2.StatusSuccess
}

// ntTransSetSD is NT_TRANSACT_SET_SECURITY_DESC.
func (c *conn) ntTransSetSD(r *smb1Req, req *smb1.NTTransRequest) smb2.Status {
	fid, info, err := smb1.DecodeNTTransSecDesc(req.Params)
	if err != nil {
		return smb2.StatusInvalidParameter
	}
	s := smb2.SetInfoRequest{InfoType: smb2.InfoSecurity, Buffer: req.Data, AdditionalInformation: info,
		FileID: c.s1.fileID(r.fid(fid))}
	return fidStatus(c.smb2Call(r, smb2.SetInfo, s.Append(nil)).status)
}

// ntTransRename is NT_TRANSACT_RENAME. Windows (w2k3 on) and Samba
// answer it without renaming anything (smbtorture raw.rename
// nttransrename); only the FID is checked: an unknown one is
// STATUS_INVALID_HANDLE.
func (c *conn) ntTransRename(r *smb1Req, req *smb1.NTTransRequest) smb2.Status {
	fid, _, _, err := smb1.DecodeNTTransRename(req.Params, r.hdr.Unicode())
	if err != nil {
		return smb1Status(err)
	}
	_, st := c.smb2QueryInfo(r, c.s1.fileID(r.fid(fid)), smb2.InfoFile, smb2.FileBasicInformation, 64)
	if st.IsError() {
		return fidStatus(st)
	}
	return smb2.StatusSuccess
}
