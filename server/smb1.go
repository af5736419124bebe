package server

import (
	"slices"
	"time"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// SMB1 (NT LM 0.12), the legacy dialect enabled by Config.SMB1.
//
// SMB1 requests are decoded here (layouts in package smb1) and every file
// operation runs through the SMB2 handlers (smb1bridge.go): an SMB1
// NT_CREATE_ANDX is an SMB2 CREATE, a READ_ANDX an SMB2 READ, and so on.
// So both dialects share one open table, one share-mode and lock model, one
// set of share rules and the os.Root confinement. What SMB1 adds is only
// its own identifiers (16-bit UID, TID, FID and search IDs, mapped in
// smb1State) and the framing of its responses.
//
// Files: smb1.go (negotiate, the command table, AndX dispatch),
// smb1session.go (session setup, logoff, tree connect, echo; signing
// starts there, smb1Signing here),
// smb1bridge.go (calls into the SMB2 handlers), smb1file.go (create,
// read, write, close, path commands), smb1core.go (the core OPEN, CREATE,
// READ, WRITE, SEEK...), smb1trans2.go, smb1find.go and smb1t2ea.go
// (TRANS2), smb1search.go (core SEARCH), smb1nttrans.go (NT_TRANSACT),
// smb1transsec.go (secondary transaction requests), smb1ntrename.go
// (NT_RENAME).

// dialectNT1 is c.dialect on an SMB1 connection: below every SMB2 dialect,
// so dialect-gated SMB2 features (leases, durable v2) stay off.
const dialectNT1 uint16 = 0x0001

// smb1MaxBuffer is the negotiated MaxBufferSize: the largest SMB1 message
// other than large READ_ANDX/WRITE_ANDX either side sends.
const smb1MaxBuffer = 65535

// smb1MaxIO caps READ_ANDX/WRITE_ANDX with CAP_LARGE_READX/WRITEX.
const smb1MaxIO = 16 << 20

// smb1Caps are the capabilities zerosmb announces.
const smb1Caps = smb1.CapUnicode | smb1.CapLargeFiles | smb1.CapNTSMBs | smb1.CapNTStatus |
	smb1.CapNTFind | smb1.CapInfoLevelPassthr | smb1.CapLargeReadX | smb1.CapLargeWriteX |
	smb1.CapExtendedSecurity

// smb1State is what an SMB1 connection adds to conn; owned by the serve
// goroutine.
type smb1State struct {
	uids     map[uint16]uint64      // UID -> session id
	fids     map[uint16]smb2.FileID // FID -> open
	sids     map[uint16]smb2.FileID // search id -> directory open
	searches map[uint16]*smb1Search // search id -> its state (smb1find.go)
	core     []*smb1CoreSearch      // kept core searches, oldest first (smb1search.go)
	nextCore uint8
	seek     map[uint16]int64    // FID -> SEEK position (smb1core.go)
	trans    []*smb1PendingTrans // transactions waiting for secondaries
	nextUID  uint16
	nextFID  uint16
	nextSID  uint16
	clientMB int // client's MaxBufferSize
	// levelII: the client announced CAP_LEVEL_II_OPLOCKS in its last
	// SESSION_SETUP_ANDX (level II oplocks may be granted to it).
	levelII bool
	// pathRename is set while SET_PATH_INFORMATION opens a file to
	// rename it (smb1trans2.go setPath): that open breaks only handle
	// caching (cacheRequest.renameOnly).
	pathRename bool
	sig        smb1Signing
	locks      smb1LockState     // waiting LOCKING_ANDX requests (smb1lock.go)
	fidPIDs    map[uint16]uint16 // FID -> PID of the process that opened it
}

// smb1Signing is an SMB1 connection's MD5 signing state (MS-CIFS 3.1.4.1):
// one key and sequence number per connection, set up by the first
// authenticated (not guest, not anonymous) session when the client asks
// for signing (Flags2SecuritySig) or Config.SigningRequired.
type smb1Signing struct {
	active bool
	wanted bool   // the client set Flags2SecuritySig on a request
	key    []byte // the session key of the session that started signing
	next   uint32 // sequence number of the next request
}

// check verifies a request's signature when signing is active and returns
// the sequence number its response is signed with. A request takes two
// numbers (its own and its response's), NT_CANCEL, which has no response,
// one.
func (g *smb1Signing) check(msg []byte, hdr *smb1.Header) (respSeq uint32, ok bool) {
	if hdr.Flags2&smb1.Flags2SecuritySig != 0 {
		g.wanted = true
	}
	if !g.active {
		return 0, true
	}
	seq := g.next
	g.next += 2
	if hdr.Command == smb1.ComNTCancel {
		g.next--
	}
	return seq + 1, smb1.Verify(g.key, msg, seq)
}

// activate starts signing with the session key of a session just
// established; the response that completes it is signed with sequence
// number 1 and the next request carries 2.
func (g *smb1Signing) activate(key []byte, required bool) bool {
	if g.active || len(key) == 0 || !(g.wanted || required) {
		return false
	}
	g.key = slices.Clone(key[:min(len(key), 16)])
	g.active, g.next = true, 2
	return true
}

// sign signs a response frame (4-byte frame header first) when signing is
// active.
func (g *smb1Signing) sign(frame []byte, seq uint32) {
	if g.active {
		smb1.Sign(g.key, frame[4:], seq)
	}
}

// smb1Req is one command of an SMB1 message (one link of an AndX chain).
type smb1Req struct {
	hdr   *smb1.Header // the message's header; UID/TID updated along the chain
	msg   []byte
	blk   smb1.Block
	sess  *session
	tree  *tree
	split *splitPayload // WRITE_ANDX payload still in the socket
	// msgLen is the message's length (more than len(msg) when split).
	msgLen int
	// outOff is where the response block will start, from the response's
	// SMB header: strings and TRANS sections align from there.
	outOff int
	lone   bool // the only command of its message
	chain  *smb1Chain
	seq    uint32 // signing sequence number of the response
}

// smb1Resp is a command's answer: the block to append, or an error status.
type smb1Resp struct {
	status smb2.Status
	block  []byte    // response block(s) from WordCount on; nil: empty block
	data   *readData // READ_ANDX payload after block
	// extra are further whole responses (ECHO with EchoCount > 1).
	extra [][]byte
	// primary is the command code of the response to the last secondary
	// of a transaction (that of its primary request).
	primary    smb1.Command
	noResponse bool
	disconnect bool
}

func smb1Err(st smb2.Status) smb1Resp { return smb1Resp{status: st} }

// smb1Rule is one row of the SMB1 command table.
type smb1Rule struct {
	handler func(c *conn, r *smb1Req) smb1Resp
	// session: needs a logged-on UID; tree: needs a TID of it.
	session, tree bool
	// andx: the command's words start with an AndX prefix.
	andx bool
}

// smb1Commands is the SMB1 command table. Commands not listed are answered
// STATUS_NOT_IMPLEMENTED (as Samba answers ERRunknownsmb).
var smb1Commands = map[smb1.Command]smb1Rule{
	smb1.ComNegotiate:        {handler: (*conn).smb1SecondNegotiate},
	smb1.ComSessionSetupX:    {handler: (*conn).smb1SessionSetup, andx: true},
	smb1.ComLogoffAndX:       {handler: (*conn).smb1Logoff, session: true, andx: true},
	smb1.ComTreeConnectAndX:  {handler: (*conn).smb1TreeConnect, session: true, andx: true},
	smb1.ComTreeDisconnect:   {handler: (*conn).smb1TreeDisconnect, session: true, tree: true},
	smb1.ComEcho:             {handler: (*conn).smb1Echo},
	smb1.ComNTCreateAndX:     {handler: (*conn).smb1NTCreate, session: true, tree: true, andx: true},
	smb1.ComOpenAndX:         {handler: (*conn).smb1OpenAndX, session: true, tree: true, andx: true},
	smb1.ComQueryInformation: {handler: (*conn).smb1QueryInformation, session: true, tree: true},
	smb1.ComSetInformation:   {handler: (*conn).smb1SetInformation, session: true, tree: true},
	smb1.ComProcessExit:      {handler: (*conn).smb1ProcessExit, session: true},
	smb1.ComClose:            {handler: (*conn).smb1Close, session: true, tree: true},
	smb1.ComFlush:            {handler: (*conn).smb1Flush, session: true, tree: true},
	smb1.ComReadAndX:         {handler: (*conn).smb1Read, session: true, tree: true, andx: true},
	smb1.ComWriteAndX:        {handler: (*conn).smb1Write, session: true, tree: true, andx: true},
	smb1.ComDelete:           {handler: (*conn).smb1Delete, session: true, tree: true},
	smb1.ComRename:           {handler: (*conn).smb1Rename, session: true, tree: true},
	smb1.ComCreateDirectory:  {handler: (*conn).smb1Mkdir, session: true, tree: true},
	smb1.ComDeleteDirectory:  {handler: (*conn).smb1Rmdir, session: true, tree: true},
	smb1.ComCheckDirectory:   {handler: (*conn).smb1CheckPath, session: true, tree: true},
	smb1.ComTransaction:      {handler: (*conn).smb1Trans, session: true, tree: true},
	smb1.ComTransaction2:     {handler: (*conn).smb1Trans2, session: true, tree: true},
	smb1.ComTransaction2Sec:  {handler: (*conn).smb1TransSecondary, session: true, tree: true},
	smb1.ComFindClose2:       {handler: (*conn).smb1FindClose, session: true, tree: true},
	smb1.ComLockingAndX:      {handler: (*conn).smb1Locking, session: true, tree: true, andx: true},
	smb1.ComLockByteRange:    {handler: (*conn).smb1LockByteRange, session: true, tree: true},
	smb1.ComUnlockByteRange:  {handler: (*conn).smb1UnlockByteRange, session: true, tree: true},
	smb1.ComNTCancel:         {handler: (*conn).smb1Cancel},
	// Core commands (smb1core.go).
	smb1.ComOpen:              {handler: (*conn).smb1CoreOpen, session: true, tree: true},
	smb1.ComCreate:            {handler: (*conn).smb1CoreCreate, session: true, tree: true},
	smb1.ComCreateNew:         {handler: (*conn).smb1CoreCreate, session: true, tree: true},
	smb1.ComCreateTemporary:   {handler: (*conn).smb1CreateTemp, session: true, tree: true},
	smb1.ComRead:              {handler: (*conn).smb1CoreRead, session: true, tree: true},
	smb1.ComWrite:             {handler: (*conn).smb1CoreWrite, session: true, tree: true},
	smb1.ComWriteAndClose:     {handler: (*conn).smb1WriteAndClose, session: true, tree: true},
	smb1.ComSeek:              {handler: (*conn).smb1Seek, session: true, tree: true},
	smb1.ComQueryInformation2: {handler: (*conn).smb1QueryInfo2, session: true, tree: true},
	smb1.ComSetInformation2:   {handler: (*conn).smb1SetInfo2, session: true, tree: true},
	// Transactions (smb1nttrans.go, smb1transsec.go).
	smb1.ComNTRename:       {handler: (*conn).smb1NTRename, session: true, tree: true},
	smb1.ComSearch:         {handler: (*conn).smb1CoreSearch, session: true, tree: true},
	smb1.ComFind:           {handler: (*conn).smb1CoreSearch, session: true, tree: true},
	smb1.ComFindUnique:     {handler: (*conn).smb1CoreSearch, session: true, tree: true},
	smb1.ComFindClose:      {handler: (*conn).smb1FindCloseCore, session: true, tree: true},
	smb1.ComNTTransact:     {handler: (*conn).smb1NTTrans, session: true, tree: true},
	smb1.ComNTTransactSec:  {handler: (*conn).smb1TransSecondary, session: true, tree: true},
	smb1.ComTransactionSec: {handler: (*conn).smb1TransSecondary, session: true, tree: true},
}

// handleSMB1 handles a message that starts with the SMB1 protocol id: the
// multi-protocol NEGOTIATE that leads to SMB2 (or, with Config.SMB1, to NT
// LM 0.12), and every request of a connection that negotiated SMB1.
func (c *conn) handleSMB1(buf []byte) error {
	if c.s1 != nil {
		return c.serveSMB1(buf, nil)
	}
	dialects, ok := smb2.SMB1NegotiateDialects(buf)
	if !ok || c.negotiated || c.credits.low != 0 {
		c.log.Warn("SMB1 request that is not an initial NEGOTIATE; closing")
		return errCloseConn
	}
	if c.srv.cfg.SMB1 && !slices.Contains(dialects, smb2.SMB1DialectWildcard) && !slices.Contains(dialects, smb2.SMB1Dialect2002) {
		if i := slices.Index(dialects, smb1.DialectNTLM012); i >= 0 {
			return c.negotiateSMB1(buf, i)
		}
	}
	return c.bridgeToSMB2(dialects)
}

// negotiateSMB1 answers an SMB1 NEGOTIATE with NT LM 0.12 (dialect index
// idx of the client's list).
func (c *conn) negotiateSMB1(buf []byte, idx int) error {
	hdr, err := smb1.DecodeHeader(buf)
	if err != nil {
		return errCloseConn
	}
	c.s1 = &smb1State{uids: map[uint16]uint64{}, fids: map[uint16]smb2.FileID{}, sids: map[uint16]smb2.FileID{}, clientMB: 4356}
	c.s1.sig.wanted = hdr.Flags2&smb1.Flags2SecuritySig != 0
	secMode := smb1.SecModeUserSecurity | smb1.SecModeEncryptPassword | smb1.SecModeSigningEnabled
	if c.srv.cfg.SigningRequired {
		secMode |= smb1.SecModeSigningRequired
	}
	c.dialect = dialectNT1
	c.negotiated = true
	c.dialectSeen.Store(uint32(dialectNT1))
	c.maxIO = min(max(c.srv.cfg.MaxIOSize, 65536), smb1MaxIO)
	c.srv.clients.add(c)
	c.log.Info("negotiated legacy SMB1 (NT LM 0.12)")
	resp := smb1.NegotiateResponse{
		DialectIndex:  uint16(idx),
		SecurityMode:  secMode,
		MaxMpxCount:   50,
		MaxNumberVcs:  1,
		MaxBufferSize: smb1MaxBuffer,
		MaxRawSize:    65536,
		Capabilities:  smb1Caps,
		SystemTime:    smb2.FileTime(time.Now()),
		ServerGUID:    c.srv.guid,
		SecurityBlob:  auth.InitialToken(),
	}
	out := c.smb1ReplyHeader(&hdr, smb2.StatusSuccess)
	out = resp.Append(out)
	return c.writeSMB1(out)
}

// smb1SecondNegotiate: a NEGOTIATE after the first one closes the
// connection, as in SMB2.
func (c *conn) smb1SecondNegotiate(r *smb1Req) smb1Resp {
	c.log.Warn("second SMB1 NEGOTIATE; closing")
	return smb1Resp{disconnect: true}
}

// smb1ReplyHeader starts a response frame (4-byte frame header included)
// to hdr with status st.
func (c *conn) smb1ReplyHeader(hdr *smb1.Header, st smb2.Status) []byte {
	h := *hdr
	h.Status = uint32(st)
	h.Flags = smb1.FlagsReply | smb1.FlagsCaseInsensitive | smb1.FlagsCanonicalPaths
	h.Flags2 = smb1.Flags2ReplyDefaults | hdr.Flags2&smb1.Flags2DFS
	h.Signature = [8]byte{}
	out := getBuf(4 + 256)[:4]
	return h.Append(out)
}

// writeSMB1 frames and writes a response built on smb1ReplyHeader.
func (c *conn) writeSMB1(frame []byte) error {
	smb2.PutFrameHeader(frame, len(frame)-4)
	err := c.writeFrame(frame)
	putBuf(frame)
	return err
}

// serveSMB1 runs the commands of one SMB1 message (an AndX chain) and
// writes the response.
func (c *conn) serveSMB1(msg []byte, split *splitPayload) error {
	msgLen := len(msg)
	if split != nil {
		msgLen += int(split.remaining)
	}
	hdr, err := smb1.DecodeHeader(msg)
	if err != nil || hdr.Flags&smb1.FlagsReply != 0 {
		c.log.Warn("malformed SMB1 message or a reply; closing")
		return errCloseConn
	}
	wasSigning := c.s1.sig.active
	seq, ok := c.s1.sig.check(msg, &hdr)
	if !ok {
		c.log.Warn("SMB1 request with a bad signature; closing")
		return errCloseConn
	}
	out := c.smb1ReplyHeader(&hdr, smb2.StatusSuccess)
	defer func() { putBuf(out) }()
	cmd, off := hdr.Command, smb1.HeaderSize
	var last smb1Resp
	chain := &smb1Chain{}
	prevStart := -1 // offset (from the SMB header) of the previous response block
	for n := 0; ; n++ {
		if n >= smb1.MaxChain {
			c.log.Warn("SMB1 AndX chain too long; closing")
			return errCloseConn
		}
		r := &smb1Req{hdr: &hdr, msg: msg, split: split, lone: n == 0, msgLen: msgLen, outOff: len(out) - 4, chain: chain, seq: seq}
		resp, rule, next := c.smb1Link(r, cmd, off, n == 0)
		if split != nil && split.remaining > 0 {
			if err := split.discard(c); err != nil { // refused: drain the payload
				return err
			}
		}
		if resp.disconnect {
			return errCloseConn
		}
		if resp.primary != 0 {
			out[4+4] = byte(resp.primary)
		}
		if resp.noResponse {
			return nil
		}
		blockStart := len(out) - 4
		if prevStart >= 0 {
			smb1.SetAndX(out[4:], prevStart, cmd, blockStart)
		}
		if resp.status.IsError() && resp.status != smb2.StatusMoreProcessingRequired {
			putSMB1Status(out[4:], resp.status)
			out = smb1.AppendEmptyBlock(out)
			break
		}
		if resp.status != smb2.StatusSuccess {
			le32(out[4+5:], uint32(resp.status)) // MORE_PROCESSING_REQUIRED, BUFFER_OVERFLOW
		}
		if resp.block == nil {
			out = smb1.AppendEmptyBlock(out)
		} else {
			out = append(out, resp.block...)
		}
		if resp.data != nil {
			// READ_ANDX DataOffset (word 6): after this block's words,
			// ByteCount and pad byte, wherever the chain put the block.
			le16(out[4+blockStart+13:], uint16(blockStart+smb1.ReadAndXDataOffset-smb1.HeaderSize))
		}
		last = resp
		if !rule.andx || next.Command == smb1.ComNoAndX || resp.data != nil {
			break
		}
		prevStart = blockStart
		cmd, off = next.Command, int(next.Offset)
	}
	le16(out[4+28:], hdr.UID)
	le16(out[4+24:], hdr.TID)
	if !wasSigning {
		seq = 1 // the SESSION_SETUP_ANDX response that started signing, if any
	}
	if last.data != nil {
		return c.smb1SendData(out, last.data, seq)
	}
	smb2.PutFrameHeader(out, len(out)-4)
	c.s1.sig.sign(out, seq)
	if err := c.writeFrame(out); err != nil {
		return err
	}
	for _, x := range last.extra {
		c.s1.sig.sign(x, seq)
		if err := c.writeFrame(x); err != nil {
			return err
		}
	}
	return nil
}

// smb1Link decodes and runs the chain link whose block is at off: the
// command's response, its table row and the AndX link to the next one
// (ComNoAndX at the end of the chain or on an error).
func (c *conn) smb1Link(r *smb1Req, cmd smb1.Command, off int, first bool) (smb1Resp, smb1Rule, smb1.AndX) {
	msg := r.msg
	rule, known := smb1Commands[cmd]
	next := smb1.AndX{Command: smb1.ComNoAndX}
	if r.split != nil && cmd == smb1.ComWriteAndX && first {
		// Header split: only the words are here (see smb1SplitWrite).
		w := off + 1 + 28 // smb1SplitWrite checked WordCount 14
		r.blk = smb1.Block{Start: off, Words: msg[off+1 : w], BytesOff: w + 2, End: w + 2}
		return c.smb1Run(r, &rule), rule, next
	}
	blk, err := smb1.DecodeBlock(msg, off)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter), rule, next
	}
	if !known {
		c.log.Debug("SMB1 command not implemented", "command", uint8(cmd))
		return smb1Err(smb2.StatusNotImplemented), rule, next
	}
	r.blk = blk
	r.lone = first && (!rule.andx || len(blk.Words) < 4 || blk.Words[0] == byte(smb1.ComNoAndX))
	if rule.andx {
		if next, err = smb1.DecodeAndX(&blk, len(msg)); err != nil {
			return smb1Err(smb2.StatusInvalidParameter), rule, smb1.AndX{Command: smb1.ComNoAndX}
		}
	}
	return c.smb1Run(r, &rule), rule, next
}

// smb1Run resolves the UID and TID r's command needs and runs it.
func (c *conn) smb1Run(r *smb1Req, rule *smb1Rule) smb1Resp {
	id, known := c.s1.uids[r.hdr.UID]
	if known {
		r.sess = c.lookupSession(id)
	}
	if rule.session && !known {
		return smb1Err(smb1.StatusSrvBadUID) // as Windows and Samba
	}
	if rule.session && !r.sess.valid() {
		return smb1Err(smb2.StatusUserSessionDeleted)
	}
	if rule.tree {
		r.tree = r.sess.lookupTree(uint32(r.hdr.TID))
		if r.tree == nil {
			return smb1Err(smb2.StatusNetworkNameDeleted)
		}
	}
	return rule.handler(c, r)
}

// smb1SendData writes a READ_ANDX response whose payload d follows frame:
// by sendfile when nothing needs to see the bytes, else copied (and
// signed with sequence number seq when signing is active).
func (c *conn) smb1SendData(frame []byte, d *readData, seq uint32) error {
	smb2.PutFrameHeader(frame, len(frame)-4+int(d.n))
	var b frameBuilder
	b.c = c
	if !c.s1.sig.active && b.canSendfile(&request{}, d) {
		return c.sendWithFile(frame, d)
	}
	// The copy path reads the payload into a buffer of its own (frame
	// stays the caller's to release).
	b.buf = append(getBuf(len(frame) + int(d.n))[:0], frame...)
	b.appendData(d)
	c.s1.sig.sign(b.buf, seq)
	err := c.writeFrame(b.buf)
	putBuf(b.buf)
	return err
}

// putSMB1Status writes st into the header of response msg: an NTSTATUS,
// or the class and code of a DOS error (smb1.DOSError).
func putSMB1Status(msg []byte, st smb2.Status) {
	if class, code, dos := smb1.SplitDOSError(st); dos {
		smb1.PutDOSError(msg, class, code)
		return
	}
	le32(msg[5:], uint32(st))
}

func le16(b []byte, v uint16) { b[0], b[1] = byte(v), byte(v>>8) }
func le32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
