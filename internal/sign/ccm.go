package sign

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"sync"
)

var errCCMAuth = errors.New("sign: ccm: message authentication failed")

// ccm implements AES-CCM (RFC 3610, NIST SP 800-38C) as a cipher.AEAD. SMB
// uses a 16-byte tag (M = 16); other even sizes from 4 to 16 exist for the
// published test vectors. The nonce length N fixes the length-field size L = 15 - N; SMB
// uses N = 11 (L = 4, so a message can be up to 4 GiB). Like the GCM
// implementation in crypto/cipher it holds no per-message state and is safe
// for concurrent use.
type ccm struct {
	b         cipher.Block // for CTR: crypto/cipher's fast path needs the bare AES block
	mb        cipher.Block // for CBC-MAC: b, or b with an accelerated CBC-MAC (withFastMAC)
	nonceSize int
	tagSize   int
	scratch   sync.Pool // of *ccmScratch
}

// ccmScratch is one call's working blocks. Blocks handed to cipher.Block
// escape to the heap, so they come from a pool instead of the stack: a
// Seal or Open then allocates only crypto/cipher's CTR stream.
type ccmScratch struct {
	tag, got, s0, a, s, b0, first, last [aes.BlockSize]byte
	hdr                                 [10]byte
}

func (c *ccm) getScratch() *ccmScratch {
	if sc, ok := c.scratch.Get().(*ccmScratch); ok {
		return sc
	}
	return new(ccmScratch)
}

func newCCM(b cipher.Block, nonceSize, tagSize int) (*ccm, error) {
	if b.BlockSize() != aes.BlockSize {
		return nil, errors.New("sign: ccm: block size must be 16")
	}
	if nonceSize < 7 || nonceSize > 13 {
		return nil, errors.New("sign: ccm: nonce size must be 7..13")
	}
	if tagSize < 4 || tagSize > 16 || tagSize%2 != 0 {
		return nil, errors.New("sign: ccm: tag size must be even and 4..16")
	}
	return &ccm{b: b, mb: b, nonceSize: nonceSize, tagSize: tagSize}, nil
}

func (c *ccm) NonceSize() int { return c.nonceSize }
func (c *ccm) Overhead() int  { return c.tagSize }

// maxLen is the largest message the L-byte length field can describe.
func (c *ccm) maxLen() uint64 {
	l := 15 - c.nonceSize
	if l >= 8 {
		return 1<<63 - 1
	}
	return 1<<(8*l) - 1
}

// Seal encrypts and authenticates plaintext, authenticates aad and appends
// ciphertext||tag to dst. dst and plaintext may overlap exactly or not at all.
func (c *ccm) Seal(dst, nonce, plaintext, aad []byte) []byte {
	if len(nonce) != c.nonceSize {
		panic("sign: ccm: incorrect nonce length")
	}
	if uint64(len(plaintext)) > c.maxLen() {
		panic("sign: ccm: message too large")
	}
	sc := c.getScratch()
	defer c.scratch.Put(sc)
	if m := c.fused(); m != nil {
		return c.sealFused(m, sc, dst, nonce, plaintext, aad)
	}
	c.mac(sc, &sc.tag, nonce, plaintext, aad)
	ret, out := sliceForAppend(dst, len(plaintext)+c.tagSize)
	c.ctr(sc, out[:len(plaintext)], plaintext, nonce, &sc.tag)
	copy(out[len(plaintext):], sc.tag[:c.tagSize])
	return ret
}

// Open authenticates and decrypts ciphertext||tag and appends the plaintext
// to dst. On failure the output region is zeroed and an error returned.
func (c *ccm) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(nonce) != c.nonceSize {
		panic("sign: ccm: incorrect nonce length")
	}
	if len(ciphertext) < c.tagSize || uint64(len(ciphertext)-c.tagSize) > c.maxLen() {
		return nil, errCCMAuth
	}
	n := len(ciphertext) - c.tagSize
	sc := c.getScratch()
	defer c.scratch.Put(sc)
	copy(sc.got[:], ciphertext[n:])
	if m := c.fused(); m != nil {
		return c.openFused(m, sc, dst, nonce, ciphertext[:n], aad)
	}
	ret, out := sliceForAppend(dst, n)
	clear(sc.s0[:])
	c.ctr(sc, out, ciphertext[:n], nonce, &sc.s0)
	want := &sc.tag
	c.mac(sc, want, nonce, out, aad)
	subtle.XORBytes(want[:], want[:], sc.s0[:])
	if subtle.ConstantTimeCompare(want[:c.tagSize], sc.got[:c.tagSize]) != 1 {
		clear(out)
		return nil, errCCMAuth
	}
	return ret, nil
}

// ctr XORs src into dst with the CCM key stream A1, A2, ... and XORs the
// first key-stream block S0 = E(A0) into *s0 (which turns a raw CBC-MAC into
// the tag when sealing, and yields S0 when s0 starts zeroed).
func (c *ccm) ctr(sc *ccmScratch, dst, src, nonce []byte, s0 *[aes.BlockSize]byte) {
	a, s := &sc.a, &sc.s
	clear(a[:])
	a[0] = byte(15 - c.nonceSize - 1)
	copy(a[1:], nonce)
	c.b.Encrypt(s[:], a[:])
	subtle.XORBytes(s0[:], s0[:], s[:])
	if len(src) == 0 {
		return
	}
	a[aes.BlockSize-1] = 1
	cipher.NewCTR(c.b, a[:]).XORKeyStream(dst, src)
}

// mac computes the raw CBC-MAC T of RFC 3610 section 2.2 into *t.
func (c *ccm) mac(sc *ccmScratch, t *[aes.BlockSize]byte, nonce, msg, aad []byte) {
	c.macHead(sc, t, nonce, len(msg), aad)
	macPadded(c.mb, t, &sc.last, msg)
}

// macHead starts the CBC-MAC into *t: block B0 (flags, nonce, the
// message length msgLen) and the encoded additional data.
func (c *ccm) macHead(sc *ccmScratch, t *[aes.BlockSize]byte, nonce []byte, msgLen int, aad []byte) {
	l := 15 - c.nonceSize
	b0 := &sc.b0
	clear(b0[:])
	b0[0] = byte((c.tagSize-2)/2<<3 | (l - 1))
	if len(aad) > 0 {
		b0[0] |= 0x40
	}
	copy(b0[1:], nonce)
	m := uint64(msgLen)
	for i := aes.BlockSize - 1; i > c.nonceSize; i-- {
		b0[i] = byte(m)
		m >>= 8
	}
	clear(t[:])
	cbcMAC(c.mb, t, b0[:])

	if len(aad) > 0 {
		hdr := &sc.hdr
		var h []byte
		switch a := uint64(len(aad)); {
		case a < 0xFF00:
			binary.BigEndian.PutUint16(hdr[:], uint16(a))
			h = hdr[:2]
		case a <= 0xFFFFFFFF:
			hdr[0], hdr[1] = 0xFF, 0xFE
			binary.BigEndian.PutUint32(hdr[2:], uint32(a))
			h = hdr[:6]
		default:
			hdr[0], hdr[1] = 0xFF, 0xFF
			binary.BigEndian.PutUint64(hdr[2:], a)
			h = hdr[:10]
		}
		first := &sc.first
		clear(first[:])
		copy(first[:], h)
		k := copy(first[len(h):], aad)
		cbcMAC(c.mb, t, first[:])
		macPadded(c.mb, t, &sc.last, aad[k:])
	}
}

// macPadded feeds data into the CBC-MAC, zero-padding the last block in
// *last.
func macPadded(b cipher.Block, t, last *[aes.BlockSize]byte, data []byte) {
	full := len(data) &^ (aes.BlockSize - 1)
	cbcMAC(b, t, data[:full])
	if full < len(data) {
		clear(last[:])
		copy(last[:], data[full:])
		cbcMAC(b, t, last[:])
	}
}

// sliceForAppend extends in by n bytes, reallocating if needed, and returns
// the whole slice and the n-byte tail.
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return
}
