//go:build linux

package bench

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		in   string
		want procStat
		ok   bool
	}{
		{"42 (smbd) S 7 42 42 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 1 0 5 0 0", procStat{7, 11, 22, 33, 44}, true},
		{"42 (a) b) (c) R 1 42 42 0 -1 0 0 0 0 0 1 2 3 4 20 0", procStat{1, 1, 2, 3, 4}, true},
		{"42 (smbd) S 7 42", procStat{}, false},
		{"no paren", procStat{}, false},
	}
	for _, tt := range tests {
		got, err := parseProcStat([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseProcStat(%q) = %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestTreeCPUSelf(t *testing.T) {
	// Burn ~50ms of CPU in a child and check it is counted after reaping.
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done")
	before, err := TreeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Run(); err != nil {
		t.Skip("no sh:", err)
	}
	after, err := TreeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Errorf("TreeCPU did not grow after a reaped busy child: %v -> %v", before, after)
	}
}

func TestMedianAndNiceCeil(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median odd = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median even = %v", m)
	}
	for in, want := range map[float64]float64{0.37: 0.5, 1.2: 2, 2.1: 2.5, 7: 10, 0: 1} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestCases(t *testing.T) {
	all, quick := AllCases(false), AllCases(true)
	if len(all) != 56 { // 24 unsigned/CMAC + 4 protections (3.1.1 x3, nt1) x 2 sizes x 2 directions x 2 client counts
		t.Errorf("full matrix has %d cases, want 56", len(all))
	}
	names := map[string]bool{}
	for _, c := range quick {
		names[c.Name()] = true
	}
	for _, n := range []string{"read-1m-unsigned-c1", "read-8m-unsigned-c8", "write-1m-unsigned-c1",
		"write-64k-unsigned-c8", "read-64k-unsigned-c1", "read-1m-signed-c8",
		"read-1m-gmac-c1", "write-1m-gcm128-c8", "write-1m-gcm256-c1",
		"read-64k-nt1-c1", "read-1m-nt1-c1", "write-64k-nt1-c1", "write-1m-nt1-c1"} {
		if !names[n] {
			t.Errorf("quick set lacks %s", n)
		}
	}
	for _, n := range []string{"write-8m-signed-c1", "read-8m-gmac-c1", "read-1m-nt1-c8"} {
		if names[n] {
			t.Errorf("quick set has the non-key case %s", n)
		}
	}
	for _, c := range all {
		if c.Prot.Dialect311() && c.IO < 1<<20 {
			t.Errorf("3.1.1 case below 1 MiB: %s", c.Name())
		}
		if c.Prot == SMB1NT1 && c.IO > 1<<20 {
			t.Errorf("SMB1 case above 1 MiB: %s", c.Name())
		}
	}
}

func TestSPNEGORoundTrip(t *testing.T) {
	tok := bytes.Repeat([]byte{0xab}, 300) // long enough for a two-byte DER length
	got, err := spnegoToken(spnegoResp(tok))
	if err != nil || !bytes.Equal(got, tok) {
		t.Fatalf("spnegoToken(spnegoResp(tok)) = %x, %v", got, err)
	}
	if _, err := spnegoToken([]byte{0xa1, 0x05, 0x30, 0x03, 0xa0, 0x01, 0x00}); err == nil {
		t.Error("NegTokenResp without responseToken accepted")
	}
	raw := append([]byte("NTLMSSP\x00"), 2, 0, 0, 0)
	if got, err := spnegoToken(raw); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("raw NTLMSSP not passed through: %v", err)
	}
}

func TestMarkdownRatios(t *testing.T) {
	c := Case{IO: 1 << 20, Clients: 1}
	gib := int64(1 << 30)
	rs := []Result{
		{Case: c, Server: ServerZeroSMB, Bytes: gib, Wall: time.Second, ServerCPU: 300 * time.Millisecond},
		{Case: c, Server: ServerSambaSendfile, Bytes: gib, Wall: time.Second, ServerCPU: 600 * time.Millisecond},
		{Case: c, Server: ServerFloorZC, Bytes: gib, Wall: time.Second, ServerCPU: 200 * time.Millisecond},
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, Summarize(rs)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| zerosmb | 1 | 0.300 (0.300–0.300) | 0.50x | 1.50x | 1.00") {
		t.Errorf("unexpected table:\n%s", b.String())
	}
}

// buildZeroSMB compiles the zerosmb command for the end-to-end test.
func buildZeroSMB(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	exe := filepath.Join(t.TempDir(), "zerosmb")
	out, err := exec.Command(gobin, "build", "-o", exe, "github.com/zerosmb/zerosmb/cmd/zerosmb").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// TestRunEndToEnd starts zerosmb and the zero-copy floor as subprocesses,
// moves 64 MiB per case and checks the measurements and the outputs.
func TestRunEndToEnd(t *testing.T) {
	exe := buildZeroSMB(t)
	const size = 64 << 20
	var log bytes.Buffer
	rs, err := Run(Options{
		Size: size, Reps: 1, Exe: exe, TmpDir: os.TempDir(), Log: &log,
		Servers: []string{ServerZeroSMB, ServerFloorZC},
		Cases:   []string{"read-1m-unsigned-c1", "write-64k-unsigned-c8", "read-64k-signed-c1", "write-1m-gcm128-c1"},
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	if len(rs) != 7 { // floor skips the 3.0.2 signed case, serves the sealed one unsigned
		t.Fatalf("%d results, want 7:\n%s", len(rs), log.String())
	}
	if !strings.Contains(log.String(), "started zerosmb@gcm128") {
		t.Errorf("no zerosmb instance requiring encryption was started:\n%s", log.String())
	}
	var cpu time.Duration
	for _, r := range rs {
		if r.Bytes != size || r.Wall <= 0 || r.ClientCPU <= 0 {
			t.Errorf("%s on %s: bytes %d wall %v client CPU %v", r.Case.Name(), r.Server, r.Bytes, r.Wall, r.ClientCPU)
		}
		cpu += r.ServerCPU
	}
	if cpu <= 0 {
		t.Errorf("no server CPU measured over %d runs", len(rs))
	}
	dir := t.TempDir()
	if err := WriteFiles(dir, rs); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "results.md"))
	for _, want := range []string{"**read-1m-unsigned-c1**", "| floor-zc |", "| zerosmb |", "read-64k-signed-c1", "**write-1m-gcm128-c1**"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "results.csv"))
	if n := bytes.Count(csv, []byte("\n")); n != 8 {
		t.Errorf("results.csv has %d lines, want 8", n)
	}
	f, err := os.Open(filepath.Join(dir, "results.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("results.png: %v", err)
	}
}

func TestClientReadAtMatchesFile(t *testing.T) {
	exe := buildZeroSMB(t)
	dir := t.TempDir()
	e := &env{dir: dir, share: filepath.Join(dir, "share"), exe: exe}
	if err := e.prepare(1 << 20); err != nil {
		t.Fatal(err)
	}
	tg, err := e.start(ServerZeroSMB, Unprotected)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.stop()
	for _, signed := range []Protection{Unprotected, SignCMAC} {
		c, err := Dial(ClientConfig{Addr: tg.addr, Share: "share", User: e.user, Password: e.password, Prot: signed})
		if err != nil {
			t.Fatal(err)
		}
		id, err := c.Open(readName, false)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(filepath.Join(e.share, readName))
		got := make([]byte, 60000)
		n, err := c.ReadAt(id, got, 12345)
		if err != nil || n != len(got) || !bytes.Equal(got, want[12345:12345+n]) {
			t.Errorf("signed=%v: ReadAt = %d, %v; data equal %v", signed, n, err, bytes.Equal(got[:n], want[12345:12345+n]))
		}
		if _, err := Dial(ClientConfig{Addr: tg.addr, Share: "share", User: e.user, Password: "wrong", Prot: signed}); err == nil {
			t.Error("logon with a wrong password succeeded")
		}
		c.CloseFile(id)
		c.Close()
	}
}

// TestLoadAndFloorNetpoll drives a running zerosmb with Load (the engine of
// "zerosmb bench load") for READ and WRITE, checks the bytes, the CPU
// readings and that WRITE really changed the file, and runs the per-request
// floors (blocking and netpoll) and the streaming floor end to end.
func TestLoadAndFloorNetpoll(t *testing.T) {
	exe := buildZeroSMB(t)
	dir := t.TempDir()
	e := &env{dir: dir, share: filepath.Join(dir, "share"), exe: exe}
	const size = 8 << 20
	if err := e.prepare(size); err != nil {
		t.Fatal(err)
	}
	tg, err := e.start(ServerZeroSMB, Unprotected)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.stop()
	before, _ := os.ReadFile(filepath.Join(e.share, writeName))
	for _, c := range []Case{{IO: 1 << 20, Clients: 2}, {Write: true, IO: 64 << 10, Clients: 2, Prot: SignCMAC}} {
		rs, err := Load(LoadOptions{
			Client: ClientConfig{Addr: tg.addr, Share: "share", User: e.user, Password: e.password},
			File:   map[bool]string{false: readName, true: writeName}[c.Write],
			Case:   c, Size: size, Reps: 2, ServerPID: tg.pid(),
		})
		if err != nil || len(rs) != 2 {
			t.Fatalf("%s: %d results, %v", c.Name(), len(rs), err)
		}
		for _, r := range rs {
			if r.Bytes != size || r.Wall <= 0 || r.ServerCPU < 0 {
				t.Errorf("%s: %+v", c.Name(), r)
			}
			if line := FormatLoad(r); !strings.Contains(line, c.Name()) || !strings.Contains(line, "GiB/s") {
				t.Errorf("FormatLoad = %q", line)
			}
		}
	}
	after, _ := os.ReadFile(filepath.Join(e.share, writeName))
	if len(after) != size || bytes.Equal(before, after) {
		t.Errorf("WRITE load left the file unchanged (%d bytes)", len(after))
	}
	if _, err := Load(LoadOptions{Client: ClientConfig{Addr: tg.addr, Share: "share", User: e.user, Password: "wrong"},
		File: readName, Case: Case{IO: 1 << 20, Clients: 1}, Size: size}); err == nil {
		t.Error("Load with a wrong password succeeded")
	}
	for _, name := range []string{ServerFloorZC, ServerFloorNetpoll, ServerFloorStream} {
		ft, err := e.start(name, Unprotected)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []Case{{IO: 1 << 20, Clients: 2}, {Write: true, IO: 64 << 10, Clients: 2}} {
			r, err := runOnce(e, ft, c, size, 0)
			if err != nil || r.Bytes != size {
				t.Errorf("%s %s: %d bytes, %v", name, c.Name(), r.Bytes, err)
			}
		}
		ft.stop()
	}
}
