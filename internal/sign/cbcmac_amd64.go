package sign

import "golang.org/x/sys/cpu"

// haveMACAsm reports whether cbcMAC128 and cbcMAC256 can run (AES-NI).
var haveMACAsm = cpu.X86.HasAES

// cbcMAC128 runs AES-128 CBC-MAC over n bytes at data (n a positive
// multiple of 16), chaining from and updating *state, with the 11 round
// keys at the start of rk. Implemented in cbcmac_amd64.s.
//
//go:noescape
func cbcMAC128(rk *[240]byte, state *[16]byte, data *byte, n int)

// cbcMAC256 is cbcMAC128 for AES-256 (15 round keys in rk).
//
//go:noescape
func cbcMAC256(rk *[240]byte, state *[16]byte, data *byte, n int)
