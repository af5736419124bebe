package sign

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
)

// cbcMAC runs CBC-MAC over data, whose length must be a multiple of the
// block size, chaining from and updating *state. It is the common core of
// AES-CMAC and of the authentication half of AES-CCM.
//
// CBC-MAC is inherently serial, so in Go a block at a time is about as fast
// as handing runs of blocks to a CBC BlockMode, needs no scratch buffer and
// allocates nothing.
//
// When b is an *aesMAC (withFastMAC) the whole run goes to the assembly
// loop instead.
func cbcMAC(b cipher.Block, state *[aes.BlockSize]byte, data []byte) {
	if m, ok := b.(*aesMAC); ok {
		if n := len(data) &^ (aes.BlockSize - 1); n > 0 {
			if m.is256 {
				cbcMAC256(&m.rk, state, &data[0], n)
			} else {
				cbcMAC128(&m.rk, state, &data[0], n)
			}
		}
		return
	}
	for len(data) >= aes.BlockSize {
		subtle.XORBytes(state[:], state[:], data[:aes.BlockSize])
		b.Encrypt(state[:], state[:])
		data = data[aes.BlockSize:]
	}
}

// cmac computes AES-CMAC (RFC 4493, NIST SP 800-38B). The zero value is not
// usable; build one with newCMAC. A cmac holds only the expanded key and the
// two subkeys, so one value may be used from many goroutines at once.
type cmac struct {
	b      cipher.Block
	k1, k2 [aes.BlockSize]byte
}

func newCMAC(b cipher.Block) *cmac {
	c := &cmac{b: b}
	var l [aes.BlockSize]byte
	b.Encrypt(l[:], l[:])
	double(&c.k1, &l)
	double(&c.k2, &c.k1)
	return c
}

// double multiplies in by x in GF(2^128) with the CMAC reduction polynomial.
func double(out, in *[aes.BlockSize]byte) {
	carry := in[0] >> 7
	for i := 0; i < aes.BlockSize-1; i++ {
		out[i] = in[i]<<1 | in[i+1]>>7
	}
	out[aes.BlockSize-1] = in[aes.BlockSize-1]<<1 ^ (0-carry)&0x87 // branch-free
}

// sum writes the 16-byte CMAC of msg into out, using tmp as scratch. Both
// are pointers so that callers can keep them in pooled memory: arrays handed
// to cipher.Block escape, and on-stack ones would cost an allocation per call.
func (c *cmac) sum(out, tmp *[aes.BlockSize]byte, msg []byte) {
	c.sum2(out, tmp, nil, msg)
}
