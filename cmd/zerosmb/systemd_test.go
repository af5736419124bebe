package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit checks contrib/systemd/zerosmb.service with
// `systemd-analyze verify` (which needs no running systemd), with
// ExecStart pointed at the binary under test. Any warning fails the
// test, since verify exits 0 on unknown keys. It also checks the
// hardening the unit promises is there.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join("..", "..", "contrib", "systemd", "zerosmb.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"User=zerosmb", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "ProtectSystem=strict",
		"ReadWritePaths=", "NoNewPrivileges=yes", "ExecReload=/bin/kill -HUP $MAINPID",
		"ExecStart=/usr/local/bin/zerosmb serve --config /etc/zerosmb/zerosmb.toml"} {
		if !strings.Contains(string(unit), "\n"+want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze not installed (required under CI=true; Debian package systemd)")
		}
		t.Skip("systemd-analyze not installed")
	}
	verify := func(name, text string) (string, error) {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(analyze, "verify", "--man=no", p).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	local := strings.ReplaceAll(string(unit), "/usr/local/bin/zerosmb", binPath)
	if out, err := verify("zerosmb.service", local); err != nil || out != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The check can fail: a misspelt key is reported.
	if out, _ := verify("zerosmb.service", strings.Replace(local, "ProtectSystem=", "ProtectSytem=", 1)); !strings.Contains(out, "ProtectSytem") {
		t.Errorf("verify did not report a misspelt key: %q", out)
	}
}
