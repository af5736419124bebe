package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the master and slave ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open slave: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// readTerminal copies what appears on the terminal master into a buffer
// until the master is closed.
func readTerminal(master *os.File) *syncBuffer {
	screen := &syncBuffer{}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			screen.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	return screen
}

// TestUserAddTerminalNoEcho types a password into `user add` on a
// terminal: it must prompt, not echo the password, and leave echo on.
func TestUserAddTerminalNoEcho(t *testing.T) {
	master, slave := openPTY(t)
	users := filepath.Join(t.TempDir(), "users")
	const pw = "Typed-Secret-77"

	cmd := exec.Command(binPath, "user", "add", "--users", users, "erin")
	cmd.Env = cleanEnv()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	screen := readTerminal(master)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(screen.String(), "Password for erin: ") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no prompt; terminal shows %q", screen.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := master.WriteString(pw + "\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("user add: %v; terminal shows %q", err, screen.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("user add hung; terminal shows %q", screen.String())
	}
	time.Sleep(50 * time.Millisecond) // let the reader drain the last output
	out := screen.String()
	if strings.Contains(out, pw) {
		t.Errorf("password echoed on the terminal: %q", out)
	}
	if !strings.Contains(out, "user erin saved") {
		t.Errorf("terminal shows %q, want the saved message", out)
	}
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 {
		t.Error("echo left off after user add")
	}
	if r := zerosmb(t, "", nil, "user", "list", "--users", users); r.stdout != "erin\n" {
		t.Errorf("user list = %q, want erin", r.stdout)
	}
}
