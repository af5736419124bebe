package server

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// Multi-user tests: per-share access lists, read-only users and ACLs
// that keep one user out of a file while another keeps working, checked
// with real clients (go-smb2, smbclient, smbcacls).

const (
	bobUser   = "bob"
	bobPass   = "Bob-pw-2"
	carolUser = "carol"
	carolPass = "Carol-pw-3"
)

// multiUserServer serves two shares of two directories: "a" for alice
// (read-write, admin), bob (read-only) and the @staff group (carol);
// "b" for alice only. It restarts on the same directories and users
// with restart.
type multiUserServer struct {
	*testServer
	dirA, dirB string
	users      *auth.UserDB
	t          *testing.T
	// on445 listens on port 445 of a random loopback address, for
	// clients that cannot be given a port (smbcacls).
	on445 bool
	addr  string
}

func startMultiUser(t *testing.T, abe bool) *multiUserServer {
	return startMultiUserOn(t, abe, false)
}

func startMultiUserOn(t *testing.T, abe, on445 bool) *multiUserServer {
	t.Helper()
	m := &multiUserServer{dirA: t.TempDir(), dirB: t.TempDir(), users: auth.NewUserDB(), t: t, on445: on445}
	m.users.Add(testUser, testPass)
	m.users.Add(bobUser, bobPass)
	m.users.Add(carolUser, carolPass)
	if err := m.users.SetGroup("staff", []string{carolUser}); err != nil {
		t.Fatal(err)
	}
	m.start(abe)
	return m
}

func (m *multiUserServer) start(abe bool) {
	t := m.t
	fa, err := osfs.New(m.dirA, false)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := osfs.New(m.dirB, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Shares: []*Share{
			{Name: "a", FS: fa, Path: m.dirA, ValidUsers: []string{testUser, "@staff"}, ReadUsers: []string{bobUser}, AdminUsers: []string{testUser}},
			{Name: "b", FS: fb, Path: m.dirB, ValidUsers: []string{testUser}},
		},
		Users:                m.users,
		AccessBasedShareEnum: abe,
		Logger:               testLogger(t),
	}
	if !m.on445 {
		m.testServer = serveConfig(t, cfg, m.dirA)
		return
	}
	m.testServer = serveOn445(t, cfg, m.dirA, m.addr)
	m.addr = m.Addr
}

// serveOn445 runs cfg on port 445 of addr's host, or of a random
// 127.x.y.z address when addr is "". It needs root (or
// CAP_NET_BIND_SERVICE): without it the test is skipped, or fails under
// CI=true.
func serveOn445(t *testing.T, cfg Config, dir, addr string) *testServer {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	for i := 0; i < 20 && ln == nil; i++ {
		a := addr
		if a == "" {
			a = fmt.Sprintf("127.%d.%d.%d:445", 1+rand.IntN(250), rand.IntN(250), 1+rand.IntN(250))
		}
		ln, err = net.Listen("tcp", a)
		if addr != "" && err != nil {
			time.Sleep(50 * time.Millisecond) // the previous server's socket is closing
		}
	}
	if ln == nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot listen on a loopback port 445: %v", err)
		}
		t.Skipf("cannot listen on a loopback port 445 (smbcacls only connects there): %v", err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	ts := &testServer{Addr: ln.Addr().String(), Dir: dir, Srv: srv}
	var once sync.Once
	ts.Stop = func() {
		once.Do(func() {
			ctx, cancel := contextWithTimeout(5 * time.Second)
			defer cancel()
			srv.Shutdown(ctx)
			<-done
		})
	}
	t.Cleanup(ts.Stop)
	return ts
}

func (m *multiUserServer) restart() {
	m.Stop()
	m.start(false)
}

// mountErr tries to mount share as user and returns the error.
func mountErr(t *testing.T, addr, user, pass, share string) (*gosmb2.Share, error) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s, err := (&gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: user, Password: pass}}).Dial(nc)
	if err != nil {
		nc.Close()
		t.Fatalf("session setup as %s: %v", user, err)
	}
	fs, err := s.Mount(share)
	if err != nil {
		s.Logoff()
		return nil, err
	}
	t.Cleanup(func() { fs.Umount(); s.Logoff() })
	return fs, nil
}

// isAccessDenied reports STATUS_ACCESS_DENIED, which go-smb2 turns into
// os.ErrPermission.
func isAccessDenied(err error) bool {
	var re *gosmb2.ResponseError
	return errors.As(err, &re) && re.Code == 0xC0000022 || errors.Is(err, os.ErrPermission)
}

func TestShareAccessLists(t *testing.T) {
	m := startMultiUser(t, false)
	// alice reaches both shares and writes to a.
	aliceA := dialGoAs(t, m.testServer, testUser, testPass, "a")
	dialGoAs(t, m.testServer, testUser, testPass, "b")
	if err := aliceA.WriteFile("hello.txt", []byte("from alice"), 0o644); err != nil {
		t.Fatalf("alice write on a: %v", err)
	}
	// bob: a read-only, b refused at TREE_CONNECT.
	if _, err := mountErr(t, m.Addr, bobUser, bobPass, "b"); !isAccessDenied(err) {
		t.Errorf("bob mounting b: %v, want STATUS_ACCESS_DENIED", err)
	}
	bobA, err := mountErr(t, m.Addr, bobUser, bobPass, "a")
	if err != nil {
		t.Fatalf("bob mounting a: %v", err)
	}
	if b, err := bobA.ReadFile("hello.txt"); err != nil || string(b) != "from alice" {
		t.Errorf("bob reads a: %q %v", b, err)
	}
	for name, op := range map[string]func() error{
		"create": func() error { return bobA.WriteFile("bob.txt", []byte("x"), 0o644) },
		"write": func() error {
			f, err := bobA.OpenFile("hello.txt", os.O_RDWR, 0)
			if err == nil {
				f.Close()
			}
			return err
		},
		"mkdir":    func() error { return bobA.Mkdir("bobdir", 0o755) },
		"remove":   func() error { return bobA.Remove("hello.txt") },
		"rename":   func() error { return bobA.Rename("hello.txt", "moved.txt") },
		"truncate": func() error { return bobA.Truncate("hello.txt", 0) },
	} {
		if err := op(); err == nil {
			t.Errorf("bob %s on read-only a succeeded", name)
		}
	}
	if _, err := os.Stat(filepath.Join(m.dirA, "bob.txt")); err == nil {
		t.Error("bob's file exists")
	}
	if b, _ := os.ReadFile(filepath.Join(m.dirA, "hello.txt")); string(b) != "from alice" {
		t.Errorf("hello.txt changed by bob: %q", b)
	}
	// carol is in @staff: read-write on a, refused on b.
	carolA, err := mountErr(t, m.Addr, carolUser, carolPass, "a")
	if err != nil {
		t.Fatalf("carol (@staff) mounting a: %v", err)
	}
	if err := carolA.WriteFile("carol.txt", []byte("c"), 0o644); err != nil {
		t.Errorf("carol write on a: %v", err)
	}
	if _, err := mountErr(t, m.Addr, carolUser, carolPass, "b"); !isAccessDenied(err) {
		t.Errorf("carol mounting b: %v", err)
	}
	// A user removed while logged on connects to no further share.
	nc, err := net.Dial("tcp", m.Addr)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := (&gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: carolUser, Password: carolPass}}).Dial(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Logoff()
	m.users.Delete(carolUser)
	if _, err := sess.Mount("a"); !isAccessDenied(err) {
		t.Errorf("removed user mounting a: %v", err)
	}
}

func TestShareEnumAccessBased(t *testing.T) {
	bin := requireTool(t, "smbclient")
	for _, abe := range []bool{false, true} {
		m := startMultiUser(t, abe)
		host, port, _ := net.SplitHostPort(m.Addr)
		out, err := exec.Command(bin, "-L", "//"+host, "-p", port, "-U", bobUser+"%"+bobPass).CombinedOutput()
		if err != nil {
			t.Fatalf("smbclient -L as bob: %v\n%s", err, out)
		}
		listed := map[string]bool{}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && (f[1] == "Disk" || f[1] == "IPC") {
				listed[f[0]] = true
			}
		}
		if !listed["a"] || !listed["IPC$"] || listed["b"] == abe {
			t.Errorf("access_based_share_enum=%v: bob sees %v:\n%s", abe, listed, out)
		}
	}
}

// smbcacls runs Samba's ACL tool against share a of m as user.
func smbcacls(t *testing.T, m *multiUserServer, user, pass, file string, args ...string) (string, error) {
	t.Helper()
	bin := requireTool(t, "smbcacls")
	host, _, _ := net.SplitHostPort(m.Addr) // port 445: smbcacls takes no port
	cmd := exec.Command(bin, append([]string{"//" + host + "/a", strings.ReplaceAll(file, "/", `\`), "-U", user + "%" + pass}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestSmbcaclsNamesAndDenyACE(t *testing.T) {
	requireTool(t, "smbcacls")
	m := startMultiUserOn(t, false, true)
	aliceA := dialGoAs(t, m.testServer, testUser, testPass, "a")
	// In a directory alice made, others may not delete her files through
	// the directory (the share root lets everyone do that by default).
	if err := aliceA.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := aliceA.WriteFile("d/secret.txt", []byte("alice's"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := smbcacls(t, m, testUser, testPass, "d/secret.txt")
	if err != nil {
		t.Fatalf("smbcacls: %v\n%s", err, out)
	}
	for _, want := range []string{`OWNER:ZEROSMB\alice`, `GROUP:ZEROSMB\None`, `ACL:ZEROSMB\alice:ALLOWED/0x0/FULL`,
		`ACL:BUILTIN\Administrators:ALLOWED/0x0/FULL`, `ACL:Everyone:ALLOWED/0x0/RWXD`} {
		if !strings.Contains(out, want) {
			t.Errorf("smbcacls output lacks %q:\n%s", want, out)
		}
	}
	// carol (@staff, read-write on a) reads the file until alice denies her.
	carolA, err := mountErr(t, m.Addr, carolUser, carolPass, "a")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := carolA.ReadFile("d/secret.txt"); err != nil || string(b) != "alice's" {
		t.Fatalf("carol before the deny ACE: %q %v", b, err)
	}
	if out, err := smbcacls(t, m, testUser, testPass, "d/secret.txt", "-a", `ACL:ZEROSMB\carol:DENIED/0x0/FULL`); err != nil {
		t.Fatalf("smbcacls -a: %v\n%s", err, out)
	}
	check := func(when string) {
		t.Helper()
		if _, err := carolA.ReadFile("d/secret.txt"); !isAccessDenied(err) {
			t.Errorf("%s: carol reads a file whose ACL denies her: %v", when, err)
		}
		if err := carolA.Remove("d/secret.txt"); err == nil {
			t.Errorf("%s: carol deleted the file", when)
		}
		if b, err := aliceA.ReadFile("d/secret.txt"); err != nil || string(b) != "alice's" {
			t.Errorf("%s: alice reads: %q %v", when, b, err)
		}
		if err := aliceA.WriteFile("d/other.txt", []byte("still working"), 0o644); err != nil {
			t.Errorf("%s: alice writes: %v", when, err)
		}
		out, err := smbcacls(t, m, testUser, testPass, "d/secret.txt")
		if err != nil || !strings.Contains(out, `ACL:ZEROSMB\carol:DENIED/0x0/FULL`) {
			t.Errorf("%s: smbcacls does not show the deny ACE: %v\n%s", when, err, out)
		}
	}
	check("after smbcacls -a")
	// The ACL is stored with the file: it survives a restart.
	m.restart()
	aliceA = dialGoAs(t, m.testServer, testUser, testPass, "a")
	carolA, err = mountErr(t, m.Addr, carolUser, carolPass, "a")
	if err != nil {
		t.Fatal(err)
	}
	check("after a restart")
	// carol cannot change the ACL back (no WRITE_DAC); alice can.
	if out, err := smbcacls(t, m, carolUser, carolPass, "d/secret.txt", "-D", `ACL:ZEROSMB\carol:DENIED/0x0/FULL`); err == nil && !strings.Contains(out, "NT_STATUS_ACCESS_DENIED") {
		t.Errorf("carol removed the deny ACE:\n%s", out)
	}
	if out, err := smbcacls(t, m, testUser, testPass, "d/secret.txt", "-D", `ACL:ZEROSMB\carol:DENIED/0x0/FULL`); err != nil {
		t.Fatalf("alice smbcacls -D: %v\n%s", err, out)
	}
	if b, err := carolA.ReadFile("d/secret.txt"); err != nil || string(b) != "alice's" {
		t.Errorf("carol after the ACE is removed: %q %v", b, err)
	}
	// Denying carol FILE_ADD_FILE (0x2) on d keeps her from creating or
	// moving files into it; alice still can.
	if err := carolA.WriteFile("c.txt", []byte("carol's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := smbcacls(t, m, testUser, testPass, "d", "-a", `ACL:ZEROSMB\carol:DENIED/0x0/0x00000002`); err != nil {
		t.Fatalf("smbcacls -a on d: %v\n%s", err, out)
	}
	if err := carolA.WriteFile("d/new.txt", []byte("x"), 0o644); !isAccessDenied(err) {
		t.Errorf("carol creates in d: %v", err)
	}
	if err := carolA.Rename("c.txt", "d/c.txt"); err == nil {
		t.Error("carol moved a file into d")
	}
	if err := aliceA.WriteFile("d/alice2.txt", []byte("x"), 0o644); err != nil {
		t.Errorf("alice creates in d: %v", err)
	}
}

// TestSmbtortureLsa runs smbtorture's lsarpc lookup suites (the ones
// Samba 4.17 passes as a standalone server) over \pipe\lsarpc. Named
// pipe bindings only reach port 445, hence serveOn445.
func TestSmbtortureLsa(t *testing.T) {
	if testing.Short() {
		t.Skip("smbtorture suites are slow")
	}
	bin := requireTool(t, "smbtorture")
	m := startMultiUserOn(t, false, true)
	host, _, _ := net.SplitHostPort(m.Addr)
	for _, suite := range []string{"rpc.lsa.lookupsids", "rpc.lsa.lookupnames"} {
		cmd := exec.Command(bin, "ncacn_np:"+host, "-U", testUser+"%"+testPass, "--option=torture:progress=no", suite)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		out, _ := cmd.CombinedOutput()
		var pass, fail int
		for _, line := range strings.Split(string(out), "\n") {
			switch {
			case strings.HasPrefix(line, "success: "):
				pass++
			case strings.HasPrefix(line, "failure: "), strings.HasPrefix(line, "error: "):
				fail++
			}
		}
		if pass == 0 || fail != 0 {
			t.Errorf("%s: %d passed, %d failed:\n%s", suite, pass, fail, out)
		}
	}
}
