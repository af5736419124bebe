package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rc4"
	"errors"
	"fmt"
	"time"
)

// ErrLogonFailure is wrapped by every error Context.Step returns; the server
// answers it with STATUS_LOGON_FAILURE.
var ErrLogonFailure = errors.New("auth: logon failure")

// ErrInvalidParameter is wrapped, together with ErrLogonFailure, by the
// error Step returns for an AUTHENTICATE whose NTLMv2 response is not a
// well-formed NTLMv2_RESPONSE (MS-NLMP 2.2.2.8: shorter than its fixed
// part, or an AV pair list that overruns the response or has no MsvAvEOL).
// The server answers it with STATUS_INVALID_PARAMETER, as Samba does
// (smbtorture smb2.session.ntlmssp_bug14932). The check comes before the
// user is looked up, so the status says nothing about which users exist.
var ErrInvalidParameter = errors.New("auth: malformed NTLMv2 response")

// Config is the server-side authentication configuration shared by all
// sessions. It must not be modified while contexts created from it run.
type Config struct {
	Users      *UserDB // may be nil (no users)
	Domain     string  // NetBIOS domain/workgroup, default "WORKGROUP"
	Server     string  // NetBIOS computer name, default "ZEROSMB"
	DNSName    string  // optional DNS name of the server
	AllowGuest bool    // accept anonymous logons and unknown users as guest
}

func (c *Config) domain() string {
	if c.Domain == "" {
		return "WORKGROUP"
	}
	return c.Domain
}

func (c *Config) server() string {
	if c.Server == "" {
		return "ZEROSMB"
	}
	return c.Server
}

// Context states.
const (
	stateInitial       = iota // nothing received yet
	stateNeedNegotiate        // NTLMSSP selected, waiting for NEGOTIATE in a NegTokenResp
	stateChallengeSent        // CHALLENGE sent, waiting for AUTHENTICATE
	stateDone                 // authenticated
	stateFailed               // refused; the context is dead
)

// Context is one in-progress authentication: one per SESSION_SETUP sequence.
// It is not safe for concurrent use.
type Context struct {
	cfg   *Config
	state int

	spnego    bool   // client speaks SPNEGO (else raw NTLMSSP)
	mechList  []byte // client's DER MechTypeList, input of mechListMIC
	negotiate []byte // NTLMSSP NEGOTIATE as received, for the MIC
	challenge []byte // NTLMSSP CHALLENGE as sent, for the MIC
	serverCh  [8]byte

	flags      uint32 // AUTHENTICATE NegotiateFlags
	user       string
	domain     string
	guest      bool
	anonymous  bool
	sessionKey []byte // exported session key; nil for guest/anonymous

	acceptAnonymous bool // AcceptAnonymous: a null logon is allowed without guest access
}

// NewContext starts a new authentication exchange. A nil Config behaves like
// the zero Config: no users, no guest access.
func (c *Config) NewContext() *Context {
	if c == nil {
		c = &Config{}
	}
	return &Context{cfg: c}
}

// AcceptAnonymous lets this exchange end in an anonymous (null) logon even
// when the Config allows no guests. The server uses it for the
// re-authentication of an established session, which Windows and Samba
// let become anonymous (smbtorture smb2.session.reauth2–5); it must be
// called before the AUTHENTICATE is stepped.
func (c *Context) AcceptAnonymous() { c.acceptAnonymous = true }

// Step consumes the client's security buffer (SPNEGO NegTokenInit or
// NegTokenResp, or raw NTLMSSP) and returns the security buffer to send back.
//
// done=false, err=nil: answer STATUS_MORE_PROCESSING_REQUIRED with out.
// done=true, err=nil: authenticated; answer STATUS_SUCCESS with out.
// err != nil: the logon failed (errors.Is(err, ErrLogonFailure) holds); out,
// when non-nil, is a SPNEGO reject token. Errors never contain secrets.
//
// A client mechListMIC is verified (and answered with the server's) whenever
// the client sends one and a session key exists; guest and anonymous logons
// have no key, so their final token carries no mechListMIC.
func (c *Context) Step(in []byte) (out []byte, done bool, err error) {
	switch c.state {
	case stateInitial:
		out, err = c.stepInitial(in)
	case stateNeedNegotiate:
		out, err = c.stepNeedNegotiate(in)
	case stateChallengeSent:
		out, err = c.stepAuthenticate(in)
		if err == nil {
			c.state = stateDone
			return out, true, nil
		}
	default:
		return nil, false, fmt.Errorf("%w: authentication already finished", ErrLogonFailure)
	}
	if err != nil {
		return c.fail(err)
	}
	return out, false, nil
}

// fail moves the context to the failed state and builds the reply.
func (c *Context) fail(cause error) ([]byte, bool, error) {
	c.state = stateFailed
	c.sessionKey = nil
	var out []byte
	if c.spnego {
		out = encodeNegTokenResp(negReject, false, nil, nil)
	}
	if errors.Is(cause, ErrLogonFailure) {
		return out, false, cause
	}
	return out, false, fmt.Errorf("%w: %w", ErrLogonFailure, cause)
}

func (c *Context) stepInitial(in []byte) ([]byte, error) {
	switch {
	case len(in) == 0:
		// The client asks for the server's mechanism list.
		return InitialToken(), nil
	case isNTLMSSP(in):
		return c.answerNegotiate(in)
	case in[0] == tagNegTokenResp:
		// Client skipped NegTokenInit and went straight to the mechanism,
		// which is only meaningful if it is NTLMSSP.
		c.spnego = true
		return c.stepNeedNegotiate(in)
	}
	c.spnego = true
	init, err := parseNegTokenInit(in)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, m := range init.mechTypes {
		if bytes.Equal(m, oidNTLMSSP) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, errors.New("spnego: client does not offer NTLMSSP")
	}
	// Copy: the input aliases the caller's request buffer, which is reused.
	c.mechList = append([]byte(nil), init.mechList...)
	if idx != 0 || len(init.mechToken) == 0 {
		// The optimistic token (if any) belongs to another mechanism; ask
		// for an NTLMSSP NEGOTIATE and insist on a mechListMIC (RFC 4178 4.2.2).
		c.state = stateNeedNegotiate
		return encodeNegTokenResp(negRequestMIC, true, nil, nil), nil
	}
	chal, err := c.answerNegotiate(init.mechToken)
	if err != nil {
		return nil, err
	}
	return encodeNegTokenResp(negAcceptIncomplete, true, chal, nil), nil
}

func (c *Context) stepNeedNegotiate(in []byte) ([]byte, error) {
	announceMech := c.state == stateInitial // supportedMech not sent yet
	resp, err := parseNegTokenResp(in)
	if err != nil {
		return nil, err
	}
	chal, err := c.answerNegotiate(resp.responseToken)
	if err != nil {
		return nil, err
	}
	return encodeNegTokenResp(negAcceptIncomplete, announceMech, chal, nil), nil
}

// answerNegotiate consumes an NTLMSSP NEGOTIATE and returns the CHALLENGE.
func (c *Context) answerNegotiate(msg []byte) ([]byte, error) {
	clientFlags, err := parseNegotiate(msg)
	if err != nil {
		return nil, err
	}
	if _, err := rand.Read(c.serverCh[:]); err != nil {
		return nil, fmt.Errorf("auth: server challenge: %w", err)
	}
	flags := challengeFlags(clientFlags)
	name := encodeString(c.cfg.server(), flags)
	c.negotiate = append([]byte(nil), msg...)
	c.challenge = buildChallenge(flags, c.serverCh, name, c.cfg.targetInfo(time.Now()))
	c.state = stateChallengeSent
	return c.challenge, nil
}

// stepAuthenticate consumes the AUTHENTICATE (inside a NegTokenResp when
// the client speaks SPNEGO) and returns the final reply.
func (c *Context) stepAuthenticate(in []byte) ([]byte, error) {
	token, clientMIC := in, []byte(nil)
	if c.spnego {
		resp, err := parseNegTokenResp(in)
		if err != nil {
			return nil, err
		}
		token, clientMIC = resp.responseToken, resp.mechListMIC
	}
	if err := c.authenticate(token); err != nil {
		return nil, err
	}
	if !c.spnego {
		return nil, nil
	}
	var mic []byte
	if clientMIC != nil && c.sessionKey != nil && c.mechList != nil {
		want := c.mechListMIC(signC2S, sealC2S)
		if !hmac.Equal(clientMIC, want) {
			c.sessionKey = nil
			return nil, errors.New("spnego: mechListMIC verification failed")
		}
		mic = c.mechListMIC(signS2C, sealS2C)
	}
	return encodeNegTokenResp(negAcceptCompleted, false, nil, mic), nil
}

// mechListMIC signs the client's MechTypeList with sequence number 0 using
// the given direction's keys.
func (c *Context) mechListMIC(signMagic, sealMagic string) []byte {
	seal, _ := rc4.NewCipher(sealKey(c.sessionKey, c.flags, sealMagic))
	return ntlmMAC(signKey(c.sessionKey, signMagic), seal, c.flags, 0, c.mechList)
}

// authenticate verifies an NTLMSSP AUTHENTICATE message and, on success,
// records the identity and session key.
func (c *Context) authenticate(msg []byte) error {
	m, err := parseAuthenticate(msg)
	if err != nil {
		return err
	}
	c.domain = m.domain
	c.user = m.user // reported by User() in failure logs; replaced on success
	if m.user == "" && len(m.nt) == 0 && (len(m.lm) == 0 || bytes.Equal(m.lm, []byte{0})) {
		if !c.cfg.AllowGuest && !c.acceptAnonymous {
			return errors.New("anonymous logon refused")
		}
		c.anonymous, c.guest = true, true
		return nil
	}
	if m.user == "" {
		return errors.New("empty user name with a challenge response")
	}
	if len(m.nt) > ntlmv1ResponseLen {
		if err := checkNTLMv2Response(m.nt); err != nil {
			return fmt.Errorf("%w: user %q: %w", ErrInvalidParameter, m.user, err)
		}
	}
	name, hash, ok := c.cfg.Users.lookup(m.user)
	if !ok {
		// "map to guest = bad user": an unknown name becomes a guest
		// whatever response it carries; no password is checked, and a
		// guest gets no session key, so nothing is signed with it.
		if !c.cfg.AllowGuest {
			return fmt.Errorf("unknown user %q", m.user)
		}
		c.user, c.guest = m.user, true
		return nil
	}
	if len(m.nt) <= ntlmv1ResponseLen {
		return fmt.Errorf("user %q: NTLMv1 response refused", m.user)
	}
	base, ok := verifyNTLMv2(hash, m, c.serverCh)
	if !ok {
		return fmt.Errorf("user %q: wrong password", m.user)
	}
	exported := base
	if m.flags&flagKeyExch != 0 && len(m.encKey) > 0 {
		if len(m.encKey) != 16 {
			return fmt.Errorf("%w: encrypted session key length %d", errNTLM, len(m.encKey))
		}
		exported = rc4Crypt(base, m.encKey)
	}
	if err := c.checkMIC(m, exported); err != nil {
		return err
	}
	c.user, c.flags, c.sessionKey = name, m.flags, exported
	return nil
}

// verifyNTLMv2 checks NTProofStr against the user's key for the domain the
// client named and for the empty domain, returning the session base key.
func verifyNTLMv2(hash [16]byte, m *authenticateMsg, serverCh [8]byte) ([]byte, bool) {
	proof, temp := m.nt[:16], m.nt[16:]
	domains := []string{m.domain}
	if m.domain != "" {
		domains = append(domains, "")
	}
	for _, d := range domains {
		key := ntowfv2(hash, m.user, d)
		if hmac.Equal(hmacMD5(key, serverCh[:], temp), proof) {
			return hmacMD5(key, proof), true
		}
	}
	return nil, false
}

// checkMIC verifies the AUTHENTICATE MIC when the client's AV_PAIRs say one
// is present (MsvAvFlags bit 0x2).
func (c *Context) checkMIC(m *authenticateMsg, exported []byte) error {
	v, ok := findAV(m.nt[16+28:], avFlags)
	if !ok || len(v) != 4 || v[0]&avFlagMIC == 0 {
		return nil
	}
	if !m.hasMICField() {
		return fmt.Errorf("%w: MIC announced but absent", errNTLM)
	}
	zeroed := append([]byte(nil), m.raw...)
	clear(zeroed[authenticateMICOffset:authenticateMICEnd])
	want := hmacMD5(exported, c.negotiate, c.challenge, zeroed)
	if !hmac.Equal(want, m.raw[authenticateMICOffset:authenticateMICEnd]) {
		return errors.New("NTLMSSP MIC verification failed")
	}
	return nil
}

// SessionKey returns the 16-byte exported session key, or nil for guest and
// anonymous sessions and before authentication succeeded.
func (c *Context) SessionKey() []byte {
	if c.state != stateDone || c.sessionKey == nil {
		return nil
	}
	return append([]byte(nil), c.sessionKey...)
}

// User returns the authenticated user name as stored in the UserDB; for a
// guest logon of an unknown user, or after a failed logon, the name the
// client sent; "" for anonymous.
func (c *Context) User() string { return c.user }

// Domain returns the domain name the client sent in its AUTHENTICATE message.
func (c *Context) Domain() string { return c.domain }

// IsGuest reports whether the session is a guest or anonymous session.
func (c *Context) IsGuest() bool { return c.guest }

// IsAnonymous reports whether the client logged on anonymously (null session).
func (c *Context) IsAnonymous() bool { return c.anonymous }
