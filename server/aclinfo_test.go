package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/smb2"
)

// TestSetSecurityBadInput stores descriptors through setSecurity on an
// osfs share: malformed, oversized and unauthorized ones get their
// status and leave the stored descriptor as it was.
func TestSetSecurityBadInput(t *testing.T) {
	ts := startServer(t, testOpts{})
	if err := os.WriteFile(filepath.Join(ts.Dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &conn{srv: ts.Srv, log: ts.Srv.log}
	sh := ts.Srv.shareTable().byName["share"]
	alice, _, _ := ts.Srv.cfg.Users.UserSID(testUser)
	tok := &acl.Token{SIDs: []string{alice, acl.SIDEveryone}}
	tr := &tree{share: sh}
	tr.ident.Store(&treeIdent{tok: tok, maxAccess: accessReadWrite})
	o := &open{tree: tr, name: "f", access: readControl | writeDAC | writeOwner}
	const all = smb2.OwnerSecurityInformation | smb2.GroupSecurityInformation | smb2.DACLSecurityInformation
	set := func(sd []byte, info uint32) smb2.Status {
		return c.setSecurity(o, &smb2.SetInfoRequest{AdditionalInformation: info, Buffer: sd})
	}
	stored := func() []byte {
		b, err := acl.Filter(c.effectiveSD(sh, "f"), all).Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := &smb2.SecurityDescriptor{Owner: alice, Group: smb2.SIDUsers, DACL: &smb2.ACL{ACEs: []smb2.ACE{
		{Type: smb2.ACEAccessDenied, Mask: smb2.FileAllAccess, SID: "S-1-5-21-1-2-3-1001"},
		{Type: smb2.ACEAccessAllowed, Mask: smb2.FileAllAccess, SID: alice},
	}}}
	gb, _ := good.Append(nil)
	if st := set(gb, all); st != smb2.StatusSuccess {
		t.Fatalf("good SD: %v", st)
	}
	want := stored()
	if d, _ := smb2.DecodeSecurityDescriptor(want); len(d.DACL.ACEs) != 2 || d.DACL.ACEs[0].Type != smb2.ACEAccessDenied {
		t.Fatalf("stored %+v", d)
	}
	// It is in the file's xattr, so a new server (restart) sees it.
	ts2 := serveConfig(t, ts.Srv.cfg, ts.Dir)
	if b, _ := acl.Filter((&conn{srv: ts2.Srv, log: ts2.Srv.log}).effectiveSD(ts2.Srv.shareTable().byName["share"], "f"), all).Append(nil); string(b) != string(want) {
		t.Error("descriptor not seen by a restarted server")
	}

	mut := func(f func(b []byte)) []byte { b := append([]byte(nil), gb...); f(b); return b }
	// Over 64 KiB: encoded by hand, since Append refuses it.
	bb := append([]byte{1, 0, 0x04, 0x80}, make([]byte, 16)...)
	bb[16] = 20 // DACL offset
	bb = append(bb, make([]byte, smb2.MaxSecurityDescriptorSize)...)
	bb[20] = 2
	other, _ := (&smb2.SecurityDescriptor{Owner: "S-1-5-21-1-2-3-1001"}).Append(nil)
	sacl, _ := (&smb2.SecurityDescriptor{SACL: &smb2.ACL{}}).Append(nil)
	for _, tt := range []struct {
		name string
		sd   []byte
		info uint32
		want smb2.Status
	}{
		{"bad revision", mut(func(b []byte) { b[0] = 9 }), all, smb2.StatusInvalidParameter},
		{"truncated", gb[:len(gb)-6], all, smb2.StatusInvalidParameter},
		{"ACE past its ACL", mut(func(b []byte) { off := int(b[16]) | int(b[17])<<8; b[off+8+2], b[off+8+3] = 0xf0, 0xff }), all, smb2.StatusInvalidParameter},
		{"empty", nil, all, smb2.StatusInvalidParameter},
		{"over 64 KiB", bb, smb2.DACLSecurityInformation, smb2.StatusInvalidParameter},
		{"owner not in the token", other, smb2.OwnerSecurityInformation, smb2.StatusInvalidOwner},
		{"SACL without the privilege", sacl, smb2.SACLSecurityInformation, smb2.StatusAccessDenied},
	} {
		if st := set(tt.sd, tt.info); st != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, st, tt.want)
		}
		if got := stored(); string(got) != string(want) {
			t.Errorf("%s: stored descriptor changed", tt.name)
		}
	}
	// An admin may give the file away.
	o.tree.ident.Store(&treeIdent{tok: &acl.Token{SIDs: tok.SIDs, Admin: true}, maxAccess: o.tree.rights().maxAccess})
	if st := set(other, smb2.OwnerSecurityInformation); st != smb2.StatusSuccess {
		t.Errorf("admin chown: %v", st)
	}
	if d, _ := smb2.DecodeSecurityDescriptor(stored()); d.Owner != "S-1-5-21-1-2-3-1001" || len(d.DACL.ACEs) != 2 {
		t.Errorf("after admin chown: %+v", d)
	}
}
