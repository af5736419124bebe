package main

import (
	"strings"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/server"
)

// TestLimitsConfig: every limit key decodes, flags override the file, and
// 0 turns a limit off the way the server expects (negative values).
func TestLimitsConfig(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.toml", `
max_connections = 20000
max_connections_per_addr = 100
max_handshakes_per_addr = 0
handshake_timeout = "45s"
idle_timeout = 600
max_request_memory = "1G"
auth_fail_delay = "0s"
auth_lockout_addr = 0
auth_lockout_user = 5
auth_lockout_time = "2m"
encrypt = "desired"
`, 0o644)
	fc, _, err := parseServeArgs([]string{"--config", p, "--max-connections=12000", "--auth-lockout-time", "3m", "/srv"})
	if err != nil {
		t.Fatal(err)
	}
	var cfg server.Config
	if err := fc.limitsConfig.apply(&cfg); err != nil {
		t.Fatal(err)
	}
	want := server.Config{
		MaxConnections: 12000, MaxConnectionsPerAddr: 100, MaxHandshakesPerAddr: -1,
		HandshakeTimeout: 45 * time.Second, IdleTimeout: 10 * time.Minute, MaxRequestMemory: 1 << 30,
		Throttle: server.AuthThrottle{FailDelay: -1, AddrFailures: -1, UserFailures: 5, Lockout: 3 * time.Minute},
	}
	if cfg.MaxConnections != want.MaxConnections || cfg.MaxConnectionsPerAddr != want.MaxConnectionsPerAddr ||
		cfg.MaxHandshakesPerAddr != want.MaxHandshakesPerAddr || cfg.HandshakeTimeout != want.HandshakeTimeout ||
		cfg.IdleTimeout != want.IdleTimeout || cfg.MaxRequestMemory != want.MaxRequestMemory || cfg.Throttle != want.Throttle {
		t.Errorf("limits = %+v\nwant     %+v", cfg, want)
	}
	if fc.Encrypt.mode() != server.EncryptDesired {
		t.Errorf("encrypt = %q", fc.Encrypt)
	}
	// Unset keys leave the server defaults.
	var def server.Config
	if err := (&limitsConfig{}).apply(&def); err != nil || def.MaxConnections != 0 || def.Throttle != (server.AuthThrottle{}) {
		t.Errorf("empty limits changed the config: %+v %v", def, err)
	}
	for _, bad := range []string{"max_connections = 0", `handshake_timeout = "0s"`, `idle_timeout = "soon"`, `auth_fail_delay = "2m"`, `max_request_memory = "1K"`} {
		fc, err := loadConfig(writeFile(t, t.TempDir(), "b.toml", bad, 0o644))
		if err == nil {
			err = fc.limitsConfig.apply(&server.Config{})
		}
		if err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, _, err := parseServeArgs([]string{"--max-connections", "-3", "/srv"}); err == nil {
		t.Error("--max-connections -3 accepted")
	}
}

// TestEncryptSetting: the old boolean maps to required/off, the flag alone
// means required, and the modes are checked.
func TestEncryptSetting(t *testing.T) {
	for in, want := range map[string]server.EncryptMode{
		"encrypt = true": server.EncryptRequired, "encrypt = false": server.EncryptOff,
		`encrypt = "required"`: server.EncryptRequired, `encrypt = "desired"`: server.EncryptDesired, `encrypt = "off"`: server.EncryptOff,
	} {
		fc, err := loadConfig(writeFile(t, t.TempDir(), "e.toml", in, 0o644))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if fc.Encrypt.mode() != want {
			t.Errorf("%s: mode %v, want %v", in, fc.Encrypt.mode(), want)
		}
	}
	if _, err := loadConfig(writeFile(t, t.TempDir(), "e.toml", `encrypt = "maybe"`, 0o644)); err == nil || !strings.Contains(err.Error(), "encrypt") {
		t.Errorf("encrypt = maybe: %v", err)
	}
	for args, want := range map[string]server.EncryptMode{
		"--encrypt": server.EncryptRequired, "--encrypt=desired": server.EncryptDesired, "--encrypt=off": server.EncryptOff,
	} {
		fc, _, err := parseServeArgs([]string{args, "/srv"})
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if fc.Encrypt.mode() != want || len(fc.Shares) != 1 {
			t.Errorf("%s: mode %v shares %v", args, fc.Encrypt.mode(), fc.Shares)
		}
	}
}
