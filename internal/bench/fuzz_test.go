//go:build linux

package bench

import "testing"

func FuzzSPNEGOToken(f *testing.F) {
	f.Add(spnegoResp([]byte("NTLMSSP\x00\x02\x00\x00\x00")))
	f.Add([]byte{0xa1, 0x83, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := spnegoToken(b)
		if err == nil && len(tok) > len(b) {
			t.Fatalf("token longer than input")
		}
	})
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("1 (x) S 0 1 1 0 -1 0 0 0 0 0 1 2 3 4 20 0"))
	f.Fuzz(func(t *testing.T, b []byte) { parseProcStat(b) })
}

func FuzzAuthenticate(f *testing.F) {
	chal := make([]byte, 56)
	copy(chal, "NTLMSSP\x00\x02")
	chal[20] = 0x15
	chal[40], chal[44] = 8, 48
	f.Add(chal)
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &ntlmClient{user: "u", password: "p"}
		c.authenticate(b)
	})
}
