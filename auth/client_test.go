package auth

import (
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"testing"
	"time"
)

// A minimal NTLMv2 client (NEGOTIATE → CHALLENGE → AUTHENTICATE, optionally
// wrapped in SPNEGO) used to drive the server side in tests. Its knobs
// produce the misbehaving clients the server must refuse.

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// oidKerberos is 1.2.840.113554.1.2.2, offered before NTLMSSP by some clients.
var oidKerberos = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}

const testClientFlags = flagUnicode | flagRequestTarget | flagSign | flagSeal | flagNTLM |
	flagAlwaysSign | flagExtendedSec | flagTargetInfo | flagVersion | flag128 | flagKeyExch | flag56

type testClient struct {
	user, password, domain string
	proofDomain            *string // domain used in NTOWFv2 if not domain
	flags                  uint32  // NEGOTIATE flags; 0 means testClientFlags

	noMIC          bool // no MsvAvFlags / MIC in AUTHENTICATE
	badMIC         bool
	v1             bool // send a 24-byte NtChallengeResponse
	anonymous      bool // empty user, no responses
	noMechListMIC  bool
	badMechListMIC bool
	kerberosFirst  bool // list Kerberos first with a bogus optimistic token

	// state
	negotiate []byte
	mechList  []byte
	authFlags uint32
	exported  []byte
}

func (c *testClient) negotiateMsg() []byte {
	f := c.flags
	if f == 0 {
		f = testClientFlags
	}
	b := make([]byte, 40)
	copy(b, ntlmSignature)
	binary.LittleEndian.PutUint32(b[8:], ntlmNegotiateType)
	binary.LittleEndian.PutUint32(b[12:], f)
	copy(b[32:], []byte{6, 1, 0xb1, 0x1d, 0, 0, 0, 0x0f})
	c.negotiate = b
	return b
}

// buildTestChallenge returns a CHALLENGE produced by a real server context.
func buildTestChallenge(t testing.TB) []byte {
	t.Helper()
	ctx := (&Config{}).NewContext()
	out, _, err := ctx.Step((&testClient{}).negotiateMsg())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// authenticate builds the AUTHENTICATE answering chal.
func (c *testClient) authenticate(t testing.TB, chal []byte) []byte {
	t.Helper()
	if c.negotiate == nil {
		c.negotiateMsg()
	}
	le := binary.LittleEndian
	flags := le.Uint32(chal[20:24])
	c.authFlags = flags
	var serverCh [8]byte
	copy(serverCh[:], chal[24:32])
	tiLen, tiOff := int(le.Uint16(chal[40:])), int(le.Uint32(chal[44:]))
	ti := chal[tiOff : tiOff+tiLen]

	var lm, nt, encKey []byte
	if c.anonymous {
		lm = []byte{0}
	} else {
		var av []byte
		for p := ti; len(p) >= 4; {
			id, n := le.Uint16(p), int(le.Uint16(p[2:]))
			if id == avEOL {
				break
			}
			av = append(av, p[:4+n]...)
			p = p[4+n:]
		}
		if !c.noMIC {
			av = appendAV(av, avFlags, []byte{avFlagMIC, 0, 0, 0})
		}
		av = appendAV(av, avEOL, nil)
		ts, _ := findAV(ti, avTimestamp)
		temp := append([]byte{1, 1, 0, 0, 0, 0, 0, 0}, ts...)
		temp = append(temp, randBytes(8)...)
		temp = append(temp, 0, 0, 0, 0)
		temp = append(temp, av...)
		temp = append(temp, 0, 0, 0, 0)
		dom := c.domain
		if c.proofDomain != nil {
			dom = *c.proofDomain
		}
		key := ntowfv2(NTHash(c.password), c.user, dom)
		proof := hmacMD5(key, serverCh[:], temp)
		base := hmacMD5(key, proof)
		nt = append(proof, temp...)
		lm = make([]byte, 24)
		c.exported = base
		if flags&flagKeyExch != 0 {
			c.exported = randBytes(16)
			encKey = rc4Crypt(base, c.exported)
		}
		if c.v1 {
			nt = randBytes(24)
		}
	}

	msg := make([]byte, authenticateMICEnd)
	copy(msg, ntlmSignature)
	le.PutUint32(msg[8:], ntlmAuthenticateType)
	le.PutUint32(msg[60:], flags)
	copy(msg[64:], []byte{6, 1, 0xb1, 0x1d, 0, 0, 0, 0x0f})
	for _, f := range []struct {
		at   int
		data []byte
	}{
		{28, encodeString(c.domain, flags)},
		{36, encodeString(c.user, flags)},
		{44, encodeString("WS", flags)},
		{12, lm}, {20, nt}, {52, encKey},
	} {
		putSecBuf(msg[f.at:], len(f.data), len(msg))
		msg = append(msg, f.data...)
	}
	if !c.noMIC && !c.anonymous {
		mic := hmacMD5(c.exported, c.negotiate, chal, msg)
		if c.badMIC {
			mic[0] ^= 0xff
		}
		copy(msg[authenticateMICOffset:], mic)
	}
	return msg
}

// initToken returns the client's first SPNEGO token.
func (c *testClient) initToken() []byte {
	neg := c.negotiateMsg()
	mechs := tlv(tagOID, oidNTLMSSP)
	token := neg
	if c.kerberosFirst {
		mechs = append(tlv(tagOID, oidKerberos), mechs...)
		token = []byte("not an NTLMSSP token: kerberos AP-REQ")
	}
	c.mechList = tlv(tagSequence, mechs)
	init := tlv(tagSequence, tlv(ctx(0), c.mechList), tlv(ctx(2), tlv(tagOctetString, token)))
	return tlv(tagApplication0, tlv(tagOID, oidSPNEGO), tlv(tagNegTokenInit, init))
}

// clientMAC signs the mechList with the client's or the server's keys.
func (c *testClient) mechListMAC(signMagic, sealMagic string) []byte {
	h, _ := rc4.NewCipher(sealKey(c.exported, c.authFlags, sealMagic))
	return ntlmMAC(signKey(c.exported, signMagic), h, c.authFlags, 0, c.mechList)
}

// respToken answers the server's NegTokenResp carrying the CHALLENGE.
func (c *testClient) respToken(t testing.TB, serverOut []byte) []byte {
	t.Helper()
	resp, err := parseNegTokenResp(serverOut)
	if err != nil {
		t.Fatalf("server reply: %v", err)
	}
	if resp.negState != negAcceptIncomplete || len(resp.responseToken) == 0 {
		t.Fatalf("server reply: negState %d, token %d bytes", resp.negState, len(resp.responseToken))
	}
	auth := c.authenticate(t, resp.responseToken)
	var mic []byte
	if !c.noMechListMIC && !c.anonymous {
		mic = c.mechListMAC(signC2S, sealC2S)
		if c.badMechListMIC {
			mic[5] ^= 1
		}
	}
	return encodeNegTokenResp(-1, false, auth, mic)
}
