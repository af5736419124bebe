package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheck validates configs with the real binary: a good one
// prints effective settings that load back as the same configuration;
// broken ones exit 2 naming the problem.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	users := usersFile(t, dir, 0o600)
	good := writeFile(t, dir, "good.toml", `
users = "`+users+`"
max_io = 1048576
max_dir_streams = 7
metrics = "127.0.0.1:9445"
[[share]]
name = "data"
path = "`+dir+`"
read_only = true
`, 0o644)
	r := zerosmb(t, "", nil, "config", "check", good)
	if r.code != 0 {
		t.Fatalf("config check: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "is valid: 1 shares, 1 users") {
		t.Errorf("no verdict line:\n%s", r.stdout)
	}
	eff := writeFile(t, dir, "effective.toml", r.stdout, 0o644)
	fc, err := loadConfig(eff)
	if err != nil {
		t.Fatalf("effective settings do not load back: %v\n%s", err, r.stdout)
	}
	if fc.MaxIO != 1<<20 || *fc.RecvfileMin != 64<<10 || fc.Signing != "auto" || fc.Listen != ":445" ||
		fc.Metrics != "127.0.0.1:9445" || fc.ServerName != "ZEROSMB" || fc.Sendfile == nil || !*fc.Sendfile ||
		fc.MaxDirStreams != 7 || len(fc.Shares) != 1 || !fc.Shares[0].ReadOnly || fc.Shares[0].Path != dir || fc.Users != users {
		t.Errorf("effective config decoded to %+v\n%s", fc, r.stdout)
	}

	for _, tc := range []struct{ name, body, want string }{
		{"unknown key", "bogus = 1\n", "unknown key bogus"},
		{"bad value", "signing = \"sometimes\"\n", "signing"},
		{"missing dir", "users = \"" + users + "\"\n[[share]]\nname = \"x\"\npath = \"" + filepath.Join(dir, "nope") + "\"\n", "nope"},
		{"no users file", "users = \"" + filepath.Join(dir, "none") + "\"\n[[share]]\nname = \"x\"\npath = \"" + dir + "\"\n", "does not exist"},
		{"syntax", "listen = \n", "bad.toml:1"},
		{"negative limit", "users = \"" + users + "\"\nmax_dir_streams = -1\n[[share]]\nname = \"x\"\npath = \"" + dir + "\"\n", "negative"},
	} {
		bad := writeFile(t, dir, "bad.toml", tc.body, 0o644)
		r := zerosmb(t, "", nil, "config", "check", bad)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want 2 and %q", tc.name, r.code, r.stderr, r.stdout, tc.want)
		}
	}
	if r := zerosmb(t, "", nil, "config", "check"); r.code != 2 {
		t.Errorf("config check without FILE: exit %d", r.code)
	}
	if r := zerosmb(t, "", nil, "config", "check", filepath.Join(dir, "absent.toml")); r.code != 2 || !strings.Contains(r.stderr, "absent.toml") {
		t.Errorf("absent file: exit %d %s", r.code, r.stderr)
	}
	os.Remove(eff)
}
