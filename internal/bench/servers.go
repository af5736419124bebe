//go:build linux

package bench

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server names accepted by Options.Servers, in report order.
const (
	ServerZeroSMB       = "zerosmb"        // zero-copy: sendfile READ, splice WRITE
	ServerZeroSMBCopy   = "zerosmb-copy"   // --sendfile=false --recvfile-min 0
	ServerSambaSendfile = "samba-sendfile" // use sendfile, aio off, min receivefile size
	ServerSamba         = "samba"          // Samba defaults
	ServerFloorZC       = "floor-zc"       // kernel floor: sendfile / splice only
	ServerFloorCopy     = "floor-copy"     // kernel floor: read()+write() copy
)

// AllServers lists every target in report order.
var AllServers = []string{ServerZeroSMB, ServerZeroSMBCopy, ServerSambaSendfile, ServerSamba, ServerFloorZC, ServerFloorCopy}

// Tuning variants of zerosmb, run only when named in Options.Servers; they
// exist to measure a setting against the defaults in the same run.
const (
	ServerZeroSMBRecv256K = "zerosmb-rf256k" // --recvfile-min 256K
	ServerZeroSMBRecv1M   = "zerosmb-rf1m"   // --recvfile-min 1M
	ServerZeroSMBP1       = "zerosmb-p1"     // GOMAXPROCS=1
	ServerZeroSMBSignedSF = "zerosmb-ssf"    // --signed-sendfile (hash: openmap, the default)
	ServerZeroSMBSSFMmap  = "zerosmb-ssfm"   // --signed-sendfile --signed-sendfile-hash mmap
	ServerZeroSMBSSFPread = "zerosmb-ssfp"   // --signed-sendfile --signed-sendfile-hash pread
	ServerFloorNetpoll    = "floor-netpoll"  // the zero-copy floor on Go's netpoller
	ServerFloorStream     = "floor-stream"   // floor-zc asked for each client's share in one request
)

// ExtraServers lists the tuning variants, reported after AllServers.
var ExtraServers = []string{ServerZeroSMBRecv256K, ServerZeroSMBRecv1M, ServerZeroSMBP1, ServerZeroSMBSignedSF, ServerZeroSMBSSFMmap, ServerZeroSMBSSFPread, ServerFloorNetpoll, ServerFloorStream}

// reportOrder is AllServers followed by ExtraServers.
func reportOrder() []string {
	return append(append([]string(nil), AllServers...), ExtraServers...)
}

func isFloor(name string) bool { return strings.HasPrefix(name, "floor-") }

// env is the scratch area of one benchmark run.
type env struct {
	dir      string // root of everything, on tmpfs
	share    string // shared directory: ReadFile and WriteFile
	exe      string // the zerosmb binary
	user     string
	password string
	log      io.Writer
	// sambaExtra is appended to every smb.conf's [global] section (tests
	// use it to override a setting; a later line wins in smb.conf).
	sambaExtra string
}

const (
	readName  = "read.dat"
	writeName = "write.dat"
)

// target is one running server.
type target struct {
	name    string
	addr    string
	metrics string // zerosmb: its --metrics address (payload counters)
	cmd     *exec.Cmd
	out     *os.File
}

func (t *target) pid() int { return t.cmd.Process.Pid }

// stop terminates the server's process group.
func (t *target) stop() {
	if t.cmd.Process == nil {
		return
	}
	pg := -t.cmd.Process.Pid
	syscall.Kill(pg, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { t.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(pg, syscall.SIGKILL)
		<-done
	}
	if t.out != nil {
		t.out.Close()
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start launches the named server, configured for protection p (see
// instanceProt), on a spare loopback port and waits until it accepts
// connections.
func (e *env) start(name string, p Protection) (*target, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var args, env []string
	var metrics string
	bin := e.exe
	switch name {
	case ServerZeroSMB, ServerZeroSMBCopy, ServerZeroSMBRecv256K, ServerZeroSMBRecv1M, ServerZeroSMBP1, ServerZeroSMBSignedSF, ServerZeroSMBSSFMmap, ServerZeroSMBSSFPread:
		mport, err := freePort()
		if err != nil {
			return nil, err
		}
		metrics = "127.0.0.1:" + strconv.Itoa(mport)
		args = []string{"serve", "--listen", addr, "--users", filepath.Join(e.dir, "users"),
			"--share", "share=" + e.share, "--log-level", "warn", "--metrics", metrics}
		switch name {
		case ServerZeroSMBCopy:
			args = append(args, "--sendfile=false", "--recvfile-min", "0")
		case ServerZeroSMBSignedSF:
			args = append(args, "--signed-sendfile")
		case ServerZeroSMBSSFMmap:
			args = append(args, "--signed-sendfile", "--signed-sendfile-hash", "mmap")
		case ServerZeroSMBSSFPread:
			args = append(args, "--signed-sendfile", "--signed-sendfile-hash", "pread")
		case ServerZeroSMBRecv256K:
			args = append(args, "--recvfile-min", "256K")
		case ServerZeroSMBRecv1M:
			args = append(args, "--recvfile-min", "1M")
		case ServerZeroSMBP1:
			env = append(os.Environ(), "GOMAXPROCS=1")
		}
		switch {
		case p == SignGMAC:
			args = append(args, "--signing=required")
		case p.Sealed():
			args = append(args, "--encrypt=required") // the client offers only the case's cipher
		case p == SMB1NT1:
			args = append(args, "--smb1")
		}
	case ServerSambaSendfile, ServerSamba:
		conf, err := e.sambaConf(name, p, port)
		if err != nil {
			return nil, err
		}
		bin = smbdPath
		args = []string{"--foreground", "--no-process-group", "--debug-stdout", "-s", conf}
	case ServerFloorZC, ServerFloorCopy, ServerFloorNetpoll, ServerFloorStream:
		mode := FloorZeroCopy
		switch name {
		case ServerFloorCopy:
			mode = FloorCopy
		case ServerFloorNetpoll:
			mode = FloorNetpoll
		}
		args = []string{"bench", "floor", "--mode", string(mode), "--listen", addr, "--stat-dir", e.share}
		for flag, name := range map[string]string{"--read": readName, "--write": writeName} {
			if p := filepath.Join(e.share, name); fileExists(p) {
				args = append(args, flag, p)
			}
		}
	default:
		return nil, fmt.Errorf("bench: unknown server %q", name)
	}
	out, err := os.Create(filepath.Join(e.dir, instanceName(name, p)+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env // nil: inherit
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("bench: start %s: %w", name, err)
	}
	t := &target{name: name, addr: addr, metrics: metrics, cmd: cmd, out: out}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return t, nil
		}
		if time.Now().After(deadline) {
			t.stop()
			log, _ := os.ReadFile(out.Name())
			return nil, fmt.Errorf("bench: %s did not start listening on %s: %v\n%s", name, addr, err, tail(log, 2000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// setupUsers creates the bench user for zerosmb. Samba's passdb is made per
// instance in sambaConf.
func (e *env) setupUsers() error {
	u, err := user.Current()
	if err != nil {
		return err
	}
	e.user = u.Username
	e.password = "bench-Pw-1"
	cmd := exec.Command(e.exe, "user", "add", "--users", filepath.Join(e.dir, "users"), e.user)
	cmd.Stdin = strings.NewReader(e.password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: zerosmb user add: %v: %s", err, out)
	}
	return nil
}

// fileExists reports whether p names an existing file.
func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
