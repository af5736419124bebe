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
	// Decrypted over the frame's own buffer, where it lies: no second
	// copy of a large encrypted frame, and request memory
	// (MaxRequestMemory) stays what the frame reserved. The tag goes into
	// the buffer's spare capacity, which handleFrame's callers own.
	plain, _, err := s.opener.OpenInPlaceSpare(buf)
	if err != nil {
		c.log.Warn("decryption failed; closing", "session", sid, "err", err)
		return errCloseConn
	}
	s.seen.markEncrypted()
	if len(plain) < smb2.HeaderSize || smb2.ProtocolID(plain) != smb2.ProtocolSMB2 {
		c.log.Warn("decrypted frame is not SMB2; closing")
		return errCloseConn
	}
	tr := transformInfo{sessionID: sid, sealer: s.sealer}
	return c.handleCompound(plain, nil, &tr)
}

// sealFrame encrypts the frame b.buf holds in place: the 4-byte frame
// header, room for the transform header (reserved by init), then the
// messages. The frame header is set; the frame is ready to write.
func (b *frameBuilder) sealFrame() error {
	sealer := b.trv.sealer
	if sealer == nil {
		if s := b.c.lookupSession(b.trv.sessionID); s != nil {
			sealer = s.sealer
		}
	}
	if sealer == nil {
		return errCloseConn
	}
	b.reserve(sealTagRoom)
	sealer.SealInPlace(b.buf[4:], b.trv.sessionID)
	smb2.PutFrameHeader(b.buf, len(b.buf)-4)
	return nil
}

// sealTagRoom is the spare capacity SealInPlace needs after the message
// for the AEAD tag before it moves into the transform header.
const sealTagRoom = 16
