package sign

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
)

// macChunk is how many bytes the CBC-MAC helper pushes through the block
// mode per call. A CBC encrypter over AES uses the assembly fast path for
// whole runs of blocks, which is several times quicker than calling
// Block.Encrypt once per block.
const macChunk = 1024

// cbcMAC runs CBC-MAC over data, whose length must be a multiple of the
// block size, chaining from and updating *state. It is the common core of
// AES-CMAC and of the authentication half of AES-CCM.
func cbcMAC(b cipher.Block, state *[aes.BlockSize]byte, data []byte) {
	switch {
	case len(data) == 0:
		return
	case len(data) <= 4*aes.BlockSize:
		// Short runs: a block at a time beats setting up a BlockMode.
		for len(data) > 0 {
			subtle.XORBytes(state[:], state[:], data[:aes.BlockSize])
			b.Encrypt(state[:], state[:])
			data = data[aes.BlockSize:]
		}
		return
	}
	var scratch [macChunk]byte
	mode := cipher.NewCBCEncrypter(b, state[:])
	var last []byte
	for len(data) > 0 {
		n := min(len(data), macChunk)
		mode.CryptBlocks(scratch[:n], data[:n])
		last = scratch[n-aes.BlockSize : n]
		data = data[n:]
	}
	copy(state[:], last)
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

// sum writes the 16-byte CMAC of msg into out.
func (c *cmac) sum(out *[aes.BlockSize]byte, msg []byte) {
	var state [aes.BlockSize]byte
	// Everything but the final (possibly partial, possibly empty) block
	// is plain CBC-MAC.
	full := 0
	if len(msg) > 0 {
		full = (len(msg) - 1) &^ (aes.BlockSize - 1)
	}
	cbcMAC(c.b, &state, msg[:full])
	var last [aes.BlockSize]byte
	tail := msg[full:]
	if len(tail) == aes.BlockSize {
		subtle.XORBytes(last[:], tail, c.k1[:])
	} else {
		copy(last[:], tail)
		last[len(tail)] = 0x80
		subtle.XORBytes(last[:], last[:], c.k2[:])
	}
	subtle.XORBytes(state[:], state[:], last[:])
	c.b.Encrypt(out[:], state[:])
}
