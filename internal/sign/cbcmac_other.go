//go:build !amd64

package sign

// haveMACAsm is false: there is no assembly CBC-MAC on this architecture.
const haveMACAsm = false

func cbcMAC128(rk *[240]byte, state *[16]byte, data *byte, n int) {
	panic("sign: cbcMAC128 without assembly")
}

func cbcMAC256(rk *[240]byte, state *[16]byte, data *byte, n int) {
	panic("sign: cbcMAC256 without assembly")
}
