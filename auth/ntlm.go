package auth

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// NTLMSSP (MS-NLMP) messages and NTLMv2 key derivation.

// NTLMSSP negotiate flags (MS-NLMP 2.2.2.5).
const (
	flagUnicode        = 0x00000001
	flagOEM            = 0x00000002
	flagRequestTarget  = 0x00000004
	flagSign           = 0x00000010
	flagSeal           = 0x00000020
	flagLMKey          = 0x00000080
	flagNTLM           = 0x00000200
	flagAnonymous      = 0x00000800
	flagAlwaysSign     = 0x00008000
	flagTargetDomain   = 0x00010000
	flagTargetServer   = 0x00020000
	flagExtendedSec    = 0x00080000
	flagTargetInfo     = 0x00800000
	flagVersion        = 0x02000000
	flag128            = 0x20000000
	flagKeyExch        = 0x40000000
	flag56             = 0x80000000
	flagsEchoedIfAsked = flagSign | flagSeal | flagAlwaysSign | flagExtendedSec |
		flagVersion | flag128 | flagKeyExch | flag56
)

// AV_PAIR identifiers (MS-NLMP 2.2.2.1).
const (
	avEOL             = 0
	avNbComputerName  = 1
	avNbDomainName    = 2
	avDNSComputerName = 3
	avDNSDomainName   = 4
	avFlags           = 6
	avTimestamp       = 7
)

// avFlagMIC is the MsvAvFlags bit saying the AUTHENTICATE message has a MIC.
const avFlagMIC = 0x2

const (
	ntlmNegotiateType    = 1
	ntlmChallengeType    = 2
	ntlmAuthenticateType = 3

	challengeHeaderLen    = 56
	authenticateMinLen    = 64 // through NegotiateFlags
	authenticateMICOffset = 72 // after the optional Version field
	authenticateMICEnd    = authenticateMICOffset + 16

	// ntlmv2ClientChallengeMin is the fixed part of NTLMv2_CLIENT_CHALLENGE
	// (28 bytes) plus at least an MsvAvEOL pair.
	ntlmv2ClientChallengeMin = 28 + 4
	ntlmv1ResponseLen        = 24
)

var ntlmSignature = []byte("NTLMSSP\x00")

// serverVersion is the VERSION structure we send: Windows 10.0 build 20348,
// NTLMSSP revision 15.
var serverVersion = [8]byte{10, 0, 0x4c, 0x4f, 0, 0, 0, 0x0f}

var errNTLM = errors.New("auth: malformed NTLMSSP message")

// isNTLMSSP reports whether b starts like an NTLMSSP message.
func isNTLMSSP(b []byte) bool {
	return len(b) >= 12 && string(b[:8]) == string(ntlmSignature)
}

// ntlmMessageType returns the MessageType of an NTLMSSP message.
func ntlmMessageType(b []byte) (uint32, error) {
	if !isNTLMSSP(b) {
		return 0, fmt.Errorf("%w: bad signature", errNTLM)
	}
	return binary.LittleEndian.Uint32(b[8:12]), nil
}

// parseNegotiate returns the NegotiateFlags of a NEGOTIATE_MESSAGE.
func parseNegotiate(b []byte) (uint32, error) {
	typ, err := ntlmMessageType(b)
	if err != nil {
		return 0, err
	}
	if typ != ntlmNegotiateType {
		return 0, fmt.Errorf("%w: message type %d, want NEGOTIATE", errNTLM, typ)
	}
	if len(b) < 16 {
		return 0, fmt.Errorf("%w: NEGOTIATE too short (%d bytes)", errNTLM, len(b))
	}
	return binary.LittleEndian.Uint32(b[12:16]), nil
}

// challengeFlags chooses the CHALLENGE flags answering a client's NEGOTIATE.
func challengeFlags(client uint32) uint32 {
	f := uint32(flagNTLM | flagTargetInfo | flagTargetServer)
	switch {
	case client&flagUnicode != 0:
		f |= flagUnicode
	case client&flagOEM != 0:
		f |= flagOEM
	default:
		f |= flagUnicode
	}
	if client&flagRequestTarget != 0 {
		f |= flagRequestTarget
	}
	f |= client & flagsEchoedIfAsked
	return f
}

// encodeString encodes s as the negotiated character set requires.
func encodeString(s string, flags uint32) []byte {
	if flags&flagUnicode != 0 {
		return utf16le(s)
	}
	return []byte(s)
}

// utf16le encodes s as UTF-16LE without a terminator.
func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// decodeString decodes a UTF-16LE or OEM (treated as Latin-1) string field.
func decodeString(b []byte, unicode bool) (string, error) {
	if !unicode {
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	if len(b)%2 != 0 {
		return "", fmt.Errorf("%w: odd-length UTF-16 string", errNTLM)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// fileTime converts t to a Windows FILETIME (100ns ticks since 1601).
func fileTime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100) + 116444736000000000
}

// appendAV appends one AV_PAIR.
func appendAV(dst []byte, id uint16, v []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, id)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(v)))
	return append(dst, v...)
}

// targetInfo builds the CHALLENGE TargetInfo AV_PAIR list.
func (c *Config) targetInfo(now time.Time) []byte {
	dnsComputer := c.DNSName
	if dnsComputer == "" {
		dnsComputer = strings.ToLower(c.server())
	}
	dnsDomain := dnsComputer
	if i := strings.IndexByte(dnsComputer, '.'); i >= 0 && i+1 < len(dnsComputer) {
		dnsDomain = dnsComputer[i+1:]
	}
	var b []byte
	b = appendAV(b, avNbDomainName, utf16le(c.domain()))
	b = appendAV(b, avNbComputerName, utf16le(c.server()))
	b = appendAV(b, avDNSDomainName, utf16le(dnsDomain))
	b = appendAV(b, avDNSComputerName, utf16le(dnsComputer))
	b = appendAV(b, avTimestamp, binary.LittleEndian.AppendUint64(nil, fileTime(now)))
	return appendAV(b, avEOL, nil)
}

// buildChallenge encodes a CHALLENGE_MESSAGE.
func buildChallenge(flags uint32, challenge [8]byte, targetName, targetInfo []byte) []byte {
	b := make([]byte, challengeHeaderLen, challengeHeaderLen+len(targetName)+len(targetInfo))
	copy(b, ntlmSignature)
	le := binary.LittleEndian
	le.PutUint32(b[8:], ntlmChallengeType)
	putSecBuf(b[12:], len(targetName), len(b))
	b = append(b, targetName...)
	le.PutUint32(b[20:], flags)
	copy(b[24:32], challenge[:])
	putSecBuf(b[40:], len(targetInfo), len(b))
	b = append(b, targetInfo...)
	if flags&flagVersion != 0 {
		copy(b[48:56], serverVersion[:])
	}
	return b
}

// putSecBuf writes a (Len, MaxLen, Offset) field descriptor.
func putSecBuf(b []byte, n, off int) {
	binary.LittleEndian.PutUint16(b[0:], uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(off))
}

// authenticateMsg is a decoded AUTHENTICATE_MESSAGE. Byte fields alias raw.
type authenticateMsg struct {
	raw         []byte
	lm, nt      []byte
	encKey      []byte
	flags       uint32
	user        string
	domain      string
	workstation string
	minOffset   int // smallest offset of a non-empty payload field
}

// parseAuthenticate decodes an AUTHENTICATE_MESSAGE, checking every field
// descriptor against the message bounds.
func parseAuthenticate(b []byte) (*authenticateMsg, error) {
	typ, err := ntlmMessageType(b)
	if err != nil {
		return nil, err
	}
	if typ != ntlmAuthenticateType {
		return nil, fmt.Errorf("%w: message type %d, want AUTHENTICATE", errNTLM, typ)
	}
	if len(b) < authenticateMinLen {
		return nil, fmt.Errorf("%w: AUTHENTICATE too short (%d bytes)", errNTLM, len(b))
	}
	m := &authenticateMsg{raw: b, flags: binary.LittleEndian.Uint32(b[60:64]), minOffset: len(b)}
	field := func(at int) ([]byte, error) {
		n := int(binary.LittleEndian.Uint16(b[at:]))
		off := int(binary.LittleEndian.Uint32(b[at+4:]))
		if n == 0 {
			return nil, nil
		}
		if off < authenticateMinLen || off > len(b) || n > len(b)-off {
			return nil, fmt.Errorf("%w: field at %d out of bounds", errNTLM, at)
		}
		m.minOffset = min(m.minOffset, off)
		return b[off : off+n], nil
	}
	var dom, user, ws []byte
	for _, f := range []struct {
		at  int
		dst *[]byte
	}{{12, &m.lm}, {20, &m.nt}, {28, &dom}, {36, &user}, {44, &ws}, {52, &m.encKey}} {
		if *f.dst, err = field(f.at); err != nil {
			return nil, err
		}
	}
	uni := m.flags&flagUnicode != 0
	if m.user, err = decodeString(user, uni); err != nil {
		return nil, err
	}
	if m.domain, err = decodeString(dom, uni); err != nil {
		return nil, err
	}
	if m.workstation, err = decodeString(ws, uni); err != nil {
		return nil, err
	}
	return m, nil
}

// hasMICField reports whether the message has room for the MIC field, that
// is, no payload overlaps bytes 72..88.
func (m *authenticateMsg) hasMICField() bool {
	return len(m.raw) >= authenticateMICEnd && m.minOffset >= authenticateMICEnd
}

// checkNTLMv2Response checks the structure of an NTLMv2_RESPONSE (MS-NLMP
// 2.2.2.8): the 16-byte NTProofStr, the 28-byte fixed part of the
// NTLMv2_CLIENT_CHALLENGE and an AV pair list whose pairs fit and which
// ends with MsvAvEOL (bytes after it are padding and ignored).
func checkNTLMv2Response(nt []byte) error {
	if len(nt) < 16+ntlmv2ClientChallengeMin {
		return fmt.Errorf("NTLMv2 response of %d bytes", len(nt))
	}
	list := nt[16+28:]
	for len(list) >= 4 {
		id := binary.LittleEndian.Uint16(list)
		n := int(binary.LittleEndian.Uint16(list[2:]))
		if id == avEOL {
			return nil
		}
		if n > len(list)-4 {
			return fmt.Errorf("AV pair 0x%04x of %d bytes overruns the response", id, n)
		}
		list = list[4+n:]
	}
	return errors.New("AV pair list without MsvAvEOL")
}

// findAV returns the value of AV_PAIR id in list, stopping at MsvAvEOL.
func findAV(list []byte, id uint16) ([]byte, bool) {
	for len(list) >= 4 {
		aid := binary.LittleEndian.Uint16(list)
		n := int(binary.LittleEndian.Uint16(list[2:]))
		if aid == avEOL || n > len(list)-4 {
			return nil, false
		}
		if aid == id {
			return list[4 : 4+n], true
		}
		list = list[4+n:]
	}
	return nil, false
}

// hmacMD5 is HMAC_MD5(key, concatenation of parts).
func hmacMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// ntowfv2 is NTOWFv2 given the NT hash (MD4 of the password).
func ntowfv2(ntHash [16]byte, user, domain string) []byte {
	return hmacMD5(ntHash[:], utf16le(strings.ToUpper(user)+domain))
}

// rc4Crypt returns RC4(key, data) with a fresh key schedule.
func rc4Crypt(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil { // only for key lengths outside 1..256
		panic("auth: rc4: " + err.Error())
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// Magic constants of MS-NLMP 3.4.5.2 and 3.4.5.3 (NUL terminated).
const (
	signC2S = "session key to client-to-server signing key magic constant\x00"
	signS2C = "session key to server-to-client signing key magic constant\x00"
	sealC2S = "session key to client-to-server sealing key magic constant\x00"
	sealS2C = "session key to server-to-client sealing key magic constant\x00"
)

// signKey is SIGNKEY for extended session security.
func signKey(exported []byte, magic string) []byte {
	h := md5.Sum(append(append([]byte(nil), exported...), magic...))
	return h[:]
}

// sealKey is SEALKEY for extended session security.
func sealKey(exported []byte, flags uint32, magic string) []byte {
	k := exported
	switch {
	case flags&flag128 != 0:
	case flags&flag56 != 0:
		k = k[:7]
	default:
		k = k[:5]
	}
	h := md5.Sum(append(append([]byte(nil), k...), magic...))
	return h[:]
}

// ntlmMAC computes the NTLMSSP_MESSAGE_SIGNATURE of msg under extended
// session security (MS-NLMP 3.4.4.2). seal is the direction's RC4 handle,
// used for the checksum only when key exchange was negotiated.
func ntlmMAC(sign []byte, seal *rc4.Cipher, flags uint32, seq uint32, msg []byte) []byte {
	var s [4]byte
	binary.LittleEndian.PutUint32(s[:], seq)
	sum := hmacMD5(sign, s[:], msg)[:8]
	if flags&flagKeyExch != 0 && seal != nil {
		seal.XORKeyStream(sum, sum)
	}
	out := make([]byte, 16)
	binary.LittleEndian.PutUint32(out, 1)
	copy(out[4:12], sum)
	copy(out[12:], s[:])
	return out
}
