package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// TestStatusLive checks Status against live sessions: a signed go-smb2
// user session with an open file, and an anonymous raw session holding
// a byte-range lock.
func TestStatusLive(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, Signing: true})
	fs := dialGo(t, ts)
	f, err := fs.Create("report.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	raw := rawSession(t, ts.Addr)
	id, st := raw.create("locked.bin", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	raw.expectStatus("lock", smb2.Lock, lockBody(id, smb2.LockElement{Offset: 100, Length: 10, Flags: exclFI}), nil, smb2.StatusSuccess)

	s := ts.Srv.Status()
	if len(s.Connections) != 2 || len(s.Shares) != 1 || s.Shares[0] != "share" {
		t.Fatalf("status %+v", s)
	}
	byUser := map[string]SessionStatus{}
	dialects := map[string]string{}
	for _, c := range s.Connections {
		if !strings.HasPrefix(c.Client, "127.0.0.1:") || len(c.Sessions) != 1 {
			t.Fatalf("connection %+v", c)
		}
		ss := c.Sessions[0]
		key := ss.User
		if ss.Anonymous {
			key = "anonymous"
		}
		byUser[key] = ss
		dialects[key] = c.Dialect
	}
	alice, anon := byUser[testUser], byUser["anonymous"]
	if !alice.SigningRequired || !alice.Signed || alice.Guest || alice.Encrypted {
		t.Errorf("alice: %+v", alice)
	}
	if anon.Signed || anon.SigningRequired || dialects["anonymous"] != "2.1" || dialects[testUser] == "" {
		t.Errorf("anonymous: %+v, dialects %v", anon, dialects)
	}
	check := func(who string, ss SessionStatus, locks int) {
		t.Helper()
		if len(ss.Trees) != 1 || ss.Trees[0].Share != "share" || len(ss.Trees[0].Opens) != 1 {
			t.Fatalf("%s trees %+v", who, ss.Trees)
		}
		o := ss.Trees[0].Opens[0]
		if want := map[string]string{testUser: "report.txt", "anonymous": "locked.bin"}[who]; o.Path != want || o.Directory || o.Oplock != "none" || o.Lease != "none" || len(o.Locks) != locks {
			t.Errorf("%s open %+v", who, o)
		}
		if who == "anonymous" && (o.ShareMode != "RWD" || o.Locks[0] != (Lock{Offset: 100, Length: 10, Exclusive: true})) {
			t.Errorf("anonymous open %+v", o)
		}
	}
	check(testUser, alice, 0)
	check("anonymous", anon, 1)
	if _, err := json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	if m := ts.Srv.Metrics(); m.Locks != 1 || m.Opens != 2 || m.Sessions != 2 {
		t.Errorf("metrics: locks %d opens %d sessions %d", m.Locks, m.Opens, m.Sessions)
	}

	// Closing the handle drops the lock and the open from the snapshot.
	raw.expectStatus("close", smb2.Close, rawClose(id), nil, smb2.StatusSuccess)
	for _, c := range ts.Srv.Status().Connections {
		for _, ss := range c.Sessions {
			if ss.Anonymous && len(ss.Trees[0].Opens) != 0 {
				t.Errorf("closed handle still listed: %+v", ss.Trees[0].Opens)
			}
		}
	}
}
