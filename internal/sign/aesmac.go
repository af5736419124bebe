package sign

import (
	"crypto/cipher"
	"math/bits"
	"sync"
)

// aesMAC is an AES-128 or AES-256 block cipher that also carries its
// expanded key, for the assembly CBC-MAC loops (cbcMAC128, cbcMAC256).
// CBC-MAC is serial, so its speed is the AES latency per block; calling
// cipher.Block.Encrypt once per block adds about a third on top, which the
// loop saves. Only CBC-MAC uses the expanded key: every other operation
// goes to the embedded Block.
type aesMAC struct {
	cipher.Block
	rk    [240]byte // 11 (AES-128) or 15 (AES-256) round keys
	is256 bool
}

// withFastMAC returns b, or b wrapped with an accelerated CBC-MAC when the
// CPU has one and key (the key b was made from) is an AES-128 or AES-256
// key. The wrapper must only be used for CBC-MAC and single-block
// encryption: it hides b's own fast paths (CTR, GCM) from crypto/cipher.
func withFastMAC(b cipher.Block, key []byte) cipher.Block {
	if !haveMACAsm || (len(key) != 16 && len(key) != 32) {
		return b
	}
	m := &aesMAC{Block: b, is256: len(key) == 32}
	expandKey(&m.rk, key)
	return m
}

// expandKey writes the AES round keys for a 16- or 32-byte key (FIPS 197
// §5.2: 11 or 15 round keys) in the byte order AESENC takes them; the rest
// of rk is left alone.
func expandKey(rk *[240]byte, key []byte) {
	sbox := aesSbox()
	nk := len(key) // bytes of key: 16 or 32
	total := 176
	if nk == 32 {
		total = 240
	}
	copy(rk[:nk], key)
	rcon := byte(1)
	for i := nk; i < total; i += 4 {
		t := [4]byte{rk[i-4], rk[i-3], rk[i-2], rk[i-1]}
		switch {
		case i%nk == 0:
			// RotWord, SubWord, then Rcon on the first byte.
			t = [4]byte{sbox[t[1]] ^ rcon, sbox[t[2]], sbox[t[3]], sbox[t[0]]}
			rcon = xtime(rcon)
		case nk == 32 && i%nk == 16:
			t = [4]byte{sbox[t[0]], sbox[t[1]], sbox[t[2]], sbox[t[3]]}
		}
		for j := range t {
			rk[i+j] = rk[i-nk+j] ^ t[j]
		}
	}
}

// xtime multiplies r by x in GF(2^8) modulo the AES polynomial.
func xtime(r byte) byte {
	return r<<1 ^ (0-r>>7)&0x1b
}

// aesSbox is the AES S-box, computed once from its definition: the
// multiplicative inverse in GF(2^8) followed by the affine map. The walk
// visits every non-zero element as a power of the generator 3 (p) while q
// runs through the matching inverses.
var aesSbox = sync.OnceValue(func() (s [256]byte) {
	p, q := byte(1), byte(1)
	for {
		p ^= xtime(p) // p *= 3
		q ^= q << 1   // q /= 3
		q ^= q << 2
		q ^= q << 4
		if q&0x80 != 0 {
			q ^= 0x09
		}
		s[p] = q ^ bits.RotateLeft8(q, 1) ^ bits.RotateLeft8(q, 2) ^ bits.RotateLeft8(q, 3) ^ bits.RotateLeft8(q, 4) ^ 0x63
		if p == 1 {
			break
		}
	}
	s[0] = 0x63
	return s
})
