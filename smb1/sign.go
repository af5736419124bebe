package smb1

import (
	"crypto/md5"
	"crypto/subtle"
)

// SignatureOffset is where the 8-byte SecuritySignature sits in the header.
const SignatureOffset = 14

// Signature computes the SMB1 MD5 message signature (MS-CIFS 3.1.4.1,
// MS-SMB 3.1.5.1): the first 8 bytes of MD5(key || msg), msg taken with
// its SecuritySignature field replaced by the 32-bit little-endian sequence
// number seq followed by four zero bytes. msg is the whole SMB1 message
// (header first, no NetBIOS frame header) and is not modified. ok is false
// when msg is shorter than an SMB1 header.
func Signature(key, msg []byte, seq uint32) (sig [8]byte, ok bool) {
	if len(msg) < HeaderSize {
		return sig, false
	}
	h := md5.New()
	h.Write(key)
	h.Write(msg[:SignatureOffset])
	var s [8]byte
	le.PutUint32(s[:], seq)
	h.Write(s[:])
	h.Write(msg[SignatureOffset+8:])
	var sum [md5.Size]byte
	copy(sig[:], h.Sum(sum[:0]))
	return sig, true
}

// Sign writes msg's signature for sequence number seq into its
// SecuritySignature field. It does nothing to a message shorter than a
// header.
func Sign(key, msg []byte, seq uint32) {
	if sig, ok := Signature(key, msg, seq); ok {
		copy(msg[SignatureOffset:], sig[:])
	}
}

// Verify reports whether msg carries the right signature for sequence
// number seq (compared in constant time).
func Verify(key, msg []byte, seq uint32) bool {
	sig, ok := Signature(key, msg, seq)
	return ok && subtle.ConstantTimeCompare(sig[:], msg[SignatureOffset:SignatureOffset+8]) == 1
}
