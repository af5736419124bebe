//go:build linux

package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// syscallBytes sums, per system call, the byte counts the calls in an
// strace -f log returned (resumed calls included).
type syscallBytes map[string]int64

var straceLine = regexp.MustCompile(`^(?:\d+\s+)?(?:<\.\.\. (\w+) resumed>|(\w+)\().*\)\s+=\s+(\d+)`)

func parseStrace(t *testing.T, path string) syscallBytes {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum := syscallBytes{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := straceLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := m[1] + m[2]
		n, _ := strconv.ParseInt(m[3], 10, 64)
		sum[name] += n
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestServeSMB1StraceZeroCopy runs `zerosmb serve --smb1` under strace
// while smbclient -m NT1 puts and gets a 4 MiB file, and checks in the
// system calls that the READ_ANDX payload left by sendfile and the
// WRITE_ANDX payload came in by splice: no pread64 and no read() carried
// those bytes. --recvfile-min is 16K because smbclient's last WRITE_ANDX
// of the file is 32 KiB (below the 64K default it is copied). It needs strace (skipped without it, a failure under
// CI=true; .ci/run installs it).
func TestServeSMB1StraceZeroCopy(t *testing.T) {
	requireSmbclient(t)
	straceBin, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("strace not installed (required when CI=true)")
		}
		t.Skip("strace not installed")
	}
	dir := t.TempDir()
	share, local := filepath.Join(dir, "share"), filepath.Join(dir, "local")
	for _, d := range []string{share, local} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const size = 4 << 20
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i*13 + i>>10)
	}
	if err := os.WriteFile(filepath.Join(local, "big.bin"), want, 0o644); err != nil {
		t.Fatal(err)
	}
	users := newUsers(t, dir)
	trace := filepath.Join(dir, "strace.log")
	s := startServerUnder(t, []string{straceBin, "-f", "-qq", "-s", "0", "-e", "trace=sendfile,splice,pread64,read", "-o", trace},
		nil, "--smb1", "--users", users, "--recvfile-min", "16K", share)
	line := waitLogLine(t, s, "zerosmb listening")
	m := regexp.MustCompile(` pid=(\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no pid in %q", line)
	}
	pid, _ := strconv.Atoi(m[1])

	out, err := smbclient(t, s, local, "alice%pa55word", "put big.bin; get big.bin back.bin",
		"-m", "NT1", "--option=client min protocol=NT1")
	if err != nil {
		t.Fatalf("smbclient -m NT1: %v\n%s", err, out)
	}
	for _, p := range []string{filepath.Join(share, "big.bin"), filepath.Join(local, "back.bin")} {
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes (%v), want the %d uploaded", p, len(got), err, size)
		}
	}
	// Stop zerosmb itself (strace exits with it) so the trace is complete.
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("zerosmb under strace did not exit; log:\n%s", s.log)
	}
	if !strings.Contains(s.log.String(), "negotiated legacy SMB1") {
		t.Errorf("smbclient did not use SMB1; log:\n%s", s.log)
	}
	sum := parseStrace(t, trace)
	t.Logf("bytes returned by the server's system calls: %v", sum)
	if sum["sendfile"] < size {
		t.Errorf("sendfile moved %d bytes, want at least the %d read", sum["sendfile"], size)
	}
	// Socket -> pipe and pipe -> file: each payload byte is spliced twice.
	if sum["splice"] < 2*size {
		t.Errorf("splice moved %d bytes, want at least twice the %d written", sum["splice"], size)
	}
	if sum["pread64"] >= 64<<10 {
		t.Errorf("pread64 returned %d bytes: file data went through user space", sum["pread64"])
	}
	if sum["read"] >= 64<<10 {
		t.Errorf("read returned %d bytes: WRITE_ANDX payload went through user space", sum["read"])
	}
	if t.Failed() {
		b, _ := os.ReadFile(trace)
		t.Logf("strace (tail):\n%s", tailString(string(b), 4000))
	}
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
