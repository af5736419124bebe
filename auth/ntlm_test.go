package auth

import (
	"bytes"
	"crypto/rc4"
	"encoding/hex"
	"testing"
)

// MS-NLMP 4.2.1 common values and 4.2.4 NTLMv2 results.
var (
	tvUser             = "User"
	tvDomain           = "Domain"
	tvPassword         = "Password"
	tvServerCh         = [8]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	tvClientCh         = bytes.Repeat([]byte{0xaa}, 8)
	tvRandomKey        = bytes.Repeat([]byte{0x55}, 16)
	tvFlags     uint32 = 0xe28a8233 // 4.2.4 NegotiateFlags
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tvTemp is the 4.2.4.1.3 "temp": NTLMv2_CLIENT_CHALLENGE with time 0 and
// AV pairs MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server".
func tvTemp() []byte {
	var av []byte
	av = appendAV(av, avNbDomainName, utf16le("Domain"))
	av = appendAV(av, avNbComputerName, utf16le("Server"))
	av = appendAV(av, avEOL, nil)
	temp := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	temp = append(temp, make([]byte, 8)...) // timestamp 0
	temp = append(temp, tvClientCh...)
	temp = append(temp, 0, 0, 0, 0)
	temp = append(temp, av...)
	return append(temp, 0, 0, 0, 0)
}

func TestNTLMv2Vectors(t *testing.T) {
	nt := NTHash(tvPassword)
	if got, want := hex.EncodeToString(nt[:]), "a4f49c406510bdcab6824ee7c30fd852"; got != want {
		t.Fatalf("NTOWFv1 = %s, want %s", got, want)
	}
	key := ntowfv2(nt, tvUser, tvDomain)
	if got, want := hex.EncodeToString(key), "0c868a403bfd7a93a3001ef22ef02e3f"; got != want {
		t.Fatalf("NTOWFv2 = %s, want %s", got, want)
	}
	temp := tvTemp()
	proof := hmacMD5(key, tvServerCh[:], temp)
	if got, want := hex.EncodeToString(proof), "68cd0ab851e51c96aabc927bebef6a1c"; got != want {
		t.Fatalf("NTProofStr = %s, want %s", got, want)
	}
	base := hmacMD5(key, proof)
	if got, want := hex.EncodeToString(base), "8de40ccadbc14a82f15cb0ad0de95ca3"; got != want {
		t.Fatalf("SessionBaseKey = %s, want %s", got, want)
	}
	enc := rc4Crypt(base, tvRandomKey)
	if got, want := hex.EncodeToString(enc), "c5dad2544fc9799094ce1ce90bc9d03e"; got != want {
		t.Fatalf("EncryptedRandomSessionKey = %s, want %s", got, want)
	}
	if got := rc4Crypt(base, enc); !bytes.Equal(got, tvRandomKey) {
		t.Fatalf("key exchange does not round-trip")
	}

	// verifyNTLMv2 on the same inputs, including the domain fallbacks.
	m := &authenticateMsg{user: tvUser, domain: tvDomain, nt: append(proof, temp...)}
	if got, ok := verifyNTLMv2(nt, m, tvServerCh); !ok || !bytes.Equal(got, base) {
		t.Fatalf("verifyNTLMv2 = %x, %v", got, ok)
	}
	m.domain = "OTHER"
	if _, ok := verifyNTLMv2(nt, m, tvServerCh); ok {
		t.Fatal("verifyNTLMv2 accepted a response computed for another domain")
	}
	m.user, m.domain = "USER", tvDomain // user name is upper-cased
	if _, ok := verifyNTLMv2(nt, m, tvServerCh); !ok {
		t.Fatal("verifyNTLMv2 is case-sensitive in the user name")
	}
	m.nt[20] ^= 1
	if _, ok := verifyNTLMv2(nt, m, tvServerCh); ok {
		t.Fatal("verifyNTLMv2 accepted a tampered client challenge")
	}
}

// TestNTLMSealVectors checks key derivation and the message signature with
// the MS-NLMP 4.2.4.3/4.2.4.4 values (exported key 0x55.., "Plaintext").
func TestNTLMSealVectors(t *testing.T) {
	sign := signKey(tvRandomKey, signC2S)
	if got, want := hex.EncodeToString(sign), "4788dc861b4782f35d43fd98fe1a2d39"; got != want {
		t.Fatalf("client SignKey = %s, want %s", got, want)
	}
	seal := sealKey(tvRandomKey, tvFlags, sealC2S)
	if got, want := hex.EncodeToString(seal), "59f600973cc4960a25480a7c196e4c58"; got != want {
		t.Fatalf("client SealKey = %s, want %s", got, want)
	}
	h, err := rc4.NewCipher(seal)
	if err != nil {
		t.Fatal(err)
	}
	plain := utf16le("Plaintext")
	sealed := make([]byte, len(plain))
	h.XORKeyStream(sealed, plain)
	if got, want := hex.EncodeToString(sealed), "54e50165bf1936dc996020c1811b0f06fb5f"; got != want {
		t.Fatalf("sealed = %s, want %s", got, want)
	}
	sig := ntlmMAC(sign, h, tvFlags, 0, plain)
	if got, want := hex.EncodeToString(sig), "010000007fb38ec5c55d497600000000"; got != want {
		t.Fatalf("signature = %s, want %s", got, want)
	}
}

func TestSealKeyStrength(t *testing.T) {
	k := bytes.Repeat([]byte{0x55}, 16)
	k128 := sealKey(k, flag128, sealS2C)
	k56 := sealKey(k, flag56, sealS2C)
	k40 := sealKey(k, 0, sealS2C)
	if bytes.Equal(k128, k56) || bytes.Equal(k56, k40) || bytes.Equal(k128, k40) {
		t.Fatal("seal keys for 128/56/40 bits must differ")
	}
	if bytes.Equal(sealKey(k, flag128, sealC2S), k128) {
		t.Fatal("seal keys for both directions must differ")
	}
}

func TestChallengeFlags(t *testing.T) {
	tests := []struct {
		name        string
		client      uint32
		must, never uint32
	}{
		{"smbclient-like", 0xe20882b7, flagUnicode | flagNTLM | flagTargetInfo | flagKeyExch | flagSign | flagSeal | flag128 | flag56 | flagVersion | flagExtendedSec | flagRequestTarget | flagAlwaysSign, flagOEM | flagLMKey},
		{"minimal", flagUnicode | flagNTLM, flagUnicode | flagNTLM | flagTargetInfo, flagKeyExch | flagSign | flagVersion | flagRequestTarget},
		{"oem only", flagOEM | flagNTLM, flagOEM, flagUnicode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := challengeFlags(tt.client)
			if got&tt.must != tt.must {
				t.Errorf("flags %#x lack %#x", got, tt.must&^got)
			}
			if got&tt.never != 0 {
				t.Errorf("flags %#x have %#x", got, got&tt.never)
			}
		})
	}
}

func TestBuildChallengeLayout(t *testing.T) {
	cfg := &Config{Domain: "DOM", Server: "SRV", DNSName: "srv.example.org"}
	ch := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	ti := cfg.targetInfo(testNow)
	msg := buildChallenge(flagUnicode|flagVersion|flagTargetInfo, ch, utf16le("SRV"), ti)
	if typ, err := ntlmMessageType(msg); err != nil || typ != ntlmChallengeType {
		t.Fatalf("type %d, %v", typ, err)
	}
	if !bytes.Equal(msg[24:32], ch[:]) {
		t.Errorf("server challenge %x", msg[24:32])
	}
	if !bytes.Equal(msg[48:56], serverVersion[:]) {
		t.Errorf("version %x", msg[48:56])
	}
	tiOff := int(msg[44]) | int(msg[45])<<8
	tiLen := int(msg[40]) | int(msg[41])<<8
	gotTI := msg[tiOff : tiOff+tiLen]
	for _, c := range []struct {
		id   uint16
		want []byte
	}{
		{avNbDomainName, utf16le("DOM")},
		{avNbComputerName, utf16le("SRV")},
		{avDNSComputerName, utf16le("srv.example.org")},
		{avDNSDomainName, utf16le("example.org")},
	} {
		if v, ok := findAV(gotTI, c.id); !ok || !bytes.Equal(v, c.want) {
			t.Errorf("AV %d = %q, %v", c.id, v, ok)
		}
	}
	if v, ok := findAV(gotTI, avTimestamp); !ok || len(v) != 8 {
		t.Errorf("timestamp AV = %x, %v", v, ok)
	}
}

func TestParseAuthenticateBounds(t *testing.T) {
	good := (&testClient{user: "u", password: "p"}).authenticate(t, buildTestChallenge(t))
	if _, err := parseAuthenticate(good); err != nil {
		t.Fatalf("valid message: %v", err)
	}
	bad := append([]byte(nil), good...)
	bad[24] = 0xff // NtChallengeResponse offset far past the end
	bad[25] = 0xff
	if _, err := parseAuthenticate(bad); err == nil {
		t.Fatal("out-of-bounds field accepted")
	}
	if _, err := parseAuthenticate(good[:40]); err == nil {
		t.Fatal("truncated message accepted")
	}
	neg := append([]byte(nil), good...)
	neg[8] = ntlmNegotiateType
	if _, err := parseAuthenticate(neg); err == nil {
		t.Fatal("wrong message type accepted")
	}
}
