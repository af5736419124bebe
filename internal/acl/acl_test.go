package acl

import (
	"reflect"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

const (
	alice = "S-1-5-21-1-2-3-1000"
	bob   = "S-1-5-21-1-2-3-1001"
	staff = "S-1-5-21-1-2-3-1002"
	users = "S-1-5-21-1-2-3-513"
)

func allow(sid string, mask uint32, flags uint8) smb2.ACE {
	return smb2.ACE{Type: smb2.ACEAccessAllowed, Flags: flags, Mask: mask, SID: sid}
}

func deny(sid string, mask uint32, flags uint8) smb2.ACE {
	return smb2.ACE{Type: smb2.ACEAccessDenied, Flags: flags, Mask: mask, SID: sid}
}

func sdWith(owner string, aces ...smb2.ACE) *smb2.SecurityDescriptor {
	return &smb2.SecurityDescriptor{Owner: owner, Group: users, DACL: &smb2.ACL{Revision: 2, ACEs: aces}}
}

func TestGranted(t *testing.T) {
	aliceTok := &Token{SIDs: []string{alice, users, staff, SIDEveryone}}
	bobTok := &Token{SIDs: []string{bob, users, SIDEveryone}}
	adminTok := &Token{SIDs: []string{bob, SIDEveryone}, Admin: true}
	const rd = smb2.FileGenericRead
	tests := []struct {
		name string
		sd   *smb2.SecurityDescriptor
		tok  *Token
		want uint32
	}{
		{"no descriptor", nil, bobTok, smb2.FileAllAccess},
		{"null DACL", &smb2.SecurityDescriptor{Owner: alice, NullDACL: true}, bobTok, smb2.FileAllAccess},
		{"empty DACL, not owner", sdWith(alice), bobTok, 0},
		{"empty DACL, owner gets READ_CONTROL|WRITE_DAC", sdWith(alice), aliceTok, smb2.ReadControl | smb2.WriteDAC},
		{"allow by group", sdWith(bob, allow(staff, rd, 0)), aliceTok, rd},
		{"deny first wins", sdWith(bob, deny(alice, smb2.FileWriteData, 0), allow(SIDEveryone, smb2.FileAllAccess, 0)), aliceTok,
			smb2.FileAllAccess &^ smb2.FileWriteData},
		{"allow first wins over later deny", sdWith(bob, allow(alice, smb2.FileWriteData, 0), deny(alice, smb2.FileWriteData, 0)), aliceTok,
			smb2.FileWriteData},
		{"inherit-only ignored", sdWith(bob, allow(alice, smb2.FileAllAccess, smb2.ACEInheritOnly|smb2.ACEObjectInherit)), aliceTok, 0},
		{"generic mapped", sdWith(bob, allow(alice, smb2.GenericRead, 0)), aliceTok, rd},
		{"owner rights ACE replaces implied rights", sdWith(alice, allow(SIDOwnerRights, smb2.FileReadData, 0)), aliceTok, smb2.FileReadData},
		{"owner rights deny", sdWith(alice, deny(SIDOwnerRights, smb2.WriteDAC, 0), allow(alice, smb2.FileAllAccess, 0)), aliceTok,
			smb2.FileAllAccess &^ smb2.WriteDAC},
		{"owner rights not for others", sdWith(alice, allow(SIDOwnerRights, smb2.FileAllAccess, 0)), bobTok, 0},
		{"unknown ACE type ignored", sdWith(bob, smb2.ACE{Type: 0x05, Body: []byte{0, 0, 0, 0}}, allow(alice, 1, 0)), aliceTok, 1},
		{"admin always may change ACL and owner", sdWith(alice, deny(SIDEveryone, smb2.FileAllAccess, 0)), adminTok, adminRights},
	}
	for _, tt := range tests {
		if got := Granted(tt.sd, tt.tok); got != tt.want {
			t.Errorf("%s: Granted = %#x, want %#x", tt.name, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	granted := smb2.FileGenericRead
	if a, ok := Check(smb2.GenericRead, granted); !ok || a != smb2.FileGenericRead {
		t.Errorf("GENERIC_READ: %#x %v", a, ok)
	}
	if _, ok := Check(smb2.FileWriteData, granted); ok {
		t.Error("write granted")
	}
	if a, ok := Check(smb2.MaximumAllowed, granted); !ok || a != granted {
		t.Errorf("MAXIMUM_ALLOWED: %#x %v", a, ok)
	}
	if a, ok := Check(smb2.MaximumAllowed, 0); !ok || a != 0 {
		t.Errorf("MAXIMUM_ALLOWED with nothing: %#x %v", a, ok)
	}
}

func TestInheritACL(t *testing.T) {
	const (
		OI = smb2.ACEObjectInherit
		CI = smb2.ACEContainerInherit
		NP = smb2.ACENoPropagateInherit
		IO = smb2.ACEInheritOnly
		ID = smb2.ACEInherited
		rw = smb2.FileReadData | smb2.FileWriteData
	)
	tests := []struct {
		name   string
		parent smb2.ACE
		file   []smb2.ACE
		dir    []smb2.ACE
	}{
		{"no flags", allow(bob, rw, 0), nil, nil},
		{"OI", allow(bob, rw, OI), []smb2.ACE{allow(bob, rw, ID)}, []smb2.ACE{allow(bob, rw, OI|IO|ID)}},
		{"OI|NP", allow(bob, rw, OI|NP), []smb2.ACE{allow(bob, rw, ID)}, nil},
		{"CI", allow(bob, rw, CI), nil, []smb2.ACE{allow(bob, rw, CI|ID)}},
		{"CI|NP", allow(bob, rw, CI|NP), nil, []smb2.ACE{allow(bob, rw, ID)}},
		{"OI|CI", deny(bob, rw, OI|CI), []smb2.ACE{deny(bob, rw, ID)}, []smb2.ACE{deny(bob, rw, OI|CI|ID)}},
		{"OI|CI|IO applies to children", allow(bob, rw, OI|CI|IO), []smb2.ACE{allow(bob, rw, ID)}, []smb2.ACE{allow(bob, rw, OI|CI|ID)}},
		{"OI|CI|NP", allow(bob, rw, OI|CI|NP), []smb2.ACE{allow(bob, rw, ID)}, []smb2.ACE{allow(bob, rw, ID)}},
		{"CREATOR OWNER split on dirs", allow(SIDCreatorOwner, smb2.GenericAll, OI|CI|IO),
			[]smb2.ACE{allow(alice, smb2.FileAllAccess, ID)},
			[]smb2.ACE{allow(alice, smb2.FileAllAccess, ID), allow(SIDCreatorOwner, smb2.GenericAll, OI|CI|IO|ID)}},
		{"CREATOR GROUP", allow(SIDCreatorGroup, smb2.FileReadData, OI), []smb2.ACE{allow(users, smb2.FileReadData, ID)},
			[]smb2.ACE{allow(SIDCreatorGroup, smb2.FileReadData, OI|IO|ID)}},
		{"object ACE not inherited", smb2.ACE{Type: 0x05, Flags: OI | CI, Body: []byte{1, 2, 3, 4}}, nil, nil},
	}
	for _, tt := range tests {
		parent := &smb2.ACL{Revision: 2, ACEs: []smb2.ACE{tt.parent}}
		for _, c := range []struct {
			isDir bool
			want  []smb2.ACE
		}{{false, tt.file}, {true, tt.dir}} {
			got, ok := InheritACL(parent, c.isDir, true, alice, users)
			if ok != (len(c.want) > 0) || !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s (dir %v): got %+v, want %+v", tt.name, c.isDir, got, c.want)
			}
		}
	}
}

func TestNewAndMerge(t *testing.T) {
	parent := sdWith(bob, allow(staff, smb2.FileGenericRead, smb2.ACEObjectInherit))
	parent.Control |= smb2.SEDACLAutoInherited
	sd := New(parent, nil, false, alice, users, smb2.FileAllAccess)
	if sd.Owner != alice || len(sd.DACL.ACEs) != 1 || sd.DACL.ACEs[0].SID != staff || sd.Control&smb2.SEDACLAutoInherited == 0 {
		t.Errorf("inherited: %+v", sd)
	}
	// Nothing inheritable: default (owner, SYSTEM, Administrators, Everyone).
	sd = New(sdWith(bob, allow(staff, 1, 0)), nil, true, alice, users, smb2.FileGenericRead)
	if g := Granted(sd, &Token{SIDs: []string{alice}}); g != smb2.FileAllAccess {
		t.Errorf("owner on default SD gets %#x", g)
	}
	if g := Granted(sd, &Token{SIDs: []string{bob, SIDEveryone}}); g != smb2.FileGenericRead {
		t.Errorf("others on default SD get %#x", g)
	}
	// The creator's DACL wins over inheritance.
	creator := sdWith("", deny(bob, smb2.FileAllAccess, 0))
	sd = New(parent, creator, false, alice, users, smb2.FileAllAccess)
	if sd.Owner != alice || len(sd.DACL.ACEs) != 1 || sd.DACL.ACEs[0].Type != smb2.ACEAccessDenied {
		t.Errorf("creator DACL: %+v", sd)
	}
	// Merge replaces only what info names.
	m := Merge(sd, &smb2.SecurityDescriptor{Owner: bob, DACL: &smb2.ACL{}}, smb2.OwnerSecurityInformation)
	if m.Owner != bob || len(m.DACL.ACEs) != 1 || m.Group != users {
		t.Errorf("owner-only merge: %+v", m)
	}
	m = Merge(sd, &smb2.SecurityDescriptor{Control: smb2.SEDACLProtected, DACL: &smb2.ACL{}}, smb2.DACLSecurityInformation)
	if m.Owner != alice || len(m.DACL.ACEs) != 0 || m.Control&smb2.SEDACLProtected == 0 {
		t.Errorf("DACL merge: %+v", m)
	}
	for _, c := range []struct{ in, want uint16 }{
		{smb2.SEDACLAutoInherited, 0},
		{smb2.SEDACLAutoInheritReq, 0},
		{smb2.SEDACLAutoInherited | smb2.SEDACLAutoInheritReq, smb2.SEDACLAutoInherited},
		{smb2.SEDACLProtected | smb2.SEDACLAutoInheritReq, smb2.SEDACLProtected},
	} {
		m = Merge(sd, &smb2.SecurityDescriptor{Control: c.in, DACL: &smb2.ACL{}}, smb2.DACLSecurityInformation)
		if got := m.Control & (smb2.SEDACLProtected | smb2.SEDACLAutoInherited | smb2.SEDACLAutoInheritReq); got != c.want {
			t.Errorf("control %#x stored as %#x, want %#x", c.in, got, c.want)
		}
	}
	f := Filter(m, smb2.OwnerSecurityInformation)
	if f.Owner != alice || f.Group != "" || f.DACL != nil {
		t.Errorf("filter: %+v", f)
	}
}

func TestInheritedFlagNeedsAutoInherit(t *testing.T) {
	parent := &smb2.ACL{ACEs: []smb2.ACE{allow(bob, 1, smb2.ACEObjectInherit|smb2.ACEContainerInherit)}}
	got, _ := InheritACL(parent, true, false, alice, users)
	if len(got) != 1 || got[0].Flags != smb2.ACEObjectInherit|smb2.ACEContainerInherit {
		t.Errorf("without auto-inherit: %+v", got)
	}
	m := MapExplicit(&smb2.ACL{ACEs: []smb2.ACE{allow(bob, smb2.GenericRead, 0), allow(bob, smb2.GenericRead, smb2.ACEInheritOnly|smb2.ACEObjectInherit)}})
	if m.ACEs[0].Mask != smb2.FileGenericRead || m.ACEs[1].Mask != smb2.GenericRead {
		t.Errorf("MapExplicit: %+v", m.ACEs)
	}
}
