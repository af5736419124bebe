package smb1

import (
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// TestRenameToSMB2 checks the TYPE_1 → TYPE_2 conversion and its refusals.
func TestRenameToSMB2(t *testing.T) {
	type1 := func(replace byte, root uint32, name string) []byte {
		b := []byte{replace, 0, 0, 0}
		b = le.AppendUint32(b, root)
		n := smb2.AppendUTF16(nil, name)
		b = le.AppendUint32(b, uint32(len(n)))
		return append(b, n...)
	}
	out, err := RenameToSMB2(type1(1, 0, "new.txt"), `dir\sub`)
	if err != nil {
		t.Fatal(err)
	}
	r, err := smb2.DecodeFileRenameInfo(out, smb2.FileRenameInformation)
	if err != nil || !r.ReplaceIfExists || r.RootDirectory != 0 || r.FileName != `dir\sub\new.txt` {
		t.Fatalf("converted: %+v, %v", r, err)
	}
	if out, err = RenameToSMB2(type1(0, 0, "new.txt"), ""); err != nil {
		t.Fatal(err)
	}
	if r, _ = smb2.DecodeFileRenameInfo(out, smb2.FileRenameInformation); r.ReplaceIfExists || r.FileName != "new.txt" {
		t.Fatalf("at the root: %+v", r)
	}
	for _, tc := range []struct {
		b    []byte
		want smb2.Status
	}{
		{type1(0, 7, "x"), smb2.StatusInvalidParameter},
		{type1(0, 0, `a\x`), smb2.StatusNotSupported},
		{type1(0, 0, ""), smb2.StatusObjectNameInvalid},
		{type1(0, 0, "x")[:11], smb2.StatusInfoLengthMismatch},
		{type1(0, 0, "xy")[:15], smb2.StatusInvalidParameter},
	} {
		if _, err := RenameToSMB2(tc.b, "d"); err != tc.want {
			t.Errorf("% x: %v, want %v", tc.b, err, tc.want)
		}
	}
}
