//go:build linux

package server

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/smb2"
)

// TestSDCache checks the descriptor cache on an osfs share: a read is
// cached and served while the file's inode and change time hold, and
// survives descriptors written on other files; a descriptor set through
// the server is seen at once, even by a caller whose stat is as old as
// the cached read (same timestamp tick); one set by another program is
// seen once the change time moves; hard-linked files (not directories),
// entries over maxCachedSD and a negative SDCache are not cached.
func TestSDCache(t *testing.T) {
	xattrTempDir(t) // skips without user xattrs (ts.Dir is a temp dir too)
	ts := startServer(t, testOpts{})
	p := filepath.Join(ts.Dir, "f")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &conn{srv: ts.Srv, log: ts.Srv.log}
	sh := ts.Srv.shareTable().byName["share"]
	stat := func() os.FileInfo {
		t.Helper()
		fi, err := sh.FS.Stat("f")
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	sdOf := func(owner string, deny bool) (*smb2.SecurityDescriptor, []byte) {
		typ := smb2.ACEAccessAllowed
		if deny {
			typ = smb2.ACEAccessDenied
		}
		sd := &smb2.SecurityDescriptor{Owner: owner, Group: smb2.SIDUsers, DACL: &smb2.ACL{ACEs: []smb2.ACE{
			{Type: typ, Mask: smb2.FileAllAccess, SID: acl.SIDEveryone}}}}
		raw, err := sd.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		return sd, append([]byte{sdFormat}, raw...)
	}
	owner := func(sd *smb2.SecurityDescriptor) string {
		if sd == nil {
			return "none"
		}
		return sd.Owner
	}
	fi := stat()
	if sd := c.storedSDOf(sh, "f", fi); sd != nil {
		t.Fatalf("a file made outside the server has descriptor %+v", sd)
	}
	if n := len(ts.Srv.nodes.ns.sdCache); n != 1 {
		t.Fatalf("%d cached descriptors after one read, want 1 (an absent one is cached too)", n)
	}
	// Served from the cache: an xattr written behind the server's back
	// is not read while the caller's stat is the cached one.
	_, ext := sdOf("S-1-5-21-1-2-3-1001", true)
	if err := unix.Setxattr(p, "user.zerosmb.ntacl", ext, 0); err != nil {
		t.Fatal(err)
	}
	if sd := c.storedSDOf(sh, "f", fi); sd != nil {
		t.Fatalf("cached read not used: %s", owner(sd))
	}
	// Writing another file's descriptor leaves this entry alone.
	if err := os.WriteFile(filepath.Join(ts.Dir, "g"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	other, _ := sdOf(acl.SIDAdmins, false)
	if st := c.storeSD(sh, "g", other); st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	if sd := c.storedSDOf(sh, "f", fi); sd != nil {
		t.Fatalf("entry dropped by a write to another file: %s", owner(sd))
	}
	// With a fresh stat the change time moved (the xattr write did it):
	// the new descriptor is read.
	if sd := c.storedSDOf(sh, "f", stat()); owner(sd) != "S-1-5-21-1-2-3-1001" {
		t.Fatalf("descriptor set by another program not seen after its change time moved: %s", owner(sd))
	}
	// Set through the server: seen at once, even with a stat from before.
	fi = stat()
	c.storedSDOf(sh, "f", fi)
	mine, _ := sdOf(acl.SIDAdmins, false)
	if st := c.storeSD(sh, "f", mine); st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	if sd := c.storedSDOf(sh, "f", fi); owner(sd) != acl.SIDAdmins {
		t.Fatalf("descriptor set through the server not seen with an old stat: %s", owner(sd))
	}
	// A large descriptor (over maxCachedSD with its path) is read every
	// time.
	big := &smb2.SecurityDescriptor{Owner: acl.SIDAdmins, Group: smb2.SIDUsers, DACL: &smb2.ACL{}}
	for i := range 60 {
		big.DACL.ACEs = append(big.DACL.ACEs, smb2.ACE{Type: smb2.ACEAccessAllowed, Mask: 1, SID: "S-1-5-21-1-2-3-" + strconv.Itoa(2000+i)})
	}
	if st := c.storeSD(sh, "f", big); st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	time.Sleep(20 * time.Millisecond) // past the timestamp granularity
	fi = stat()
	if sd := c.storedSDOf(sh, "f", fi); sd == nil || len(sd.DACL.ACEs) != 60 {
		t.Fatalf("large descriptor: %+v", sd)
	}
	if len(ts.Srv.nodes.ns.sdCache) != 0 {
		t.Errorf("a descriptor over %d bytes was cached", maxCachedSD)
	}
	// A hard-linked file is read every time.
	if err := os.Link(filepath.Join(ts.Dir, "g"), filepath.Join(ts.Dir, "g2")); err != nil {
		t.Fatal(err)
	}
	gfi, err := sh.FS.Stat("g")
	if err != nil {
		t.Fatal(err)
	}
	if sd := c.storedSDOf(sh, "g", gfi); owner(sd) != acl.SIDAdmins || len(ts.Srv.nodes.ns.sdCache) != 0 {
		t.Errorf("hard-linked file: read %s, %d cached", owner(sd), len(ts.Srv.nodes.ns.sdCache))
	}
	// No cache: every read goes to the xattr.
	ts.Srv.cfg.SDCache = -1
	if err := unix.Setxattr(p, "user.zerosmb.ntacl", ext, 0); err != nil {
		t.Fatal(err)
	}
	if sd := c.storedSDOf(sh, "f", fi); owner(sd) != "S-1-5-21-1-2-3-1001" || len(ts.Srv.nodes.ns.sdCache) != 0 {
		t.Errorf("SDCache -1: read %s, %d cached", owner(sd), len(ts.Srv.nodes.ns.sdCache))
	}
	// A directory (two or more links by its subdirectories) is cached.
	ts.Srv.cfg.SDCache = DefaultSDCache
	if err := os.MkdirAll(filepath.Join(ts.Dir, "d", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	dfi, err := sh.FS.Stat("d")
	if err != nil {
		t.Fatal(err)
	}
	c.storedSDOf(sh, "d", dfi)
	if _, ok := ts.Srv.nodes.ns.sdCache[sdKey{sh, "d"}]; !ok {
		t.Error("a directory's descriptor was not cached")
	}
}
