package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/zerosmb/zerosmb/server"
)

// goSession logs on to the real binary with go-smb2 and mounts share.
func goSession(t *testing.T, s *serverProc, user, pass, share string) (*gosmb2.Share, error) {
	t.Helper()
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := (&gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: user, Password: pass}}).Dial(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	fs, err := sess.Mount(share)
	if err != nil {
		sess.Logoff()
		return nil, err
	}
	t.Cleanup(func() { fs.Umount(); sess.Logoff() })
	return fs, nil
}

// TestServeMetricsAndStatus runs the binary with --metrics, moves data
// with smbclient, keeps a go-smb2 session with an open file, then scrapes
// /metrics (parsed with the Prometheus text parser) and runs
// `zerosmb status` in both formats.
func TestServeMetricsAndStatus(t *testing.T) {
	requireSmbclient(t)
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	os.Mkdir(share, 0o755)
	payload := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	writeFile(t, dir, "up.bin", payload, 0o644)
	s := startServer(t, nil, "--users", newUsers(t, dir), "--metrics", "127.0.0.1:0", share)
	if out, err := smbclient(t, s, dir, "alice%pa55word", "put up.bin"); err != nil {
		t.Fatalf("smbclient put: %v\n%s", err, out)
	}
	if out, err := smbclient(t, s, dir, "alice%wrong", "ls"); err == nil {
		t.Fatalf("wrong password accepted:\n%s", out)
	}
	fs, err := goSession(t, s, "alice", "pa55word", "share")
	if err != nil {
		t.Fatal(err)
	}
	f, err := fs.Open("up.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	m := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`).FindStringSubmatch(waitLogLine(t, s, "metrics listening"))
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", s.log)
	}
	scrape := func() map[string]float64 {
		resp, err := http.Get("http://" + m[1] + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		out := map[string]float64{}
		for name, mf := range fams {
			for _, x := range mf.GetMetric() {
				key := name
				for _, l := range x.GetLabel() {
					key += fmt.Sprintf(",%s=%s", l.GetName(), l.GetValue())
				}
				switch {
				case x.Counter != nil:
					out[key] = x.Counter.GetValue()
				case x.Gauge != nil:
					out[key] = x.Gauge.GetValue()
				case x.Histogram != nil:
					out[key] = float64(x.Histogram.GetSampleCount())
				}
			}
		}
		return out
	}
	var v map[string]float64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// smbclient's connections close asynchronously.
		if v = scrape(); v["zerosmb_connections"] == 1 || time.Now().After(deadline) {
			break
		}
	}
	for key, want := range map[string]float64{
		"zerosmb_connections":                              1,
		"zerosmb_sessions":                                 1,
		"zerosmb_open_files":                               1,
		"zerosmb_sessions_established_total":               2,
		"zerosmb_logon_failures_total":                     1,
		"zerosmb_errors_total,status=STATUS_LOGON_FAILURE": 1,
		// smbclient signs only when asked: its 1 MiB upload was spliced.
		"zerosmb_write_bytes_total,path=splice": float64(len(payload)),
		"zerosmb_write_bytes_total,path=signed": 0,
	} {
		if v[key] != want {
			t.Errorf("%s = %v, want %v", key, v[key], want)
		}
	}
	if v["zerosmb_requests_total,command=WRITE"] < 1 || v["zerosmb_request_duration_seconds,command=WRITE"] != v["zerosmb_requests_total,command=WRITE"] {
		t.Errorf("WRITE requests %v, histogram count %v", v["zerosmb_requests_total,command=WRITE"], v["zerosmb_request_duration_seconds,command=WRITE"])
	}

	// zerosmb status through the control socket (mode 0600).
	if st, err := os.Stat(s.ctl); err != nil || st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("control socket %s: %v %v", s.ctl, st.Mode(), err)
	}
	env := []string{"ZEROSMB_CONTROL_SOCKET=" + s.ctl}
	r := zerosmb(t, "", env, "status")
	if r.code != 0 {
		t.Fatalf("status: exit %d: %s", r.code, r.stderr)
	}
	t.Logf("zerosmb status:\n%s", r.stdout)
	for _, w := range []string{"1 connections, 1 sessions, 1 tree connects, 1 open files", "alice", "127.0.0.1:", "/up.bin", "SHARE MODE"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("status output lacks %q:\n%s", w, r.stdout)
		}
	}
	r = zerosmb(t, "", nil, "status", "--json", "--control-socket", s.ctl)
	var st server.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 {
		t.Fatalf("status --json: exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if len(st.Connections) != 1 || len(st.Connections[0].Sessions) != 1 {
		t.Fatalf("status --json: %+v", st)
	}
	ss := st.Connections[0].Sessions[0]
	if ss.User != "alice" || !ss.Signed || len(ss.Trees) != 1 || len(ss.Trees[0].Opens) != 1 || ss.Trees[0].Opens[0].Path != "up.bin" {
		t.Errorf("status --json session %+v", ss)
	}
	if r := zerosmb(t, "", nil, "status", "--control-socket", filepath.Join(dir, "nope.sock")); r.code != 1 || !strings.Contains(r.stderr, "control socket") {
		t.Errorf("status without a server: exit %d, %s", r.code, r.stderr)
	}
	if code := s.stop(syscall.SIGTERM, 5*time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
	if _, err := os.Stat(s.ctl); !os.IsNotExist(err) {
		t.Errorf("control socket left behind: %v", err)
	}
}

// TestServeSIGHUP changes the config file and the users file under a
// running server: an added share appears, a removed one refuses new tree
// connects while an open file on it keeps working, a changed password
// applies to new logons, and a broken config is refused and logged.
func TestServeSIGHUP(t *testing.T) {
	requireSmbclient(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.Mkdir(a, 0o755)
	os.Mkdir(b, 0o755)
	writeFile(t, b, "in-b.txt", "bbb", 0o644)
	users := newUsers(t, dir)
	conf := func(shares ...string) string {
		c := fmt.Sprintf("users = %q\n", users)
		for _, sh := range shares {
			c += fmt.Sprintf("[[share]]\nname = %q\npath = %q\n", filepath.Base(sh), sh)
		}
		return c
	}
	cfg := writeFile(t, dir, "zerosmb.toml", conf(a), 0o644)
	s := startServer(t, nil, "--config", cfg)
	fs, err := goSession(t, s, "alice", "pa55word", "a")
	if err != nil {
		t.Fatal(err)
	}
	f, err := fs.Create("kept-open.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	writeFile(t, dir, "zerosmb.toml", conf(b), 0o644)
	if r := zerosmb(t, "n3w-pass\n", nil, "user", "add", "--users", users, "alice"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	s.cmd.Process.Signal(syscall.SIGHUP)
	line := waitLogLine(t, s, "configuration reloaded")
	if !strings.Contains(line, "shares_added=[b]") || !strings.Contains(line, "shares_removed=[a]") {
		t.Errorf("reload line: %s", line)
	}
	if out, err := smbclientShare(t, s, "b", dir, "alice%n3w-pass", "ls"); err != nil || !strings.Contains(out, "in-b.txt") {
		t.Errorf("added share with the new password: %v\n%s", err, out)
	}
	if out, err := smbclientShare(t, s, "b", dir, "alice%pa55word", "ls"); err == nil || !strings.Contains(out, "LOGON_FAILURE") {
		t.Errorf("old password after reload: %v\n%s", err, out)
	}
	if out, err := smbclientShare(t, s, "a", dir, "alice%n3w-pass", "ls"); err == nil || !strings.Contains(out, "BAD_NETWORK_NAME") {
		t.Errorf("removed share: %v\n%s", err, out)
	}
	// The open file on the removed share still takes writes.
	if _, err := f.Write([]byte("after reload")); err != nil {
		t.Errorf("write after reload: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(a, "kept-open.txt")); string(got) != "after reload" {
		t.Errorf("kept-open.txt = %q", got)
	}

	// A broken config is refused; the running one stays.
	writeFile(t, dir, "zerosmb.toml", conf(b)+"bogus_key = 1\n", 0o644)
	s.cmd.Process.Signal(syscall.SIGHUP)
	if line := waitLogLine(t, s, "reload failed"); !strings.Contains(line, "bogus_key") {
		t.Errorf("reload failure line: %s", line)
	}
	// A share whose directory vanished is refused too.
	writeFile(t, dir, "zerosmb.toml", conf(b, filepath.Join(dir, "gone")), 0o644)
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitLogCount(t, s, "reload failed", 2)
	if out, err := smbclientShare(t, s, "b", dir, "alice%n3w-pass", "ls"); err != nil {
		t.Errorf("share b after failed reloads: %v\n%s", err, out)
	}
	if code := s.stop(syscall.SIGTERM, 5*time.Second); code != 0 {
		t.Errorf("exit %d:\n%s", code, s.log)
	}
}

// waitLogCount waits up to 5 s for n log lines containing sub.
func waitLogCount(t *testing.T, s *serverProc, sub string, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Count(s.log.String(), sub) >= n {
			return
		}
	}
	t.Fatalf("fewer than %d log lines with %q:\n%s", n, sub, s.log)
}
