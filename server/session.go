package server

import (
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

func randRead(b []byte) { rand.Read(b) }

type sessionState int

const (
	sessionInProgress sessionState = iota
	sessionValid
)

// session is an authenticated (or in-progress) SMB2 session.
type session struct {
	id    uint64
	c     *conn
	state sessionState
	authn *auth.Context

	user, domain     string
	guest, anonymous bool
	// userLogon: the session was established by a user logon (not guest
	// or anonymous); only such a session may re-authenticate as
	// anonymous, as Windows and Samba allow.
	userLogon bool
	sids      []string // security token (shareaccess.go)

	preauth         sign.PreauthHash
	keys            sign.Keys
	signer          *sign.Signer
	signingRequired bool
	signFinal       bool // sign the final SESSION_SETUP response
	encryptData     bool
	sealer          *sign.Sealer // encrypts responses
	opener          *sign.Sealer // decrypts requests

	info atomic.Pointer[sessionInfo] // set once established, for Status
	seen sessionSeen
	// prevID is the PreviousSessionId of the SESSION_SETUP being handled;
	// reauth is set while a valid session re-authenticates (its opens,
	// trees and keys stay).
	prevID uint64
	reauth bool

	mu       sync.Mutex
	trees    map[uint32]*tree
	nextTree uint32
}

func (s *session) valid() bool { return s != nil && s.state == sessionValid }

// tree is a tree connect: a session's view of one share.
type tree struct {
	id    uint32
	sess  *session
	share *Share
	ipc   bool
	// readOnly refuses every modification: a read-only share or a user
	// on its read list at tree connect; it also guards the handles
	// opened before a re-authentication, so it never changes.
	readOnly bool
	// ident is who new opens and renames are checked for; a
	// re-authentication replaces it (requests running on other
	// goroutines, such as a CREATE waiting for a break, read it).
	ident atomic.Pointer[treeIdent]
}

// treeIdent is a tree's identity for access checks: the token ACLs are
// checked for and the maximal access of new opens.
type treeIdent struct {
	tok       *acl.Token
	maxAccess uint32
	// fsys is the share's backend as the user's Unix identity
	// (unixusers.go); nil without Config.UnixUsers.
	fsys vfs.FS
}

// rights returns the tree's current identity.
func (t *tree) rights() *treeIdent { return t.ident.Load() }

func (s *session) lookupTree(id uint32) *tree {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trees[id]
}

func (c *conn) lookupSession(id uint64) *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions[id]
}

func (c *conn) handleSessionSetup(r *request) response {
	req, err := smb2.DecodeSessionSetupRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	if req.Flags&smb2.SessionFlagBinding != 0 {
		return errResp(smb2.StatusRequestNotAccepted) // no multichannel
	}
	s := c.lookupSession(r.hdr.SessionID)
	switch {
	case r.hdr.SessionID == 0:
		c.mu.Lock()
		if len(c.sessions) >= 64 {
			c.mu.Unlock()
			return errResp(smb2.StatusInsufficientResources)
		}
		s = &session{id: c.srv.newID(), c: c, trees: make(map[uint32]*tree)}
		c.sessions[s.id] = s
		c.mu.Unlock()
		s.preauth = c.preauth
		r.hdr.SessionID = s.id
	case s == nil:
		return errResp(smb2.StatusUserSessionDeleted)
	case s.state == sessionValid:
		// Re-authentication: must be signed like any other request.
		if st := c.checkSignature(&request{hdr: r.hdr, msg: r.msg, sess: s, encrypted: r.encrypted}); st != smb2.StatusSuccess {
			return errResp(st)
		}
		if !s.reauth { // the first leg of a re-authentication
			s.reauth = true
			s.authn = nil
		}
	}
	r.sess = s
	s.prevID = req.PreviousSessionID
	if req.SecurityMode&uint8(smb2.NegotiateSigningRequired) != 0 {
		s.signingRequired = true
	}
	if s.authn == nil {
		s.authn = c.srv.shareTable().auth.NewContext()
		if s.reauth && s.userLogon {
			s.authn.AcceptAnonymous()
		}
	}
	if c.dialect == smb2.Dialect311 {
		s.preauth.Update(r.msg)
	}
	out, done, err := s.authn.Step(req.SecurityBuffer)
	if err != nil || done {
		if st := c.throttleLogon(s.authn, err); st != smb2.StatusSuccess {
			c.dropSession(s)
			r.sess = nil
			c.srv.ops.logonFailures.Add(1)
			return errResp(st)
		}
	}
	if !done {
		if c.dialect == smb2.Dialect311 {
			r.onSent = func(msg []byte) { s.preauth.Update(msg) }
		}
		return response{status: smb2.StatusMoreProcessingRequired, body: (&smb2.SessionSetupResponse{SecurityBuffer: out}).Append(nil)}
	}
	return c.finishSessionSetup(r, s, out)
}

// throttleLogon applies AuthThrottle to a finished authentication (err
// is its failure, if any) and returns the status to answer, or success.
func (c *conn) throttleLogon(a *auth.Context, err error) smb2.Status {
	t, now := c.srv.throttle, time.Now()
	who := userKey(a.User()) + "@" + c.addr
	if t.lockedOut(a.User(), c.addr, now) {
		c.log.Debug("logon refused: locked out", "user", a.User(), "domain", a.Domain())
		c.srv.authLog.note("locked_out", who)
		c.failDelay()
		return smb2.StatusAccountLockedOut
	}
	if errors.Is(err, auth.ErrInvalidParameter) {
		// Not a password guess: not counted towards a lockout, but
		// delayed like any failure.
		c.log.Debug("malformed NTLMv2 response", "user", a.User(), "domain", a.Domain(), "err", err)
		c.srv.authLog.note("malformed", who)
		c.failDelay()
		return smb2.StatusInvalidParameter
	}
	if err != nil {
		t.failed(a.User(), c.addr, now)
		c.log.Debug("authentication failed", "user", a.User(), "domain", a.Domain(), "err", err)
		c.srv.authLog.note("failed", who)
		c.failDelay()
		return smb2.StatusLogonFailure
	}
	if !a.IsGuest() && !a.IsAnonymous() {
		t.succeeded(a.User())
	}
	return smb2.StatusSuccess
}

// finishSessionSetup completes a successful authentication: derive keys,
// set up signing, mark the session valid.
func (c *conn) finishSessionSetup(r *request, s *session, out []byte) response {
	a := s.authn
	if s.reauth {
		return c.finishReauth(s, out)
	}
	s.user, s.domain = a.User(), a.Domain()
	s.guest, s.anonymous = a.IsGuest(), a.IsAnonymous()
	s.userLogon = !s.guest && !s.anonymous
	s.sids = c.srv.tokenSIDs(s)
	var flags uint16
	switch {
	case s.anonymous:
		flags = smb2.SessionFlagIsNull
	case s.guest:
		flags = smb2.SessionFlagIsGuest
	}
	if c.srv.cfg.SigningRequired || c.clientSecMode&smb2.NegotiateSigningRequired != 0 {
		s.signingRequired = true
	}
	if key := a.SessionKey(); len(key) > 0 && !s.guest && !s.anonymous {
		if len(key) > 16 && c.dialect < smb2.Dialect300 {
			key = key[:16]
		}
		s.keys = sign.DeriveKeys(c.dialect, key, s.preauth[:], cipherBits(c.cipher))
		signer, err := sign.NewSigner(c.signingAlg, s.keys.Signing)
		if err != nil {
			c.log.Error("signing setup failed", "err", err)
			c.dropSession(s)
			return errResp(smb2.StatusInternalError)
		}
		s.signer = signer
		s.signFinal = c.dialect >= smb2.Dialect300 || s.signingRequired
		c.setupEncryption(s)
	} else {
		s.signingRequired = false // guests cannot sign
	}
	if c.srv.cfg.Encrypt == EncryptRequired && (s.guest || s.anonymous || s.sealer == nil) {
		// MS-SMB2 3.3.5.5: a session that cannot encrypt is refused.
		c.log.Debug("session refused: encryption is required and it cannot encrypt", "user", s.user,
			"guest", s.guest, "anonymous", s.anonymous, "dialect", dialectName(c.dialect))
		c.srv.authLog.note("cannot_encrypt", userKey(s.user)+"@"+c.addr)
		c.dropSession(s)
		r.sess = nil
		return errResp(smb2.StatusAccessDenied)
	}
	if s.encryptData {
		flags |= smb2.SessionFlagEncryptData
	}
	reauth := s.state == sessionValid
	s.state = sessionValid
	s.publish()
	c.srv.ops.sessions.Add(1)
	c.loggedOn()
	if !reauth && s.prevID != 0 && s.prevID != s.id && !s.guest && !s.anonymous {
		// Session reconnect (MS-SMB2 3.3.5.5.3): the user's previous
		// session ends; its durable opens wait, disconnected, for a
		// reclaim on this session.
		c.srv.expireSession(s.prevID, ownerKey(s))
	}
	c.log.Info("session established", "session", s.id, "user", s.user, "domain", s.domain,
		"guest", s.guest, "anonymous", s.anonymous, "dialect", dialectName(c.dialect), "signing", s.signingRequired)
	return response{body: (&smb2.SessionSetupResponse{SessionFlags: flags, SecurityBuffer: out}).Append(nil)}
}

// finishReauth completes the re-authentication of a valid session: the
// user may change (Windows allows it, to anonymous too), keys, trees and
// opens stay; the trees take the new identity for later access checks.
func (c *conn) finishReauth(s *session, out []byte) response {
	a := s.authn
	s.reauth = false
	s.user, s.domain = a.User(), a.Domain()
	s.guest, s.anonymous = a.IsGuest(), a.IsAnonymous()
	s.sids = c.srv.tokenSIDs(s)
	c.srv.reauthTrees(s)
	s.publish()
	var flags uint16
	switch {
	case a.IsAnonymous():
		flags = smb2.SessionFlagIsNull
	case a.IsGuest():
		flags = smb2.SessionFlagIsGuest
	}
	if s.encryptData {
		flags |= smb2.SessionFlagEncryptData
	}
	c.log.Info("session re-authenticated", "session", s.id, "user", s.user, "domain", s.domain)
	return response{body: (&smb2.SessionSetupResponse{SessionFlags: flags, SecurityBuffer: out}).Append(nil)}
}

func cipherBits(c sign.Cipher) int {
	if c == sign.AES256CCM || c == sign.AES256GCM {
		return 256
	}
	return 128
}

// expireSession ends session id on whichever connection holds it, if it
// belongs to user (a reconnecting client's previous session). Requests on
// it then fail with STATUS_USER_SESSION_DELETED.
func (srv *Server) expireSession(id uint64, user string) {
	srv.mu.Lock()
	conns := make([]*conn, 0, len(srv.conns))
	for c := range srv.conns {
		conns = append(conns, c)
	}
	srv.mu.Unlock()
	for _, c := range conns {
		if s := c.lookupSession(id); s != nil && s.valid() && ownerKey(s) == user {
			c.log.Info("previous session of a reconnecting client ended", "session", id)
			c.dropSession(s)
			return
		}
	}
}

// dropSession removes s and everything it holds.
func (c *conn) dropSession(s *session) {
	c.mu.Lock()
	delete(c.sessions, s.id)
	var opens []*open
	for _, o := range c.opens {
		if o.sess == s {
			opens = append(opens, o)
			delete(c.opens, o.id.Volatile)
		}
	}
	var ops []*asyncOp
	for _, op := range c.async {
		if op.sess == s {
			ops = append(ops, op)
		}
	}
	c.mu.Unlock()
	for _, op := range ops {
		op.cancelOp()
	}
	for _, o := range opens {
		c.shutdownClose(o)
	}
	s.releaseTrees()
}

// releaseTrees forgets the session's tree connects (after their opens
// were closed) and releases their shares.
func (s *session) releaseTrees() {
	s.mu.Lock()
	trees := s.trees
	s.trees = map[uint32]*tree{}
	s.mu.Unlock()
	for _, t := range trees {
		s.c.srv.releaseShare(t.share)
	}
}

func (c *conn) handleLogoff(r *request) response {
	if smb2.CheckSimple(r.msg) != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	c.dropSession(r.sess)
	c.log.Info("session logged off", "session", r.sess.id, "user", r.sess.user)
	return response{body: smb2.AppendSimple(nil)}
}

// Maximal access masks reported at TREE_CONNECT.
const (
	accessReadOnly  uint32 = 0x001200a9
	accessReadWrite uint32 = 0x001f01ff
)

func (c *conn) handleTreeConnect(r *request) response {
	req, err := smb2.DecodeTreeConnectRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	if s := r.sess; c.dialect == smb2.Dialect311 && !s.guest && !s.anonymous && !r.signed && !r.encrypted {
		// MS-SMB2 3.3.5.7: a 3.1.1 user session must sign (or encrypt)
		// its TREE_CONNECT; refused with ACCESS_DENIED as Samba does,
		// before the share is even looked up.
		c.log.Warn("unsigned TREE_CONNECT on an SMB 3.1.1 session refused", "session", s.id, "user", s.user)
		return errResp(smb2.StatusAccessDenied)
	}
	name := req.Path
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	sh := c.srv.shareTable().byName[strings.ToLower(name)]
	if sh == nil {
		c.log.Info("tree connect to unknown share", "share", name)
		return errResp(smb2.StatusBadNetworkName)
	}
	s := r.sess
	if (s.guest || s.anonymous) && !sh.Guest {
		c.log.Warn("guest session refused on non-guest share", "share", sh.Name)
		return errResp(smb2.StatusAccessDenied)
	}
	t := &tree{sess: s, share: sh, ipc: sh.FS == nil}
	if st := c.srv.treeAccess(t); st != smb2.StatusSuccess {
		c.log.Warn("tree connect refused by the share's access list", "share", sh.Name, "user", s.user)
		return errResp(st)
	}
	if !c.srv.holdShare(sh) {
		return errResp(smb2.StatusBadNetworkName) // removed by a reload just now
	}
	s.mu.Lock()
	if len(s.trees) >= 1024 {
		s.mu.Unlock()
		c.srv.releaseShare(sh)
		return errResp(smb2.StatusInsufficientResources)
	}
	s.nextTree++
	t.id = s.nextTree
	s.trees[t.id] = t
	s.mu.Unlock()
	r.hdr.TreeID = t.id
	resp := smb2.TreeConnectResponse{ShareType: smb2.ShareTypeDisk, MaximalAccess: t.rights().maxAccess}
	if t.ipc {
		resp.ShareType = smb2.ShareTypePipe
		resp.MaximalAccess = accessReadWrite
	}
	if s.encryptData && !t.ipc {
		resp.ShareFlags |= smb2.ShareFlagEncryptData
	}
	c.log.Debug("tree connected", "share", sh.Name, "tree", t.id, "session", s.id)
	return response{body: resp.Append(nil)}
}

func (c *conn) handleTreeDisconnect(r *request) response {
	if smb2.CheckSimple(r.msg) != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	t := r.tree
	s := r.sess
	s.mu.Lock()
	delete(s.trees, t.id)
	s.mu.Unlock()
	c.mu.Lock()
	var opens []*open
	for _, o := range c.opens {
		if o.tree == t {
			opens = append(opens, o)
			delete(c.opens, o.id.Volatile)
		}
	}
	c.mu.Unlock()
	for _, o := range opens {
		c.closeOpen(o) // TREE_DISCONNECT closes durable opens too (as Samba)
	}
	c.srv.releaseShare(t.share)
	return response{body: smb2.AppendSimple(nil)}
}

// checkSignature verifies a request's signature against its session.
func (c *conn) checkSignature(r *request) smb2.Status {
	s := r.sess
	if r.encrypted {
		r.signed = true
		return smb2.StatusSuccess
	}
	if r.hdr.Flags&smb2.FlagSigned != 0 {
		if s.signer == nil {
			if s.guest || s.anonymous {
				return smb2.StatusSuccess // guests cannot sign; ignore the flag
			}
			return smb2.StatusAccessDenied
		}
		if !s.signer.Verify(r.msg) {
			c.log.Warn("bad signature; request refused", "command", r.hdr.Command.String(), "session", s.id)
			return smb2.StatusAccessDenied
		}
		r.signed = true
		s.seen.markSigned()
		return smb2.StatusSuccess
	}
	if s.signingRequired && s.signer != nil && s.state == sessionValid {
		c.log.Warn("unsigned request on a session that requires signing", "command", r.hdr.Command.String())
		return smb2.StatusAccessDenied
	}
	return smb2.StatusSuccess
}
