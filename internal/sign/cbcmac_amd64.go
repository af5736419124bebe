package sign

import "golang.org/x/sys/cpu"

// haveMACAsm reports whether cbcMAC128 and cbcMAC256 can run (AES-NI).
var haveMACAsm = cpu.X86.HasAES

// haveCCMAsm reports whether the fused CCM loops can run (AES-NI, and
// SSE4.1 for PINSRD).
var haveCCMAsm = cpu.X86.HasAES && cpu.X86.HasSSE41

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

// ccmSealBlocks runs CCM's CBC-MAC and CTR halves over n bytes (a positive
// multiple of 16) in one fused loop: for each block P of src, mac =
// E(mac^P) and dst = P^E(ctr), ctr++ (big-endian last 32 bits). rounds is
// 10 (AES-128) or 14 (AES-256). Implemented in ccm_amd64.s.
//
//go:noescape
func ccmSealBlocks(rk *[240]byte, rounds int, mac, ctr *[16]byte, dst, src *byte, n int)

// ccmOpenBlocks is ccmSealBlocks for decryption: P = C^E(ctr), dst = P,
// mac = E(mac^P).
//
//go:noescape
func ccmOpenBlocks(rk *[240]byte, rounds int, mac, ctr *[16]byte, dst, src *byte, n int)

// setCCMAsm turns the fused CCM loops on or off (benchmarks compare them).
func setCCMAsm(on bool) { haveCCMAsm = on && cpu.X86.HasAES && cpu.X86.HasSSE41 }
