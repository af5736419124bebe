//go:build !amd64

package sign

// haveMACAsm is false: there is no assembly CBC-MAC on this architecture.
const haveMACAsm = false

// haveCCMAsm is false: there are no fused CCM loops on this architecture.
const haveCCMAsm = false

func cbcMAC128(rk *[240]byte, state *[16]byte, data *byte, n int) {
	panic("sign: cbcMAC128 without assembly")
}

func cbcMAC256(rk *[240]byte, state *[16]byte, data *byte, n int) {
	panic("sign: cbcMAC256 without assembly")
}

func ccmSealBlocks(rk *[240]byte, rounds int, mac, ctr *[16]byte, dst, src *byte, n int) {
	panic("sign: ccmSealBlocks without assembly")
}

func ccmOpenBlocks(rk *[240]byte, rounds int, mac, ctr *[16]byte, dst, src *byte, n int) {
	panic("sign: ccmOpenBlocks without assembly")
}

func setCCMAsm(on bool) {}
