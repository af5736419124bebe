package auth

import (
	"bytes"
	"encoding/asn1"
	"testing"
)

// TestInitialTokenASN1 decodes InitialToken with encoding/asn1, an
// independent DER parser, and checks the NegTokenInit2 fields.
func TestInitialTokenASN1(t *testing.T) {
	tok := InitialToken()
	var app asn1.RawValue
	if rest, err := asn1.Unmarshal(tok, &app); err != nil || len(rest) != 0 {
		t.Fatalf("outer: %v rest %d", err, len(rest))
	}
	if app.Class != asn1.ClassApplication || app.Tag != 0 {
		t.Fatalf("outer tag class %d tag %d", app.Class, app.Tag)
	}
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(app.Bytes, &oid)
	if err != nil || !oid.Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}) {
		t.Fatalf("SPNEGO OID %v %v", oid, err)
	}
	var init2 struct {
		MechTypes []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
		NegHints  struct {
			HintName string `asn1:"explicit,optional,tag:0,generalstring"`
		} `asn1:"explicit,optional,tag:3"`
	}
	var choice asn1.RawValue
	if _, err := asn1.Unmarshal(rest, &choice); err != nil || choice.Tag != 0 || choice.Class != asn1.ClassContextSpecific {
		t.Fatalf("choice %v", err)
	}
	if _, err := asn1.Unmarshal(choice.Bytes, &init2); err != nil {
		t.Fatalf("NegTokenInit2: %v", err)
	}
	if len(init2.MechTypes) != 1 || !init2.MechTypes[0].Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}) {
		t.Fatalf("mechTypes %v", init2.MechTypes)
	}
	if init2.NegHints.HintName != negHintName {
		t.Fatalf("hintName %q", init2.NegHints.HintName)
	}
}

func TestNegTokenRespRoundTrip(t *testing.T) {
	tests := []struct {
		state      int
		mech       bool
		token, mic []byte
	}{
		{negAcceptIncomplete, true, []byte("challenge"), nil},
		{negAcceptCompleted, false, nil, bytes.Repeat([]byte{7}, 16)},
		{negReject, false, nil, nil},
		{-1, false, bytes.Repeat([]byte{1}, 300), bytes.Repeat([]byte{2}, 70000)}, // long lengths
	}
	for _, tt := range tests {
		enc := encodeNegTokenResp(tt.state, tt.mech, tt.token, tt.mic)
		got, err := parseNegTokenResp(enc)
		if err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		if got.negState != tt.state || !bytes.Equal(got.responseToken, tt.token) || !bytes.Equal(got.mechListMIC, tt.mic) ||
			(got.supportedMech != nil) != tt.mech {
			t.Errorf("round trip of %+v gave %+v", tt, got)
		}
		// encoding/asn1 agrees on the structure.
		var raw asn1.RawValue
		if _, err := asn1.Unmarshal(enc, &raw); err != nil {
			t.Errorf("encoding/asn1 rejects our token: %v", err)
		}
	}
}

// A NegTokenInit as Windows 10 sends it (Kerberos variants, NTLMSSP, and
// the NEGOEX OID), built with encoding/asn1.
func TestParseNegTokenInitWindowsLike(t *testing.T) {
	type negTokenInit struct {
		MechTypes []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
		MechToken []byte                  `asn1:"explicit,optional,tag:2"`
	}
	mechs := []asn1.ObjectIdentifier{
		{1, 3, 6, 1, 4, 1, 311, 2, 2, 30},
		{1, 2, 840, 48018, 1, 2, 2},
		{1, 2, 840, 113554, 1, 2, 2},
		{1, 3, 6, 1, 4, 1, 311, 2, 2, 10},
	}
	body, err := asn1.Marshal(negTokenInit{MechTypes: mechs, MechToken: []byte("optimistic")})
	if err != nil {
		t.Fatal(err)
	}
	inner := append(tlv(tagOID, oidSPNEGO), tlv(tagNegTokenInit, body)...)
	tok := tlv(tagApplication0, inner)
	got, err := parseNegTokenInit(tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.mechTypes) != 4 || !bytes.Equal(got.mechTypes[3], oidNTLMSSP) || string(got.mechToken) != "optimistic" {
		t.Fatalf("parsed %+v", got)
	}
	wantList, _ := asn1.Marshal(mechs)
	if !bytes.Equal(got.mechList, wantList) {
		t.Fatalf("mechList %x, want %x", got.mechList, wantList)
	}
}

func TestReadTLVErrors(t *testing.T) {
	for _, b := range [][]byte{
		{},
		{0x30},
		{0x30, 0x05, 1, 2},       // short content
		{0x30, 0x80},             // indefinite length
		{0x30, 0x84, 0, 0, 0, 1}, // 4-byte length
		{0x1f, 0x01, 0x00},       // multi-octet tag
		{0x30, 0x82, 0x01},       // truncated length
	} {
		if _, _, err := readTLV(b); err == nil {
			t.Errorf("readTLV(%x) accepted", b)
		}
	}
	if _, err := readOne([]byte{0x04, 0x01, 0xaa, 0x00, 0x00}, tagOctetString); err != nil {
		t.Errorf("zero padding refused: %v", err)
	}
	if _, err := readOne([]byte{0x04, 0x01, 0xaa, 0x01}, tagOctetString); err == nil {
		t.Error("trailing garbage accepted")
	}
}
