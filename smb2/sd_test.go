package smb2

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func sampleSD() *SecurityDescriptor {
	return &SecurityDescriptor{
		Control: SEDACLProtected,
		Owner:   "S-1-5-21-1-2-3-1000",
		Group:   "S-1-5-21-1-2-3-513",
		DACL: &ACL{Revision: 2, ACEs: []ACE{
			{Type: ACEAccessDenied, Flags: 0, Mask: 0x2, SID: "S-1-5-21-1-2-3-1001"},
			{Type: ACEAccessAllowed, Flags: ACEObjectInherit | ACEContainerInherit, Mask: FileAllAccess, SID: SIDEveryone},
			{Type: 0x05, Flags: 0, Body: []byte{1, 2, 3, 4, 5, 6, 7, 8}}, // object ACE kept opaque
		}},
	}
}

func TestSecurityDescriptorRoundTrip(t *testing.T) {
	b, err := sampleSD().Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := DecodeSecurityDescriptor(b)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Owner != "S-1-5-21-1-2-3-1000" || sd.Group != "S-1-5-21-1-2-3-513" || len(sd.DACL.ACEs) != 3 || sd.SACL != nil {
		t.Fatalf("decoded %+v", sd)
	}
	if a := sd.DACL.ACEs[1]; a.Mask != FileAllAccess || a.SID != SIDEveryone || a.Flags != ACEObjectInherit|ACEContainerInherit {
		t.Errorf("ACE 1 = %+v", a)
	}
	if !bytes.Equal(sd.DACL.ACEs[2].Body, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("opaque ACE body %x", sd.DACL.ACEs[2].Body)
	}
	again, _ := sd.Append(nil)
	if !bytes.Equal(again, b) {
		t.Errorf("re-encoding differs:\n%x\n%x", again, b)
	}
	// The old default encoder's output decodes too.
	def := AppendSecurityDescriptor(nil, SIDAdministrators, SIDUsers, OwnerSecurityInformation|GroupSecurityInformation|DACLSecurityInformation)
	if d, err := DecodeSecurityDescriptor(def); err != nil || d.DACL == nil || d.DACL.ACEs[0].SID != SIDEveryone {
		t.Errorf("default SD: %+v %v", d, err)
	}
	// NULL DACL.
	nd, _ := (&SecurityDescriptor{NullDACL: true}).Append(nil)
	if d, err := DecodeSecurityDescriptor(nd); err != nil || !d.NullDACL || d.DACL != nil {
		t.Errorf("null DACL: %+v %v", d, err)
	}
}

func TestSecurityDescriptorMalformed(t *testing.T) {
	good, _ := sampleSD().Append(nil)
	le := binary.LittleEndian
	daclOff := int(le.Uint32(good[16:]))
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string][]byte{
		"short":            good[:10],
		"bad revision":     mut(func(b []byte) []byte { b[0] = 2; return b }),
		"not self-rel":     mut(func(b []byte) []byte { b[3] &^= 0x80; return b }),
		"owner past end":   mut(func(b []byte) []byte { le.PutUint32(b[4:], 5000); return b }),
		"owner in header":  mut(func(b []byte) []byte { le.PutUint32(b[4:], 4); return b }),
		"dacl past end":    mut(func(b []byte) []byte { le.PutUint32(b[16:], uint32(len(b))); return b }),
		"acl revision":     mut(func(b []byte) []byte { b[daclOff] = 3; return b }),
		"acl size too big": mut(func(b []byte) []byte { le.PutUint16(b[daclOff+2:], 0xfff0); return b }),
		"ace count lies":   mut(func(b []byte) []byte { le.PutUint16(b[daclOff+4:], 9000); return b }),
		"ace past acl":     mut(func(b []byte) []byte { le.PutUint16(b[daclOff+8+2:], 400); return b }),
		"ace size zero":    mut(func(b []byte) []byte { le.PutUint16(b[daclOff+8+2:], 0); return b }),
		"ace sid bad":      mut(func(b []byte) []byte { b[daclOff+8+8] = 9; return b }),
		"huge":             append(good, make([]byte, MaxSecurityDescriptorSize)...),
	}
	for name, b := range cases {
		if _, err := DecodeSecurityDescriptor(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An ACL of more ACEs than fit in 64 KiB cannot be encoded.
	big := &SecurityDescriptor{DACL: &ACL{}}
	for i := 0; i < 5000; i++ {
		big.DACL.ACEs = append(big.DACL.ACEs, ACE{Type: ACEAccessAllowed, Mask: 1, SID: "S-1-5-21-1-2-3-1000"})
	}
	if _, err := big.Append(nil); err == nil {
		t.Error("oversized ACL encoded")
	}
}

func FuzzDecodeSecurityDescriptor(f *testing.F) {
	good, _ := sampleSD().Append(nil)
	f.Add(good)
	f.Add(AppendSecurityDescriptor(nil, SIDAdministrators, SIDUsers, 7))
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := DecodeSecurityDescriptor(b)
		if err != nil {
			return
		}
		out, err := sd.Append(nil)
		if err != nil {
			return // e.g. an opaque ACE body making the ACL too big
		}
		sd2, err := DecodeSecurityDescriptor(out)
		if err != nil {
			t.Fatalf("re-encoded SD does not decode: %v\n%x", err, out)
		}
		if sd2.Owner != sd.Owner || sd2.Group != sd.Group || (sd2.DACL == nil) != (sd.DACL == nil) {
			t.Fatalf("round trip changed the SD")
		}
	})
}
