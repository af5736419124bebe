package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestUnixUsersConfig(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	os.Mkdir(share, 0o755)
	cfgPath := writeFile(t, dir, "c.toml", `
unix_users = true
unix_guest = "zguest"
[unix_ids]
alice = { uid = 2001, gid = 2001, groups = [3000, 3001] }
zguest = { uid = 2999, gid = 2999 }
`, 0o644)
	fc, _, err := parseServeArgs([]string{"--config", cfgPath, "--users", usersFile(t, dir, 0o600), share})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := buildConfig(fc, discard)
	if err != nil {
		t.Fatal(err)
	}
	u := cfg.UnixUsers
	if u == nil || u.Guest != "zguest" || len(u.IDs) != 2 {
		t.Fatalf("UnixUsers = %+v", u)
	}
	if a := u.IDs["alice"]; a.UID != 2001 || a.GID != 2001 || len(a.Groups) != 2 || a.Groups[1] != 3001 {
		t.Errorf("alice = %+v", a)
	}
	// Flags win; without unix_users nothing is mapped.
	fc, _, err = parseServeArgs([]string{"--config", cfgPath, "--unix-users=false", "--unix-guest", "", share})
	if err != nil {
		t.Fatal(err)
	}
	if fc.UnixUsers {
		t.Error("--unix-users=false did not win over the file")
	}
	if _, err := buildConfig(fc, discard); err == nil || !strings.Contains(err.Error(), "need unix_users") {
		t.Errorf("[unix_ids] without unix_users: %v", err)
	}
	fc, _, err = parseServeArgs([]string{"--unix-users", "--unix-guest", "nobody2", share})
	if err != nil || !fc.UnixUsers || fc.UnixGuest != "nobody2" {
		t.Errorf("flags: %+v %v", fc, err)
	}

	for _, bad := range []struct{ body, want string }{
		{"[unix_ids]\nbob = { uid = 5 }\n", "needs both uid and gid"},
		{"[unix_ids]\nbob = { uid = 0, gid = 0 }\n", "as root"},
		{"[unix_ids]\nbob = { uid = -1, gid = 5 }\n", "outside"},
		{"[unix_ids]\nbob = { uid = 5, gid = 5, groups = [4294967295] }\n", "outside"},
		{"[unix_ids]\nbob = { uid = 5, gid = 5, shell = 1 }\n", "unknown key"},
	} {
		_, err := loadConfig(writeFile(t, t.TempDir(), "bad.toml", bad.body, 0o644))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.body, err, bad.want)
		}
	}
}

// TestServeUnixUsers runs the real binary with unix_users as root: a
// file put by alice with smbclient belongs to her configured uid; a user
// without a Unix identity logs on but cannot connect to the share.
func TestServeUnixUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root; unix_users needs it")
		}
		t.Skip("unix_users needs root")
	}
	requireSmbclient(t)
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	os.Mkdir(share, 0o777)
	os.Chmod(share, 0o777)
	users := newUsers(t, dir)
	if r := zerosmb(t, "pa55word\n", nil, "user", "add", "--users", users, "nomap-zerosmb"); r.code != 0 {
		t.Fatalf("user add: %s", r.stderr)
	}
	cfgPath := writeFile(t, dir, "c.toml", "unix_users = true\n[unix_ids]\nalice = { uid = 2001, gid = 2002 }\n", 0o644)
	s := startServer(t, nil, "--config", cfgPath, "--users", users, share)
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "up.txt"), []byte("hello"), 0o644)
	out, err := smbclient(t, s, local, "alice%pa55word", "put up.txt; mkdir d")
	if err != nil || strings.Contains(out, "NT_STATUS") {
		t.Fatalf("smbclient as alice: %v\n%s", err, out)
	}
	for _, n := range []string{"up.txt", "d"} {
		fi, err := os.Stat(filepath.Join(share, n))
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 2001 || st.Gid != 2002 {
			t.Errorf("%s owned %d:%d, want 2001:2002", n, st.Uid, st.Gid)
		}
	}
	out, _ = smbclient(t, s, local, "nomap-zerosmb%pa55word", "ls")
	if !strings.Contains(out, "NT_STATUS_ACCESS_DENIED") {
		t.Errorf("unmapped user's ls:\n%s", out)
	}
	if !strings.Contains(s.log.String(), "no Unix identity") {
		t.Errorf("refusal not logged:\n%s", s.log)
	}
}

func TestShareMasksConfig(t *testing.T) {
	dir := t.TempDir()
	fc, err := loadConfig(writeFile(t, dir, "c.toml", "[[share]]\nname = \"a\"\npath = \"/a\"\ncreate_mask = 0o640\ndirectory_mask = \"0750\"\n", 0o644))
	if err != nil {
		t.Fatal(err)
	}
	if fc.Shares[0].CreateMask != 0o640 || fc.Shares[0].DirectoryMask != 0o750 {
		t.Errorf("masks %o %o", fc.Shares[0].CreateMask, fc.Shares[0].DirectoryMask)
	}
	for _, bad := range []string{"create_mask = 0o1777", "create_mask = \"9\"", "directory_mask = -1", "create_mask = true"} {
		if _, err := loadConfig(writeFile(t, t.TempDir(), "b.toml", "[[share]]\nname = \"a\"\npath = \"/a\"\n"+bad+"\n", 0o644)); err == nil || !strings.Contains(err.Error(), "mask") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	sc, err := parseShareFlag("x=/x,create_mask=0600,directory_mask=0700")
	if err != nil || sc.CreateMask != 0o600 || sc.DirectoryMask != 0o700 {
		t.Errorf("--share masks: %+v %v", sc, err)
	}
	if _, err := parseShareFlag("x=/x,create_mask=0888"); err == nil {
		t.Error("--share create_mask=0888 accepted")
	}
	os.Mkdir(filepath.Join(dir, "s"), 0o755)
	cfg, err := buildConfig(&fileConfig{Users: usersFile(t, dir, 0o600), Shares: []shareConfig{{Name: "s", Path: filepath.Join(dir, "s"), CreateMask: 0o640}}}, discard)
	if err != nil || cfg.Shares[0].CreateMask != 0o640 || cfg.Shares[0].DirectoryMask != 0 {
		t.Errorf("buildConfig masks: %v %v", cfg.Shares, err)
	}
}
