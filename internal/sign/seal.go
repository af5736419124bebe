package sign

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// Cipher identifies an SMB 3.x encryption algorithm. The values are the
// Ciphers ids of the SMB2_ENCRYPTION_CAPABILITIES negotiate context
// (MS-SMB2 2.2.3.1.2).
type Cipher uint16

// Encryption algorithms.
const (
	AES128CCM Cipher = 0x0001
	AES128GCM Cipher = 0x0002
	AES256CCM Cipher = 0x0003
	AES256GCM Cipher = 0x0004
)

// String returns the MS-SMB2 name of the cipher.
func (c Cipher) String() string {
	switch c {
	case AES128CCM:
		return "AES-128-CCM"
	case AES128GCM:
		return "AES-128-GCM"
	case AES256CCM:
		return "AES-256-CCM"
	case AES256GCM:
		return "AES-256-GCM"
	}
	return fmt.Sprintf("Cipher(%#04x)", uint16(c))
}

// KeySize returns the key length in bytes for c, or 0 if c is unknown.
func (c Cipher) KeySize() int {
	switch c {
	case AES128CCM, AES128GCM:
		return 16
	case AES256CCM, AES256GCM:
		return 32
	}
	return 0
}

// TransformHeaderSize is the size of the SMB2 TRANSFORM_HEADER.
const TransformHeaderSize = 52

// SMB2 TRANSFORM_HEADER layout (MS-SMB2 2.2.41).
const (
	thOffSignature    = 4
	thOffNonce        = 20
	thOffOriginalSize = 36
	thOffFlags        = 42
	thOffSessionID    = 44
	thNonceField      = 16
	thFlagEncrypted   = 0x0001 // Flags (3.1.1) / EncryptionAlgorithm (3.0.x)
)

// Errors returned by Sealer.Open.
var (
	// ErrMalformed reports a frame that is not a well-formed transform
	// header followed by its ciphertext.
	ErrMalformed = errors.New("sign: malformed transform message")
	// ErrAuth reports a frame whose authentication tag does not match.
	ErrAuth = errors.New("sign: transform message authentication failed")
)

// Sealer encrypts and decrypts SMB 3.x messages with one key and cipher. A
// server uses one Sealer with the session's Encryption key for responses and
// another with its Decryption key for requests. A Sealer is safe for
// concurrent use by multiple goroutines.
type Sealer struct {
	c    Cipher
	aead cipher.AEAD
}

// NewSealer returns a Sealer for cipher c with key (16 bytes for the
// AES-128 ciphers, 32 for the AES-256 ones).
func NewSealer(c Cipher, key []byte) (*Sealer, error) {
	if n := c.KeySize(); n == 0 {
		return nil, fmt.Errorf("sign: unknown cipher %v", c)
	} else if len(key) != n {
		return nil, fmt.Errorf("sign: %v key must be %d bytes, got %d", c, n, len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sign: %v: %w", c, err)
	}
	s := &Sealer{c: c}
	switch c {
	case AES128CCM, AES256CCM:
		var m *ccm
		if m, err = newCCM(b, 11, 16); err == nil {
			m.mb = withFastMAC(b, key)
			s.aead = m
		}
	default:
		s.aead, err = cipher.NewGCM(b)
	}
	if err != nil {
		return nil, fmt.Errorf("sign: %v: %w", c, err)
	}
	return s, nil
}

// Cipher reports the cipher s was created with.
func (s *Sealer) Cipher() Cipher { return s.c }

// Overhead is how many bytes Seal adds to a message.
func (s *Sealer) Overhead() int { return TransformHeaderSize }

// Seal encrypts msg (one SMB2 message or a whole compound chain) for
// sessionID and appends the 52-byte transform header and the ciphertext to
// dst. The nonce is random (11 bytes for CCM, 12 for GCM); the rest of the
// nonce field is zero. The additional authenticated data is the transform
// header from its nonce field on (bytes 20..52). msg must not overlap the
// appended region of dst.
func (s *Sealer) Seal(dst []byte, sessionID uint64, msg []byte) []byte {
	return s.seal(dst, nil, sessionID, msg)
}

// seal is Seal with the whole 16-byte nonce field given (tests use it to
// reproduce published vectors); nil means a fresh random nonce, generated
// straight into the header so that nothing escapes to the heap.
func (s *Sealer) seal(dst []byte, nonce *[thNonceField]byte, sessionID uint64, msg []byte) []byte {
	if uint64(len(msg)) > 0xFFFFFFFF {
		panic("sign: message too large to encrypt")
	}
	// Reserve room for the tag that the AEAD appends after the
	// ciphertext; it is moved into the header and dropped from the
	// returned length.
	total := TransformHeaderSize + len(msg)
	ret, out := sliceForAppend(dst, total+sigSize)
	ret = ret[:len(ret)-sigSize]
	h := out[:TransformHeaderSize]
	n := s.putHeader(h, nonce, sessionID, len(msg))
	sealed := s.aead.Seal(out[TransformHeaderSize:TransformHeaderSize], h[thOffNonce:thOffNonce+n], msg, h[thOffNonce:])
	copy(h[thOffSignature:thOffNonce], sealed[len(msg):])
	return ret
}

// putHeader writes the transform header for a message of size bytes into
// h, with a fresh random nonce unless nonce is given, and returns the
// cipher's nonce length.
func (s *Sealer) putHeader(h []byte, nonce *[thNonceField]byte, sessionID uint64, size int) int {
	h[0], h[1], h[2], h[3] = 0xFD, 'S', 'M', 'B'
	clear(h[thOffSignature:thOffOriginalSize])
	n := s.aead.NonceSize()
	if nonce != nil {
		copy(h[thOffNonce:], nonce[:])
	} else if _, err := rand.Read(h[thOffNonce : thOffNonce+n]); err != nil {
		panic("sign: crypto/rand failed: " + err.Error())
	}
	binary.LittleEndian.PutUint32(h[thOffOriginalSize:], uint32(size))
	binary.LittleEndian.PutUint16(h[thOffOriginalSize+4:], 0)
	binary.LittleEndian.PutUint16(h[thOffFlags:], thFlagEncrypted)
	binary.LittleEndian.PutUint64(h[thOffSessionID:], sessionID)
	return n
}

// SealInPlace encrypts a message that is already where the frame needs
// it: frame[:TransformHeaderSize] is room for the transform header and
// frame[TransformHeaderSize:] the plaintext (one SMB2 message or a
// compound chain). The header is written, the plaintext encrypted over
// itself and the tag moved into the header, so sealing a READ response
// copies nothing. The AEAD appends its tag before it is moved: with
// cap(frame) >= len(frame)+16 that happens in frame's spare capacity (the
// caller's scratch); with less, the result is a new slice. It returns the
// sealed frame, len(frame) bytes long.
func (s *Sealer) SealInPlace(frame []byte, sessionID uint64) []byte {
	if len(frame) < TransformHeaderSize || uint64(len(frame)-TransformHeaderSize) > 0xFFFFFFFF {
		panic("sign: SealInPlace: frame shorter than a transform header or too large")
	}
	if cap(frame)-len(frame) < sigSize {
		f := make([]byte, len(frame), len(frame)+sigSize)
		copy(f, frame)
		frame = f
	}
	h := frame[:TransformHeaderSize]
	msg := frame[TransformHeaderSize:]
	n := s.putHeader(h, nil, sessionID, len(msg))
	sealed := s.aead.Seal(msg[:0], h[thOffNonce:thOffNonce+n], msg, h[thOffNonce:])
	copy(h[thOffSignature:thOffNonce], sealed[len(msg):])
	return frame
}

// SessionID returns the SessionId of a transform frame without decrypting
// it, so that a caller can pick the session (and its Sealer) first.
func SessionID(frame []byte) (uint64, error) {
	if len(frame) < TransformHeaderSize || frame[0] != 0xFD || frame[1] != 'S' || frame[2] != 'M' || frame[3] != 'B' {
		return 0, ErrMalformed
	}
	return binary.LittleEndian.Uint64(frame[thOffSessionID:]), nil
}

// Open authenticates and decrypts a transform frame (starting with
// 0xFD 'S' 'M' 'B' and holding exactly the header and the ciphertext),
// appends the plaintext to dst and returns the updated slice (as
// cipher.AEAD.Open does: pass nil or buf[:0] to get just the plaintext)
// together with the frame's SessionId. dst must not overlap frame. Errors
// wrap ErrMalformed or are ErrAuth.
func (s *Sealer) Open(dst []byte, frame []byte) (plain []byte, sessionID uint64, err error) {
	sessionID, err = checkTransform(frame)
	if err != nil {
		return nil, sessionID, err
	}
	// The AEAD wants ciphertext||tag contiguous; assemble that in the
	// output region and decrypt it in place.
	ct := frame[TransformHeaderSize:]
	ret, out := sliceForAppend(dst, len(ct)+sigSize)
	copy(out, ct)
	copy(out[len(ct):], frame[thOffSignature:thOffNonce])
	n := s.aead.NonceSize()
	if _, err := s.aead.Open(out[:0], frame[thOffNonce:thOffNonce+n], out, frame[thOffNonce:TransformHeaderSize]); err != nil {
		return nil, sessionID, ErrAuth
	}
	return ret[:len(ret)-sigSize], sessionID, nil
}

// OpenInPlace is Open with the plaintext written over frame itself: it
// starts at frame[0] and is len(frame)-TransformHeaderSize bytes long, so
// decrypting needs no memory beyond the frame's. On error frame's
// contents are undefined.
func (s *Sealer) OpenInPlace(frame []byte) (plain []byte, sessionID uint64, err error) {
	sessionID, err = checkTransform(frame)
	if err != nil {
		return nil, sessionID, err
	}
	var hdr [TransformHeaderSize]byte
	copy(hdr[:], frame)
	ct := len(frame) - TransformHeaderSize
	out := frame[:ct+sigSize] // the header is longer than the tag
	copy(out, frame[TransformHeaderSize:])
	copy(out[ct:], hdr[thOffSignature:thOffNonce])
	n := s.aead.NonceSize()
	if _, err := s.aead.Open(out[:0], hdr[thOffNonce:thOffNonce+n], out, hdr[thOffNonce:]); err != nil {
		return nil, sessionID, ErrAuth
	}
	return frame[:ct], sessionID, nil
}

// OpenInPlaceSpare is OpenInPlace without moving the message: the tag is
// placed in frame's spare capacity right after the ciphertext
// (frame[len(frame):len(frame)+16], which the caller must own and may
// not need afterwards) and the ciphertext decrypted over itself, so the
// plaintext is frame[TransformHeaderSize:]. With less than 16 bytes of
// spare capacity it is OpenInPlace (plaintext at frame[0]). Either way
// the result is a subslice of frame; on error frame's contents are
// undefined.
func (s *Sealer) OpenInPlaceSpare(frame []byte) (plain []byte, sessionID uint64, err error) {
	if cap(frame)-len(frame) < sigSize {
		return s.OpenInPlace(frame)
	}
	sessionID, err = checkTransform(frame)
	if err != nil {
		return nil, sessionID, err
	}
	ct := frame[TransformHeaderSize : len(frame)+sigSize]
	copy(ct[len(ct)-sigSize:], frame[thOffSignature:thOffNonce])
	n := s.aead.NonceSize()
	if _, err := s.aead.Open(ct[:0], frame[thOffNonce:thOffNonce+n], ct, frame[thOffNonce:TransformHeaderSize]); err != nil {
		return nil, sessionID, ErrAuth
	}
	return frame[TransformHeaderSize:], sessionID, nil
}

// checkTransform validates a transform frame's header and returns its
// SessionId.
func checkTransform(frame []byte) (uint64, error) {
	sessionID, err := SessionID(frame)
	if err != nil {
		return 0, err
	}
	size := binary.LittleEndian.Uint32(frame[thOffOriginalSize:])
	if uint64(size) != uint64(len(frame)-TransformHeaderSize) {
		return sessionID, fmt.Errorf("%w: OriginalMessageSize %d, ciphertext %d bytes",
			ErrMalformed, size, len(frame)-TransformHeaderSize)
	}
	if f := binary.LittleEndian.Uint16(frame[thOffFlags:]); f != thFlagEncrypted {
		return sessionID, fmt.Errorf("%w: flags %#04x", ErrMalformed, f)
	}
	return sessionID, nil
}
