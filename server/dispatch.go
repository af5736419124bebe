package server

import (
	"io"
	"time"

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
	// restLen is the bytes of the compound after this element.
	restLen int
	// chain carries the FileID produced by the previous related element.
	chain *compoundState
	// rule is the command's row in the command table.
	rule *cmdRule
	// split is set for a WRITE whose payload is still in the socket.
	split *splitPayload
	// lockPID is the SMB1 process id of a bridged READ/WRITE (byte-range
	// locks are owned per open and PID); 0 for SMB2.
	lockPID uint16
	// onSent, when set, sees the final response message bytes (after
	// signing); NEGOTIATE and SESSION_SETUP use it for the preauth hash.
	onSent func(msg []byte)
	// breakWait is set by a CREATE that must wait for an oplock or lease
	// break (create.go); breakRetry marks its later attempts.
	breakWait  <-chan struct{}
	breakRetry bool
	// replay is the create replay reservation a CREATE with DH2Q holds
	// while it runs; created is the open it produced (replay.go).
	replay  *replayReservation
	created *open
	// Storage that lives as long as the request, so that the READ/WRITE
	// hot path allocates nothing beyond the request itself: the
	// compound state of the frame (first element), a READ payload
	// descriptor and a small response body.
	ownChain compoundState
	rd       readData
	small    [16]byte
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
	// disconnect drops the connection instead of answering (the handler
	// logged why): a second NEGOTIATE, a failed VALIDATE_NEGOTIATE_INFO, a
	// WRITE payload that could not be drained.
	disconnect bool
}

// dropConn is the response that closes the connection without an answer.
var dropConn = response{disconnect: true}

// readData describes a READ payload: n bytes of f from off.
type readData struct {
	f   vfs.File
	off int64
	n   int64
}

// handlerFunc handles one command.
type handlerFunc func(c *conn, r *request) response

// errResp builds an error response.
func errResp(st smb2.Status) response { return response{status: st} }

// cmdRule is one row of the command table: the handler and every rule the
// dispatcher applies to the command before and after it runs.
type cmdRule struct {
	handler handlerFunc
	// credit says how the request is charged (see creditClass).
	credit creditClass
	// preNegotiate: accepted before NEGOTIATE finished.
	preNegotiate bool
	// session: needs a valid session; tree: needs a tree connect of it.
	// (Without session, a SessionId that names a session still resolves it.)
	session, tree bool
	// ownSession: the handler resolves the session itself (SESSION_SETUP
	// binds or creates one, and signs with the new key).
	ownSession bool
	// async: the handler may answer STATUS_PENDING and finish later. Any
	// command may stand in a compound, but only its last element may go
	// async (handleOne).
	async bool
	// cork: a lone, unencrypted request of this command neither flushes
	// the corked responses before it runs nor is its response written at
	// once when more requests wait (see Response corking in write.go).
	cork bool
	// limit: the per-connection table the command may grow (checkLimits).
	limit limitClass
}

// creditClass is how a request is charged against the credit window.
type creditClass uint8

const (
	// creditCharged: the request consumes its MessageId range (credits.go).
	creditCharged creditClass = iota
	// creditNone: no MessageId is consumed and no response is sent; the
	// handler runs before any other check (CANCEL, MS-SMB2 3.3.5.16).
	creditNone
)

// limitClass names the per-connection table a command may grow.
type limitClass uint8

const (
	limitNone  limitClass = iota
	limitOpens            // adds an open (maxOpensPerConn)
	limitAsync            // may add an async operation (maxAsyncPerConn)
)

// corks reports whether cmd's responses may be corked (cmdRule.cork).
func corks(cmd smb2.Command) bool {
	rule, ok := ruleFor(cmd)
	return ok && rule.cork
}

// commands is the command table, one row per SMB2 command, indexed by
// command code. Adding a command, or reading its rules, is this one place.
var commands = [smb2.OplockBreak + 1]cmdRule{
	smb2.Negotiate:      {handler: (*conn).handleNegotiate, preNegotiate: true},
	smb2.SessionSetup:   {handler: (*conn).handleSessionSetup, ownSession: true},
	smb2.Logoff:         {handler: (*conn).handleLogoff, session: true},
	smb2.TreeConnect:    {handler: (*conn).handleTreeConnect, session: true},
	smb2.TreeDisconnect: {handler: (*conn).handleTreeDisconnect, session: true, tree: true},
	smb2.Create:         {handler: (*conn).handleCreate, session: true, tree: true, async: true, limit: limitOpens},
	smb2.Close:          {handler: (*conn).handleClose, session: true, tree: true},
	smb2.Flush:          {handler: (*conn).handleFlush, session: true, tree: true},
	smb2.Read:           {handler: (*conn).handleRead, session: true, tree: true, async: true, cork: true, limit: limitAsync},
	smb2.Write:          {handler: (*conn).handleWrite, session: true, tree: true, cork: true},
	smb2.Lock:           {handler: (*conn).handleLock, session: true, tree: true, async: true, limit: limitAsync},
	smb2.Ioctl:          {handler: (*conn).handleIoctl, session: true, tree: true},
	smb2.Cancel:         {handler: (*conn).handleCancel, credit: creditNone, preNegotiate: true},
	smb2.Echo:           {handler: (*conn).handleEcho},
	smb2.QueryDirectory: {handler: (*conn).handleQueryDirectory, session: true, tree: true},
	smb2.ChangeNotify:   {handler: (*conn).handleChangeNotify, session: true, tree: true, async: true, limit: limitAsync},
	smb2.QueryInfo:      {handler: (*conn).handleQueryInfo, session: true, tree: true},
	smb2.SetInfo:        {handler: (*conn).handleSetInfo, session: true, tree: true, async: true},
	smb2.OplockBreak:    {handler: (*conn).handleOplockBreak, session: true, tree: true},
}

// ruleFor returns cmd's row; false for a command code outside the table.
func ruleFor(cmd smb2.Command) (*cmdRule, bool) {
	if int(cmd) < len(commands) {
		return &commands[cmd], true
	}
	return nil, false
}

// handleCompound splits a frame into its elements and answers them. The
// responses of one frame go back in one frame, unless a CREATE in the
// middle has to wait for a break (splitChain).
func (c *conn) handleCompound(buf []byte, split *splitPayload, tr *transformInfo) error {
	var out frameBuilder
	out.init(c, tr)
	out.cork = c.batching()
	defer out.release()
	if err := c.runChain(buf, chainPos{split: split, tr: tr}, &out); err != nil {
		return err
	}
	return out.flush()
}

// chainPos is where runChain stands in a compound: the chain state shared
// by its elements (nil before the first), how many elements came before,
// whether it continues a split compound, and the frame's WRITE payload and
// transform.
type chainPos struct {
	st        *compoundState
	nElem     int
	continued bool
	split     *splitPayload
	tr        *transformInfo
}

// runChain answers the elements of buf into out. When a CREATE in the
// middle goes async, its interim response is the last of out and the
// elements after it are answered once it completes (splitChain).
func (c *conn) runChain(buf []byte, pos chainPos, out *frameBuilder) error {
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
		pos.nElem++
		if pos.nElem > 64 {
			c.log.Warn("too many compound elements; closing")
			return errCloseConn
		}
		r := &request{hdr: hdr, msg: elem, compound: hdr.NextCommand != 0 || off > 0 || pos.continued,
			related:   hdr.Flags&smb2.FlagRelatedOperations != 0,
			encrypted: pos.tr != nil, split: pos.split}
		if pos.st == nil {
			pos.st = &r.ownChain
		}
		r.chain = pos.st
		if hdr.NextCommand != 0 {
			r.restLen = len(buf) - off - int(hdr.NextCommand)
		}
		op, err := c.handleOne(r, out)
		if err != nil {
			return err
		}
		if hdr.NextCommand == 0 {
			break
		}
		off += int(hdr.NextCommand)
		if op != nil {
			c.splitChain(op, buf[off:], pos)
			return nil
		}
	}
	return nil
}

// splitChain makes the elements after op, a CREATE in the middle of a
// compound waiting for an oplock or lease break (MS-SMB2 3.3.4.2,
// 3.3.5.2.7; as Windows and Samba), wait for it: the responses so far and
// op's interim response go out now, and the read loop goes on (the break
// may be acknowledged over this very connection). When op completes, its
// final response and those of the rest of the chain, run from there with
// the CREATE's handle, go out in one frame.
func (c *conn) splitChain(op *asyncOp, rest []byte, pos chainPos) {
	rest = append([]byte(nil), rest...) // buf is the read loop's
	var tr *transformInfo
	if pos.tr != nil {
		t := *pos.tr
		tr = &t
	}
	pos.split, pos.tr, pos.continued = nil, tr, true
	op.then = func(final response) {
		defer c.splitHeld.Add(-int64(len(rest)))
		var out frameBuilder
		out.init(c, tr)
		defer out.release()
		c.srv.ops.countStatus(final.status)
		pos.st.status = final.status
		if err := out.add(op.r, &final, 0); err != nil {
			return
		}
		if c.closing.Load() {
			return // torn down meanwhile: run nothing more
		}
		err := c.runChain(rest, pos, &out)
		if err == nil {
			err = out.flush()
		}
		if err != nil {
			c.log.Debug("rest of a split compound not answered; closing", "err", err)
			c.nc.Close()
		}
	}
}

// maxSplitHeld bounds, per connection, the request bytes split compounds
// keep for the elements after their waiting CREATE (a client cannot pile
// up frames that way; beyond it such a CREATE fails as Windows fails
// other async elements in the middle of a compound).
const maxSplitHeld = 8 << 20

// holdSplit reserves n bytes of maxSplitHeld for a split compound.
func (c *conn) holdSplit(n int) bool {
	if c.splitHeld.Add(int64(n)) > maxSplitHeld {
		c.splitHeld.Add(-int64(n))
		return false
	}
	return true
}

// handleOne runs one element and appends its response to out. It returns
// the async CREATE the compound splits at (splitChain), if any.
func (c *conn) handleOne(r *request, out *frameBuilder) (*asyncOp, error) {
	start := time.Now()
	hdr := &r.hdr
	if hdr.Flags&smb2.FlagResponse != 0 {
		c.log.Warn("client sent a response; closing")
		return nil, errCloseConn
	}
	rule, ok := ruleFor(hdr.Command)
	if !ok {
		// MS-SMB2 3.3.5.2.6: an unknown command code means disconnect,
		// without an error response.
		c.log.Warn("unknown command; closing", "command", uint16(hdr.Command))
		return nil, errCloseConn
	}
	r.rule = rule
	if rule.credit == creditNone {
		rule.handler(c, r)
		return nil, nil
	}
	if !c.negotiated && !rule.preNegotiate {
		c.log.Warn("request before NEGOTIATE; closing", "command", hdr.Command.String())
		return nil, errCloseConn
	}
	charge, st, err := c.credits.consume(c, hdr, r.msg)
	if err != nil {
		c.log.Warn("invalid message id or credit charge; closing", "mid", hdr.MessageID, "command", hdr.Command.String())
		return nil, errCloseConn
	}
	var resp response
	if st != smb2.StatusSuccess {
		resp = errResp(st)
	} else {
		resp = c.dispatch(r, rule)
	}
	if r.split != nil && hdr.Command == smb2.Write {
		// A handler that did not take the payload leaves it in the socket.
		if err := r.split.discard(c); err != nil {
			return nil, err
		}
	}
	if resp.disconnect {
		return nil, errCloseConn
	}
	if resp.noResponse {
		return nil, nil
	}
	var splitAt *asyncOp
	if resp.pending != nil && hdr.NextCommand != 0 {
		if hdr.Command == smb2.Create && c.holdSplit(r.restLen) {
			splitAt = resp.pending // waits for a break: the compound splits here
		} else {
			// Only the last element of a compound may go async
			// otherwise (or with too much of it held already); like
			// Windows (MS-SMB2 <159>) fail one in the middle with
			// STATUS_INTERNAL_ERROR.
			resp.pending.abandon()
			resp = errResp(smb2.StatusInternalError)
		}
	}
	r.chain.status = resp.status
	c.srv.ops.observe(hdr.Command, resp.status, start) // the one per-request metrics hook
	grant := c.credits.grant(hdr, charge, resp.pending != nil)
	return splitAt, out.add(r, &resp, grant)
}

// dispatch resolves session and tree, verifies signatures and runs the
// command handler.
func (c *conn) dispatch(r *request, rule *cmdRule) response {
	hdr := &r.hdr
	wantSess, wantTree := rule.session, rule.tree
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
	if r.sess == nil && (wantSess || hdr.SessionID != 0) && !rule.ownSession {
		s := c.lookupSession(hdr.SessionID)
		if s == nil || (!s.valid() && wantSess) {
			if wantSess {
				return errResp(smb2.StatusUserSessionDeleted)
			}
		} else {
			r.sess = s
		}
	}
	if r.sess != nil && !rule.ownSession {
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
	if hdr.Command == smb2.Create && r.tree != nil && r.tree.share.retired.Load() {
		return errResp(smb2.StatusNetworkNameDeleted) // share removed by Reconfigure
	}
	if st := c.checkLimits(hdr.Command); st != smb2.StatusSuccess {
		return errResp(st)
	}
	resp := rule.handler(c, r)
	if hdr.Command == smb2.TreeConnect && r.hdr.TreeID != 0 {
		// A related element after TREE_CONNECT uses the new tree.
		r.chain.tree = r.sess.lookupTree(r.hdr.TreeID)
	}
	return resp
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
	if c.dialect >= smb2.Dialect300 {
		if st := o.checkChannelSequence(r.hdr.Command, uint16(r.hdr.Status)); st != smb2.StatusSuccess {
			return nil, st
		}
	}
	if o.replay.eligible.Load() {
		c.srv.state.replayUsed(o) // MS-SMB2: no longer replay eligible
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
