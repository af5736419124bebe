//go:build linux

package server

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// TestLargeSecurityDescriptor stores a 20 KiB DACL, larger than an ext4
// extended attribute holds (the test directory's real limit, no hook:
// it skips where the attribute takes it), and checks it goes to the
// sidecar store, is read back by a restarted server, is replaced whole
// by another large one (no temporary file left), moves back into the
// attribute when small again, and goes with the file.
func TestLargeSecurityDescriptor(t *testing.T) {
	ts := startServer(t, testOpts{})
	fp := filepath.Join(ts.Dir, "f")
	if err := os.WriteFile(fp, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &conn{srv: ts.Srv, log: ts.Srv.log}
	sh := ts.Srv.shareTable().byName["share"]
	alice, _, _ := ts.Srv.cfg.Users.UserSID(testUser)
	tr := &tree{share: sh}
	tr.ident.Store(&treeIdent{tok: &acl.Token{SIDs: []string{alice, acl.SIDEveryone}}, maxAccess: accessReadWrite})
	o := &open{tree: tr, name: "f", access: readControl | writeDAC | writeOwner}
	const all = smb2.OwnerSecurityInformation | smb2.GroupSecurityInformation | smb2.DACLSecurityInformation
	bigSD := func(n int, mask uint32) []byte {
		sd := &smb2.SecurityDescriptor{Owner: alice, Group: smb2.SIDUsers, DACL: &smb2.ACL{}}
		for i := 0; i < n; i++ {
			sd.DACL.ACEs = append(sd.DACL.ACEs, smb2.ACE{Type: smb2.ACEAccessAllowed, Mask: mask, SID: alice})
		}
		b, err := sd.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	stored := func(srv *Server) []byte {
		cc := &conn{srv: srv, log: srv.log}
		b, err := acl.Filter(cc.effectiveSD(srv.shareTable().byName["share"], "f"), all).Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	set := func(sd []byte) {
		t.Helper()
		if st := c.setSecurity(o, &smb2.SetInfoRequest{AdditionalInformation: all, Buffer: sd}); st != smb2.StatusSuccess {
			t.Fatalf("set a %d-byte descriptor: %v", len(sd), st)
		}
	}
	attr := func() []byte {
		v := make([]byte, 64<<10)
		n, err := unix.Getxattr(fp, "user.zerosmb.ntacl", v)
		if err != nil {
			t.Fatalf("getxattr: %v", err)
		}
		return v[:n]
	}
	blobs := func() []string {
		m, _ := filepath.Glob(filepath.Join(ts.Dir, osfs.MetaDir, "files", "*", "*", "meta", "*"))
		return m
	}
	if err := unix.Setxattr(fp, "user.probe", make([]byte, 20<<10), 0); err == nil {
		t.Skip("this file system's attributes hold 20 KiB; nothing goes to the sidecar store")
	}
	big := bigSD(640, smb2.FileAllAccess) // 20 KiB
	if len(big) < 20<<10 {
		t.Fatalf("descriptor is only %d bytes", len(big))
	}
	set(big)
	if a := attr(); len(a) != 1 || a[0] != sdFormatSidecar {
		t.Fatalf("attribute %x, want the sidecar pointer", a)
	}
	if got := stored(ts.Srv); string(got) != string(big) {
		t.Fatalf("read back %d bytes, want the %d stored", len(got), len(big))
	}
	ts2 := serveConfig(t, ts.Srv.cfg, ts.Dir) // a restart
	if got := stored(ts2.Srv); string(got) != string(big) {
		t.Fatalf("restarted server reads %d bytes, want %d", len(got), len(big))
	}
	big2 := bigSD(700, smb2.FileGenericRead)
	set(big2)
	if got := stored(ts.Srv); string(got) != string(big2) {
		t.Fatal("a second large descriptor did not replace the first")
	}
	if b := blobs(); len(b) != 1 || filepath.Base(b[0]) != sdMeta {
		t.Errorf("sidecar blobs %v, want only %s", b, sdMeta)
	}
	small := bigSD(2, smb2.FileAllAccess)
	set(small)
	if a := attr(); len(a) < 2 || a[0] != sdFormat {
		t.Errorf("a small descriptor is not back in the attribute: %x", a)
	}
	if got := stored(ts.Srv); string(got) != string(small) {
		t.Error("small descriptor not read back")
	}
	if b := blobs(); len(b) != 0 {
		t.Errorf("stale sidecar blob left: %v", b)
	}
	set(big)
	if err := sh.FS.Remove("f"); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(ts.Dir, osfs.MetaDir, "files", "*", "*")); len(m) != 0 {
		t.Errorf("sidecar data left after the file was deleted: %v", m)
	}
}
