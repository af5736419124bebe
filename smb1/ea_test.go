package smb1

import (
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func TestFEAListRoundTrip(t *testing.T) {
	eas := []smb2.FullEA{{Name: ".CLASSINFO", Value: []byte("first value")}, {Flags: 0x80, Name: "X", Value: nil}}
	b := AppendFEAList(nil, eas)
	if len(b) != FEAListSize(eas) || int(le.Uint32(b)) != len(b) {
		t.Fatalf("FEALIST of %d bytes says %d", len(b), le.Uint32(b))
	}
	got, err := DecodeFEAList(b)
	if err != nil || len(got) != 2 || got[0].Name != ".CLASSINFO" || string(got[0].Value) != "first value" ||
		got[1].Flags != 0x80 || len(got[1].Value) != 0 {
		t.Fatalf("%+v %v", got, err)
	}
	// A size past the buffer, a missing name terminator, an entry past
	// the size.
	bad := append([]byte(nil), b...)
	le.PutUint32(bad, uint32(len(b)+1))
	if _, err := DecodeFEAList(bad); err == nil {
		t.Error("size past the buffer accepted")
	}
	bad = append([]byte(nil), b...)
	bad[4+4+10] = 'x'
	if _, err := DecodeFEAList(bad); err == nil {
		t.Error("unterminated name accepted")
	}
	le.PutUint32(bad, 10)
	if _, err := DecodeFEAList(bad); err == nil {
		t.Error("entry past SizeOfListInBytes accepted")
	}
}

func TestGEAListAndChains(t *testing.T) {
	b := []byte{0, 0, 0, 0, 2, 'A', 'B', 0, 1, 'C'}
	le.PutUint32(b, uint32(len(b)))
	names, err := DecodeGEAList(b)
	if err != nil || len(names) != 2 || names[0] != "AB" || names[1] != "C" {
		t.Fatalf("%q %v", names, err)
	}
	got, st := smb2.DecodeGetEA(AppendGetEAChain(nil, names))
	if st != smb2.StatusSuccess || len(got) != 2 || got[1] != "C" {
		t.Errorf("GET_EA chain decodes to %q %v", got, st)
	}
	full, st := smb2.DecodeFullEA(AppendFullEAChain(nil, []smb2.FullEA{{Name: "A", Value: []byte("1")}, {Name: "B"}}))
	if st != smb2.StatusSuccess || len(full) != 2 || string(full[0].Value) != "1" {
		t.Errorf("FULL_EA chain decodes to %+v %v", full, st)
	}
	b[4] = 200
	if _, err := DecodeGEAList(b); err == nil {
		t.Error("name past the list accepted")
	}
}
