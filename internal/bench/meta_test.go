//go:build linux

package bench

import (
	"bytes"
	"net"
	"os"
	"strings"
	"testing"
)

// TestMetaEndToEnd stats a small directory through zerosmb, the floor
// and, when it is installed, through Samba (an independent server for the
// compound the client builds), and checks every pass was measured.
func TestMetaEndToEnd(t *testing.T) {
	exe := buildZeroSMB(t)
	servers := []string{ServerZeroSMB, ServerFloorZC}
	if _, err := os.Stat("/usr/sbin/smbd"); err == nil {
		servers = append(servers, ServerSamba)
	} else if os.Getenv("CI") == "true" {
		t.Fatal("smbd missing under CI=true")
	}
	var log bytes.Buffer
	rs, err := Meta(MetaOptions{Files: []int{300}, Clients: []int{1, 3}, Servers: servers, Reps: 1,
		Exe: exe, Dir: t.TempDir(), Log: &log})
	if err != nil {
		t.Fatalf("Meta: %v\n%s", err, log.String())
	}
	if len(rs) != 2*len(servers) {
		t.Fatalf("%d results, want %d:\n%s", len(rs), 2*len(servers), log.String())
	}
	for _, r := range rs {
		if r.ColdPerSec <= 0 || r.WarmPerSec <= 0 || r.Files != 300 {
			t.Errorf("%+v", r)
		}
	}
	if md := FormatMeta(rs); !strings.Contains(md, "| zerosmb | 300 | 3 |") || !strings.Contains(md, "| floor-zc | 300 | 1 |") {
		t.Errorf("table:\n%s", md)
	}
	if n := strings.Count(log.String(), "stats/s"); n != 4*len(servers) {
		t.Errorf("%d passes logged, want %d:\n%s", n, 4*len(servers), log.String())
	}
}

// TestStatMissingFile checks that Stat reports the CREATE's failure.
func TestStatMissingFile(t *testing.T) {
	exe := buildZeroSMB(t)
	e := &env{dir: t.TempDir(), share: t.TempDir(), exe: exe}
	if err := e.setupUsers(); err != nil {
		t.Fatal(err)
	}
	srv, err := e.start(ServerZeroSMB, Unprotected)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	c, err := Dial(ClientConfig{Addr: srv.addr, Share: "share", User: e.user, Password: e.password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Stat("missing"); err == nil || !strings.Contains(err.Error(), "0xc0000034") {
		t.Fatalf("Stat of a missing file: %v, want STATUS_OBJECT_NAME_NOT_FOUND", err)
	}
	if err := os.WriteFile(e.share+"/present", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Stat("present"); err != nil {
		t.Fatalf("Stat after the failed compound: %v", err)
	}
}

// TestFloorStatMissing checks the floor's STAT answer for a missing name
// and that it keeps serving afterwards.
func TestFloorStatMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/present", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go ServeFloor(ln, FloorFiles{StatDir: dir}, FloorZeroCopy)
	c, err := dialFloor(ln.Addr().String(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Stat("missing"); err == nil {
		t.Error("STAT of a missing name succeeded")
	}
	if err := c.Stat("present"); err != nil {
		t.Errorf("STAT after a miss: %v", err)
	}
}
