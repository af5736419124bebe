package server

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
}

func startMultiUser(t *testing.T, abe bool) *multiUserServer {
	t.Helper()
	m := &multiUserServer{dirA: t.TempDir(), dirB: t.TempDir(), users: auth.NewUserDB(), t: t}
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
	m.testServer = serveConfig(t, cfg, m.dirA)
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
