package server

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	gosmb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

func testShare(t *testing.T, name, dir string) *Share {
	t.Helper()
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	return &Share{Name: name, FS: fsys, Path: dir}
}

// TestReconfigure adds a share, removes one with a file open, changes a
// password and tries an invalid configuration, with go-smb2 sessions
// running across the changes.
func TestReconfigure(t *testing.T) {
	ts := startServer(t, testOpts{})
	shareDir := ts.Dir
	keep := ts.Srv.shareTable().byName["share"]
	old := dialGo(t, ts)
	f, err := old.Create("open.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	newDir := t.TempDir()
	os.WriteFile(filepath.Join(newDir, "new.txt"), []byte("new"), 0o644)
	users := auth.NewUserDB()
	users.Add(testUser, "Changed-pw2")

	// A broken configuration changes nothing.
	if _, _, err := ts.Srv.Reconfigure([]*Share{testShare(t, "a", newDir), testShare(t, "A", newDir)}, users); err == nil {
		t.Fatal("duplicate share names accepted")
	}
	second := dialGoAs(t, ts, testUser, testPass, "share") // old password, old share: still fine

	// Remove "share" (same path, under a new name), add "extra".
	added, removed, err := ts.Srv.Reconfigure([]*Share{testShare(t, "moved", shareDir), testShare(t, "extra", newDir)}, users)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || len(removed) != 1 || removed[0] != "share" {
		t.Errorf("added %v removed %v", added, removed)
	}
	if !keep.retired.Load() {
		t.Error("removed share not retired")
	}
	// The open on the removed share keeps working.
	if _, err := f.Write([]byte("still here")); err != nil {
		t.Errorf("write to an open file of a removed share: %v", err)
	}
	// New opens through the old tree connect are refused.
	if _, err := old.Create("other.txt"); err == nil {
		t.Error("CREATE on a removed share's tree connect succeeded")
	}
	// New tree connects: the removed share is gone, the new ones are there.
	nc, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	s, err := (&gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: testUser, Password: "Changed-pw2"}}).Dial(nc)
	if err != nil {
		t.Fatalf("logon with the new password: %v", err)
	}
	defer s.Logoff()
	if _, err := s.Mount("share"); err == nil {
		t.Error("tree connect to a removed share succeeded")
	}
	extra, err := s.Mount("extra")
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Umount()
	if b, err := extra.ReadFile("new.txt"); err != nil || string(b) != "new" {
		t.Errorf("added share: %q %v", b, err)
	}
	// The old password no longer logs on.
	nc2, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	if s2, err := (&gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: testUser, Password: testPass}}).Dial(nc2); err == nil {
		s2.Logoff()
		t.Error("old password still accepted")
	}

	// Reloading the same definitions keeps the *Share (one lock table).
	extraShare := ts.Srv.shareTable().byName["extra"]
	added, removed, err = ts.Srv.Reconfigure([]*Share{testShare(t, "moved", shareDir), testShare(t, "extra", newDir)}, users)
	if err != nil || len(added) != 0 || len(removed) != 0 {
		t.Errorf("identical reload: added %v removed %v err %v", added, removed, err)
	}
	if ts.Srv.shareTable().byName["extra"] != extraShare {
		t.Error("unchanged share replaced")
	}

	// The removed share's FS stays open while its tree connect lives and
	// is closed with the last one; the kept share's is not touched.
	if keep.fsClosed.Load() {
		t.Error("removed share's FS closed while a tree connect uses it")
	}
	f.Close()
	if err := old.Umount(); err != nil {
		t.Fatal(err)
	}
	if keep.fsClosed.Load() || keep.trees.Load() != 1 {
		t.Errorf("after one of two tree disconnects: closed %v, trees %d", keep.fsClosed.Load(), keep.trees.Load())
	}
	if err := second.Umount(); err != nil {
		t.Fatal(err)
	}
	if !keep.fsClosed.Load() || keep.trees.Load() != 0 {
		t.Errorf("removed share after its last tree disconnect: closed %v, trees %d", keep.fsClosed.Load(), keep.trees.Load())
	}
	if extraShare.fsClosed.Load() || extraShare.trees.Load() != 1 {
		t.Errorf("kept share: closed %v, trees %d", extraShare.fsClosed.Load(), extraShare.trees.Load())
	}
}

// TestReconfigureConcurrent swaps configurations while clients connect,
// open files and an operator polls Status and Metrics (run with -race).
func TestReconfigureConcurrent(t *testing.T) {
	// Its logons fail on purpose; without throttling they stay fast and
	// do not lock the test's address out.
	ts := startServer(t, testOpts{NoThrottle: true})
	other := t.TempDir()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			shares := []*Share{testShare(t, "share", ts.Dir)}
			if i%2 == 0 {
				shares = append(shares, testShare(t, "other", other))
			}
			if _, _, err := ts.Srv.Reconfigure(shares, nil); err != nil {
				t.Error(err)
				return
			}
			ts.Srv.Status()
			ts.Srv.Metrics()
		}
	}()
	users := auth.NewUserDB()
	users.Add(testUser, testPass)
	for i := range 10 {
		nc, err := net.Dial("tcp", ts.Addr)
		if err != nil {
			t.Fatal(err)
		}
		// Users nil in the swapped-in sets: logons fail or succeed
		// depending on the moment; neither may crash or race.
		s, err := (&gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: testUser, Password: testPass}}).Dial(nc)
		if err == nil {
			if fs, err := s.Mount("share"); err == nil {
				fs.WriteFile("f.txt", []byte{byte(i)}, 0o644)
				fs.Umount()
			}
			s.Logoff()
		}
		nc.Close()
	}
	close(stop)
	<-done
	ts.Srv.Reconfigure([]*Share{testShare(t, "share", ts.Dir)}, users)
	dialGo(t, ts) // the final configuration works
}
