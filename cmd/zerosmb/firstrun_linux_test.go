package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeFirstRunTerminal runs `zerosmb serve DIR` without a users file
// on a terminal: it must offer to create the first user, prompt for the
// password twice without echo, save it and serve, and smbclient must log
// on with it.
func TestServeFirstRunTerminal(t *testing.T) {
	requireSmbclient(t)
	master, slave := openPTY(t)
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	os.Mkdir(share, 0o755)
	writeFile(t, share, "hello.txt", "hi", 0o644)
	users := filepath.Join(dir, "conf", "users")
	const pw = "First-Run-pw9"
	addr := freeAddr(t)
	cmd := exec.Command(binPath, "serve", "--listen", addr, "--users", users, "--control-socket", "none", share)
	cmd.Env = append(cleanEnv(), "USER=frank", "SUDO_USER=")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	})
	screen := readTerminal(master)
	waitFor := func(s string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(screen.String(), s); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("terminal never showed %q; it shows %q", s, screen.String())
			}
		}
	}
	waitFor("Enter a user name [frank] (or type no): ")
	master.WriteString("\n") // take the default
	waitFor("Password for frank: ")
	master.WriteString(pw + "\n")
	waitFor("Password for frank (again): ")
	master.WriteString(pw + "\n")
	waitFor("zerosmb listening")
	if strings.Contains(screen.String(), pw) {
		t.Errorf("password echoed: %q", screen.String())
	}
	if st, err := os.Stat(users); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("users file: %v %v", st, err)
	}
	s := &serverProc{t: t, addr: addr}
	if out, err := smbclient(t, s, dir, "frank%"+pw, "ls"); err != nil || !strings.Contains(out, "hello.txt") {
		t.Errorf("smbclient as the new user: %v\n%s", err, out)
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
		if waitErr != nil {
			t.Errorf("serve exit: %v", waitErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}

	// Without a terminal the old behaviour stays: exit 2 with advice.
	os.Remove(users)
	if r := zerosmb(t, "", nil, "serve", "--listen", freeAddr(t), "--users", users, share); r.code != 2 || !strings.Contains(r.stderr, "zerosmb user add") {
		t.Errorf("no terminal: exit %d, %s", r.code, r.stderr)
	}
}
