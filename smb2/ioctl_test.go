package smb2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func ioctlRequestBody(code uint32, id FileID, input []byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 56)
	le.PutUint16(b, 57)
	le.PutUint32(b[4:], code)
	id.Put(b[8:])
	le.PutUint32(b[24:], 64+56)
	le.PutUint32(b[28:], uint32(len(input)))
	le.PutUint32(b[44:], 65536)
	le.PutUint32(b[48:], IoctlFlagIsFsctl)
	return append(b, input...)
}

func TestDecodeIoctlRequest(t *testing.T) {
	vni := []byte{}
	le := binary.LittleEndian
	vni = le.AppendUint32(vni, CapLargeMTU)
	vni = append(vni, bytes.Repeat([]byte{0xAB}, 16)...)
	vni = le.AppendUint16(vni, NegotiateSigningEnabled)
	vni = le.AppendUint16(vni, 3)
	vni = le.AppendUint16(vni, Dialect202)
	vni = le.AppendUint16(vni, Dialect210)
	vni = le.AppendUint16(vni, Dialect300)

	r, err := DecodeIoctlRequest(wireMsg(Ioctl, ioctlRequestBody(FsctlValidateNegotiateInfo, AnyFileID, vni)))
	if err != nil {
		t.Fatal(err)
	}
	if r.CtlCode != FsctlValidateNegotiateInfo || r.FileID != AnyFileID || !r.IsFsctl() ||
		r.MaxOutputResponse != 65536 || !bytes.Equal(r.Input, vni) || r.Output != nil {
		t.Fatalf("%+v", r)
	}
	v, err := DecodeValidateNegotiateInfoRequest(r.Input)
	if err != nil {
		t.Fatal(err)
	}
	if v.Capabilities != CapLargeMTU || v.GUID[0] != 0xAB || v.SecurityMode != NegotiateSigningEnabled ||
		len(v.Dialects) != 3 || v.Dialects[2] != Dialect300 {
		t.Errorf("%+v", v)
	}
	if _, err := DecodeValidateNegotiateInfoRequest(vni[:len(vni)-1]); !errors.Is(err, ErrMalformed) {
		t.Errorf("short dialects: %v", err)
	}

	bad := ioctlRequestBody(FsctlPipeTransceive, FileID{1, 2}, []byte{1, 2, 3})
	le.PutUint32(bad[28:], 4)
	if _, err := DecodeIoctlRequest(wireMsg(Ioctl, bad)); !errors.Is(err, ErrMalformed) {
		t.Errorf("input past end: %v", err)
	}
}

func TestIoctlResponseAppend(t *testing.T) {
	le := binary.LittleEndian
	vr := ValidateNegotiateInfoResponse{Capabilities: 1, SecurityMode: 1, Dialect: Dialect311}
	out := vr.Append(nil)
	if len(out) != 24 || le.Uint16(out[22:]) != Dialect311 {
		t.Fatalf("vni response % x", out)
	}
	r := IoctlResponse{CtlCode: FsctlValidateNegotiateInfo, FileID: AnyFileID, Output: out}
	b := r.Append(nil)
	if len(b) != 48+24 || le.Uint16(b) != 49 || le.Uint32(b[4:]) != FsctlValidateNegotiateInfo {
		t.Fatalf("% x", b)
	}
	if le.Uint32(b[24:]) != 112 || le.Uint32(b[28:]) != 0 || le.Uint32(b[32:]) != 112 || le.Uint32(b[36:]) != 24 {
		t.Errorf("offsets in=%d/%d out=%d/%d", le.Uint32(b[24:]), le.Uint32(b[28:]), le.Uint32(b[32:]), le.Uint32(b[36:]))
	}
	if !bytes.Equal(b[48:], out) {
		t.Errorf("output not at offset")
	}
	// With an input buffer the output starts 8-byte aligned after it.
	r.Input = []byte{1, 2, 3}
	b = r.Append(nil)
	if le.Uint32(b[32:]) != 120 || !bytes.Equal(b[120-64:], out) {
		t.Errorf("output offset %d", le.Uint32(b[32:]))
	}
}
