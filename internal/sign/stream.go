package sign

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"sync"
)

// Stream signs a message hdr‖p1‖p2‖… whose parts are handed over one at a
// time and need not be contiguous in memory or present at the same time:
// a file range can be read (or mapped) a chunk at a time, each chunk MACed
// while it is in cache, and the chunk buffer reused for the next. The
// result is bit for bit what Sign computes over the concatenation.
//
// Every part but the last must be a multiple of 16 bytes (the AES block);
// Write panics otherwise. A Stream is used by one goroutine; the zero
// value is unusable: start it with Signer.Start.
//
// AES-GMAC is GCM with the whole message as additional data, and
// crypto/cipher takes that as one slice. GHASH is linear, though: each
// part is run through the assembly GCM on its own (with a fixed nonce,
// whose key-stream block cancels out), and the parts' GHASH values are
// combined with a few GF(2^128) multiplications in Go per part
// (gfMul): the bulk of the work stays in the AES-NI/PCLMULQDQ code.
type Stream struct {
	s   *Signer
	hdr []byte
	sc  *scratch
	odd bool   // a part that is not a multiple of 16 was written
	n   uint64 // bytes so far, header included
	acc gfe    // GMAC: GHASH state of the parts so far, times H
	pn  int    // CMAC: bytes in sc.pend, the last block seen, not yet chained
}

// Start begins signing hdr followed by the parts given to Write; Finish
// stores the signature (and SMB2_FLAGS_SIGNED) in hdr. It reports false,
// leaving hdr unchanged, when hdr is not a whole number of AES blocks for
// AES-CMAC or AES-GMAC (the caller then signs a contiguous message). It
// panics if hdr is shorter than an SMB2 header. hdr must not change until
// Finish.
func (s *Signer) Start(st *Stream, hdr []byte) bool {
	if len(hdr) < headerSize {
		panic("sign: message shorter than SMB2 header")
	}
	if s.alg != HMACSHA256 && len(hdr)%aes.BlockSize != 0 {
		return false
	}
	flags := binary.LittleEndian.Uint32(hdr[offFlags:])
	binary.LittleEndian.PutUint32(hdr[offFlags:], flags|flagSigned)
	clear(hdr[offSignature : offSignature+sigSize])
	*st = Stream{s: s, hdr: hdr, sc: s.scratch.Get().(*scratch)}
	switch s.alg {
	case HMACSHA256:
		st.sc.h.Reset()
	case AESCMAC:
		clear(st.sc.mac[:])
	}
	st.Write(hdr)
	return true
}

// Write adds the next part of the message. p is read, never written, and
// not retained.
func (st *Stream) Write(p []byte) {
	if len(p) == 0 {
		return
	}
	if st.odd {
		panic("sign: Stream part after one that is not a multiple of 16 bytes")
	}
	st.odd = len(p)%aes.BlockSize != 0
	st.n += uint64(len(p))
	switch st.s.alg {
	case HMACSHA256:
		st.sc.h.Write(p)
	case AESCMAC:
		c := st.s.cmac
		// The chaining state is sc.mac (on the heap: cbcMAC's cipher
		// is an interface, so a state in the Stream would escape).
		if st.pn == aes.BlockSize {
			cbcMAC(c.b, &st.sc.mac, st.sc.pend[:])
		}
		full := (len(p) - 1) &^ (aes.BlockSize - 1)
		cbcMAC(c.b, &st.sc.mac, p[:full])
		st.pn = copy(st.sc.pend[:], p[full:])
	case AESGMAC:
		g := st.s.ghash()
		// With the fixed nonce, Seal's tag is E0 ⊕ (X·H ⊕ L·H), X the
		// GHASH state after p's blocks and L p's length block.
		tag := st.s.gmac.Seal(st.sc.mac[:0], zeroNonce[:], nil, p)
		z := loadGFE(tag).xor(g.e0).xor(gfMul(gfe{hi: uint64(len(p)) * 8}, g.h))
		blocks := uint64(len(p)+aes.BlockSize-1) / aes.BlockSize
		if st.acc != (gfe{}) {
			st.acc = g.mulPow(st.acc, blocks)
		}
		st.acc = st.acc.xor(z)
	}
}

// Finish completes the signature and stores it in the header given to
// Start. The Stream must be started again before reuse.
func (st *Stream) Finish() {
	sig := st.hdr[offSignature : offSignature+sigSize]
	sc := st.sc
	switch st.s.alg {
	case HMACSHA256:
		sc.h.Sum(sc.sum[:0])
		copy(sig, sc.sum[:sigSize])
	case AESCMAC:
		c := st.s.cmac
		last := &sc.tmp
		if st.pn == aes.BlockSize {
			subtle.XORBytes(last[:], sc.pend[:], c.k1[:])
		} else {
			clear(last[:])
			copy(last[:], sc.pend[:st.pn])
			last[st.pn] = 0x80
			subtle.XORBytes(last[:], last[:], c.k2[:])
		}
		subtle.XORBytes(sc.mac[:], sc.mac[:], last[:])
		c.b.Encrypt(sc.mac[:], sc.mac[:])
		copy(sig, sc.mac[:])
	case AESGMAC:
		g := st.s.ghash()
		x := st.acc.xor(gfMul(gfe{hi: st.n * 8}, g.h))
		gmacNonce(&sc.nonce, st.hdr)
		j0 := &sc.tmp
		clear(j0[:])
		copy(j0[:], sc.nonce[:])
		j0[15] = 1
		st.s.gblock.Encrypt(j0[:], j0[:])
		x = x.xor(loadGFE(j0[:]))
		x.store(sig)
	}
	st.s.scratch.Put(sc)
	*st = Stream{}
}

var zeroNonce [12]byte

// gfe is an element of GCM's GF(2^128), in GCM's bit order: hi holds the
// first 8 bytes of the block big-endian, so x^0 is hi's top bit.
type gfe struct{ hi, lo uint64 }

func loadGFE(b []byte) gfe {
	return gfe{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

func (x gfe) store(b []byte) {
	binary.BigEndian.PutUint64(b, x.hi)
	binary.BigEndian.PutUint64(b[8:], x.lo)
}

func (x gfe) xor(y gfe) gfe { return gfe{x.hi ^ y.hi, x.lo ^ y.lo} }

// gfMul is x·y in GCM's field (NIST SP 800-38D, algorithm 1), in
// constant time: 128 shift-and-add steps, about half a microsecond; a
// Stream needs two or three per part.
func gfMul(x, y gfe) gfe {
	var z gfe
	v := y
	for i := 0; i < 128; i++ {
		var bit uint64
		if i < 64 {
			bit = x.hi >> (63 - i) & 1
		} else {
			bit = x.lo >> (127 - i) & 1
		}
		m := -bit
		z.hi ^= v.hi & m
		z.lo ^= v.lo & m
		lsb := v.lo & 1
		v.lo = v.lo>>1 | v.hi<<63
		v.hi = v.hi>>1 ^ 0xe1<<56&-lsb
	}
	return z
}

// ghashKey is what a GMAC Stream needs beyond the AEAD: H = E(0^128), the
// key-stream block E0 of the fixed nonce, and H^(2^i).
type ghashKey struct {
	h, e0 gfe
	pow   [48]gfe
}

// mulPow returns x·H^k.
func (g *ghashKey) mulPow(x gfe, k uint64) gfe {
	for i := 0; k != 0; i, k = i+1, k>>1 {
		if k&1 != 0 {
			x = gfMul(x, g.pow[i])
		}
	}
	return x
}

// ghash returns s's GHASH constants, computed on first use.
func (s *Signer) ghash() *ghashKey {
	s.gonce.Do(func() {
		g := new(ghashKey)
		var b [aes.BlockSize]byte
		s.gblock.Encrypt(b[:], b[:])
		g.h = loadGFE(b[:])
		b = [aes.BlockSize]byte{15: 1}
		s.gblock.Encrypt(b[:], b[:])
		g.e0 = loadGFE(b[:])
		g.pow[0] = g.h
		for i := 1; i < len(g.pow); i++ {
			g.pow[i] = gfMul(g.pow[i-1], g.pow[i-1])
		}
		s.gk = g
	})
	return s.gk
}

// ghashState is embedded in Signer for Stream's GMAC constants.
type ghashState struct {
	gonce sync.Once
	gk    *ghashKey
}
