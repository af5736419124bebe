package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"

	"github.com/zerosmb/zerosmb/discovery"
	"github.com/zerosmb/zerosmb/server"
)

// cmdConfig is `zerosmb config check FILE`: validate a configuration the
// way serve would (TOML, keys, values, share directories, users file) and
// print the effective settings, defaults filled in, as TOML.
func cmdConfig(args []string) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		os.Stdout.WriteString(usage)
		return 0
	}
	if len(args) != 2 || args[0] != "check" {
		return exitCode("config", usagef("want: zerosmb config check FILE"))
	}
	path := args[1]
	fc, err := loadConfig(path)
	if err != nil {
		return exitCode("config check", usageError{err.Error()})
	}
	if fc.Listen == "" {
		fc.Listen = defaultListen
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := newLogger(fc.LogFormat, fc.LogLevel); err != nil {
		return exitCode("config check", usageError{err.Error()})
	}
	cfg, err := buildConfig(fc, quiet)
	if err == nil {
		cfg.Logger = quiet
		_, err = server.New(cfg) // the checks the server itself makes
	}
	if err != nil {
		return exitCode("config check", usageError{err.Error()})
	}
	for _, sh := range cfg.Shares {
		sh.FS.Close()
	}
	out, err := effectiveConfig(fc)
	if err != nil {
		return exitCode("config check", err)
	}
	fmt.Printf("# %s is valid: %d shares, %d users. Effective settings:\n", path, len(cfg.Shares), userCount(cfg.Users))
	os.Stdout.Write(out)
	return 0
}

// effective is the configuration with every default spelled out.
type effective struct {
	Listen       string                  `toml:"listen"`
	Users        string                  `toml:"users"`
	Signing      string                  `toml:"signing"`
	Encrypt      string                  `toml:"encrypt"`
	Sendfile     bool                    `toml:"sendfile"`
	SignedSF     bool                    `toml:"signed_sendfile"`
	SignedHash   string                  `toml:"signed_sendfile_hash"`
	SMB1         bool                    `toml:"smb1"`
	RecvfileMin  string                  `toml:"recvfile_min"`
	MaxIO        string                  `toml:"max_io"`
	ServerName   string                  `toml:"server_name"`
	Workgroup    string                  `toml:"workgroup"`
	LogFormat    string                  `toml:"log_format"`
	LogLevel     string                  `toml:"log_level"`
	Metrics      string                  `toml:"metrics"`
	Control      string                  `toml:"control_socket"`
	MDNS         bool                    `toml:"mdns"`
	MDNSModel    string                  `toml:"mdns_model"`
	WSD          bool                    `toml:"ws_discovery"`
	UnixUsers    bool                    `toml:"unix_users"`
	UnixGuest    string                  `toml:"unix_guest,omitempty"` // with unix_users
	UnixIDs      map[string]unixIDConfig `toml:"unix_ids,omitempty"`
	fileLimits                           // 0: the server's built-in default
	limitsConfig                         // absent: the server's built-in default
	Shares       []shareConfig           `toml:"share"`
}

func effectiveConfig(fc *fileConfig) ([]byte, error) {
	e := effective{
		Listen: fc.Listen, Users: fc.Users, Signing: or(fc.Signing, "auto"), Encrypt: fc.Encrypt.String(),
		Sendfile: fc.Sendfile == nil || *fc.Sendfile, SignedSF: fc.SignedSF, SignedHash: or(fc.SignedHash, "openmap"), SMB1: fc.SMB1,
		RecvfileMin: "64K", MaxIO: "8M",
		ServerName: or(fc.ServerName, "ZEROSMB"), Workgroup: or(fc.Workgroup, "WORKGROUP"),
		LogFormat: or(fc.LogFormat, "text"), LogLevel: or(fc.LogLevel, "info"),
		Metrics: fc.Metrics, Control: or(fc.Control, defaultControlPath()),
		MDNS: fc.MDNS == nil || *fc.MDNS, MDNSModel: or(fc.MDNSModel, discovery.DefaultModel), WSD: fc.WSD, fileLimits: fc.fileLimits,
		limitsConfig: fc.limitsConfig,
		UnixUsers:    fc.UnixUsers, UnixIDs: fc.UnixIDs,
	}
	if fc.UnixUsers {
		e.UnixGuest = or(fc.UnixGuest, "nobody")
	}
	if fc.MDNS == nil {
		// The default: on unless the listening address is loopback.
		host, _, _ := net.SplitHostPort(fc.Listen)
		ip := net.ParseIP(host)
		e.MDNS = host != "localhost" && (ip == nil || !ip.IsLoopback())
	}
	if e.Users == "" {
		e.Users = defaultUsersPath()
	}
	if fc.RecvfileMin != nil {
		e.RecvfileMin = formatSize(int64(*fc.RecvfileMin))
	}
	if fc.MaxIO != 0 {
		e.MaxIO = formatSize(int64(fc.MaxIO))
	}
	for _, s := range fc.Shares {
		if abs, err := filepath.Abs(s.Path); err == nil {
			s.Path = abs
		}
		e.Shares = append(e.Shares, s)
	}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(e); err != nil {
		return nil, fmt.Errorf("encoding the effective config: %w", err)
	}
	return b.Bytes(), nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// formatSize writes n with the largest K/M/G suffix that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n != 0 && n%u.m == 0 {
			return fmt.Sprintf("%d%s", n/u.m, u.s)
		}
	}
	return fmt.Sprint(n)
}
