package server

import (
	"encoding/binary"
	"io"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// request is one SMB2 request being handled (one element of a compound).
type request struct {
	hdr       smb2.Header
	msg       []byte // this element: header + body (+ padding)
	sess      *session
	tree      *tree
	signed    bool // carried a valid signature
	encrypted bool
	compound  bool // part of a multi-element compound
	related   bool
	// chain carries the FileID produced by the previous related element.
	chain *compoundState
	// split is set for a WRITE whose payload is still in the socket.
	split *splitPayload
	// onSent, when set, sees the final response message bytes (after
	// signing); NEGOTIATE and SESSION_SETUP use it for the preauth hash.
	onSent func(msg []byte)
}

// compoundState is shared by the elements of one compound request.
type compoundState struct {
	fileID    smb2.FileID
	hasFileID bool
	sess      *session
	tree      *tree
	status    smb2.Status // status of the previous element
}

// response is what a handler decides: a status, a body, optionally a READ
// payload that follows the body.
type response struct {
	status smb2.Status
	body   []byte    // response body after the 64-byte header; nil → ERROR body
	data   *readData // READ payload, appended after body
	// pending, when set, means the handler went async: an interim
	// STATUS_PENDING response is sent now and the final one later.
	pending *asyncOp
	// noResponse suppresses the reply (CANCEL, some OPLOCK_BREAK acks).
	noResponse bool
	// errData is the ERROR response's ErrorData (e.g. BUFFER_TOO_SMALL size).
	errData []byte
}

// readData describes a READ payload: n bytes of f from off.
type readData struct {
	f   vfs.File
	off int64
	n   int64
}

// handlerFunc handles one command. Handlers live in per-command files and
// register themselves in init.
type handlerFunc func(c *conn, r *request) response

var handlers [smb2.OplockBreak + 1]handlerFunc

// errResp builds an error response.
func errResp(st smb2.Status) response { return response{status: st} }

// needs describes what a command requires before its handler runs.
func needs(cmd smb2.Command) (sess, tree bool) {
	switch cmd {
	case smb2.Negotiate, smb2.SessionSetup, smb2.Echo, smb2.Cancel:
		return false, false
	case smb2.Logoff, smb2.TreeConnect:
		return true, false
	}
	return true, true
}

// handleCompound splits a frame into its elements and answers them. The
// responses of one frame go back in one frame.
func (c *conn) handleCompound(buf []byte, split *splitPayload, tr *transformInfo) error {
	var out frameBuilder
	out.init(c, tr)
	out.cork = c.batching()
	defer out.release()
	st := &compoundState{}
	nElem := 0
	for off := 0; off < len(buf); {
		elem := buf[off:]
		hdr, err := smb2.DecodeHeader(elem)
		if err != nil {
			c.log.Warn("malformed SMB2 header; closing", "offset", off)
			return errCloseConn
		}
		if hdr.NextCommand != 0 {
			next := int(hdr.NextCommand)
			if next < smb2.HeaderSize || next%8 != 0 || next > len(elem) {
				c.log.Warn("bad NextCommand; closing", "next", next)
				return errCloseConn
			}
			elem = elem[:next]
		}
		nElem++
		if nElem > 64 {
			c.log.Warn("too many compound elements; closing")
			return errCloseConn
		}
		r := &request{hdr: hdr, msg: elem, compound: hdr.NextCommand != 0 || off > 0,
			related: hdr.Flags&smb2.FlagRelatedOperations != 0, chain: st,
			encrypted: tr != nil, split: split}
		if err := c.handleOne(r, &out); err != nil {
			return err
		}
		if hdr.NextCommand == 0 {
			break
		}
		off += int(hdr.NextCommand)
	}
	return out.flush()
}

// handleOne runs one element and appends its response to out.
func (c *conn) handleOne(r *request, out *frameBuilder) error {
	hdr := &r.hdr
	if hdr.Flags&smb2.FlagResponse != 0 {
		c.log.Warn("client sent a response; closing")
		return errCloseConn
	}
	if hdr.Command > smb2.OplockBreak {
		// MS-SMB2 3.3.5.2.6: an unknown command code means disconnect,
		// without an error response.
		c.log.Warn("unknown command; closing", "command", uint16(hdr.Command))
		return errCloseConn
	}
	if hdr.Command == smb2.Cancel {
		c.handleCancel(r)
		return nil
	}
	if !c.negotiated && hdr.Command != smb2.Negotiate {
		c.log.Warn("request before NEGOTIATE; closing", "command", hdr.Command.String())
		return errCloseConn
	}
	charge, st := c.credits.consume(c, hdr, r.msg)
	if st == statusDisconnect {
		c.log.Warn("invalid message id or credit charge; closing", "mid", hdr.MessageID, "command", hdr.Command.String())
		return errCloseConn
	}
	var resp response
	if st != smb2.StatusSuccess {
		resp = errResp(st)
	} else {
		resp = c.dispatch(r)
	}
	if r.split != nil && hdr.Command == smb2.Write {
		// A handler that did not take the payload leaves it in the socket.
		if err := r.split.discard(c); err != nil {
			return err
		}
	}
	if resp.status == statusDisconnect {
		return errCloseConn
	}
	if resp.noResponse {
		return nil
	}
	if resp.pending != nil && hdr.NextCommand != 0 {
		// Only the last element of a compound may go async; like Windows
		// (MS-SMB2 <159>) fail one in the middle with STATUS_INTERNAL_ERROR.
		resp.pending.abandon()
		resp = errResp(smb2.StatusInternalError)
	}
	r.chain.status = resp.status
	grant := c.credits.grant(hdr, charge, resp.pending != nil)
	return out.add(r, &resp, grant)
}

// dispatch resolves session and tree, verifies signatures and runs the
// command handler.
func (c *conn) dispatch(r *request) response {
	hdr := &r.hdr
	wantSess, wantTree := needs(hdr.Command)
	if r.related {
		// A related element inherits session, tree and handle from the
		// previous one. With nothing to inherit (it is first, or the
		// previous element failed before resolving its session) it is
		// invalid (MS-SMB2 3.3.5.2.7.2).
		r.sess, r.tree = r.chain.sess, r.chain.tree
		if r.sess == nil {
			return errResp(smb2.StatusInvalidParameter)
		}
	} else {
		r.chain.sess, r.chain.tree = nil, nil
		r.chain.hasFileID = false
	}
	if r.sess == nil && (wantSess || hdr.SessionID != 0) && hdr.Command != smb2.SessionSetup {
		s := c.lookupSession(hdr.SessionID)
		if s == nil || (!s.valid() && wantSess) {
			if wantSess {
				return errResp(smb2.StatusUserSessionDeleted)
			}
		} else {
			r.sess = s
		}
	}
	if r.sess != nil && hdr.Command != smb2.SessionSetup {
		if st := c.checkSignature(r); st != smb2.StatusSuccess {
			return errResp(st)
		}
		if st := c.checkEncryption(r); st != smb2.StatusSuccess {
			return errResp(st)
		}
	}
	if wantTree && r.tree == nil {
		if t := r.sess.lookupTree(hdr.TreeID); t != nil {
			r.tree = t
		} else {
			return errResp(smb2.StatusNetworkNameDeleted)
		}
	}
	r.chain.sess, r.chain.tree = r.sess, r.tree
	if st := c.checkLimits(hdr.Command); st != smb2.StatusSuccess {
		return errResp(st)
	}
	h := handlerFor(hdr.Command)
	if h == nil {
		return errResp(smb2.StatusNotSupported)
	}
	resp := h(c, r)
	if hdr.Command == smb2.TreeConnect && r.hdr.TreeID != 0 {
		// A related element after TREE_CONNECT uses the new tree.
		r.chain.tree = r.sess.lookupTree(r.hdr.TreeID)
	}
	return resp
}

func handlerFor(cmd smb2.Command) handlerFunc {
	if int(cmd) < len(handlers) {
		return handlers[cmd]
	}
	return nil
}

// fileID resolves a request's FileID, substituting the previous element's
// handle in a related compound.
func (r *request) fileID(id smb2.FileID) (smb2.FileID, smb2.Status) {
	if id == smb2.AnyFileID {
		if !r.related {
			return id, smb2.StatusFileClosed
		}
		if !r.chain.hasFileID {
			// A related element after a failed CREATE fails the same way.
			if r.chain.status.IsError() {
				return id, r.chain.status
			}
			return id, smb2.StatusInvalidParameter
		}
		return r.chain.fileID, smb2.StatusSuccess
	}
	return id, smb2.StatusSuccess
}

// setFileID records the handle a CREATE produced for later related elements.
func (r *request) setFileID(id smb2.FileID) {
	r.chain.fileID = id
	r.chain.hasFileID = true
}

// lookupOpen finds the open named by id for this request's session/tree.
func (c *conn) lookupOpen(r *request, id smb2.FileID) (*open, smb2.Status) {
	id, st := r.fileID(id)
	if st != smb2.StatusSuccess {
		return nil, st
	}
	c.mu.Lock()
	o := c.opens[id.Volatile]
	c.mu.Unlock()
	if o == nil || o.id != id || o.sess != r.sess || (r.tree != nil && o.tree != r.tree) {
		return nil, smb2.StatusFileClosed
	}
	r.setFileID(id) // later related elements operate on this handle
	return o, smb2.StatusSuccess
}

// splitPayload is a WRITE payload still in the socket.
type splitPayload struct {
	remaining int64
}

// discard drops whatever is left of the payload.
func (p *splitPayload) discard(c *conn) error {
	if p.remaining == 0 {
		return nil
	}
	n := p.remaining
	p.remaining = 0
	if c.sc != nil && c.recv != nil {
		return c.recv.Discard(c.sc, n)
	}
	_, err := io.CopyN(io.Discard, c.nc, n)
	return err
}

// le is shorthand for the byte order used everywhere in SMB.
var le = binary.LittleEndian
