package server

import (
	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/smb2"
)

// encryptionSupported gates SMB 3.x encryption negotiation.
const encryptionSupported = true

// transformInfo marks a frame that arrived encrypted; its responses are
// encrypted for the same session. sealer is taken when the request
// arrives: a LOGOFF drops the session before its own response is sealed
// (MS-SMB2 3.3.4.1.4 still wants that response encrypted).
type transformInfo struct {
	sessionID uint64
	sealer    *sign.Sealer
}

// setupEncryption prepares a freshly authenticated session for encrypted
// traffic if a cipher was negotiated.
func (c *conn) setupEncryption(s *session) {
	if c.cipher == 0 || len(s.keys.Encryption) == 0 {
		return
	}
	enc, err1 := sign.NewSealer(c.cipher, s.keys.Encryption)
	dec, err2 := sign.NewSealer(c.cipher, s.keys.Decryption)
	if err1 != nil || err2 != nil {
		c.log.Warn("encryption setup failed; session stays unencrypted", "err1", err1, "err2", err2)
		return
	}
	s.sealer = enc
	s.opener = dec
	s.encryptData = c.srv.cfg.Encrypt != EncryptOff
}

// checkEncryption refuses plaintext requests on sessions that must encrypt.
func (c *conn) checkEncryption(r *request) smb2.Status {
	if r.sess.encryptData && !r.encrypted {
		c.log.Warn("unencrypted request on an encrypted session", "command", r.hdr.Command.String())
		return smb2.StatusAccessDenied
	}
	return smb2.StatusSuccess
}

// handleTransform decrypts an encrypted frame and handles what it holds.
func (c *conn) handleTransform(buf []byte) error {
	sid, err := sign.SessionID(buf)
	if err != nil || len(buf) < sign.TransformHeaderSize+smb2.HeaderSize {
		c.log.Warn("short transform frame; closing")
		return errCloseConn
	}
	s := c.lookupSession(sid)
	if s == nil || s.opener == nil {
		c.log.Warn("encrypted frame for unknown session; closing", "session", sid)
		return errCloseConn
	}
	// Decrypted over the frame's own buffer: no second copy of a large
	// encrypted frame, and request memory (MaxRequestMemory) stays what
	// the frame reserved.
	plain, _, err := s.opener.OpenInPlace(buf)
	if err != nil {
		c.log.Warn("decryption failed; closing", "session", sid, "err", err)
		return errCloseConn
	}
	s.seen.markEncrypted()
	if len(plain) < smb2.HeaderSize || smb2.ProtocolID(plain) != smb2.ProtocolSMB2 {
		c.log.Warn("decrypted frame is not SMB2; closing")
		return errCloseConn
	}
	return c.handleCompound(plain, nil, &transformInfo{sessionID: sid, sealer: s.sealer})
}

// writeEncrypted seals msgs (one or more SMB2 messages) for the session in
// tr and writes the frame.
func (c *conn) writeEncrypted(tr *transformInfo, msgs []byte) error {
	sealer := tr.sealer
	if sealer == nil {
		if s := c.lookupSession(tr.sessionID); s != nil {
			sealer = s.sealer
		}
	}
	if sealer == nil {
		return errCloseConn
	}
	frame := make([]byte, 4, 4+sign.TransformHeaderSize+len(msgs)+16)
	frame = sealer.Seal(frame, tr.sessionID, msgs)
	smb2.PutFrameHeader(frame, len(frame)-4)
	return c.writeFrame(frame)
}
