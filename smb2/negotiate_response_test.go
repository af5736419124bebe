package smb2

import (
	"bytes"
	"testing"
)

func sampleNegotiateResponse() NegotiateResponse {
	pre := PreauthIntegrityCaps{HashAlgorithms: []uint16{HashSHA512}, Salt: bytes.Repeat([]byte{7}, 32)}
	return NegotiateResponse{
		SecurityMode: NegotiateSigningEnabled | NegotiateSigningRequired, DialectRevision: Dialect311,
		Capabilities: CapLargeMTU, MaxTransactSize: 1 << 20, MaxReadSize: 8 << 20, MaxWriteSize: 4 << 20,
		SystemTime: 99, SecurityBuffer: []byte("spnego-hint"),
		Contexts: []NegotiateContext{
			{Type: PreauthIntegrityCapabilities, Data: pre.Append(nil)},
			{Type: EncryptionCapabilities, Data: AppendEncryptionCaps(nil, 4)},
			{Type: SigningCapabilities, Data: AppendSigningCaps(nil, 2)},
		},
	}
}

// TestDecodeNegotiateResponse decodes what Append encodes, for 3.1.1 with
// contexts and for 3.0.2 without, and refuses truncated or inconsistent
// messages.
func TestDecodeNegotiateResponse(t *testing.T) {
	want := sampleNegotiateResponse()
	msg := wireMsg(Negotiate, want.Append(nil))
	got, err := DecodeNegotiateResponse(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got.DialectRevision != Dialect311 || got.MaxReadSize != 8<<20 || got.MaxWriteSize != 4<<20 ||
		got.SecurityMode != want.SecurityMode || !bytes.Equal(got.SecurityBuffer, want.SecurityBuffer) ||
		len(got.Contexts) != 3 {
		t.Fatalf("decoded %+v", got)
	}
	for _, c := range want.Contexts {
		d, ok := got.Context(c.Type)
		if !ok || !bytes.Equal(d, c.Data) {
			t.Errorf("context %#x = %x, %v; want %x", c.Type, d, ok, c.Data)
		}
	}
	d, _ := got.Context(EncryptionCapabilities)
	if ids, err := DecodeEncryptionCaps(d); err != nil || len(ids) != 1 || ids[0] != 4 {
		t.Errorf("cipher = %v, %v", ids, err)
	}
	if _, ok := got.Context(CompressionCapabilities); ok {
		t.Error("absent context found")
	}
	old := want
	old.DialectRevision, old.Contexts = Dialect302, nil
	if got, err := DecodeNegotiateResponse(wireMsg(Negotiate, old.Append(nil))); err != nil || got.Contexts != nil || got.DialectRevision != Dialect302 {
		t.Errorf("3.0.2: %+v, %v", got, err)
	}
	for _, n := range []int{HeaderSize + 10, HeaderSize + 70, len(msg) - 1} {
		if _, err := DecodeNegotiateResponse(msg[:n]); err == nil {
			t.Errorf("truncated to %d bytes: accepted", n)
		}
	}
	noCtx := wireMsg(Negotiate, want.Append(nil))
	le.PutUint16(noCtx[HeaderSize+6:], 0) // 3.1.1 without contexts
	if _, err := DecodeNegotiateResponse(noCtx); err == nil {
		t.Error("3.1.1 response without contexts accepted")
	}
	badSize := wireMsg(Negotiate, want.Append(nil))
	le.PutUint16(badSize[HeaderSize:], 64)
	if _, err := DecodeNegotiateResponse(badSize); err == nil {
		t.Error("StructureSize 64 accepted")
	}
}

func FuzzDecodeNegotiateResponse(f *testing.F) {
	r := sampleNegotiateResponse()
	f.Add(wireMsg(Negotiate, r.Append(nil)))
	r.DialectRevision, r.Contexts = Dialect302, nil
	f.Add(wireMsg(Negotiate, r.Append(nil)))
	f.Fuzz(func(t *testing.T, msg []byte) {
		got, err := DecodeNegotiateResponse(msg)
		if err != nil {
			return
		}
		if len(got.SecurityBuffer) > len(msg) || len(got.Contexts) > 64 {
			t.Fatalf("decoded more than the input: %+v", got)
		}
		for _, c := range got.Contexts {
			if len(c.Data) > len(msg) {
				t.Fatalf("context data longer than the message")
			}
		}
	})
}
