package server

import (
	"net"
	"os"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// Test credentials used by every interop test.
const (
	testUser = "alice"
	testPass = "Secret-pw1"
)

// testServer is a real server on a loopback port over a temp directory.
type testServer struct {
	Addr string
	Dir  string
	Srv  *Server
	// Stop shuts the server down (also registered with t.Cleanup).
	Stop func()
}

// testOpts tweaks the configuration of startServer.
type testOpts struct {
	ReadOnly    bool
	Guest       bool
	Signing     bool
	Sendfile    bool
	RecvfileMin int
	Encrypt     bool
	// SignedSendfile sets Config.SignedSendfile (signsend_linux_test.go).
	SignedSendfile bool
	// SignedHash sets Config.SignedSendfileHash.
	SignedHash SignedHash
	// NoThrottle turns logon throttling off, for tests that fail logons
	// on purpose and then need to log on from the same address.
	NoThrottle bool
	// KernelLeases sets Config.KernelLeases (kernlease_linux_test.go).
	KernelLeases bool
	// BreakTimeout sets Config.OplockBreakTimeout (0: the default 35 s).
	BreakTimeout time.Duration
	// SMB1 sets Config.SMB1 (smb1*_test.go).
	SMB1 bool
	// NoDirectoryLeases sets Config.NoDirectoryLeases (dirlease_test.go).
	NoDirectoryLeases bool
}

// startServer runs a server sharing a fresh temp dir as "share".
func startServer(t testing.TB, o testOpts) *testServer {
	t.Helper()
	dir := t.TempDir()
	fsys, err := osfs.New(dir, o.ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	db := auth.NewUserDB()
	db.Add(testUser, testPass)
	cfg := Config{
		Shares:             []*Share{{Name: "share", FS: fsys, ReadOnly: o.ReadOnly, Guest: o.Guest, Path: dir}},
		Users:              db,
		SigningRequired:    o.Signing,
		Sendfile:           o.Sendfile,
		RecvfileMin:        o.RecvfileMin,
		EncryptData:        o.Encrypt,
		SignedSendfile:     o.SignedSendfile,
		SignedSendfileHash: o.SignedHash,
		Logger:             testLogger(t),
		OplockBreakTimeout: o.BreakTimeout,
		KernelLeases:       o.KernelLeases,
		SMB1:               o.SMB1,
		NoDirectoryLeases:  o.NoDirectoryLeases,
	}
	if o.NoThrottle {
		cfg.Throttle = AuthThrottle{FailDelay: -1, AddrFailures: -1, UserFailures: -1}
	}
	return serveConfig(t, cfg, dir)
}

// serveConfig runs a server with cfg on a loopback port; Stop (also a
// test cleanup) shuts it down. dir is recorded as the share's directory.
func serveConfig(t testing.TB, cfg Config, dir string) *testServer {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	ts := &testServer{Addr: ln.Addr().String(), Dir: dir, Srv: srv}
	stopped := false
	ts.Stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := contextWithTimeout(5 * time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	}
	t.Cleanup(ts.Stop)
	return ts
}

// dialGo connects with the go-smb2 client and mounts "share".
func dialGo(t testing.TB, ts *testServer) *gosmb2.Share {
	t.Helper()
	return dialGoAs(t, ts, testUser, testPass, "share")
}

// dialGoAs connects with explicit credentials and share name.
func dialGoAs(t testing.TB, ts *testServer, user, pass, share string) *gosmb2.Share {
	t.Helper()
	nc, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	d := &gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: user, Password: pass}}
	s, err := d.Dial(nc)
	if err != nil {
		nc.Close()
		t.Fatalf("session setup as %q: %v", user, err)
	}
	fs, err := s.Mount(share)
	if err != nil {
		s.Logoff()
		t.Fatalf("mount %q: %v", share, err)
	}
	t.Cleanup(func() { fs.Umount(); s.Logoff() })
	return fs
}

// requireTool finds an external tool; it fails under CI=true and skips
// otherwise when the tool is missing.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := lookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (required under CI=true)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}
