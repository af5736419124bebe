//go:build linux

package bench

import (
	"encoding/binary"
	"testing"

	"github.com/zerosmb/zerosmb/internal/sign"
)

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

// FuzzUnprotect feeds arbitrary response frames to the checks of a sealed
// and of a signed session: no panic, and nothing accepted that the
// session's key did not produce (the seeds are valid; mutations of them
// must fail: whatever is accepted is the one message ever signed or sealed
// with the key) except, on a signed session, an unsigned interim response.
func FuzzUnprotect(f *testing.F) {
	key := make([]byte, 16)
	sealer, _ := sign.NewSealer(sign.AES128GCM, key)
	signer, _ := sign.NewSigner(sign.AESGMAC, key)
	msg := make([]byte, hdrSize+16)
	copy(msg, "\xfeSMB")
	msg[16] = flagResponse
	signer.Sign(msg)
	f.Add(sealer.Seal(nil, 7, msg), true)
	f.Add(msg, false)
	f.Fuzz(func(t *testing.T, frame []byte, seal bool) {
		c := &Client{sessionID: 7}
		if seal {
			c.opener = sealer
		} else {
			c.signer = signer
		}
		in := string(frame)
		out, err := c.unprotect(frame, true, false)
		if err != nil || string(out) == string(msg) {
			return
		}
		interim := binary.LittleEndian.Uint32(out[8:]) == statusPending && binary.LittleEndian.Uint32(out[16:])&flagAsync != 0
		if seal || !interim {
			t.Fatalf("accepted a frame the key did not produce: %x", in)
		}
	})
}
