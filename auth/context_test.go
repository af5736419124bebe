package auth

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func testConfig(guest bool) *Config {
	db := NewUserDB()
	db.Add("alice", "secret")
	db.Add("Bob", "hunter2")
	return &Config{Users: db, Domain: "TESTDOM", Server: "TESTSRV", AllowGuest: guest}
}

// runSPNEGO drives a full SPNEGO exchange and returns the context, the final
// server output and error.
func runSPNEGO(t *testing.T, cfg *Config, c *testClient) (*Context, []byte, error) {
	t.Helper()
	ctx := cfg.NewContext()
	out, done, err := ctx.Step(c.initToken())
	if err != nil || done {
		t.Fatalf("first step: done=%v err=%v", done, err)
	}
	if c.kerberosFirst {
		resp, err := parseNegTokenResp(out)
		if err != nil {
			t.Fatal(err)
		}
		if resp.negState != negRequestMIC || !bytes.Equal(resp.supportedMech, oidNTLMSSP) || resp.responseToken != nil {
			t.Fatalf("kerberos-first reply: %+v", resp)
		}
		out, done, err = ctx.Step(encodeNegTokenResp(-1, false, c.negotiateMsg(), nil))
		if err != nil || done {
			t.Fatalf("negotiate step: done=%v err=%v", done, err)
		}
	} else {
		resp, err := parseNegTokenResp(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(resp.supportedMech, oidNTLMSSP) {
			t.Fatalf("supportedMech %x", resp.supportedMech)
		}
	}
	out, done, err = ctx.Step(c.respToken(t, out))
	if err == nil && !done {
		t.Fatal("no error but not done")
	}
	return ctx, out, err
}

func TestSPNEGOSuccess(t *testing.T) {
	tests := []struct {
		name   string
		client testClient
		user   string
	}{
		{"basic", testClient{user: "alice", password: "secret", domain: "TESTDOM"}, "alice"},
		{"case-insensitive user", testClient{user: "ALICE", password: "secret", domain: "x"}, "alice"},
		{"stored spelling", testClient{user: "bob", password: "hunter2"}, "Bob"},
		{"no MIC", testClient{user: "alice", password: "secret", noMIC: true}, "alice"},
		{"no key exchange", testClient{user: "alice", password: "secret", flags: testClientFlags &^ flagKeyExch}, "alice"},
		{"no signing flags", testClient{user: "alice", password: "secret", flags: flagUnicode | flagNTLM | flagExtendedSec | flagRequestTarget}, "alice"},
		{"empty-domain fallback", testClient{user: "alice", password: "secret", domain: "WHATEVER", proofDomain: new(string)}, "alice"},
		{"kerberos offered first", testClient{user: "alice", password: "secret", kerberosFirst: true}, "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client
			ctx, out, err := runSPNEGO(t, testConfig(false), &c)
			if err != nil {
				t.Fatalf("Step: %v", err)
			}
			if ctx.User() != tt.user || ctx.Domain() != c.domain || ctx.IsGuest() || ctx.IsAnonymous() {
				t.Errorf("user %q domain %q guest %v anon %v", ctx.User(), ctx.Domain(), ctx.IsGuest(), ctx.IsAnonymous())
			}
			if key := ctx.SessionKey(); len(key) != 16 || !bytes.Equal(key, c.exported) {
				t.Errorf("session key mismatch")
			}
			resp, err := parseNegTokenResp(out)
			if err != nil {
				t.Fatal(err)
			}
			if resp.negState != negAcceptCompleted {
				t.Errorf("negState %d", resp.negState)
			}
			if want := c.mechListMAC(signS2C, sealS2C); !bytes.Equal(resp.mechListMIC, want) {
				t.Errorf("server mechListMIC %x, want %x", resp.mechListMIC, want)
			}
			if _, _, err := ctx.Step(out); !errors.Is(err, ErrLogonFailure) {
				t.Errorf("Step after done: %v", err)
			}
		})
	}
}

func TestSPNEGOWithoutClientMechListMIC(t *testing.T) {
	c := testClient{user: "alice", password: "secret", noMechListMIC: true}
	_, out, err := runSPNEGO(t, testConfig(false), &c)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := parseNegTokenResp(out)
	if err != nil {
		t.Fatal(err)
	}
	if resp.negState != negAcceptCompleted || resp.mechListMIC != nil {
		t.Fatalf("reply %+v", resp)
	}
}

func TestSPNEGOFailures(t *testing.T) {
	tests := []struct {
		name   string
		guest  bool
		client testClient
		reason string
	}{
		{"wrong password", false, testClient{user: "alice", password: "pa55-Wr0ng"}, "wrong password"},
		{"wrong password with guest", true, testClient{user: "alice", password: "pa55-Wr0ng"}, "wrong password"},
		{"unknown user", false, testClient{user: "mallory", password: "x"}, "unknown user"},
		{"NTLMv1", false, testClient{user: "alice", password: "secret", v1: true}, "NTLMv1"},
		{"NTLMv1 of a known user with guest", true, testClient{user: "alice", password: "secret", v1: true}, "NTLMv1"},
		{"bad MIC", false, testClient{user: "alice", password: "secret", badMIC: true}, "MIC"},
		{"bad mechListMIC", false, testClient{user: "alice", password: "secret", badMechListMIC: true}, "mechListMIC"},
		{"anonymous refused", false, testClient{anonymous: true}, "anonymous"},
		{"wrong domain without fallback", false, testClient{user: "alice", password: "secret", domain: "A", proofDomain: ptr("B")}, "wrong password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client
			ctx, out, err := runSPNEGO(t, testConfig(tt.guest), &c)
			if !errors.Is(err, ErrLogonFailure) {
				t.Fatalf("err = %v, want ErrLogonFailure", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err %q does not mention %q", err, tt.reason)
			}
			if strings.Contains(err.Error(), c.password) && c.password != "" {
				t.Errorf("error leaks the password: %v", err)
			}
			resp, perr := parseNegTokenResp(out)
			if perr != nil || resp.negState != negReject {
				t.Errorf("reply is not a reject token: %+v %v", resp, perr)
			}
			if ctx.SessionKey() != nil {
				t.Error("session key after failure")
			}
			if _, _, err := ctx.Step(out); !errors.Is(err, ErrLogonFailure) {
				t.Errorf("Step after failure: %v", err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestGuestAndAnonymous(t *testing.T) {
	// Unknown user with guest allowed.
	c := testClient{user: "stranger", password: "whatever"}
	ctx, out, err := runSPNEGO(t, testConfig(true), &c)
	if err != nil {
		t.Fatalf("guest: %v", err)
	}
	if !ctx.IsGuest() || ctx.IsAnonymous() || ctx.User() != "stranger" || ctx.SessionKey() != nil {
		t.Errorf("guest: guest %v anon %v user %q key %x", ctx.IsGuest(), ctx.IsAnonymous(), ctx.User(), ctx.SessionKey())
	}
	if resp, err := parseNegTokenResp(out); err != nil || resp.negState != negAcceptCompleted || resp.mechListMIC != nil {
		t.Errorf("guest reply %+v %v", resp, err)
	}

	// An unknown user sending NTLMv1 becomes a guest too ("map to guest
	// = bad user"), without a session key; refused without guest shares.
	c = testClient{user: "oldclient", password: "whatever", v1: true}
	ctx, _, err = runSPNEGO(t, testConfig(true), &c)
	if err != nil {
		t.Fatalf("NTLMv1 guest: %v", err)
	}
	if !ctx.IsGuest() || ctx.User() != "oldclient" || ctx.SessionKey() != nil {
		t.Errorf("NTLMv1 guest: guest %v user %q key %x", ctx.IsGuest(), ctx.User(), ctx.SessionKey())
	}
	c = testClient{user: "oldclient", password: "whatever", v1: true}
	if _, _, err := runSPNEGO(t, testConfig(false), &c); !errors.Is(err, ErrLogonFailure) {
		t.Errorf("NTLMv1 unknown user without guest: %v", err)
	}

	// Anonymous with guest allowed.
	c = testClient{anonymous: true}
	ctx, _, err = runSPNEGO(t, testConfig(true), &c)
	if err != nil {
		t.Fatalf("anonymous: %v", err)
	}
	if !ctx.IsGuest() || !ctx.IsAnonymous() || ctx.User() != "" || ctx.SessionKey() != nil {
		t.Errorf("anonymous: guest %v anon %v user %q", ctx.IsGuest(), ctx.IsAnonymous(), ctx.User())
	}

	// Nil Config and nil UserDB: nobody gets in.
	var nilCfg *Config
	c = testClient{user: "alice", password: "secret"}
	if _, _, err := runSPNEGO(t, nilCfg, &c); !errors.Is(err, ErrLogonFailure) {
		t.Errorf("nil config: %v", err)
	}
}

func TestRawNTLMSSP(t *testing.T) {
	cfg := testConfig(false)
	for _, pw := range []string{"secret", "bad"} {
		c := testClient{user: "alice", password: pw}
		ctx := cfg.NewContext()
		chal, done, err := ctx.Step(c.negotiateMsg())
		if err != nil || done {
			t.Fatalf("negotiate: %v %v", done, err)
		}
		if typ, err := ntlmMessageType(chal); err != nil || typ != ntlmChallengeType {
			t.Fatalf("raw reply is not a CHALLENGE: %v", err)
		}
		out, done, err := ctx.Step(c.authenticate(t, chal))
		if pw == "bad" {
			if !errors.Is(err, ErrLogonFailure) || out != nil || done {
				t.Errorf("bad password: out %x done %v err %v", out, done, err)
			}
			continue
		}
		if err != nil || !done || out != nil {
			t.Fatalf("authenticate: out %x done %v err %v", out, done, err)
		}
		if !bytes.Equal(ctx.SessionKey(), c.exported) {
			t.Error("session key mismatch")
		}
	}
}

func TestStepMalformed(t *testing.T) {
	cfg := testConfig(true)
	for _, in := range [][]byte{
		{0x60, 0x03, 0x06, 0x01, 0x00},
		[]byte("garbage"),
		{0xa1, 0x00},
		{0x60},
		tlv(tagApplication0, tlv(tagOID, oidSPNEGO), tlv(tagNegTokenInit, tlv(tagSequence, tlv(ctx(0), tlv(tagSequence, tlv(tagOID, oidKerberos)))))),
	} {
		if _, _, err := cfg.NewContext().Step(in); !errors.Is(err, ErrLogonFailure) {
			t.Errorf("Step(%x) = %v, want ErrLogonFailure", in, err)
		}
	}
	// Empty buffer: the server re-sends its mechanism list.
	out, done, err := cfg.NewContext().Step(nil)
	if err != nil || done || !bytes.Equal(out, InitialToken()) {
		t.Errorf("Step(nil) = %x %v %v", out, done, err)
	}
	// AUTHENTICATE where NEGOTIATE is expected.
	c := testClient{user: "alice", password: "secret"}
	auth := c.authenticate(t, buildTestChallenge(t))
	if _, _, err := cfg.NewContext().Step(auth); !errors.Is(err, ErrLogonFailure) {
		t.Errorf("AUTHENTICATE first: %v", err)
	}
}

// TestAcceptAnonymous: without guest access an anonymous logon is refused
// unless the context accepts it (a re-authentication); a user logon on
// such a context is unaffected.
func TestAcceptAnonymous(t *testing.T) {
	cfg := testConfig(false)
	c := testClient{anonymous: true}
	if _, _, err := runSPNEGO(t, cfg, &c); !errors.Is(err, ErrLogonFailure) {
		t.Errorf("anonymous without guest: %v", err)
	}
	ctx := cfg.NewContext()
	ctx.AcceptAnonymous()
	chal, _, err := ctx.Step(c.negotiateMsg())
	if err != nil {
		t.Fatal(err)
	}
	if _, done, err := ctx.Step(c.authenticate(t, chal)); err != nil || !done || !ctx.IsAnonymous() || ctx.SessionKey() != nil {
		t.Errorf("accepted anonymous: done %v err %v anonymous %v", done, err, ctx.IsAnonymous())
	}
}

// TestCheckNTLMv2Response: the structure check of NTLMv2 responses.
func TestCheckNTLMv2Response(t *testing.T) {
	fixed := make([]byte, 16+28)
	fixed[16], fixed[17] = 1, 1
	with := func(b ...byte) []byte { return append(append([]byte(nil), fixed...), b...) }
	for _, tc := range []struct {
		name string
		nt   []byte
		ok   bool
	}{
		{"EOL only", with(0, 0, 0, 0), true},
		{"pair then EOL then padding", with(2, 0, 2, 0, 'W', 0, 0, 0, 0, 0, 0, 0, 0, 0), true},
		{"pair overruns", with(0x11, 0xa2, 0x08, 0x81, 1, 2), false},
		{"no EOL", with(2, 0, 2, 0, 'W', 0), false},
		{"truncated pair header", with(2, 0, 2), false},
		{"shorter than the fixed part", fixed[:30], false},
	} {
		if err := checkNTLMv2Response(tc.nt); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
