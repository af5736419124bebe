package sign

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
)

// SignWithPayload signs the message hdr‖payload without the two parts being
// contiguous in memory: it sets SMB2_FLAGS_SIGNED and the signature in hdr
// exactly as Sign would on the concatenation, and never writes to payload.
// It lets a caller hash a payload where it lies (for example a file
// mapping) and send it from there.
//
// It reports false and leaves hdr unchanged when the parts cannot be
// hashed separately: AES-GMAC (the whole message is GCM additional data,
// which crypto/cipher takes as one slice), or AES-CMAC with a header whose
// length is not a multiple of 16 bytes. The caller then signs one
// contiguous message with Sign. It panics if hdr is shorter than an SMB2
// header.
func (s *Signer) SignWithPayload(hdr, payload []byte) bool {
	if len(hdr) < headerSize {
		panic("sign: message shorter than SMB2 header")
	}
	if s.alg == AESGMAC || (s.alg == AESCMAC && len(hdr)%aes.BlockSize != 0) {
		return false
	}
	flags := binary.LittleEndian.Uint32(hdr[offFlags:])
	binary.LittleEndian.PutUint32(hdr[offFlags:], flags|flagSigned)
	clear(hdr[offSignature : offSignature+sigSize])
	sc := s.scratch.Get().(*scratch)
	switch s.alg {
	case HMACSHA256:
		sc.h.Reset()
		sc.h.Write(hdr)
		sc.h.Write(payload)
		sc.h.Sum(sc.sum[:0])
		copy(hdr[offSignature:], sc.sum[:sigSize])
	case AESCMAC:
		if len(payload) == 0 {
			s.cmac.sum(&sc.mac, &sc.tmp, hdr)
		} else {
			s.cmac.sum2(&sc.mac, &sc.tmp, hdr, payload)
		}
		copy(hdr[offSignature:], sc.mac[:])
	}
	s.scratch.Put(sc)
	return true
}

// sum2 is the CMAC of a‖b without joining them. len(a) must be a multiple
// of the block size and b must not be empty when a is not, so that a holds
// only non-final blocks; sum is sum2 with an empty a.
func (c *cmac) sum2(out, tmp *[aes.BlockSize]byte, a, b []byte) {
	state := out
	clear(state[:])
	cbcMAC(c.b, state, a)
	// Everything but the final (possibly partial, possibly empty) block
	// is plain CBC-MAC.
	full := 0
	if len(b) > 0 {
		full = (len(b) - 1) &^ (aes.BlockSize - 1)
	}
	cbcMAC(c.b, state, b[:full])
	last := tmp
	tail := b[full:]
	if len(tail) == aes.BlockSize {
		subtle.XORBytes(last[:], tail, c.k1[:])
	} else {
		clear(last[:])
		copy(last[:], tail)
		last[len(tail)] = 0x80
		subtle.XORBytes(last[:], last[:], c.k2[:])
	}
	subtle.XORBytes(state[:], state[:], last[:])
	c.b.Encrypt(state[:], state[:])
}
