package server

import (
	"encoding/binary"

	"github.com/zerosmb/zerosmb/smb2"
)

// The SMB1 bridge: SMB1 commands run as SMB2 requests through the SMB2
// command handlers (one implementation of every file operation for both
// dialects). The request is built with the smb2 encoders and handed to the
// handler of the command table; credits, signing and compounding do not
// apply. Handlers that may go async (CREATE waiting for a break, a rename
// waiting for handle caching to be broken) are made to wait in place: an
// SMB1 request is answered only when it is done.

// smb2Req builds the SMB2 request for cmd with body on r's session/tree.
func (c *conn) smb2Req(r *smb1Req, cmd smb2.Command, body []byte) *request {
	return c.smb2ReqIn(r, cmd, make([]byte, 0, smb2.HeaderSize+len(body)), body, nil)
}

// smb2ReqIn is smb2Req with the message (header, body, then data) built
// in dst.
func (c *conn) smb2ReqIn(r *smb1Req, cmd smb2.Command, dst, body, data []byte) *request {
	rq := &request{hdr: smb2.Header{Command: cmd}, sess: r.sess, tree: r.tree, chain: &compoundState{}, rule: &commands[cmd],
		lockPID: r.hdr.PIDLow}
	if r.sess != nil {
		rq.hdr.SessionID = r.sess.id
	}
	if r.tree != nil {
		rq.hdr.TreeID = r.tree.id
	}
	rq.msg = append(smb2.AppendBody(dst[:0], &rq.hdr, body), data...)
	return rq
}

// smb2Call runs cmd with body through its SMB2 handler.
func (c *conn) smb2Call(r *smb1Req, cmd smb2.Command, body []byte) response {
	return c.smb2Run(c.smb2Req(r, cmd, body))
}

// smb2Run runs a request built by smb2Req or smb2ReqIn.
func (c *conn) smb2Run(rq *request) response {
	if st := c.checkLimits(rq.hdr.Command); st != smb2.StatusSuccess {
		return errResp(st)
	}
	resp := rq.rule.handler(c, rq)
	if resp.pending != nil {
		resp.pending.abandon() // never expected: see the callers
		return errResp(smb2.StatusInternalError)
	}
	return resp
}

// smb2Create opens req.Name on r's tree, waiting in place for any oplock
// or lease break the open needs. It returns the SMB2 CREATE response.
func (c *conn) smb2Create(r *smb1Req, req *smb2.CreateRequest) (smb2.CreateResponse, smb2.Status) {
	if r.tree.share.retired.Load() {
		return smb2.CreateResponse{}, smb2.StatusNetworkNameDeleted
	}
	if st := c.checkLimits(smb2.Create); st != smb2.StatusSuccess {
		return smb2.CreateResponse{}, st
	}
	rq := c.smb2Req(r, smb2.Create, req.Append(nil))
	for {
		resp := c.create(rq, rq.msg)
		if rq.breakWait == nil {
			if resp.status != smb2.StatusSuccess {
				return smb2.CreateResponse{}, resp.status
			}
			cr, err := smb2.DecodeCreateResponse(resp.body)
			if err != nil {
				return cr, smb2.StatusInternalError
			}
			return cr, smb2.StatusSuccess
		}
		c.waitBreakInPlace(rq.breakWait)
		rq.breakWait, rq.breakRetry = nil, true
	}
}

// smb1Open creates or opens cr and gives the open an SMB1 FID.
func (c *conn) smb1Open(r *smb1Req, cr *smb2.CreateRequest) (smb2.CreateResponse, uint16, smb2.Status) {
	resp, st := c.smb2Create(r, cr)
	if st != smb2.StatusSuccess {
		return resp, 0, st
	}
	fid, ok := c.allocFID(resp.FileID)
	if !ok {
		c.smb2Close(r, resp.FileID)
		return resp, 0, smb2.StatusTooManyOpenedFiles
	}
	c.s1.notePID(fid, r.hdr.PIDLow)
	c.smb1NoteFID(resp.FileID, fid)
	return resp, fid, smb2.StatusSuccess
}

// smb2Close closes id.
func (c *conn) smb2Close(r *smb1Req, id smb2.FileID) smb2.Status {
	return c.smb2Call(r, smb2.Close, (&smb2.CloseRequest{FileID: id}).Append(nil)).status
}

// smb2QueryInfo queries class of infoType on id.
func (c *conn) smb2QueryInfo(r *smb1Req, id smb2.FileID, infoType, class uint8, maxLen uint32) ([]byte, smb2.Status) {
	req := smb2.QueryInfoRequest{InfoType: infoType, FileInfoClass: class, OutputBufferLength: maxLen, FileID: id}
	return c.smb2Output(r, smb2.QueryInfo, req.Append(nil))
}

// smb2SetInfo sets class on id to b. A rename first waits in place for
// other opens' handle caching to be broken.
func (c *conn) smb2SetInfo(r *smb1Req, id smb2.FileID, class uint8, b []byte) smb2.Status {
	req := smb2.SetInfoRequest{InfoType: smb2.InfoFile, FileInfoClass: class, Buffer: b, FileID: id}
	if isRename(&req) {
		c.mu.Lock()
		o := c.opens[id.Volatile]
		c.mu.Unlock()
		if o != nil && !o.tree.share.ReadOnly && o.stream == "" {
			if wait := c.srv.state.breakHandles(o); wait != nil {
				c.waitBreakInPlace(wait)
			}
		}
	}
	return c.smb2Call(r, smb2.SetInfo, req.Append(nil)).status
}

// smb2QueryDir lists up to maxLen bytes of class entries of directory id
// (flags: SMB2_RESTART_SCANS and the like).
func (c *conn) smb2QueryDir(r *smb1Req, id smb2.FileID, class uint8, pattern string, maxLen uint32, flags uint8) ([]byte, smb2.Status) {
	req := smb2.QueryDirectoryRequest{FileInformationClass: class, FileID: id, FileName: pattern, OutputBufferLength: maxLen,
		Flags: flags}
	return c.smb2Output(r, smb2.QueryDirectory, req.Append(nil))
}

// smb2Output runs an SMB2 command whose response is an output buffer
// (QUERY_INFO, QUERY_DIRECTORY) and returns the buffer.
func (c *conn) smb2Output(r *smb1Req, cmd smb2.Command, body []byte) ([]byte, smb2.Status) {
	resp := c.smb2Call(r, cmd, body)
	if resp.status.IsError() || resp.body == nil { // errors and STATUS_NO_MORE_FILES
		return nil, resp.status
	}
	out, err := smb2.DecodeOutputResponse(resp.body)
	if err != nil {
		return nil, smb2.StatusInternalError
	}
	return out, resp.status
}

// renameInfo builds FILE_RENAME_INFORMATION for SMB2 (share-relative name).
func renameInfo(newName string, replace bool) []byte {
	n := smb2.AppendUTF16(nil, newName)
	b := make([]byte, 20, 20+len(n))
	if replace {
		b[0] = 1
	}
	binary.LittleEndian.PutUint32(b[16:], uint32(len(n)))
	return append(b, n...)
}
