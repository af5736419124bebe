package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/server"
)

// writeFile writes data to name in dir with mode perm and returns its path.
func writeFile(t *testing.T, dir, name, data string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // umask-proof
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigValid(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "zerosmb.toml", `
listen = "127.0.0.1:4445"
users = "/tmp/users"
signing = "required"
encrypt = true
sendfile = false
recvfile_min = 0
max_io = 1048576
server_name = "BOX"
workgroup = "HOME"
log_format = "json"
log_level = "debug"

[[share]]
name = "data"
path = "/srv/data"
read_only = true
comment = "the data"

[[share]]
name = "pub"
path = "/srv/pub"
guest = true
`, 0o644)
	fc, err := loadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if fc.Listen != "127.0.0.1:4445" || fc.Users != "/tmp/users" || fc.Signing != "required" ||
		fc.Encrypt != "required" || fc.MaxIO != 1<<20 || fc.ServerName != "BOX" || fc.Workgroup != "HOME" ||
		fc.LogFormat != "json" || fc.LogLevel != "debug" {
		t.Errorf("scalars decoded wrong: %+v", fc)
	}
	if fc.Sendfile == nil || *fc.Sendfile {
		t.Errorf("sendfile = %v, want explicit false", fc.Sendfile)
	}
	if fc.RecvfileMin == nil || *fc.RecvfileMin != 0 {
		t.Errorf("recvfile_min = %v, want explicit 0", fc.RecvfileMin)
	}
	want := []shareConfig{
		{Name: "data", Path: "/srv/data", ReadOnly: true, Comment: "the data"},
		{Name: "pub", Path: "/srv/pub", Guest: true},
	}
	if len(fc.Shares) != len(want) {
		t.Fatalf("shares = %+v, want %+v", fc.Shares, want)
	}
	for i := range want {
		if !reflect.DeepEqual(fc.Shares[i], want[i]) {
			t.Errorf("share %d = %+v, want %+v", i, fc.Shares[i], want[i])
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string // substrings of the error, besides the file name
	}{
		{"syntax", "listen = \":445\"\nsigning = auto\n", []string{":2:"}},
		{"unterminated", "listen = \":445\"\n\n\nworkgroup = \"HOME\n", []string{":4:"}},
		{"unknown key", "listen = \":445\"\nlisten_addr = \"x\"\n", []string{"unknown key", "listen_addr"}},
		{"unknown share key", "[[share]]\nname = \"a\"\npath = \"/a\"\nreadonly = true\n", []string{"unknown key", "share.readonly"}},
		{"share without path", "[[share]]\nname = \"a\"\n", []string{"[[share]] #1", "name and path"}},
		{"second share without name", "[[share]]\nname = \"a\"\npath = \"/a\"\n[[share]]\npath = \"/b\"\n", []string{"[[share]] #2"}},
		{"bad signing", "signing = \"always\"\n", []string{"signing", `"always"`, "auto", "required"}},
		{"bad log format", "log_format = \"xml\"\n", []string{"log_format", `"xml"`, "json"}},
		{"bad log level", "log_level = \"loud\"\n", []string{"log_level", `"loud"`, "debug"}},
		{"wrong type", "listen = \":1\"\nrecvfile_min = true\n", []string{":2:", "recvfile_min"}},
		{"bad size string", "max_io = \"8 megs\"\n", []string{":1:", "max_io", "8 megs"}},
		{"negative size", "recvfile_min = -1\n", []string{"recvfile_min", "negative"}},
		{"wrong share type", "[[share]]\nname = \"a\"\npath = 3\n", []string{"share.path"}},
		{"read-only time machine", "[[share]]\nname = \"tm\"\npath = \"/a\"\nread_only = true\ntime_machine = true\n", []string{"tm", "read_only"}},
		{"max size without time machine", "[[share]]\nname = \"a\"\npath = \"/a\"\ntime_machine_max_size = \"1T\"\n", []string{"time_machine_max_size needs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "bad.toml", tt.data, 0o644)
			_, err := loadConfig(p)
			if err == nil {
				t.Fatal("loadConfig succeeded, want error")
			}
			msg := err.Error()
			for _, w := range append([]string{p}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestLoadConfigSizeStrings(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.toml", "recvfile_min = \"128K\"\nmax_io = \"2MiB\"\n", 0o644)
	fc, err := loadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if fc.RecvfileMin == nil || *fc.RecvfileMin != 128<<10 || fc.MaxIO != 2<<20 {
		t.Errorf("recvfile_min = %v, max_io = %d; want 128K and 2M", fc.RecvfileMin, fc.MaxIO)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.toml")
	_, err := loadConfig(p)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v, want one naming %s", err, p)
	}
}

func TestParseShareFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    shareConfig
		wantErr string
	}{
		{in: "data=/srv/data", want: shareConfig{Name: "data", Path: "/srv/data"}},
		{in: "data=/srv/data,ro", want: shareConfig{Name: "data", Path: "/srv/data", ReadOnly: true}},
		{in: "data=/srv/data,readonly,guest", want: shareConfig{Name: "data", Path: "/srv/data", ReadOnly: true, Guest: true}},
		{in: "data=/srv/data,ro,rw", want: shareConfig{Name: "data", Path: "/srv/data"}},
		{in: "pub=/p,guest,comment=public files", want: shareConfig{Name: "pub", Path: "/p", Guest: true, Comment: "public files"}},
		{in: "x=/a=b", want: shareConfig{Name: "x", Path: "/a=b"}},
		{in: "/srv/data", wantErr: "NAME=DIR"},
		{in: "=/srv/data", wantErr: "NAME=DIR"},
		{in: "data=", wantErr: "NAME=DIR"},
		{in: "data=/srv,rx", wantErr: `unknown option "rx"`},
		{in: "data=/srv,", wantErr: `unknown option ""`},
		{in: "a=/a,users=alice+@staff,read=bob,write=carol,admin=alice", want: shareConfig{Name: "a", Path: "/a",
			Users: []string{"alice", "@staff"}, ReadUsers: []string{"bob"}, WriteUsers: []string{"carol"}, AdminUsers: []string{"alice"}}},
		{in: "tm=/b,time_machine,time_machine_max_size=2T", want: shareConfig{Name: "tm", Path: "/b", TimeMachine: true, TimeMachineMaxSize: 2 << 40}},
		{in: "tm=/b,time_machine,ro", wantErr: "read_only"},
		{in: "tm=/b,time_machine_max_size=1G", wantErr: "needs time_machine"},
		{in: "tm=/b,time_machine,time_machine_max_size=lots", wantErr: "time_machine_max_size"},
		{in: "a=/a,users=alice+", wantErr: "bad entry"},
		{in: "a=/a,read=@", wantErr: "bad entry"},
	}
	for _, tt := range tests {
		got, err := parseShareFlag(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseShareFlag(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseShareFlag(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"65536", 65536, true},
		{"64K", 64 << 10, true},
		{"64k", 64 << 10, true},
		{"64KiB", 64 << 10, true},
		{"8M", 8 << 20, true},
		{"8mib", 8 << 20, true},
		{"1G", 1 << 30, true},
		{" 2 M ", 2 << 20, true},
		{"", 0, false},
		{"K", 0, false},
		{"-1", 0, false},
		{"1.5M", 0, false},
		{"64KB", 0, false},
		{"ten", 0, false},
		{"0x10", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775807K", 0, false},
		{"8589934592G", 0, false},
		{"8589934591G", 8589934591 << 30, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseServeDefaults(t *testing.T) {
	fc, help, err := parseServeArgs([]string{"/srv/data"})
	if err != nil || help {
		t.Fatalf("parseServeArgs: %v, help=%v", err, help)
	}
	if fc.Listen != ":445" {
		t.Errorf("listen = %q, want :445", fc.Listen)
	}
	if len(fc.Shares) != 1 || !reflect.DeepEqual(fc.Shares[0], shareConfig{Name: "share", Path: "/srv/data"}) {
		t.Errorf("shares = %+v, want share=/srv/data", fc.Shares)
	}
	if fc.Sendfile == nil || !*fc.Sendfile {
		t.Errorf("sendfile = %v, want true by default", fc.Sendfile)
	}
	if fc.RecvfileMin != nil || fc.Signing != "" || fc.Encrypt != "" || fc.Users != "" {
		t.Errorf("unexpected non-defaults: %+v", fc)
	}
}

func TestParseServeFlagsOverrideConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "c.toml", `
listen = "127.0.0.1:1111"
users = "/file/users"
signing = "required"
sendfile = false
recvfile_min = 4096
max_io = 65536
workgroup = "FILEWG"
log_level = "debug"

[[share]]
name = "fromfile"
path = "/f"
`, 0o644)

	fc, _, err := parseServeArgs([]string{"--config", cfg,
		"--listen", "127.0.0.1:2222", "--sendfile=true", "--recvfile-min", "1M",
		"--max-io", "4M", "--share", "flag=/g,ro", "/pos", "--log-level", "warn"})
	if err != nil {
		t.Fatal(err)
	}
	if fc.Listen != "127.0.0.1:2222" {
		t.Errorf("listen = %q: flag must win", fc.Listen)
	}
	if fc.Sendfile == nil || !*fc.Sendfile {
		t.Error("sendfile: --sendfile=true must win over file's false")
	}
	if fc.RecvfileMin == nil || *fc.RecvfileMin != 1<<20 {
		t.Errorf("recvfile_min = %v, want 1M from flag", fc.RecvfileMin)
	}
	if fc.MaxIO != 4<<20 {
		t.Errorf("max_io = %d, want 4M from flag", fc.MaxIO)
	}
	if fc.LogLevel != "warn" {
		t.Errorf("log_level = %q, want warn from flag (given after DIR)", fc.LogLevel)
	}
	// Keys not given as flags keep the file's values.
	if fc.Users != "/file/users" || fc.Signing != "required" || fc.Workgroup != "FILEWG" {
		t.Errorf("file values lost: users=%q signing=%q workgroup=%q", fc.Users, fc.Signing, fc.Workgroup)
	}
	names := []string{}
	for _, s := range fc.Shares {
		names = append(names, s.Name+"="+s.Path)
	}
	if got := strings.Join(names, " "); got != "fromfile=/f flag=/g share=/pos" {
		t.Errorf("shares = %s, want file, flag and DIR shares in that order", got)
	}

	// A file value is kept when the flag is absent, including false bools.
	fc, _, err = parseServeArgs([]string{"--config", cfg})
	if err != nil {
		t.Fatal(err)
	}
	if fc.Listen != "127.0.0.1:1111" || fc.Sendfile == nil || *fc.Sendfile || *fc.RecvfileMin != 4096 {
		t.Errorf("file values not used: listen=%q sendfile=%v recvfile_min=%v", fc.Listen, fc.Sendfile, fc.RecvfileMin)
	}
}

func TestParseServeErrors(t *testing.T) {
	bad := writeFile(t, t.TempDir(), "bad.toml", "bogus = 1\n", 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "nope"},
		{[]string{"--recvfile-min", "lots"}, "--recvfile-min"},
		{[]string{"--max-io", "-5"}, "--max-io"},
		{[]string{"--share", "justapath"}, "NAME=DIR"},
		{[]string{"/a", "/b"}, "at most one DIR"},
		{[]string{"--config", bad}, "bogus"},
		{[]string{"--listen"}, "listen"},
	}
	for _, tt := range tests {
		_, _, err := parseServeArgs(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseServeArgs(%q) err = %v, want %q", tt.args, err, tt.want)
		}
	}
	for _, h := range []string{"-h", "--help", "-help"} {
		if fc, help, err := parseServeArgs([]string{"/x", h}); !help || err != nil || fc != nil {
			t.Errorf("parseServeArgs(%s) = %v, %v, %v; want help", h, fc, help, err)
		}
	}
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// usersFile creates a users file with one user and the given mode.
func usersFile(t *testing.T, dir string, perm os.FileMode) string {
	t.Helper()
	db := auth.NewUserDB()
	db.Add("alice", "pa55word")
	p := filepath.Join(dir, "users")
	if err := db.Save(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildConfig(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	if err := os.Mkdir(share, 0o755); err != nil {
		t.Fatal(err)
	}
	users := usersFile(t, dir, 0o600)
	yes := true
	n := byteSize(0)
	cfg, err := buildConfig(&fileConfig{
		Users: users, Signing: "required", Sendfile: &yes, RecvfileMin: &n, MaxIO: 1 << 20,
		Shares: []shareConfig{{Name: "s", Path: share, ReadOnly: true, Comment: "c"}},
	}, discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.SigningRequired || !cfg.Sendfile || cfg.RecvfileMin != 0 || cfg.MaxIOSize != 1<<20 {
		t.Errorf("cfg = %+v", cfg)
	}
	if len(cfg.Shares) != 1 || cfg.Shares[0].Name != "s" || !cfg.Shares[0].ReadOnly || cfg.Shares[0].Path != share || cfg.Shares[0].FS == nil {
		t.Errorf("shares = %+v", cfg.Shares)
	}
	if _, ok := cfg.Users.NTHash("ALICE"); !ok {
		t.Error("user alice not loaded")
	}

	// Defaults: recvfile 64K, sendfile on.
	cfg, err = buildConfig(&fileConfig{Users: users, Shares: []shareConfig{{Name: "s", Path: share}}}, discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RecvfileMin != 64<<10 || !cfg.Sendfile || cfg.SigningRequired || cfg.NoPosixExtensions {
		t.Errorf("defaults: recvfile_min=%d sendfile=%v signing=%v no_posix=%v", cfg.RecvfileMin, cfg.Sendfile, cfg.SigningRequired, cfg.NoPosixExtensions)
	}

	// posix = false (the key or --posix=false) refuses the POSIX extensions.
	no := false
	cfg, err = buildConfig(&fileConfig{Users: users, Posix: &no, Shares: []shareConfig{{Name: "s", Path: share}}}, discard)
	if err != nil || !cfg.NoPosixExtensions {
		t.Errorf("posix=false: NoPosixExtensions=%v %v", cfg.NoPosixExtensions, err)
	}
	fc, _, err := parseServeArgs([]string{"--posix=false", share})
	if err != nil || fc.Posix == nil || *fc.Posix {
		t.Errorf("--posix=false parsed as %v %v", fc.Posix, err)
	}
}

func TestBuildConfigErrors(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	if err := os.Mkdir(share, 0o755); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "plain", "x", 0o644)
	users := usersFile(t, dir, 0o600)
	loose := usersFile(t, t.TempDir(), 0o644)
	empty := writeFile(t, dir, "empty-users", "# nobody\n", 0o600)
	missing := filepath.Join(dir, "no-such-users")
	ok := []shareConfig{{Name: "share", Path: share}}

	tests := []struct {
		name string
		fc   fileConfig
		want []string
	}{
		{"no shares", fileConfig{Users: users}, []string{"nothing to share", "--share"}},
		{"missing dir", fileConfig{Users: users, Shares: []shareConfig{{Name: "gone", Path: filepath.Join(dir, "gone")}}},
			[]string{`"gone"`, "no such file"}},
		{"file not dir", fileConfig{Users: users, Shares: []shareConfig{{Name: "f", Path: file}}},
			[]string{`"f"`, file, "not a directory"}},
		{"no users file", fileConfig{Users: missing, Shares: ok},
			[]string{missing, "does not exist", "zerosmb user add --users " + missing}},
		{"users file 0644", fileConfig{Users: loose, Shares: ok},
			[]string{loose, "0644", "chmod 600"}},
		{"empty users file", fileConfig{Users: empty, Shares: ok},
			[]string{empty, "no users", "zerosmb user add"}},
		{"bad signing", fileConfig{Users: users, Signing: "sometimes", Shares: ok}, []string{"signing", "sometimes"}},
		{"max_io too small", fileConfig{Users: users, MaxIO: 4096, Shares: ok}, []string{"max_io", "64K"}},
		{"max_io too big", fileConfig{Users: users, MaxIO: 16 << 20, Shares: ok}, []string{"max_io", "8M"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := buildConfig(&tt.fc, discard)
			if err == nil {
				t.Fatal("buildConfig succeeded, want error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestBuildConfigGuestOnly(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ZEROSMB_USERS", filepath.Join(dir, "absent"))
	guest := []shareConfig{{Name: "pub", Path: dir, Guest: true}}

	// No users file anywhere and a guest share: serve guests only.
	cfg, err := buildConfig(&fileConfig{Shares: guest}, discard)
	if err != nil {
		t.Fatalf("guest-only: %v", err)
	}
	if cfg.Users != nil || !cfg.Shares[0].Guest {
		t.Errorf("guest-only cfg: users=%v guest=%v", cfg.Users, cfg.Shares[0].Guest)
	}
	// An explicitly named users file must exist even with guest shares.
	if _, err := buildConfig(&fileConfig{Users: filepath.Join(dir, "absent"), Shares: guest}, discard); err == nil {
		t.Error("missing explicit --users accepted")
	}
	// Without a guest share the default users file is required.
	_, err = buildConfig(&fileConfig{Shares: []shareConfig{{Name: "s", Path: dir}}}, discard)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "absent")) {
		t.Errorf("err = %v, want one naming $ZEROSMB_USERS path", err)
	}
}

func TestDefaultUsersPath(t *testing.T) {
	t.Setenv("ZEROSMB_USERS", "/x/y")
	if got := defaultUsersPath(); got != "/x/y" {
		t.Errorf("with $ZEROSMB_USERS: %q", got)
	}
	t.Setenv("ZEROSMB_USERS", "")
	want := "/etc/zerosmb/users"
	if os.Geteuid() != 0 {
		d, _ := os.UserConfigDir()
		want = filepath.Join(d, "zerosmb", "users")
	}
	if got := defaultUsersPath(); got != want {
		t.Errorf("defaultUsersPath() = %q, want %q", got, want)
	}
}

func TestNewLogger(t *testing.T) {
	for _, ok := range [][2]string{{"", ""}, {"text", "debug"}, {"json", "WARN"}, {"json", "error"}} {
		if _, err := newLogger(ok[0], ok[1]); err != nil {
			t.Errorf("newLogger(%q, %q): %v", ok[0], ok[1], err)
		}
	}
	for _, bad := range [][2]string{{"xml", ""}, {"", "trace"}} {
		if _, err := newLogger(bad[0], bad[1]); err == nil {
			t.Errorf("newLogger(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

func FuzzParseShareFlag(f *testing.F) {
	for _, s := range []string{"a=/b", "a=/b,ro,guest,comment=x", "=", "a=b,,", "a=/b,comment="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := parseShareFlag(s)
		if err != nil {
			return
		}
		if sc.Name == "" || sc.Path == "" || strings.Contains(sc.Name, "=") {
			t.Fatalf("parseShareFlag(%q) = %+v", s, sc)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "64K", "8MiB", "1G", " 3 k", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}

// TestFileLimits: the file-level limits come from the config file, flags
// override them, and they reach server.Config.
func TestFileLimits(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.toml", "max_search_pattern = 100\nmax_dir_streams = 10\nmax_dir_streams_per_conn = 2\nmax_zero_fill = \"1M\"\nmax_stream_size = \"5M\"\nstrict_allocate = true\ndos_attrib_cache = -1\nsd_cache = -1\n", 0o644)
	fc, _, err := parseServeArgs([]string{"--config", p, "--max-dir-streams", "20", "--max-zero-fill", "2M"})
	if err != nil {
		t.Fatal(err)
	}
	var cfg server.Config
	if err := fc.fileLimits.toConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.MaxSearchPattern != 100 || cfg.MaxDirStreams != 20 || cfg.MaxDirStreamsPerConn != 2 || cfg.MaxZeroFill != 2<<20 || cfg.MaxStreamSize != 5<<20 || !cfg.StrictAllocate {
		t.Errorf("limits = %d %d %d %d", cfg.MaxSearchPattern, cfg.MaxDirStreams, cfg.MaxDirStreamsPerConn, cfg.MaxZeroFill)
	}
	if cfg.DOSAttribCache != -1 || cfg.SDCache != -1 {
		t.Errorf("dos_attrib_cache = %d, sd_cache = %d", cfg.DOSAttribCache, cfg.SDCache)
	}
	if _, _, err := parseServeArgs([]string{"--max-dir-streams", "-1"}); err == nil || !strings.Contains(err.Error(), "--max-dir-streams") {
		t.Errorf("negative --max-dir-streams: %v", err)
	}
	if fc, _, err := parseServeArgs([]string{"--config", p, "--dos-attrib-cache", "100"}); err != nil || fc.fileLimits.DOSAttribCache != 100 {
		t.Errorf("--dos-attrib-cache 100: %v", err)
	}
	if _, _, err := parseServeArgs([]string{"--dos-attrib-cache", "x"}); err == nil {
		t.Error("--dos-attrib-cache x accepted")
	}
	if fc, _, err := parseServeArgs([]string{"--config", p, "--sd-cache", "7"}); err != nil || fc.fileLimits.SDCache != 7 {
		t.Errorf("--sd-cache 7: %v", err)
	}
	if _, _, err := parseServeArgs([]string{"--sd-cache", "x"}); err == nil {
		t.Error("--sd-cache x accepted")
	}
}

func TestConfigAccessListsAndGroups(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	db := auth.NewUserDB()
	db.Add("alice", "a")
	db.Add("carol", "c")
	if err := db.Save(users); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, dir, "c.toml", `
users = "`+users+`"
access_based_share_enum = true
[groups]
staff = ["carol"]
[[share]]
name = "a"
path = "`+dir+`"
users = ["alice", "@staff"]
read_users = ["bob"]
write_users = ["carol"]
admin_users = ["alice"]
`, 0o600)
	fc, _, err := parseServeArgs([]string{"--config", p})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := buildConfig(fc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	sh := cfg.Shares[0]
	if !cfg.AccessBasedShareEnum || !reflect.DeepEqual(sh.ValidUsers, []string{"alice", "@staff"}) ||
		!reflect.DeepEqual(sh.ReadUsers, []string{"bob"}) || !reflect.DeepEqual(sh.WriteUsers, []string{"carol"}) ||
		!reflect.DeepEqual(sh.AdminUsers, []string{"alice"}) {
		t.Errorf("share %+v abe %v", sh, cfg.AccessBasedShareEnum)
	}
	if !cfg.Users.InGroup("carol", "staff") {
		t.Error("[groups] staff not applied")
	}
	bad := writeFile(t, dir, "bad.toml", "[[share]]\nname = \"a\"\npath = \"/x\"\nread_users = [\"\"]\n", 0o600)
	if _, err := loadConfig(bad); err == nil || !strings.Contains(err.Error(), "read_users") {
		t.Errorf("empty read_users entry: %v", err)
	}
	grp := writeFile(t, dir, "grp.toml", "users = \""+users+"\"\n[groups]\nalice = [\"carol\"]\n[[share]]\nname = \"a\"\npath = \""+dir+"\"\n", 0o600)
	fc, _, _ = parseServeArgs([]string{"--config", grp})
	if _, err := buildConfig(fc, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Error("group named like a user accepted")
	}
}

// TestSMB1Setting: SMB1 is off by default and turned on by --smb1 or
// smb1 = true (the flag wins over the file either way).
func TestSMB1Setting(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	if err := os.Mkdir(share, 0o755); err != nil {
		t.Fatal(err)
	}
	users := usersFile(t, dir, 0o600)
	on := writeFile(t, dir, "on.toml", "smb1 = true\n", 0o644)
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{share}, false},
		{[]string{"--smb1", share}, true},
		{[]string{"--config", on, share}, true},
		{[]string{"--config", on, "--smb1=false", share}, false},
	} {
		fc, _, err := parseServeArgs(tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		fc.Users = users
		cfg, err := buildConfig(fc, discard)
		if err != nil || cfg.SMB1 != tc.want {
			t.Errorf("%v: Config.SMB1 = %v (%v), want %v", tc.args, cfg.SMB1, err, tc.want)
		}
	}
}
