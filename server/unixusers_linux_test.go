//go:build linux

package server

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// Unix identities (unixusers.go): alice and bob are configured uids
// (2001, 2002; no passwd entries needed), carol has none, guests are
// 2999. Everything is checked on disk and with real clients.

const (
	aliceUID = 2001
	bobUID   = 2002
	guestUID = 2999
)

func needRootUnix(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root; Unix identities need it")
		}
		t.Skip("Unix identities need root (the server switches file system uids)")
	}
}

// startUnixUsers serves a 0777 directory as the guest share "share"
// with Unix identities on and zero-copy I/O.
func startUnixUsers(t *testing.T) *testServer {
	t.Helper()
	needRootUnix(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	db := auth.NewUserDB()
	db.Add(testUser, testPass)
	db.Add(bobUser, bobPass)
	db.Add(carolUser, carolPass)
	cfg := Config{
		Shares:      []*Share{{Name: "share", FS: fsys, Path: dir, Guest: true}},
		Users:       db,
		Logger:      testLogger(t),
		Sendfile:    true,
		RecvfileMin: 65536,
		UnixUsers: &UnixUsers{
			IDs: map[string]UnixID{
				"Alice":  {UID: aliceUID, GID: aliceUID, Groups: []uint32{3000}},
				bobUser:  {UID: bobUID, GID: bobUID},
				"zguest": {UID: guestUID, GID: guestUID},
			},
			Guest: "zguest",
		},
	}
	return serveConfig(t, cfg, dir)
}

func diskOwner(t *testing.T, p string) (uid, gid uint32) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// hostFile makes a file outside the server (so its security descriptor
// is the default, Everyone full control) with an owner and a mode.
func hostFile(t *testing.T, p string, uid int, mode os.FileMode, dir bool) {
	t.Helper()
	var err error
	if dir {
		err = os.Mkdir(p, mode)
	} else {
		err = os.WriteFile(p, []byte("host data"), mode)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, mode)
}

func TestUnixUsersOwnership(t *testing.T) {
	ts := startUnixUsers(t)
	alice := dialGoAs(t, ts, testUser, testPass, "share")
	bob := dialGoAs(t, ts, bobUser, bobPass, "share")
	guest := dialGuest(t, ts)
	for _, c := range []struct {
		fs   *gosmb2.Share
		name string
		uid  uint32
	}{{alice, "a.txt", aliceUID}, {bob, "b.txt", bobUID}, {guest, "g.txt", guestUID}} {
		if err := c.fs.WriteFile(c.name, []byte("x"), 0o644); err != nil {
			t.Fatalf("create %s: %v", c.name, err)
		}
		if uid, gid := diskOwner(t, filepath.Join(ts.Dir, c.name)); uid != c.uid || gid != c.uid {
			t.Errorf("%s owned %d:%d, want %d:%d", c.name, uid, gid, c.uid, c.uid)
		}
	}
	if err := alice.Mkdir("adir", 0o755); err != nil {
		t.Fatal(err)
	}
	if uid, _ := diskOwner(t, filepath.Join(ts.Dir, "adir")); uid != aliceUID {
		t.Errorf("adir owned by %d", uid)
	}
	// A stream on a missing file creates the base file as the user too.
	if err := bob.WriteFile("s.txt:extra", []byte("stream"), 0o644); err == nil {
		if uid, _ := diskOwner(t, filepath.Join(ts.Dir, "s.txt")); uid != bobUID {
			t.Errorf("stream base file owned by %d, want %d", uid, bobUID)
		}
	}
}

func TestUnixUsersKernelChecks(t *testing.T) {
	ts := startUnixUsers(t)
	hostFile(t, filepath.Join(ts.Dir, "private.txt"), aliceUID, 0o600, false)
	hostFile(t, filepath.Join(ts.Dir, "adir"), aliceUID, 0o755, true)
	hostFile(t, filepath.Join(ts.Dir, "adir", "x.txt"), aliceUID, 0o644, false)
	alice := dialGoAs(t, ts, testUser, testPass, "share")
	bob := dialGoAs(t, ts, bobUser, bobPass, "share")

	// The default ACL lets everyone in; the kernel does not.
	if b, err := alice.ReadFile("private.txt"); err != nil || string(b) != "host data" {
		t.Fatalf("alice reading her 0600 file: %q %v", b, err)
	}
	if _, err := bob.ReadFile("private.txt"); !isAccessDenied(err) {
		t.Errorf("bob reading alice's 0600 file: %v, want ACCESS_DENIED", err)
	}
	if err := bob.WriteFile("adir/b.txt", []byte("no"), 0o644); !isAccessDenied(err) {
		t.Errorf("bob creating in alice's 0755 directory: %v, want ACCESS_DENIED", err)
	}
	if err := bob.Mkdir("adir/sub", 0o755); !isAccessDenied(err) {
		t.Errorf("bob mkdir in alice's directory: %v, want ACCESS_DENIED", err)
	}
	if b, err := bob.ReadFile("adir/x.txt"); err != nil || string(b) != "host data" {
		t.Errorf("bob reading a 0644 file: %q %v", b, err)
	}
	// Rename and delete need write permission on the directory.
	if err := bob.Rename("adir/x.txt", "adir/y.txt"); !isAccessDenied(err) {
		t.Errorf("bob renaming in alice's directory: %v, want ACCESS_DENIED", err)
	}
	if err := bob.WriteFile("mine.txt", []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := bob.Rename("mine.txt", "adir/mine.txt"); !isAccessDenied(err) {
		t.Errorf("bob renaming into alice's directory: %v, want ACCESS_DENIED", err)
	}
	if err := bob.Remove("adir/x.txt"); !isAccessDenied(err) {
		t.Errorf("bob deleting from alice's directory: %v, want ACCESS_DENIED", err)
	}
	if _, err := os.Stat(filepath.Join(ts.Dir, "adir", "x.txt")); err != nil {
		t.Fatalf("x.txt gone after bob's refused delete: %v", err)
	}
	// alice may do all of it.
	if err := alice.Rename("adir/x.txt", "adir/y.txt"); err != nil {
		t.Fatalf("alice rename: %v", err)
	}
	if err := alice.Remove("adir/y.txt"); err != nil {
		t.Fatalf("alice delete: %v", err)
	}
	if _, err := os.Stat(filepath.Join(ts.Dir, "adir", "y.txt")); !os.IsNotExist(err) {
		t.Fatalf("y.txt after alice's delete: %v", err)
	}
	if err := alice.WriteFile("adir/new.txt", []byte("a"), 0o644); err != nil {
		t.Fatalf("alice create in her directory: %v", err)
	}
	// Explicit times: only the owner may set them (utimensat).
	hostFile(t, filepath.Join(ts.Dir, "times.txt"), aliceUID, 0o644, false)
	when := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := bob.Chtimes("times.txt", when, when); !isAccessDenied(err) {
		t.Errorf("bob setting times on alice's file: %v, want ACCESS_DENIED", err)
	}
	if err := alice.Chtimes("times.txt", when, when); err != nil {
		t.Errorf("alice setting times on her file: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(ts.Dir, "times.txt")); err != nil || !fi.ModTime().Equal(when) {
		t.Errorf("times.txt mtime after alice's Chtimes: %v %v", fi.ModTime(), err)
	}
}

func TestUnixUsersUnmapped(t *testing.T) {
	ts := startUnixUsers(t)
	nc, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	d := &gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: carolUser, Password: carolPass}}
	s, err := d.Dial(nc)
	if err != nil {
		t.Fatalf("carol's logon (the password is right): %v", err)
	}
	defer s.Logoff()
	if _, err := s.Mount("share"); !isAccessDenied(err) {
		t.Fatalf("carol (no Unix identity) mounting share: %v, want ACCESS_DENIED", err)
	}
	if _, err := s.Mount("IPC$"); err != nil {
		t.Fatalf("carol on IPC$: %v", err)
	}
	entries, _ := os.ReadDir(ts.Dir)
	if len(entries) != 0 {
		t.Fatalf("share not empty: %v", entries)
	}
}

// TestUnixUsersSmbclient: smbclient as alice and bob, unsigned, so the
// transfers take sendfile and splice: the files belong to their users,
// bob is refused in alice's directory, and the zero-copy counters move
// as much as the payload.
func TestUnixUsersSmbclient(t *testing.T) {
	ts := startUnixUsers(t)
	hostFile(t, filepath.Join(ts.Dir, "adir"), aliceUID, 0o755, true)
	local := t.TempDir()
	const size = 9<<20 + 7
	src := randomFile(t, local, "big.bin", size)
	before := zerocopy.Snapshot()
	for _, u := range []struct{ user, pass, name string }{{testUser, testPass, "alice.bin"}, {bobUser, bobPass, "bob.bin"}} {
		args := []string{"-U", u.user + "%" + u.pass, "--client-protection=off"}
		mustSmbclient(t, ts, "share", args, "put "+src+" "+u.name+"; get "+u.name+" "+filepath.Join(local, u.name))
		sameFile(t, src, filepath.Join(local, u.name))
		sameFile(t, src, filepath.Join(ts.Dir, u.name))
	}
	after := zerocopy.Snapshot()
	if uid, _ := diskOwner(t, filepath.Join(ts.Dir, "alice.bin")); uid != aliceUID {
		t.Errorf("alice.bin owned by %d", uid)
	}
	if uid, _ := diskOwner(t, filepath.Join(ts.Dir, "bob.bin")); uid != bobUID {
		t.Errorf("bob.bin owned by %d", uid)
	}
	sent, spliced := after.SendfileBytes-before.SendfileBytes, after.SpliceBytes-before.SpliceBytes
	t.Logf("sendfile %d bytes, splice %d bytes for 2 x %d", sent, spliced, size)
	if sent < 2*size || spliced < 2*(size-1<<20) {
		t.Errorf("zero-copy path: sendfile %d, splice %d bytes; want >= %d and >= %d", sent, spliced, 2*size, 2*(size-1<<20))
	}
	out, _ := smbclientRun(t, ts, "share", []string{"-U", bobUser + "%" + bobPass}, "put "+src+" adir\\bob.bin")
	if !strings.Contains(out, "NT_STATUS_ACCESS_DENIED") {
		t.Errorf("bob's put into alice's directory:\n%s", out)
	}
	mustSmbclient(t, ts, "share", []string{"-U", testUser + "%" + testPass}, "put "+src+" adir\\alice.bin; rename adir\\alice.bin adir\\a2.bin")
	out, _ = smbclientRun(t, ts, "share", []string{"-U", bobUser + "%" + bobPass}, "del adir\\a2.bin")
	if !strings.Contains(out, "NT_STATUS_ACCESS_DENIED") {
		t.Errorf("bob's del in alice's directory:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(ts.Dir, "adir", "a2.bin")); err != nil || !bytes.Equal(b[:16], mustRead(t, src)[:16]) {
		t.Errorf("a2.bin after bob's refused del: %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnixUsersConfigChecks(t *testing.T) {
	needRootUnix(t)
	_, err := New(Config{UnixUsers: &UnixUsers{IDs: map[string]UnixID{"x": {UID: 1<<32 - 1}}}})
	if err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Fatalf("uid 4294967295: %v", err)
	}
	_, err = New(Config{UnixUsers: &UnixUsers{IDs: map[string]UnixID{"x": {UID: 0, GID: 5}}}})
	if err == nil || !strings.Contains(err.Error(), "root") {
		t.Fatalf("uid 0: %v", err)
	}
}

// TestUnixUsersRootRefused: an SMB user called root maps to uid 0 and
// is refused at TREE_CONNECT rather than run as root.
func TestUnixUsersRootRefused(t *testing.T) {
	ts := startUnixUsers(t)
	ts.Srv.cfg.Users.Add("root", "Root-pw-1")
	nc, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	d := &gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: "root", Password: "Root-pw-1"}}
	s, err := d.Dial(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Logoff()
	if _, err := s.Mount("share"); !isAccessDenied(err) {
		t.Fatalf("root mounting share: %v, want ACCESS_DENIED", err)
	}
}

// TestUnixUsersReauth: a re-authentication gives the session's trees
// the new user's Unix identity; one as a user without any leaves the
// tree unable to open or create anything (never the server's identity),
// and re-authenticating as a mapped user restores it.
func TestUnixUsersReauth(t *testing.T) {
	ts := startUnixUsers(t)
	c := dialRaw(t, ts.Addr)
	c.negotiate(rawNegotiate(smb2.Dialect210))
	if st := c.userLogon(testUser, testPass); st != smb2.StatusSuccess {
		t.Fatalf("logon: %v", st)
	}
	c.treeConnect("share")
	reauth := func(user, pass string) {
		t.Helper()
		if st := c.logonLegs(c.sid, func(ch []byte) []byte { return rawAuthenticate(ch, user, pass) }); st != smb2.StatusSuccess {
			t.Fatalf("re-authentication as %s: %v", user, st)
		}
	}
	mk := func(name string, want smb2.Status) {
		t.Helper()
		id, st := c.create(name, rawDispCreate)
		if st != want {
			t.Fatalf("CREATE %s: %v, want %v", name, st, want)
		}
		if st == smb2.StatusSuccess {
			c.expectStatus("close "+name, smb2.Close, rawClose(id), nil, smb2.StatusSuccess)
		}
	}
	mk("a.txt", smb2.StatusSuccess)
	reauth(bobUser, bobPass)
	mk("b.txt", smb2.StatusSuccess)
	reauth(carolUser, carolPass)
	mk("c.txt", smb2.StatusAccessDenied)
	reauth(testUser, testPass)
	mk("d.txt", smb2.StatusSuccess)
	for name, uid := range map[string]uint32{"a.txt": aliceUID, "b.txt": bobUID, "d.txt": aliceUID} {
		if got, _ := diskOwner(t, filepath.Join(ts.Dir, name)); got != uid {
			t.Errorf("%s owned by %d, want %d", name, got, uid)
		}
	}
	if _, err := os.Stat(filepath.Join(ts.Dir, "c.txt")); !os.IsNotExist(err) {
		t.Errorf("c.txt made for the unmapped user: %v", err)
	}
}
