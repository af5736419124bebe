package sign

import (
	"crypto/aes"
	"crypto/subtle"
)

// The fused CCM path (ccmSealBlocks, ccmOpenBlocks): with an assembly
// CBC-MAC key (aesMAC) the full blocks of a message go through one loop
// that runs the MAC chain and the CTR key stream side by side; the
// partial last block and the tag's S0 are done here. It needs a counter
// of at least 4 bytes' worth of message blocks (nonces of 11 bytes or
// more, SMB's included), because the loop increments the last 32 bits.

// fused returns the assembly key when the fused loops apply to c.
func (c *ccm) fused() *aesMAC {
	m, ok := c.mb.(*aesMAC)
	if !ok || !haveCCMAsm || c.nonceSize < 11 {
		return nil
	}
	return m
}

func (m *aesMAC) rounds() int {
	if m.is256 {
		return 14
	}
	return 10
}

// counterBlock sets *a to A_i for nonce (RFC 3610 section 2.3).
func (c *ccm) counterBlock(a *[aes.BlockSize]byte, nonce []byte, i byte) {
	clear(a[:])
	a[0] = byte(15 - c.nonceSize - 1)
	copy(a[1:], nonce)
	a[aes.BlockSize-1] = i
}

func (c *ccm) sealFused(m *aesMAC, sc *ccmScratch, dst, nonce, plaintext, aad []byte) []byte {
	t := &sc.tag
	c.macHead(sc, t, nonce, len(plaintext), aad)
	ret, out := sliceForAppend(dst, len(plaintext)+c.tagSize)
	c.counterBlock(&sc.a, nonce, 1)
	full := len(plaintext) &^ (aes.BlockSize - 1)
	if full > 0 {
		ccmSealBlocks(&m.rk, m.rounds(), t, &sc.a, &out[0], &plaintext[0], full)
	}
	if tail := plaintext[full:]; len(tail) > 0 {
		macPadded(c.mb, t, &sc.last, tail) // before out (maybe tail itself) is written
		c.b.Encrypt(sc.s[:], sc.a[:])
		subtle.XORBytes(out[full:len(plaintext)], tail, sc.s[:])
	}
	c.counterBlock(&sc.a, nonce, 0)
	c.b.Encrypt(sc.s0[:], sc.a[:])
	subtle.XORBytes(t[:], t[:], sc.s0[:])
	copy(out[len(plaintext):], t[:c.tagSize])
	return ret
}

func (c *ccm) openFused(m *aesMAC, sc *ccmScratch, dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	n := len(ciphertext)
	want := &sc.tag
	c.macHead(sc, want, nonce, n, aad)
	ret, out := sliceForAppend(dst, n)
	c.counterBlock(&sc.a, nonce, 1)
	full := n &^ (aes.BlockSize - 1)
	if full > 0 {
		ccmOpenBlocks(&m.rk, m.rounds(), want, &sc.a, &out[0], &ciphertext[0], full)
	}
	if full < n {
		c.b.Encrypt(sc.s[:], sc.a[:])
		subtle.XORBytes(out[full:], ciphertext[full:], sc.s[:])
		macPadded(c.mb, want, &sc.last, out[full:])
	}
	c.counterBlock(&sc.a, nonce, 0)
	c.b.Encrypt(sc.s0[:], sc.a[:])
	subtle.XORBytes(want[:], want[:], sc.s0[:])
	if subtle.ConstantTimeCompare(want[:c.tagSize], sc.got[:c.tagSize]) != 1 {
		clear(out)
		return nil, errCCMAuth
	}
	return ret, nil
}
