package auth

import (
	"testing"
)

// The parsers face untrusted bytes from unauthenticated clients: they must
// never panic, whatever the input.

func FuzzSPNEGO(f *testing.F) {
	c := testClient{user: "alice", password: "secret"}
	f.Add(c.initToken())
	f.Add(InitialToken())
	f.Add(encodeNegTokenResp(negAcceptIncomplete, true, []byte("tok"), []byte("mic")))
	f.Add([]byte{0x60, 0x82, 0x00, 0x02, 0x06, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		if tok, err := parseNegTokenInit(b); err == nil && tok.mechList == nil {
			t.Fatal("NegTokenInit without mechList accepted")
		}
		parseNegTokenResp(b)
		for p := b; len(p) > 0; {
			_, rest, err := readTLV(p)
			if err != nil {
				break
			}
			if len(rest) >= len(p) {
				t.Fatal("readTLV made no progress")
			}
			p = rest
		}
	})
}

func FuzzNTLMSSP(f *testing.F) {
	c := testClient{user: "alice", password: "secret", domain: "D"}
	f.Add(c.negotiateMsg())
	f.Add(c.authenticate(f, buildTestChallenge(f)))
	f.Add((&testClient{anonymous: true}).authenticate(f, buildTestChallenge(f)))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseNegotiate(b)
		if m, err := parseAuthenticate(b); err == nil {
			m.hasMICField()
			if len(m.nt) >= 16+28 {
				findAV(m.nt[16+28:], avFlags)
			}
		}
		findAV(b, avTimestamp)
	})
}

// FuzzStep feeds arbitrary first and second tokens through a context with
// users and guest access enabled.
func FuzzStep(f *testing.F) {
	cfg := testConfig(true)
	c := testClient{user: "alice", password: "secret"}
	first := c.initToken()
	ctx := cfg.NewContext()
	out, _, _ := ctx.Step(first)
	f.Add(first, c.respToken(f, out))
	raw := testClient{user: "bob", password: "hunter2"}
	f.Add(raw.negotiateMsg(), raw.authenticate(f, buildTestChallenge(f)))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ctx := cfg.NewContext()
		if _, done, err := ctx.Step(a); err != nil || done {
			return
		}
		_, done, err := ctx.Step(b)
		if done && err != nil {
			t.Fatal("done with error")
		}
		// Random bytes cannot prove knowledge of a password.
		if done && !ctx.IsGuest() {
			t.Fatalf("fuzzed input authenticated as %q", ctx.User())
		}
	})
}
