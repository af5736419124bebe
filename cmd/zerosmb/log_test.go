package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	smb2 "github.com/hirochachacha/go-smb2"
)

// gosmb2Session logs on to s as user/password with the go-smb2 client.
// The caller closes the returned connection.
func gosmb2Session(t *testing.T, s *serverProc, user, password string) (net.Conn, *smb2.Session, error) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	d := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: user, Password: password}}
	sess, err := d.Dial(nc)
	return nc, sess, err
}

// TestServeJSONLog checks --log-format json: every line is a JSON object
// with a msg, each connection logs one open and one close line, and a
// failed logon is logged without the password.
func TestServeJSONLog(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	if err := os.Mkdir(share, 0o755); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, nil, "--users", newUsers(t, dir), "--log-format", "json", share)

	nc, sess, err := gosmb2Session(t, s, "alice", "pa55word")
	if err != nil {
		t.Fatalf("logon: %v", err)
	}
	fs, err := sess.Mount("share")
	if err != nil {
		t.Fatalf("mount: %v", err)
	}
	if err := fs.WriteFile("hello.txt", []byte("hello, world\n"), 0o644); err != nil {
		t.Fatalf("write: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(share, "hello.txt")); err != nil || string(got) != "hello, world\n" {
		t.Errorf("file on disk = %q, %v", got, err)
	}
	fs.Umount()
	sess.Logoff()
	nc.Close()

	const wrong = "Wrong-Passw0rd-XYZ"
	nc, _, err = gosmb2Session(t, s, "alice", wrong)
	nc.Close()
	if err == nil {
		t.Fatal("logon with a wrong password succeeded")
	}

	if code := s.stop(syscall.SIGTERM, 5*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	log := s.log.String()
	if strings.Contains(log, wrong) || strings.Contains(log, "pa55word") {
		t.Errorf("log contains a password:\n%s", log)
	}
	count := map[string]int{}
	var authFail map[string]any
	var authFailLine []byte
	for i, line := range bytes.Split(bytes.TrimSpace([]byte(log)), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %d is not JSON (%v): %s", i+1, err, line)
		}
		msg, ok := m["msg"].(string)
		if !ok || m["level"] == nil || m["time"] == nil {
			t.Errorf("line %d lacks msg, level or time: %s", i+1, line)
		}
		count[msg]++
		if strings.HasPrefix(msg, "connection ") {
			if r, _ := m["remote"].(string); !strings.HasPrefix(r, "127.0.0.1:") {
				t.Errorf("line %d: remote = %v, want the client address", i+1, m["remote"])
			}
		}
		if msg == "connection closed" {
			if d, ok := m["duration"].(string); !ok || !strings.HasSuffix(d, "s") {
				t.Errorf("line %d: duration = %#v, want a string like \"3ms\"", i+1, m["duration"])
			}
		}
		if msg == "authentication failed" {
			authFail, authFailLine = m, line
		}
	}
	if count["connection opened"] != 2 || count["connection closed"] != 2 {
		t.Errorf("2 connections logged %d opens and %d closes:\n%s", count["connection opened"], count["connection closed"], log)
	}
	if count["session established"] != 1 {
		t.Errorf("%d 'session established' lines, want 1", count["session established"])
	}
	if authFail == nil {
		t.Errorf("no 'authentication failed' line:\n%s", log)
	} else if authFail["level"] != "WARN" || !bytes.Contains(authFailLine, []byte("alice")) {
		t.Errorf("authentication failure line = %v; want WARN naming alice", authFail)
	}
	for _, w := range []string{"zerosmb listening", "shutting down; waiting for requests in flight", "stopped"} {
		if count[w] != 1 {
			t.Errorf("%d %q lines, want 1", count[w], w)
		}
	}
}
