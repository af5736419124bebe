package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
)

// SMB dialect revisions that change how keys are derived.
const (
	dialect300 = 0x0300
	dialect311 = 0x0311
)

// KDF labels and contexts (MS-SMB2 3.1.4.2). Each includes its terminating
// NUL, which is part of the value the spec feeds to the KDF.
var (
	label30Sign = []byte("SMB2AESCMAC\x00")
	ctx30Sign   = []byte("SmbSign\x00")
	label30Enc  = []byte("SMB2AESCCM\x00")
	ctx30Out    = []byte("ServerOut\x00")
	ctx30In     = []byte("ServerIn \x00")
	label30App  = []byte("SMB2APP\x00")
	ctx30App    = []byte("SmbRpc\x00")

	label311Sign = []byte("SMBSigningKey\x00")
	label311S2C  = []byte("SMBS2CCipherKey\x00")
	label311C2S  = []byte("SMBC2SCipherKey\x00")
	label311App  = []byte("SMBAppKey\x00")
)

// KDF is the NIST SP 800-108 key derivation function in counter mode with
// HMAC-SHA256 as the PRF, as SMB 3.x uses it: each PRF input is a 32-bit
// big-endian counter (starting at 1), label, a 0x00 separator, context and
// the 32-bit big-endian output length in bits. bits is 128 or 256 in SMB;
// any positive multiple of 8 works. label and context are used as given, so
// the SMB labels must carry their terminating NUL.
func KDF(key, label, context []byte, bits int) []byte {
	if bits <= 0 || bits%8 != 0 {
		panic("sign: KDF output length must be a positive multiple of 8 bits")
	}
	out := make([]byte, 0, (bits/8+sha256.Size-1)/sha256.Size*sha256.Size)
	mac := hmac.New(sha256.New, key)
	var word [4]byte
	for i := uint32(1); len(out) < bits/8; i++ {
		mac.Reset()
		binary.BigEndian.PutUint32(word[:], i)
		mac.Write(word[:])
		mac.Write(label)
		mac.Write([]byte{0})
		mac.Write(context)
		binary.BigEndian.PutUint32(word[:], uint32(bits))
		mac.Write(word[:])
		out = mac.Sum(out)
	}
	return out[:bits/8]
}

// Keys holds the keys derived for one session (or one channel, for the
// signing key of a bound session). Directions are from the server's point of
// view.
type Keys struct {
	// Signing signs and verifies messages in both directions.
	Signing []byte
	// Encryption encrypts server-to-client messages.
	Encryption []byte
	// Decryption decrypts client-to-server messages.
	Decryption []byte
	// Application is exported to callers such as named-pipe RPC.
	Application []byte
}

// DeriveKeys derives the session keys for dialect (0x0202 through 0x0311).
//
// For 2.0.2 and 2.1 only Signing is set and it equals the session key
// (HMAC-SHA256 signing uses it directly). For 3.0 and 3.0.2 the keys come
// from the fixed labels and contexts of MS-SMB2 3.3.5.5.3; for 3.1.1 the
// context is preauthHash, the final 64-byte preauth integrity hash value of
// the session.
//
// As in MS-SMB2, the signing and application keys (always 128 bits) are
// derived from the first 16 bytes of sessionKey. cipherBits is 128 or 256:
// with 256 (AES-256-CCM/GCM) the encryption and decryption keys are 32 bytes
// and are derived from the full session key.
func DeriveKeys(dialect uint16, sessionKey []byte, preauthHash []byte, cipherBits int) Keys {
	key := sessionKey
	if len(key) > 16 {
		key = key[:16]
	}
	if dialect < dialect300 {
		return Keys{Signing: append([]byte(nil), key...)}
	}
	encKey := key
	if cipherBits == 256 {
		encKey = sessionKey
	} else {
		cipherBits = 128
	}
	if dialect < dialect311 {
		return Keys{
			Signing:     KDF(key, label30Sign, ctx30Sign, 128),
			Encryption:  KDF(encKey, label30Enc, ctx30Out, cipherBits),
			Decryption:  KDF(encKey, label30Enc, ctx30In, cipherBits),
			Application: KDF(key, label30App, ctx30App, 128),
		}
	}
	return Keys{
		Signing:     KDF(key, label311Sign, preauthHash, 128),
		Encryption:  KDF(encKey, label311S2C, preauthHash, cipherBits),
		Decryption:  KDF(encKey, label311C2S, preauthHash, cipherBits),
		Application: KDF(key, label311App, preauthHash, 128),
	}
}

// PreauthHash is an SMB 3.1.1 preauth integrity hash value (SHA-512). The
// zero value is the initial value for a connection; a session starts from a
// copy of the connection's value after NEGOTIATE.
type PreauthHash [sha512.Size]byte

// Update chains msg (a whole SMB2 message, header included) into the hash:
// h = SHA-512(h || msg).
func (h *PreauthHash) Update(msg []byte) {
	d := sha512.New()
	d.Write(h[:])
	d.Write(msg)
	d.Sum(h[:0])
}
