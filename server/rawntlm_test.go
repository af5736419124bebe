package server

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"strings"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/smb2"
)

// A minimal raw-NTLMSSP NTLMv2 logon for rawConn (no SPNEGO, no MIC, no
// key exchange), so tests can log on as a user and then send exactly the
// frames they want (unsigned ones included).

const rawNTLMFlags = 0x00000001 | 0x00000004 | 0x00000200 | 0x00080000 | 0x00800000 // unicode, request target, NTLM, ESS, target info

func rawHMAC(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// rawAuthenticate answers the CHALLENGE chal for user/pass.
func rawAuthenticate(chal []byte, user, pass string) []byte {
	msg, _ := rawAuthenticateKey(chal, user, pass)
	return msg
}

// rawAuthenticateKey is rawAuthenticate that also returns the session key
// (without key exchange, NTLMv2's session base key).
func rawAuthenticateKey(chal []byte, user, pass string) (msg, sessionKey []byte) {
	var serverCh [8]byte
	copy(serverCh[:], chal[24:32])
	tiLen, tiOff := int(le.Uint16(chal[40:])), int(le.Uint32(chal[44:]))
	ti := chal[tiOff : tiOff+tiLen]
	var ts []byte
	for p := ti; len(p) >= 4; {
		id, n := le.Uint16(p), int(le.Uint16(p[2:]))
		if id == 7 && n == 8 && len(p) >= 12 { // MsvAvTimestamp
			ts = p[4:12]
		}
		if id == 0 || len(p) < 4+n {
			break
		}
		p = p[4+n:]
	}
	if ts == nil {
		ts = make([]byte, 8)
	}
	cc := make([]byte, 8)
	rand.Read(cc)
	temp := append([]byte{1, 1, 0, 0, 0, 0, 0, 0}, ts...)
	temp = append(temp, cc...)
	temp = append(temp, 0, 0, 0, 0)
	temp = append(temp, ti...)
	temp = append(temp, 0, 0, 0, 0)
	h := auth.NTHash(pass)
	key := rawHMAC(h[:], smb2.AppendUTF16(nil, strings.ToUpper(user)))
	proof := rawHMAC(key, serverCh[:], temp)
	return rawAuthenticateNT(user, append(proof, temp...)), rawHMAC(key, proof)
}

// rawAuthenticateNT is an AUTHENTICATE for user carrying the NT response
// nt as it is (a zero LM response, workstation "WS").
func rawAuthenticateNT(user string, nt []byte) []byte {
	msg := rawNTLM(3, 88)
	le.PutUint32(msg[60:], rawNTLMFlags)
	for _, f := range []struct {
		at   int
		data []byte
	}{
		{12, make([]byte, 24)}, {20, nt}, {28, nil},
		{36, smb2.AppendUTF16(nil, user)}, {44, smb2.AppendUTF16(nil, "WS")},
	} {
		le.PutUint16(msg[f.at:], uint16(len(f.data)))
		le.PutUint16(msg[f.at+2:], uint16(len(f.data)))
		le.PutUint32(msg[f.at+4:], uint32(len(msg)))
		msg = append(msg, f.data...)
	}
	return msg
}

// userLogon runs a raw NTLMv2 SESSION_SETUP as user/pass and returns the
// final status; on success c.sid is the new session.
func (c *rawConn) userLogon(user, pass string) smb2.Status {
	c.t.Helper()
	return c.logonLegs(0, func(chal []byte) []byte { return rawAuthenticate(chal, user, pass) })
}

// logonLegs runs the two legs of a raw NTLMSSP SESSION_SETUP on session
// sid (0: a new session; else a re-authentication), answering the
// CHALLENGE with answer(challenge); on success c.sid is the session.
func (c *rawConn) logonLegs(sid uint64, answer func(chal []byte) []byte) smb2.Status {
	c.t.Helper()
	neg := rawNTLM(1, 32)
	le.PutUint32(neg[12:], rawNTLMFlags)
	r := c.call(smb2.SessionSetup, rawSessionSetup(neg), func(h *smb2.Header) { h.SessionID = sid })
	if r.hdr.Status != smb2.StatusMoreProcessingRequired {
		return r.hdr.Status
	}
	sid = r.hdr.SessionID
	off := int(le.Uint16(r.body[4:])) - smb2.HeaderSize
	n := int(le.Uint16(r.body[6:]))
	if off < 0 || off+n > len(r.body) || n < 48 {
		c.t.Fatalf("SESSION_SETUP 1: bad security buffer %d+%d", off, n)
	}
	chal := r.body[off : off+n]
	r = c.call(smb2.SessionSetup, rawSessionSetup(answer(chal)), func(h *smb2.Header) { h.SessionID = sid })
	if r.hdr.Status == smb2.StatusSuccess {
		c.sid = sid
	}
	return r.hdr.Status
}

// rawAnonAuthenticate is an anonymous AUTHENTICATE (no user, no responses).
func rawAnonAuthenticate([]byte) []byte {
	am := rawNTLM(3, 88)
	le.PutUint32(am[60:], 0x00000001|0x00000200|0x00000800)
	return am
}
