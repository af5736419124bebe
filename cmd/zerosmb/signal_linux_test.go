package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/internal/bench"
)

// TestServeSecondSignal holds READs in flight (a client that sends them
// and never reads its socket, so the replies back up in the server's
// sendfile), then sends SIGTERM: the server must keep waiting for them.
// A second SIGTERM must end it at once.
func TestServeSecondSignal(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	if err := os.Mkdir(share, 0o755); err != nil {
		t.Fatal(err)
	}
	const size = 256 << 20
	if err := os.WriteFile(filepath.Join(share, "big.bin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(share, "big.bin"), size); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, nil, "--users", newUsers(t, dir), share)
	c, err := bench.Dial(bench.ClientConfig{Addr: s.addr, Share: "share", User: "alice", Password: "pa55word", RecvBuffer: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id, err := c.Open("big.bin", false)
	if err != nil {
		t.Fatal(err)
	}
	// More than the loopback socket buffers can hold, in as many READs
	// as the credits allow.
	n := int(min(c.MaxRead, 1<<20))
	sent := 0
	for off := int64(0); off+int64(n) <= size; off += int64(n) {
		if err := c.SendRead(id, off, n); err != nil {
			if sent == 0 {
				t.Fatal(err)
			}
			break
		}
		sent += n
	}
	if buffers := 2*(64<<10) + tcpSendBufferMax(t); int64(sent) <= buffers {
		t.Fatalf("only %d bytes of READ outstanding; the socket buffers hold up to %d", sent, buffers)
	}
	time.Sleep(300 * time.Millisecond) // let socket buffers fill
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
		t.Fatalf("server exited with a READ in flight (%v); log:\n%s", s.err, s.log)
	case <-time.After(time.Second):
	}
	if !strings.Contains(s.log.String(), "shutting down") {
		t.Errorf("log lacks shutting down:\n%s", s.log)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("second SIGTERM did not stop the server; log:\n%s", s.log)
	}
	if ee, ok := s.err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		t.Errorf("exit after second SIGTERM: %v, want killed by the signal", s.err)
	}
}

// tcpSendBufferMax is the most a TCP send buffer can hold (the third
// field of tcp_wmem).
func tcpSendBufferMax(t *testing.T) int64 {
	const f = "/proc/sys/net/ipv4/tcp_wmem"
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	fs := strings.Fields(string(b))
	if len(fs) != 3 {
		t.Fatalf("%s: %q", f, b)
	}
	v, err := strconv.ParseInt(fs[2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
