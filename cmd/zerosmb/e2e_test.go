package main

// End-to-end tests: they build the real binary once in TestMain and drive
// it as a user would (user add/list/del, serve, signals, smbclient).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binPath is the zerosmb binary built by TestMain.
var binPath string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "zerosmb-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "zerosmb")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building zerosmb: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is the outcome of one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// zerosmb runs the binary with args and stdin, with $ZEROSMB_USERS unset
// unless env sets it, and waits at most 20 s.
func zerosmb(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ctx.Err() != nil {
			t.Fatalf("zerosmb %q: %v\nstderr: %s", args, err, se.String())
		}
		code = ee.ExitCode()
	}
	return result{so.String(), se.String(), code}
}

// cleanEnv is the test's environment without ZEROSMB_USERS.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ZEROSMB_USERS=") {
			env = append(env, kv)
		}
	}
	return env
}

func TestCLIHelpAndErrors(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}, {"serve", "--help"}, {"user", "add", "--help"}} {
		r := zerosmb(t, "", nil, args...)
		if r.code != 0 {
			t.Errorf("%q exit %d, want 0", args, r.code)
		}
		for _, w := range []string{"SYNOPSIS", "--recvfile-min", "CONFIG FILE", "ZEROSMB_USERS", "EXIT STATUS"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%q: manual lacks %q", args, w)
			}
		}
	}
	if r := zerosmb(t, "", nil); r.code != 2 || !strings.Contains(r.stderr, "SYNOPSIS") {
		t.Errorf("no arguments: exit %d, stderr %.80q; want 2 and the manual", r.code, r.stderr)
	}
	if r := zerosmb(t, "", nil, "frobnicate"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %.80q", r.code, r.stderr)
	}
	if r := zerosmb(t, "", nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "zerosmb ") {
		t.Errorf("version: exit %d, stdout %q", r.code, r.stdout)
	}

	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.toml", "listen = \":445\"\nshares = 3\n", 0o644)
	users := usersFile(t, dir, 0o600)
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"bad config", []string{"serve", "--config", bad, dir}, 2, []string{bad + ": unknown key shares"}},
		{"unknown flag", []string{"serve", "--bogus", dir}, 2, []string{"bogus", "zerosmb help"}},
		{"missing dir", []string{"serve", "--users", users, filepath.Join(dir, "nope")}, 2, []string{"nope"}},
		{"no users file", []string{"serve", "--users", filepath.Join(dir, "nousers"), dir}, 2, []string{"zerosmb user add"}},
		{"nothing to share", []string{"serve", "--users", users}, 2, []string{"nothing to share"}},
		{"bad signing flag", []string{"serve", "--users", users, "--signing", "yes", dir}, 2, []string{"signing"}},
		{"bad log format", []string{"serve", "--users", users, "--log-format", "xml", dir}, 2, []string{"xml"}},
		{"user without subcommand", []string{"user"}, 2, []string{"add, del or list"}},
		{"user bad subcommand", []string{"user", "show"}, 2, []string{"show"}},
		{"user list extra", []string{"user", "list", "--users", users, "bob"}, 2, []string{`unexpected argument "bob"`}},
		{"user bad flag", []string{"user", "list", "--file", users}, 2, []string{"file"}},
		{"user list 0644", []string{"user", "list", "--users", writeFile(t, dir, "loose", "", 0o644)}, 1, []string{"0644"}},
	}
	for _, tt := range tests {
		r := zerosmb(t, "", nil, tt.args...)
		if r.code != tt.code {
			t.Errorf("%s: exit %d, want %d; stderr: %s", tt.name, r.code, tt.code, r.stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", tt.name, r.stderr, w)
			}
		}
	}
}

func TestServeListenBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	r := zerosmb(t, "", nil, "serve", "--listen", ln.Addr().String(), "--users", usersFile(t, dir, 0o600), dir)
	if r.code != 1 || !strings.Contains(r.stderr, "cannot listen on "+ln.Addr().String()) {
		t.Errorf("busy port: exit %d, stderr %q; want 1 and a message naming the address", r.code, r.stderr)
	}
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "sub", "users") // directory created on demand
	const pw = "Plaintext-Secret-42"

	r := zerosmb(t, pw+"\n", nil, "user", "add", "--users", users, "alice")
	if r.code != 0 {
		t.Fatalf("user add: exit %d: %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, pw) {
		t.Error("user add printed the password")
	}
	// Flags after the name, password without trailing newline.
	if r := zerosmb(t, "other-pass", nil, "user", "add", "bob", "--users", users); r.code != 0 {
		t.Fatalf("user add bob: exit %d: %s", r.code, r.stderr)
	}
	st, err := os.Stat(users)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("users file mode %#o, want 0600", st.Mode().Perm())
	}
	data, err := os.ReadFile(users)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(pw)) || bytes.Contains(data, []byte("other-pass")) {
		t.Errorf("users file contains a plaintext password:\n%s", data)
	}
	// NT hash of "Plaintext-Secret-42" = MD4(UTF-16LE(pw)); check the line
	// shape rather than recomputing it here.
	if !bytes.Contains(data, []byte("\nalice:")) || !bytes.Contains(data, []byte("\nbob:")) {
		t.Errorf("users file lacks alice or bob:\n%s", data)
	}

	if r := zerosmb(t, "", nil, "user", "list", "--users", users); r.code != 0 || r.stdout != "alice\nbob\n" {
		t.Errorf("user list = %q (exit %d), want alice, bob", r.stdout, r.code)
	}
	// $ZEROSMB_USERS names the default file.
	env := []string{"ZEROSMB_USERS=" + users}
	if r := zerosmb(t, "", env, "user", "list"); r.stdout != "alice\nbob\n" {
		t.Errorf("user list via $ZEROSMB_USERS = %q", r.stdout)
	}
	if r := zerosmb(t, "", env, "user", "del", "ALICE"); r.code != 0 {
		t.Errorf("user del ALICE (case-insensitive): exit %d: %s", r.code, r.stderr)
	}
	if r := zerosmb(t, "", nil, "user", "list", "--users", users); r.stdout != "bob\n" {
		t.Errorf("after del: list = %q, want bob", r.stdout)
	}
	if r := zerosmb(t, "", nil, "user", "del", "--users", users, "carol"); r.code != 1 || !strings.Contains(r.stderr, `no user "carol"`) {
		t.Errorf("del of absent user: exit %d, stderr %q", r.code, r.stderr)
	}
	if st, _ := os.Stat(users); st.Mode().Perm() != 0o600 {
		t.Errorf("after del: mode %#o", st.Mode().Perm())
	}

	// Refusals: the password never comes from argv, names are checked.
	for _, tt := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"add", "dave", pw}, "exactly one NAME"},
		{"", []string{"add", "dave"}, "no password"},
		{"\n", []string{"add", "dave"}, "empty password"},
		{pw + "\n", []string{"add", "da:ve"}, "da:ve"},
		{pw + "\n", []string{"add", "#dave"}, "#dave"},
		{pw + "\n", []string{"add", " dave"}, "space"},
		{pw + "\n", []string{"add"}, "exactly one NAME"},
		{"", []string{"del"}, "exactly one NAME"},
	} {
		r := zerosmb(t, tt.stdin, nil, append(append([]string{"user"}, tt.args...), "--users", users)...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("user %q: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
		if strings.Contains(r.stderr, pw) {
			t.Errorf("user %q: stderr echoes the password", tt.args)
		}
	}
	if r := zerosmb(t, "", nil, "user", "list", "--users", users); r.stdout != "bob\n" {
		t.Errorf("refused commands changed the file: list = %q", r.stdout)
	}

	// A users file readable by others is refused, naming path and mode.
	if err := os.Chmod(users, 0o644); err != nil {
		t.Fatal(err)
	}
	r = zerosmb(t, "", nil, "user", "list", "--users", users)
	if r.code != 1 || !strings.Contains(r.stderr, users) || !strings.Contains(r.stderr, "0644") {
		t.Errorf("0644 users file: exit %d, stderr %q", r.code, r.stderr)
	}
	r = zerosmb(t, "", nil, "serve", "--users", users, "--listen", "127.0.0.1:0", dir)
	if r.code != 2 || !strings.Contains(r.stderr, users) || !strings.Contains(r.stderr, "0644") {
		t.Errorf("serve with 0644 users file: exit %d, stderr %q", r.code, r.stderr)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serverProc is a running `zerosmb serve`.
type serverProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string // host:port
	log  *syncBuffer
	done chan struct{}
	err  error  // from Wait, valid after done is closed
	ctl  string // default control socket ($ZEROSMB_CONTROL_SOCKET)
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServer runs `zerosmb serve --listen ADDR args...` with env added to
// the environment and waits until
// it has logged that it listens. The process is killed at test end if
// still running.
func startServer(t *testing.T, env []string, args ...string) *serverProc {
	t.Helper()
	return startServerUnder(t, nil, env, args...)
}

// startServerUnder is startServer with the server run under the command
// wrap (for example strace and its options); nil runs it directly.
func startServerUnder(t *testing.T, wrap, env []string, args ...string) *serverProc {
	t.Helper()
	s := &serverProc{t: t, addr: freeAddr(t), log: &syncBuffer{}, done: make(chan struct{})}
	argv := append(append(append([]string(nil), wrap...), binPath, "serve", "--listen", s.addr), args...)
	s.cmd = exec.Command(argv[0], argv[1:]...)
	// Each server gets its own control socket unless the test names one.
	s.ctl = filepath.Join(t.TempDir(), "control.sock")
	s.cmd.Env = append(append(cleanEnv(), "ZEROSMB_CONTROL_SOCKET="+s.ctl), env...)
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.log.String(), "zerosmb listening") {
		select {
		case <-s.done:
			t.Fatalf("zerosmb serve exited early (%v):\n%s", s.err, s.log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("zerosmb serve did not start:\n%s", s.log)
		}
	}
	return s
}

// port is the server's TCP port as a string.
func (s *serverProc) port() string {
	_, p, _ := net.SplitHostPort(s.addr)
	return p
}

// stop sends sig and returns the exit code, failing if the process does
// not exit within limit.
func (s *serverProc) stop(sig os.Signal, limit time.Duration) int {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(limit):
		s.t.Fatalf("zerosmb did not exit within %v of %v; log:\n%s", limit, sig, s.log)
	}
	if ee, ok := s.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	} else if s.err != nil {
		s.t.Fatal(s.err)
	}
	return 0
}

// requireSmbclient returns the smbclient path, skipping the test when it
// is missing (failing instead when $CI is "true").
func requireSmbclient(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("smbclient")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("smbclient not installed (required when CI=true)")
		}
		t.Skip("smbclient not installed")
	}
	return p
}

// smbclient runs smbclient against s's share "share" in directory dir.
func smbclient(t *testing.T, s *serverProc, dir, user string, cmds string, extra ...string) (string, error) {
	return smbclientShare(t, s, "share", dir, user, cmds, extra...)
}

// smbclientShare runs smbclient against the named share of s. An empty
// user means an anonymous logon (-N).
func smbclientShare(t *testing.T, s *serverProc, share, dir, user string, cmds string, extra ...string) (string, error) {
	t.Helper()
	bin := requireSmbclient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"//127.0.0.1/" + share, "-p", s.port(), "-c", cmds}
	if user == "" {
		args = append(args, "-N")
	} else {
		args = append(args, "-U", user)
	}
	args = append(args, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("smbclient %q timed out:\n%s", cmds, out)
	}
	return string(out), err
}

// newUsers creates a users file with alice / pa55word via `user add`.
func newUsers(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "users")
	if r := zerosmb(t, "pa55word\n", nil, "user", "add", "--users", p, "alice"); r.code != 0 {
		t.Fatalf("user add: %s", r.stderr)
	}
	return p
}

func TestServeSmbclientPutGet(t *testing.T) {
	requireSmbclient(t)
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	local := filepath.Join(dir, "local")
	for _, d := range []string{share, local} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, nil, "--users", newUsers(t, dir), share)

	// 3 MiB + 7: several READs and WRITEs, large enough for the splice
	// path, with an unaligned tail.
	want := make([]byte, 3<<20+7)
	for i := range want {
		want[i] = byte(i*7 + i>>11)
	}
	if err := os.WriteFile(filepath.Join(local, "x.bin"), want, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, prot := range []string{"off", "sign"} {
		out, err := smbclient(t, s, local, "alice%pa55word", "put x.bin; get x.bin y-"+prot+".bin; ls",
			"--client-protection="+prot)
		if err != nil {
			t.Fatalf("smbclient (protection %s): %v\n%s", prot, err, out)
		}
		if !strings.Contains(out, "x.bin") {
			t.Errorf("ls output lacks x.bin:\n%s", out)
		}
		for _, p := range []string{filepath.Join(share, "x.bin"), filepath.Join(local, "y-"+prot+".bin")} {
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("protection %s: %s differs from the uploaded file (%d bytes, want %d)", prot, p, len(got), len(want))
			}
		}
	}
	if out, err := smbclient(t, s, local, "alice%wrong", "ls"); err == nil || !strings.Contains(out, "LOGON_FAILURE") {
		t.Errorf("wrong password: err %v, output:\n%s", err, out)
	}

	// SIGUSR1 logs the data-path counters: both sessions moved len(want)
	// each way; only the unsigned one used sendfile and header splitting.
	if err := s.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	line := waitLogLine(t, s, `msg="data path" `)
	n := len(want)
	for _, w := range []string{fmt.Sprintf("read_bytes=%d ", 2*n), fmt.Sprintf("read_sendfile_bytes=%d ", n),
		fmt.Sprintf("write_bytes=%d ", 2*n), "write_split_bytes="} {
		if !strings.Contains(line+" ", w) {
			t.Errorf("data path line lacks %q: %s", w, line)
		}
	}
	if strings.Contains(line, "write_split_bytes=0") {
		t.Errorf("no WRITE was header-split on the unsigned session: %s", line)
	}

	if code := s.stop(syscall.SIGTERM, 5*time.Second); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0; log:\n%s", code, s.log)
	}
	log := s.log.String()
	for _, w := range []string{"shutting down", `msg="data path totals"`, "stopped"} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
	if strings.Contains(log, "panic") || strings.Contains(log, "pa55word") {
		t.Errorf("log has a panic or the password:\n%s", log)
	}
}

// waitLogLine waits up to 5 s for a log line containing sub and returns it.
func waitLogLine(t *testing.T, s *serverProc, sub string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(s.log.String(), "\n") {
			if strings.Contains(l, sub) {
				return l
			}
		}
	}
	t.Fatalf("no log line with %q:\n%s", sub, s.log)
	return ""
}

// TestServeConfigSIGINT serves what a config file describes and stops on
// SIGINT.
func TestServeConfigSIGINT(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "zerosmb.toml", fmt.Sprintf(`
listen = "127.0.0.1:1"   # overridden by --listen
users = %q
log_format = "json"
recvfile_min = "1M"

[[share]]
name = "data"
path = %q
read_only = true
`, newUsers(t, dir), dir), 0o644)
	s := startServer(t, nil, "--config", cfg)
	log := s.log.String()
	for _, w := range []string{`"msg":"zerosmb listening"`, `"addr":"` + s.addr + `"`, `"data=` + dir + `,ro"`, `"recvfile_min":"1048576"`} {
		if !strings.Contains(log, w) {
			t.Errorf("startup line lacks %s:\n%s", w, log)
		}
	}
	if code := s.stop(os.Interrupt, 5*time.Second); code != 0 {
		t.Errorf("exit code after SIGINT = %d, want 0", code)
	}
	if !strings.Contains(s.log.String(), `"msg":"stopped"`) {
		t.Errorf("log lacks stopped:\n%s", s.log)
	}
}

// TestServeShutdownDuringRead sends SIGTERM while smbclient is fetching a
// large file whose local end is a FIFO we drain slowly, so a READ is
// certainly in flight (blocked on a full socket). The server must wait
// for it, then exit 0; every byte delivered must be right.
func TestServeShutdownDuringRead(t *testing.T) {
	requireSmbclient(t)
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	if err := os.Mkdir(share, 0o755); err != nil {
		t.Fatal(err)
	}
	const size = 200 << 20
	// 8 MiB of pattern, then a sparse tail: cheap to create, still checkable.
	head := make([]byte, 8<<20)
	for i := range head {
		head[i] = byte(i ^ i>>9)
	}
	big := filepath.Join(share, "big.bin")
	if err := os.WriteFile(big, head, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, size); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, nil, "--users", newUsers(t, dir), share)

	type clientResult struct {
		out string
		err error
	}
	cres := make(chan clientResult, 1)
	go func() {
		out, err := smbclient(t, s, dir, "alice%pa55word", "get big.bin "+fifo, "--client-protection=off")
		cres <- clientResult{out, err}
		// If smbclient failed before opening the FIFO, unblock our open.
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	}()

	f, err := os.Open(fifo) // blocks until smbclient opens it for writing
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := make([]byte, 0, size)
	buf := make([]byte, 1<<20)
	read := func() error {
		n, err := f.Read(buf)
		got = append(got, buf[:n]...)
		return err
	}
	// Take the first 4 MiB, then leave smbclient (and so the server's
	// socket) stalled for a moment so a READ is blocked mid-send.
	for len(got) < 4<<20 {
		if err := read(); err != nil {
			cr := <-cres
			t.Fatalf("fifo read after %d bytes: %v; smbclient: %v\n%s", len(got), err, cr.err, cr.out)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	for {
		if err := read(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("fifo read: %v", err)
		}
	}
	select {
	case <-s.done:
	case <-time.After(35 * time.Second):
		t.Fatalf("server did not exit within 35 s of SIGTERM; log:\n%s", s.log)
	}
	if s.err != nil {
		t.Errorf("server exit: %v; log:\n%s", s.err, s.log)
	}
	select {
	case cr := <-cres:
		t.Logf("smbclient received %d of %d bytes (err %v)", len(got), size, cr.err)
	case <-time.After(35 * time.Second):
		t.Error("smbclient did not finish after the server exited")
	}
	if len(got) <= 4<<20 {
		t.Errorf("only %d bytes delivered after SIGTERM; the READ in flight was not completed", len(got))
	}
	n := min(len(got), len(head))
	if !bytes.Equal(got[:n], head[:n]) || bytes.ContainsFunc(got[n:], func(r rune) bool { return r != 0 }) {
		t.Error("bytes delivered are not a prefix of the file")
	}
	log := s.log.String()
	for _, w := range []string{"shutting down", "stopped"} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
	if strings.Contains(log, "panic") || strings.Contains(log, "shutdown timed out") {
		t.Errorf("unclean shutdown:\n%s", log)
	}
}

// TestServeGuestOnly runs without any users file: a guest share is
// reachable anonymously and by unknown user names, read-only as flagged.
// --signing required does not lock guests out: they cannot sign.
func TestServeGuestOnly(t *testing.T) {
	requireSmbclient(t)
	dir := t.TempDir()
	pub := filepath.Join(dir, "pub")
	if err := os.Mkdir(pub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pub, "readme.txt"), []byte("public\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"ZEROSMB_USERS=" + filepath.Join(dir, "absent")}
	s := startServer(t, env, "--share", "pub="+pub+",ro,guest", "--signing", "required")
	if !strings.Contains(s.log.String(), "only guest shares") {
		t.Errorf("log does not say guest-only:\n%s", s.log)
	}
	for _, user := range []string{"", "stranger%whatever"} {
		out, err := smbclientShare(t, s, "pub", dir, user, "get readme.txt got.txt; put got.txt new.txt", "--client-protection=off")
		if got, _ := os.ReadFile(filepath.Join(dir, "got.txt")); string(got) != "public\n" {
			t.Errorf("user %q: get readme.txt = %q (%v):\n%s", user, got, err, out)
		}
		if err == nil || !strings.Contains(out, "ACCESS_DENIED") {
			t.Errorf("user %q: put on a read-only share: err %v:\n%s", user, err, out)
		}
		os.Remove(filepath.Join(dir, "got.txt"))
	}
	if _, err := os.Stat(filepath.Join(pub, "new.txt")); err == nil {
		t.Error("put succeeded on a read-only share")
	}
	if code := s.stop(syscall.SIGTERM, 5*time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
}
