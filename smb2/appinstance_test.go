package smb2

import (
	"bytes"
	"testing"
)

func TestAppInstanceContexts(t *testing.T) {
	id := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	b := AppendAppInstanceID(nil, id)
	if len(b) != 20 || b[0] != 20 || b[1] != 0 {
		t.Fatalf("encoded % x", b)
	}
	got, err := DecodeAppInstanceID(b)
	if err != nil || got != id {
		t.Fatalf("decoded %x, %v", got, err)
	}
	bad := append([]byte(nil), b...)
	bad[0] = 24
	if _, err := DecodeAppInstanceID(bad); err == nil {
		t.Error("StructureSize 24 accepted")
	}
	if _, err := DecodeAppInstanceID(b[:19]); err == nil {
		t.Error("19 bytes accepted")
	}
	v := AppInstanceVersion{High: 7, Low: 9}
	vb := v.Append(nil)
	if len(vb) != 24 {
		t.Fatalf("version encoded in %d bytes", len(vb))
	}
	gv, err := DecodeAppInstanceVersion(vb)
	if err != nil || gv != v {
		t.Fatalf("version decoded %+v, %v", gv, err)
	}
	if _, err := DecodeAppInstanceVersion(vb[:23]); err == nil {
		t.Error("23 bytes accepted")
	}
}

func FuzzDecodeAppInstance(f *testing.F) {
	f.Add(AppendAppInstanceID(nil, [16]byte{1}))
	f.Add(AppInstanceVersion{High: 1, Low: 2}.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		if id, err := DecodeAppInstanceID(b); err == nil && !bytes.Equal(AppendAppInstanceID(nil, id)[4:], b[4:20]) {
			t.Fatalf("id %x does not encode back", id)
		}
		if v, err := DecodeAppInstanceVersion(b); err == nil && !bytes.Equal(v.Append(nil)[8:], b[8:24]) {
			t.Fatalf("version %+v does not encode back", v)
		}
	})
}
