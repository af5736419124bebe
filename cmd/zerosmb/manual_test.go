package main

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// manualSection returns the body of the manual section titled name.
func manualSection(t *testing.T, name string) string {
	t.Helper()
	_, body, ok := strings.Cut(usage, "\n"+name+"\n")
	if !ok {
		t.Fatalf("manual has no %s section", name)
	}
	if i := regexp.MustCompile(`\n[A-Z][A-Z ]+\n`).FindStringIndex(body); i != nil {
		body = body[:i[0]]
	}
	return body
}

// TestManualConfigExample loads the CONFIG FILE example of the manual and
// checks it names every key the config file accepts.
func TestManualConfigExample(t *testing.T) {
	var lines []string
	for _, l := range strings.Split(manualSection(t, "CONFIG FILE"), "\n") {
		if rest, ok := strings.CutPrefix(l, "        "); ok {
			lines = append(lines, rest)
		}
	}
	example := strings.Join(lines, "\n")
	fc, err := loadConfig(writeFile(t, t.TempDir(), "example.toml", example, 0o644))
	if err != nil {
		t.Fatalf("manual's example config does not load: %v\n%s", err, example)
	}
	if len(fc.Shares) != 1 || fc.Listen != ":445" || fc.MaxIO != 8<<20 || *fc.RecvfileMin != 64<<10 {
		t.Errorf("example decoded to %+v", fc)
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[fileConfig](), reflect.TypeFor[shareConfig](), reflect.TypeFor[fileLimits](), reflect.TypeFor[limitsConfig]()} {
		for f := range typ.Fields() {
			if f.Anonymous {
				continue // fileLimits, limitsConfig: checked on their own
			}
			key := f.Tag.Get("toml")
			switch key {
			case "share":
				key = "[[share]]"
			case "groups":
				key = "[groups]"
			case "unix_ids":
				key = "[unix_ids]"
			}
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `( |$)`).MatchString(example) {
				t.Errorf("config key %q missing from the manual's example", key)
			}
		}
	}
}

// TestManualSynopsisAndOptions checks the manual against the commands and
// serve flags the program accepts.
func TestManualSynopsisAndOptions(t *testing.T) {
	opts := manualSection(t, "SERVE OPTIONS")
	for _, flag := range []string{"--config", "--listen", "--share", "--users", "--signing", "--encrypt",
		"--posix", "--sendfile", "--recvfile-min", "--max-io", "--server-name", "--workgroup", "--log-format", "--log-level", "--metrics", "--control-socket", "--mdns", "--mdns-model", "--ws-discovery", "--access-based-share-enum", "--unix-users", "--unix-guest", "--help",
		"--max-search-pattern", "--max-dir-streams", "--max-dir-streams-per-conn", "--max-zero-fill", "--max-stream-size", "--strict-allocate", "--dos-attrib-cache", "--sd-cache",
		"--max-connections", "--max-connections-per-addr", "--max-handshakes-per-addr", "--handshake-timeout",
		"--idle-timeout", "--max-request-memory", "--auth-fail-delay", "--auth-lockout-addr", "--auth-lockout-user",
		"--auth-lockout-time"} {
		if !strings.Contains(opts, flag) {
			t.Errorf("SERVE OPTIONS does not document %s", flag)
		}
		// Every documented flag must be accepted.
		args := []string{flag}
		switch flag {
		case "--encrypt", "--help", "--strict-allocate", "--ws-discovery", "--unix-users":
		case "--sendfile":
			args = []string{"--sendfile=false"}
		case "--mdns":
			args = []string{"--mdns=false"}
		case "--posix":
			args = []string{"--posix=false"}
		case "--config":
			args = append(args, writeFile(t, t.TempDir(), "c.toml", "", 0o644))
		case "--share":
			args = append(args, "x=/x")
		case "--recvfile-min", "--max-io", "--max-zero-fill", "--max-stream-size", "--max-request-memory":
			args = append(args, "1M")
		case "--max-search-pattern", "--max-dir-streams", "--max-dir-streams-per-conn", "--dos-attrib-cache", "--sd-cache":
			args = append(args, "100")
		case "--max-connections", "--max-connections-per-addr", "--max-handshakes-per-addr", "--auth-lockout-addr", "--auth-lockout-user":
			args = append(args, "5")
		case "--handshake-timeout", "--idle-timeout", "--auth-fail-delay", "--auth-lockout-time":
			args = append(args, "10s")
		default:
			args = append(args, "text")
		}
		if _, _, err := parseServeArgs(args); err != nil {
			t.Errorf("documented flag %q rejected: %v", args, err)
		}
	}
	syn := manualSection(t, "SYNOPSIS")
	for _, cmd := range []string{"serve", "user add", "user del", "user list", "status", "config check", "bench", "version", "help"} {
		if !strings.Contains(syn, "zerosmb "+cmd) {
			t.Errorf("SYNOPSIS lacks zerosmb %s", cmd)
		}
	}
	for _, line := range strings.Split(usage, "\n") {
		if len(line) > 79 {
			t.Errorf("manual line longer than 79 columns: %q", line)
		}
		if strings.ContainsRune(line, '\t') {
			t.Errorf("manual line has a tab: %q", line)
		}
	}
}
