// Package sign holds the SMB2/SMB3 cryptography: the SMB 3.x key derivation
// function and session key schedule, message signing and verification
// (HMAC-SHA256, AES-128-CMAC, AES-128-GMAC), the SMB 3.1.1 preauth integrity
// hash, and SMB 3.x encryption with the transform header (AES-CCM and
// AES-GCM, 128 and 256 bit).
//
// AES-CMAC and AES-CCM are implemented here on top of crypto/aes; GCM and
// GMAC come from crypto/cipher.
//
// The package works on byte slices only. It knows nothing of connections,
// sessions, channels or which key applies to which message: callers choose
// the key and the algorithm and hand in whole messages.
package sign

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"
)

// Algorithm identifies a signing algorithm. The values are the
// SigningAlgorithms ids of the SMB2_SIGNING_CAPABILITIES negotiate context
// (MS-SMB2 2.2.3.1.7).
type Algorithm uint16

// Signing algorithms.
const (
	// HMACSHA256 is used by dialects 2.0.2 and 2.1.
	HMACSHA256 Algorithm = 0x0000
	// AESCMAC is AES-128-CMAC, the default for the 3.x dialects.
	AESCMAC Algorithm = 0x0001
	// AESGMAC is AES-128-GMAC, negotiable in 3.1.1.
	AESGMAC Algorithm = 0x0002
)

// String returns the MS-SMB2 name of the algorithm.
func (a Algorithm) String() string {
	switch a {
	case HMACSHA256:
		return "HMAC-SHA256"
	case AESCMAC:
		return "AES-CMAC"
	case AESGMAC:
		return "AES-GMAC"
	}
	return fmt.Sprintf("Algorithm(%#04x)", uint16(a))
}

// SMB2 header layout needed for signing.
const (
	headerSize   = 64
	offFlags     = 16
	offCommand   = 12
	offMessageID = 24
	offSignature = 48
	sigSize      = 16

	flagServerToRedir = 0x00000001
	flagSigned        = 0x00000008
	commandCancel     = 0x000C
)

// Signer signs and verifies SMB2 messages with one key. A Signer is safe for
// concurrent use by multiple goroutines.
type Signer struct {
	alg   Algorithm
	hmacs sync.Pool // of hash.Hash, HMAC-SHA256 keyed with the signing key
	cmac  *cmac
	gmac  cipher.AEAD
}

// NewSigner returns a Signer for alg. AESCMAC and AESGMAC need a 16-byte key;
// HMACSHA256 accepts any key (SMB uses the 16-byte session key).
func NewSigner(alg Algorithm, key []byte) (*Signer, error) {
	s := &Signer{alg: alg}
	switch alg {
	case HMACSHA256:
		k := append([]byte(nil), key...)
		s.hmacs.New = func() any { return hmac.New(sha256.New, k) }
	case AESCMAC, AESGMAC:
		if len(key) != 16 {
			return nil, fmt.Errorf("sign: %v key must be 16 bytes, got %d", alg, len(key))
		}
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("sign: %v: %w", alg, err)
		}
		if alg == AESCMAC {
			s.cmac = newCMAC(b)
		} else if s.gmac, err = cipher.NewGCM(b); err != nil {
			return nil, fmt.Errorf("sign: %v: %w", alg, err)
		}
	default:
		return nil, fmt.Errorf("sign: unknown signing algorithm %v", alg)
	}
	return s, nil
}

// Algorithm reports the algorithm s was created with.
func (s *Signer) Algorithm() Algorithm { return s.alg }

// Sign signs msg in place: it sets SMB2_FLAGS_SIGNED, zeroes the signature
// field, computes the signature over the whole of msg and stores it in the
// signature field. msg is one SMB2 message starting at its 64-byte header;
// for a compound it is one element including its trailing padding. Sign
// panics if msg is shorter than a header.
func (s *Signer) Sign(msg []byte) {
	if len(msg) < headerSize {
		panic("sign: message shorter than SMB2 header")
	}
	flags := binary.LittleEndian.Uint32(msg[offFlags:])
	binary.LittleEndian.PutUint32(msg[offFlags:], flags|flagSigned)
	clear(msg[offSignature : offSignature+sigSize])
	var sig [sigSize]byte
	s.compute(&sig, msg)
	copy(msg[offSignature:], sig[:])
}

// Verify reports whether msg carries a valid signature. The comparison is
// constant time. msg is left as it was on return, but its signature field
// is briefly zeroed during the call, so msg must not be read concurrently.
// Verify does not look at SMB2_FLAGS_SIGNED; that is the caller's policy.
func (s *Signer) Verify(msg []byte) bool {
	if len(msg) < headerSize {
		return false
	}
	var got, want [sigSize]byte
	sigField := msg[offSignature : offSignature+sigSize]
	copy(got[:], sigField)
	clear(sigField)
	s.compute(&want, msg)
	copy(sigField, got[:])
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// compute writes the signature of msg, whose signature field is already
// zero, into sig.
func (s *Signer) compute(sig *[sigSize]byte, msg []byte) {
	switch s.alg {
	case HMACSHA256:
		h := s.hmacs.Get().(hash.Hash)
		h.Reset()
		h.Write(msg)
		var sum [sha256.Size]byte
		h.Sum(sum[:0])
		s.hmacs.Put(h)
		copy(sig[:], sum[:sigSize])
	case AESCMAC:
		s.cmac.sum(sig, msg)
	case AESGMAC:
		var nonce [12]byte
		gmacNonce(&nonce, msg)
		var tag [sigSize]byte
		s.gmac.Seal(tag[:0], nonce[:], nil, msg)
		*sig = tag
	}
}

// gmacNonce builds the AES-GMAC nonce of MS-SMB2 3.1.4.1 from the header:
// the 8-byte MessageId followed by a little-endian 32-bit word whose bit 0
// is set when the sender is the server (SMB2_FLAGS_SERVER_TO_REDIR) and
// whose bit 1 is set for an SMB2 CANCEL request.
func gmacNonce(nonce *[12]byte, msg []byte) {
	copy(nonce[:8], msg[offMessageID:offMessageID+8])
	var w uint32
	if binary.LittleEndian.Uint32(msg[offFlags:])&flagServerToRedir != 0 {
		w |= 1
	}
	if binary.LittleEndian.Uint16(msg[offCommand:]) == commandCancel {
		w |= 2
	}
	binary.LittleEndian.PutUint32(nonce[8:], w)
}
