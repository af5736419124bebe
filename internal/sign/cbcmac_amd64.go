package sign

import "golang.org/x/sys/cpu"

// haveMACAsm reports whether cbcMAC128 can run (AES-NI).
var haveMACAsm = cpu.X86.HasAES

// cbcMAC128 runs AES-128 CBC-MAC over n bytes at data (n a positive
// multiple of 16), chaining from and updating *state, with the round keys
// rk. Implemented in cbcmac_amd64.s.
//
//go:noescape
func cbcMAC128(rk *[176]byte, state *[16]byte, data *byte, n int)
