//go:build linux

package main

import (
	"flag"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	smb2 "github.com/hirochachacha/go-smb2"
)

var manySessions = flag.Int("sessions", 1100, "logged-on go-smb2 sessions TestServeManySessions holds against the default configuration (1100, past the old cap of 1024, by default; e.g. 10000)")

// TestServeManySessions holds -sessions logged-on sessions (each with a
// tree connect) against `zerosmb serve` with the default limits, checks
// they all still answer, and reports the server's memory. The default
// configuration must take 10,000: go test ./cmd/zerosmb -run
// ManySessions -sessions=10000.
func TestServeManySessions(t *testing.T) {
	n := *manySessions
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < uint64(n+256) {
		t.Skipf("RLIMIT_NOFILE %d is too low for %d client sockets", rl.Cur, n)
	}
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	if err := os.Mkdir(share, 0o755); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, nil, "--users", newUsers(t, dir), share)
	if !strings.Contains(s.log.String(), "max_connections=16384") {
		t.Errorf("listening line does not show the default max_connections=16384:\n%s", s.log)
	}
	type sess struct {
		nc net.Conn
		s  *smb2.Session
		fs *smb2.Share
	}
	all := make([]sess, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, 32)
	start := time.Now()
	for i := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			nc, err := net.DialTimeout("tcp", s.addr, 10*time.Second)
			if err == nil {
				d := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: "alice", Password: "pa55word"}}
				var ss *smb2.Session
				if ss, err = d.Dial(nc); err == nil {
					var fs *smb2.Share
					if fs, err = ss.Mount("share"); err == nil {
						all[i] = sess{nc, ss, fs}
						return
					}
				}
				nc.Close()
			}
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("session setup failed: %v", firstErr)
	}
	setup := time.Since(start)
	rss := procRSS(s.cmd.Process.Pid)
	for i := 0; i < n; i += max(1, n/200) {
		if _, err := all[i].fs.Stat("."); err != nil {
			t.Fatalf("session %d: stat: %v", i, err)
		}
	}
	t.Logf("%d sessions in %v; server RSS %d MB (%d KB per session)", n, setup.Round(time.Millisecond), rss>>20, rss/int64(n)>>10)
	for _, x := range all {
		x.nc.Close()
	}
	if code := s.stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// procRSS is the resident set size of process pid, 0 if unknown.
func procRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
