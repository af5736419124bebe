//go:build linux

package bench

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/zerosmb/zerosmb/auth"
)

// A minimal NTLMv2 initiator (MS-NLMP 3.1.5) wrapped in SPNEGO (RFC 4178).
// It sends no MIC, so neither side needs a mechListMIC.

const (
	ntlmUnicode     = 0x00000001
	ntlmRequestTgt  = 0x00000004
	ntlmSign        = 0x00000010
	ntlmNTLM        = 0x00000200
	ntlmAlwaysSign  = 0x00008000
	ntlmExtendedSec = 0x00080000
	ntlmTargetInfo  = 0x00800000
	ntlmVersion     = 0x02000000
	ntlm128         = 0x20000000
	ntlmKeyExch     = 0x40000000
	ntlm56          = 0x80000000

	ntlmClientFlags = ntlmUnicode | ntlmRequestTgt | ntlmSign | ntlmNTLM | ntlmAlwaysSign |
		ntlmExtendedSec | ntlmTargetInfo | ntlmVersion | ntlm128 | ntlmKeyExch | ntlm56

	avEOL       = 0
	avTimestamp = 7
)

var ntlmSig = []byte("NTLMSSP\x00")

var errNTLM = errors.New("bench: bad NTLMSSP challenge")

// ntlmClient holds the state of one NTLMv2 logon.
type ntlmClient struct {
	user, password, domain string
	sessionKey             []byte // exported session key after authenticate
}

func (c *ntlmClient) negotiate() []byte {
	b := make([]byte, 40)
	copy(b, ntlmSig)
	binary.LittleEndian.PutUint32(b[8:], 1)
	binary.LittleEndian.PutUint32(b[12:], ntlmClientFlags)
	copy(b[32:], []byte{10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f})
	return b
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, v := range u {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return b
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// authenticate answers the server's CHALLENGE message.
func (c *ntlmClient) authenticate(chal []byte) ([]byte, error) {
	le := binary.LittleEndian
	if len(chal) < 48 || string(chal[:8]) != string(ntlmSig) || le.Uint32(chal[8:]) != 2 {
		return nil, errNTLM
	}
	flags := le.Uint32(chal[20:])
	serverCh := chal[24:32]
	tiLen, tiOff := int(le.Uint16(chal[40:])), int(le.Uint32(chal[44:]))
	if tiOff+tiLen > len(chal) {
		return nil, errNTLM
	}
	ti := chal[tiOff : tiOff+tiLen]
	var ts []byte
	for p := ti; len(p) >= 4; {
		id, n := le.Uint16(p), int(le.Uint16(p[2:]))
		if id == avEOL || 4+n > len(p) {
			break
		}
		if id == avTimestamp && n == 8 {
			ts = p[4:12]
		}
		p = p[4+n:]
	}
	if ts == nil {
		ts = make([]byte, 8)
		le.PutUint64(ts, uint64(time.Now().UnixNano()/100+116444736000000000))
	}
	cc := make([]byte, 8)
	rand.Read(cc)
	temp := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	temp = append(temp, ts...)
	temp = append(temp, cc...)
	temp = append(temp, 0, 0, 0, 0)
	temp = append(temp, ti...)
	temp = append(temp, 0, 0, 0, 0)
	nth := auth.NTHash(c.password)
	key := hmacMD5(nth[:], utf16le(strings.ToUpper(c.user)+c.domain))
	proof := hmacMD5(key, serverCh, temp)
	base := hmacMD5(key, proof)
	nt := append(proof, temp...)
	lm := make([]byte, 24)
	c.sessionKey = base
	var encKey []byte
	if flags&ntlmKeyExch != 0 {
		c.sessionKey = make([]byte, 16)
		rand.Read(c.sessionKey)
		r, err := rc4.NewCipher(base)
		if err != nil {
			return nil, fmt.Errorf("bench: rc4: %w", err)
		}
		encKey = make([]byte, 16)
		r.XORKeyStream(encKey, c.sessionKey)
	}
	const fixed = 72
	msg := make([]byte, fixed, fixed+len(nt)+128)
	copy(msg, ntlmSig)
	le.PutUint32(msg[8:], 3)
	le.PutUint32(msg[60:], flags&^ntlmVersion|ntlmVersion)
	copy(msg[64:], []byte{10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f})
	for _, f := range []struct {
		at   int
		data []byte
	}{
		{12, lm}, {20, nt}, {28, utf16le(c.domain)}, {36, utf16le(c.user)},
		{44, utf16le("BENCH")}, {52, encKey},
	} {
		le.PutUint16(msg[f.at:], uint16(len(f.data)))
		le.PutUint16(msg[f.at+2:], uint16(len(f.data)))
		le.PutUint32(msg[f.at+4:], uint32(len(msg)))
		msg = append(msg, f.data...)
	}
	return msg, nil
}

// DER helpers for the two SPNEGO tokens the client sends.

func derLen(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	case n < 0x10000:
		return []byte{0x82, byte(n >> 8), byte(n)}
	default:
		return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	}
}

func tlv(tag byte, parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	out := append([]byte{tag}, derLen(len(body))...)
	return append(out, body...)
}

var (
	oidSPNEGO  = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	oidNTLMSSP = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}
)

// spnegoInit wraps an NTLMSSP NEGOTIATE in a NegTokenInit.
func spnegoInit(tok []byte) []byte {
	mechs := tlv(0x30, tlv(0x06, oidNTLMSSP))
	init := tlv(0x30, tlv(0xa0, mechs), tlv(0xa2, tlv(0x04, tok)))
	return tlv(0x60, tlv(0x06, oidSPNEGO), tlv(0xa0, init))
}

// spnegoResp wraps an NTLMSSP AUTHENTICATE in a NegTokenResp.
func spnegoResp(tok []byte) []byte {
	return tlv(0xa1, tlv(0x30, tlv(0xa2, tlv(0x04, tok))))
}

// derNext splits one TLV off b.
func derNext(b []byte) (tag byte, body, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errNTLM
	}
	tag, n, hdr := b[0], int(b[1]), 2
	if n >= 0x80 {
		k := n & 0x7f
		if k == 0 || k > 3 || len(b) < 2+k {
			return 0, nil, nil, errNTLM
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		hdr += k
	}
	if len(b)-hdr < n {
		return 0, nil, nil, errNTLM
	}
	return tag, b[hdr : hdr+n], b[hdr+n:], nil
}

// spnegoToken extracts the responseToken of a NegTokenResp; a raw NTLMSSP
// message is returned as is.
func spnegoToken(b []byte) ([]byte, error) {
	if len(b) >= 8 && string(b[:8]) == string(ntlmSig) {
		return b, nil
	}
	tag, body, _, err := derNext(b)
	if err != nil || tag != 0xa1 {
		return nil, fmt.Errorf("bench: SPNEGO: not a NegTokenResp")
	}
	tag, seq, _, err := derNext(body)
	if err != nil || tag != 0x30 {
		return nil, fmt.Errorf("bench: SPNEGO: bad sequence")
	}
	for len(seq) > 0 {
		var el []byte
		tag, el, seq, err = derNext(seq)
		if err != nil {
			return nil, err
		}
		if tag == 0xa2 {
			tag, tok, _, err := derNext(el)
			if err != nil || tag != 0x04 {
				return nil, fmt.Errorf("bench: SPNEGO: bad responseToken")
			}
			return tok, nil
		}
	}
	return nil, fmt.Errorf("bench: SPNEGO: no responseToken")
}
