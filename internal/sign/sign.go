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
	alg     Algorithm
	hmacKey []byte
	cmac    *cmac
	gmac    cipher.AEAD
	gblock  cipher.Block // AES-GMAC: the key's block cipher (Stream)
	scratch sync.Pool    // of *scratch
	ghashState
}

// scratch is per-call working memory, pooled so that signing allocates
// nothing: buffers handed to crypto interfaces escape to the heap.
type scratch struct {
	h     hash.Hash // HMAC-SHA256 state, HMACSHA256 only
	sum   [sha256.Size]byte
	mac   [sigSize]byte
	tmp   [sigSize]byte
	pend  [sigSize]byte // Stream, AES-CMAC: the block not yet chained
	nonce [12]byte
}

// NewSigner returns a Signer for alg. AESCMAC and AESGMAC need a 16-byte key;
// HMACSHA256 accepts any key (SMB uses the 16-byte session key).
func NewSigner(alg Algorithm, key []byte) (*Signer, error) {
	s := &Signer{alg: alg}
	switch alg {
	case HMACSHA256:
		s.hmacKey = append([]byte(nil), key...)
	case AESCMAC, AESGMAC:
		if len(key) != 16 {
			return nil, fmt.Errorf("sign: %v key must be 16 bytes, got %d", alg, len(key))
		}
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("sign: %v: %w", alg, err)
		}
		if alg == AESCMAC {
			s.cmac = newCMAC(withFastMAC(b, key))
		} else {
			s.gblock = b
			if s.gmac, err = cipher.NewGCM(b); err != nil {
				return nil, fmt.Errorf("sign: %v: %w", alg, err)
			}
		}
	default:
		return nil, fmt.Errorf("sign: unknown signing algorithm %v", alg)
	}
	s.scratch.New = func() any {
		sc := new(scratch)
		if s.alg == HMACSHA256 {
			sc.h = hmac.New(sha256.New, s.hmacKey)
		}
		return sc
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
	sc := s.scratch.Get().(*scratch)
	switch s.alg {
	case HMACSHA256:
		sc.h.Reset()
		sc.h.Write(msg)
		sc.h.Sum(sc.sum[:0])
		copy(sig[:], sc.sum[:sigSize])
	case AESCMAC:
		s.cmac.sum(&sc.mac, &sc.tmp, msg)
		*sig = sc.mac
	case AESGMAC:
		gmacNonce(&sc.nonce, msg)
		s.gmac.Seal(sc.mac[:0], sc.nonce[:], nil, msg)
		*sig = sc.mac
	}
	s.scratch.Put(sc)
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
