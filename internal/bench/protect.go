//go:build linux

package bench

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/smb2"
)

// Protection is how a case's session protects its messages: the dialect,
// and whether messages are signed (and with what) or sealed (and with
// which cipher).
type Protection uint8

// Protections, in report order. The zero value is an unsigned SMB 3.0.2
// session.
const (
	Unprotected Protection = iota // "unsigned": SMB 3.0.2, nothing
	SignCMAC                      // "signed": SMB 3.0.2, AES-128-CMAC signing
	SignGMAC                      // "gmac": SMB 3.1.1, AES-128-GMAC signing
	SealGCM128                    // "gcm128": SMB 3.1.1, AES-128-GCM encryption
	SealGCM256                    // "gcm256": SMB 3.1.1, AES-256-GCM encryption
	SMB1NT1                       // "nt1": SMB1 (NT LM 0.12), unsigned; READ_ANDX/WRITE_ANDX
)

// Protections lists every Protection in report order.
var Protections = []Protection{Unprotected, SignCMAC, SignGMAC, SealGCM128, SealGCM256, SMB1NT1}

var protNames = []string{"unsigned", "signed", "gmac", "gcm128", "gcm256", "nt1"}

// String returns the name used in case names ("unsigned", "signed",
// "gmac", "gcm128", "gcm256").
func (p Protection) String() string {
	if int(p) < len(protNames) {
		return protNames[p]
	}
	return fmt.Sprintf("Protection(%d)", uint8(p))
}

// Describe returns a human description, e.g. "SMB 3.1.1, AES-128-GCM sealed".
func (p Protection) Describe() string {
	switch p {
	case SMB1NT1:
		return "SMB1 (NT LM 0.12), unsigned"
	case SignCMAC:
		return "SMB 3.0.2, AES-128-CMAC signed"
	case SignGMAC:
		return "SMB 3.1.1, AES-128-GMAC signed"
	case SealGCM128, SealGCM256:
		return "SMB 3.1.1, " + p.Cipher().String() + " sealed"
	}
	return "SMB 3.0.2, unsigned"
}

// ParseProtection parses a name returned by String.
func ParseProtection(s string) (Protection, error) {
	if i := slices.Index(protNames, s); i >= 0 {
		return Protection(i), nil
	}
	return 0, fmt.Errorf("bench: unknown protection %q (want one of %v)", s, protNames)
}

// Dialect311 reports whether the protection runs on SMB 3.1.1.
func (p Protection) Dialect311() bool { return p >= SignGMAC && p <= SealGCM256 }

// Signed reports whether messages are signed (CMAC or GMAC).
func (p Protection) Signed() bool { return p == SignCMAC || p == SignGMAC }

// Sealed reports whether messages are encrypted.
func (p Protection) Sealed() bool { return p == SealGCM128 || p == SealGCM256 }

// Cipher is the cipher of a sealed protection (0 otherwise).
func (p Protection) Cipher() sign.Cipher {
	switch p {
	case SealGCM128:
		return sign.AES128GCM
	case SealGCM256:
		return sign.AES256GCM
	}
	return 0
}

// negotiateBody builds the NEGOTIATE request body: SMB 3.0.2/3.0, or for
// the 3.1.1 protections only 3.1.1 with the preauth integrity (SHA-512),
// signing (AES-128-GMAC) and, when sealing, encryption (exactly the one
// cipher) contexts, so the server cannot pick anything else.
func (c *Client) negotiateBody() []byte {
	le := binary.LittleEndian
	p := c.cfg.Prot
	caps := uint32(capLargeMTU)
	if p.Sealed() {
		caps |= uint32(smb2.CapEncryption)
	}
	b := make([]byte, 36, 256)
	le.PutUint16(b[0:], 36)
	le.PutUint16(b[4:], uint16(c.secMode()))
	le.PutUint32(b[8:], caps)
	rand.Read(b[12:28])
	if !p.Dialect311() {
		le.PutUint16(b[2:], 2)
		return le.AppendUint16(le.AppendUint16(b, 0x0302), 0x0300)
	}
	le.PutUint16(b[2:], 1)
	b = le.AppendUint16(b, smb2.Dialect311)
	for (hdrSize+len(b))%8 != 0 {
		b = append(b, 0)
	}
	le.PutUint32(b[28:], uint32(hdrSize+len(b)))
	salt := make([]byte, 32)
	rand.Read(salt)
	pre := smb2.PreauthIntegrityCaps{HashAlgorithms: []uint16{smb2.HashSHA512}, Salt: salt}
	b = smb2.AppendNegotiateContext(b, hdrSize, smb2.PreauthIntegrityCapabilities, pre.Append(nil))
	b = smb2.AppendNegotiateContext(b, hdrSize, smb2.SigningCapabilities, smb2.AppendSigningCaps(nil, uint16(sign.AESGMAC)))
	n := 2
	if p.Sealed() {
		b = smb2.AppendNegotiateContext(b, hdrSize, smb2.EncryptionCapabilities, smb2.AppendEncryptionCaps(nil, uint16(p.Cipher())))
		n++
	}
	le.PutUint16(b[32:], uint16(n))
	return b
}

// checkNegotiate checks that the server chose what the case reports and
// records the dialect, signing algorithm and cipher.
func (c *Client) checkNegotiate(r *smb2.NegotiateResponse) error {
	p := c.cfg.Prot
	c.Dialect = r.DialectRevision
	c.SigningAlg = sign.AESCMAC
	if !p.Dialect311() {
		if c.Dialect != 0x0302 && c.Dialect != 0x0300 {
			return fmt.Errorf("bench: server chose dialect %#x, offered 3.0.2 and 3.0", c.Dialect)
		}
		return nil
	}
	if c.Dialect != smb2.Dialect311 {
		return fmt.Errorf("bench: server chose dialect %#x, offered only 3.1.1", c.Dialect)
	}
	d, ok := r.Context(smb2.PreauthIntegrityCapabilities)
	if !ok {
		return fmt.Errorf("bench: 3.1.1 NEGOTIATE response without preauth integrity context")
	}
	pre, err := smb2.DecodePreauthIntegrityCaps(d)
	if err != nil || len(pre.HashAlgorithms) != 1 || pre.HashAlgorithms[0] != smb2.HashSHA512 {
		return fmt.Errorf("bench: preauth integrity context %x: want SHA-512 only", d)
	}
	if d, ok := r.Context(smb2.SigningCapabilities); ok {
		algs, err := smb2.DecodeSigningCaps(d)
		if err != nil || len(algs) != 1 {
			return fmt.Errorf("bench: signing capabilities context %x: want one algorithm", d)
		}
		c.SigningAlg = sign.Algorithm(algs[0])
	}
	if p == SignGMAC {
		if c.SigningAlg != sign.AESGMAC {
			return fmt.Errorf("bench: server chose signing %v, offered only AES-GMAC", c.SigningAlg)
		}
		if r.SecurityMode&smb2.NegotiateSigningRequired == 0 {
			return fmt.Errorf("bench: server does not require signing (the gmac rows compare servers that do)")
		}
	} else if c.SigningAlg != sign.AESGMAC && c.SigningAlg != sign.AESCMAC {
		return fmt.Errorf("bench: server chose signing %v, offered AES-GMAC", c.SigningAlg)
	}
	if p.Sealed() {
		d, ok := r.Context(smb2.EncryptionCapabilities)
		ids, err := smb2.DecodeEncryptionCaps(d)
		if !ok || err != nil || len(ids) != 1 {
			return fmt.Errorf("bench: encryption capabilities context %x: want one cipher", d)
		}
		if c.Cipher = sign.Cipher(ids[0]); c.Cipher != p.Cipher() {
			return fmt.Errorf("bench: server chose cipher %v, offered only %v", c.Cipher, p.Cipher())
		}
	}
	return nil
}

// setupKeys derives the session's keys once the logon succeeded (preauth
// is the session's final preauth hash, 3.1.1 only) and checks the final
// SESSION_SETUP response's signature with them.
func (c *Client) setupKeys(sessionKey []byte, preauth *sign.PreauthHash, final []byte) error {
	p := c.cfg.Prot
	if p == Unprotected {
		return nil
	}
	var ctx []byte
	if p.Dialect311() {
		ctx = preauth[:]
	}
	bits := 128
	if p == SealGCM256 {
		bits = 256
	}
	keys := sign.DeriveKeys(c.Dialect, sessionKey, ctx, bits)
	var err error
	if c.signer, err = sign.NewSigner(c.SigningAlg, keys.Signing); err != nil {
		return fmt.Errorf("bench: signer: %w", err)
	}
	flags := binary.LittleEndian.Uint32(final[16:])
	if flags&flagSigned == 0 && p.Dialect311() {
		return fmt.Errorf("bench: final SESSION_SETUP response not signed")
	}
	if flags&flagSigned != 0 && !c.signer.Verify(final) {
		return fmt.Errorf("bench: final SESSION_SETUP response: bad %v signature (wrong key or preauth hash)", c.SigningAlg)
	}
	if p.Sealed() {
		if c.sealer, err = sign.NewSealer(c.Cipher, keys.Decryption); err != nil { // client to server
			return fmt.Errorf("bench: sealer: %w", err)
		}
		if c.opener, err = sign.NewSealer(c.Cipher, keys.Encryption); err != nil { // server to client
			return fmt.Errorf("bench: sealer: %w", err)
		}
		c.signer = nil // sealed messages are not signed
	}
	return nil
}

// send writes one request frame (4-byte frame header, then the message),
// sealed or signed as the session requires when protect is set.
func (c *Client) send(frame []byte, protect bool) error {
	switch {
	case protect && c.sealer != nil:
		out := c.sealer.Seal(append(c.sealBuf[:0], 0, 0, 0, 0), c.sessionID, frame[4:])
		putFrame(out, len(out)-4)
		c.sealBuf = out
		frame = out
	case protect && c.signer != nil:
		c.signer.Sign(frame[4:])
	}
	if _, err := c.conn.Write(frame); err != nil {
		return fmt.Errorf("bench: send: %w", err)
	}
	return nil
}

// unprotect checks one received message (frame without its 4-byte frame
// header) against the session's protection and returns the plain SMB2
// message: a sealed session's responses must be transform frames of this
// session that authenticate (they are decrypted in place); a signed
// session's final responses must carry SMB2_FLAGS_SIGNED and a valid
// signature, except that data (READ) responses only need a non-zero
// signature unless ClientConfig.VerifyData is set.
func (c *Client) unprotect(frame []byte, protect, data bool) ([]byte, error) {
	le := binary.LittleEndian
	msg := frame
	if protect && c.opener != nil {
		if len(frame) < 4 || string(frame[:4]) != "\xfdSMB" {
			return nil, fmt.Errorf("bench: unsealed response on a sealed session")
		}
		plain, sid, err := c.opener.OpenInPlace(frame)
		if err != nil {
			return nil, fmt.Errorf("bench: sealed response: %w", err)
		}
		if sid != c.sessionID {
			return nil, fmt.Errorf("bench: sealed response for session %#x, not %#x", sid, c.sessionID)
		}
		msg = plain
	}
	if len(msg) < hdrSize || string(msg[:4]) != "\xfeSMB" {
		return nil, fmt.Errorf("bench: not an SMB2 message (%x)", msg[:min(len(msg), 4)])
	}
	if !protect || c.signer == nil || c.opener != nil {
		return msg, nil
	}
	flags := le.Uint32(msg[16:])
	if le.Uint32(msg[8:]) == statusPending && flags&flagAsync != 0 && flags&flagSigned == 0 {
		return msg, nil // an interim response need not be signed
	}
	if flags&flagSigned == 0 {
		return nil, fmt.Errorf("bench: unsigned response on a signed session (command %#x)", le.Uint16(msg[12:]))
	}
	if data && !c.cfg.VerifyData {
		var zero [16]byte
		if string(msg[48:64]) == string(zero[:]) {
			return nil, fmt.Errorf("bench: signed response with an all-zero signature")
		}
		return msg, nil
	}
	if !c.signer.Verify(msg) {
		return nil, fmt.Errorf("bench: bad %v signature on a response (command %#x)", c.SigningAlg, le.Uint16(msg[12:]))
	}
	return msg, nil
}
