package server

import (
	"errors"
	"strings"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// maxSMB1Echo bounds the responses one SMB1 ECHO asks for.
const maxSMB1Echo = 16

// smb1SessionSetup is SESSION_SETUP_ANDX with extended security: SPNEGO
// carrying NTLMSSP (NTLMv2), through the same auth package as SMB2. The LM,
// NTLMv1 and plaintext forms are refused.
func (c *conn) smb1SessionSetup(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeSessionSetupRequest(r.msg, &r.blk)
	if errors.Is(err, smb1.ErrNotExtendedSecurity) {
		c.log.Warn("SMB1 session setup without extended security (LM/NTLMv1/plaintext) refused")
		return smb1Err(smb2.StatusLogonFailure)
	}
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	s1 := c.s1
	if req.MaxBufferSize >= 1024 {
		s1.clientMB = int(req.MaxBufferSize)
	}
	s1.levelII = req.Capabilities&smb1.CapLevelIIOplocks != 0
	var s *session
	if r.hdr.UID != 0 {
		if id, ok := s1.uids[r.hdr.UID]; ok {
			s = c.lookupSession(id)
		}
		if s == nil {
			return smb1Err(smb2.StatusUserSessionDeleted)
		}
		if s.valid() {
			return smb1Err(smb2.StatusNotSupported) // no re-authentication over SMB1
		}
	} else {
		uid, ok := s1.allocUID()
		c.mu.Lock()
		if !ok || len(c.sessions) >= 64 {
			c.mu.Unlock()
			return smb1Err(smb2.StatusInsufficientResources)
		}
		s = &session{id: c.srv.newID(), c: c, trees: make(map[uint32]*tree)}
		c.sessions[s.id] = s
		c.mu.Unlock()
		s1.uids[uid] = s.id
		r.hdr.UID = uid
		s.authn = c.srv.shareTable().auth.NewContext()
	}
	out, done, err := s.authn.Step(req.SecurityBlob)
	if err != nil || done {
		if st := c.throttleLogon(s.authn, err); st != smb2.StatusSuccess {
			c.smb1DropUID(r.hdr.UID, s)
			c.srv.ops.logonFailures.Add(1)
			return smb1Err(st)
		}
	}
	if !done {
		return smb1Resp{status: smb2.StatusMoreProcessingRequired, block: smb1SessionBlock(r.outOff, 0, out)}
	}
	a := s.authn
	s.user, s.domain = a.User(), a.Domain()
	s.guest, s.anonymous = a.IsGuest(), a.IsAnonymous()
	s.sids = c.srv.tokenSIDs(s)
	if !s.guest && !s.anonymous && s1.sig.activate(a.SessionKey(), c.srv.cfg.SigningRequired) {
		c.log.Debug("SMB1 signing started", "session", s.id)
	}
	s.state = sessionValid
	s.publish()
	c.srv.ops.sessions.Add(1)
	c.loggedOn()
	action := uint16(0)
	if s.guest {
		action = smb1.SessionActionGuest
	}
	c.log.Info("session established", "session", s.id, "uid", r.hdr.UID, "user", s.user, "domain", s.domain,
		"guest", s.guest, "anonymous", s.anonymous, "dialect", dialectName(c.dialect))
	return smb1Resp{block: smb1SessionBlock(r.outOff, action, out)}
}

// smb1SessionBlock builds the SESSION_SETUP_ANDX response block for
// offset off of the response (its strings are aligned from the header).
func smb1SessionBlock(off int, action uint16, blob []byte) []byte {
	b := smb1.AppendSessionSetupResponse(make([]byte, off, off+256), 0, action, blob, "Unix", "zerosmb")
	return b[off:]
}

// allocUID returns an unused UID (not 0 or 0xFFFF).
func (s *smb1State) allocUID() (uint16, bool) {
	for range 0x10000 {
		s.nextUID++
		if u := s.nextUID; u != 0 && u != 0xFFFF {
			if _, used := s.uids[u]; !used {
				return u, true
			}
		}
	}
	return 0, false
}

// smb1DropUID ends session s known as uid.
func (c *conn) smb1DropUID(uid uint16, s *session) {
	delete(c.s1.uids, uid)
	if s != nil {
		c.dropSession(s)
	}
}

// smb1Logoff is LOGOFF_ANDX.
func (c *conn) smb1Logoff(r *smb1Req) smb1Resp {
	c.smb1DropUID(r.hdr.UID, r.sess)
	c.log.Info("session logged off", "session", r.sess.id, "user", r.sess.user)
	return smb1Resp{block: smb1.AppendAndXOnly(nil)}
}

// smb1TreeConnect is TREE_CONNECT_ANDX: the SMB2 TREE_CONNECT (share
// lookup, guest and access-list rules) under a 16-bit TID.
func (c *conn) smb1TreeConnect(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeTreeConnectRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	if req.Flags&smb1.TreeConnectDisconnectTID != 0 {
		if t := r.sess.lookupTree(uint32(r.hdr.TID)); t != nil {
			r.tree = t
			c.smb2Call(r, smb2.TreeDisconnect, smb2.AppendSimple(nil))
			r.tree = nil
		}
	}
	rq := c.smb2Req(r, smb2.TreeConnect, smb2.AppendTreeConnectRequest(nil, req.Path))
	resp := rq.rule.handler(c, rq)
	if resp.status != smb2.StatusSuccess {
		return smb1Err(resp.status)
	}
	tr, err := smb2.DecodeTreeConnectResponse(resp.body)
	if err != nil {
		return smb1Err(smb2.StatusInternalError)
	}
	t := r.sess.lookupTree(rq.hdr.TreeID)
	ipc := tr.ShareType == smb2.ShareTypePipe
	svc := strings.ToUpper(req.Service)
	if rq.hdr.TreeID > 0xFFFE || (svc == "IPC" && !ipc) || (svc == "A:" && ipc) {
		r.tree = t
		c.smb2Call(r, smb2.TreeDisconnect, smb2.AppendSimple(nil))
		r.tree = nil
		if rq.hdr.TreeID > 0xFFFE {
			return smb1Err(smb2.StatusInsufficientResources)
		}
		return smb1Err(smb2.StatusBadDeviceType)
	}
	r.hdr.TID = uint16(rq.hdr.TreeID)
	service, fs := "A:", "NTFS"
	if ipc {
		service, fs = "IPC", ""
	}
	b := smb1.AppendTreeConnectResponse(make([]byte, r.outOff, r.outOff+128), 0, smb1.SupportSearchBits,
		tr.MaximalAccess, 0, service, fs)
	return smb1Resp{block: b[r.outOff:]}
}

// smb1TreeDisconnect is TREE_DISCONNECT.
func (c *conn) smb1TreeDisconnect(r *smb1Req) smb1Resp {
	if len(r.blk.Words) != 0 {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	resp := c.smb2Call(r, smb2.TreeDisconnect, smb2.AppendSimple(nil))
	return smb1Resp{status: resp.status}
}

// smb1Echo is ECHO: EchoCount responses (at most maxSMB1Echo), none for 0.
func (c *conn) smb1Echo(r *smb1Req) smb1Resp {
	count, data, err := smb1.DecodeEchoRequest(&r.blk)
	if err != nil || !r.lone {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	if count == 0 {
		return smb1Resp{noResponse: true}
	}
	count = min(count, maxSMB1Echo)
	resp := smb1Resp{block: smb1.AppendEchoResponse(nil, 1, data)}
	for i := uint16(2); i <= count; i++ {
		f := c.smb1ReplyHeader(r.hdr, smb2.StatusSuccess)
		f = smb1.AppendEchoResponse(f, i, data)
		smb2.PutFrameHeader(f, len(f)-4)
		resp.extra = append(resp.extra, f)
	}
	return resp
}
