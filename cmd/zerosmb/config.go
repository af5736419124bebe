package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// fileConfig is the TOML configuration file. Every flag of `serve` has a
// key here; flags given on the command line override the file.
type fileConfig struct {
	Listen      string         `toml:"listen"`
	Users       string         `toml:"users"`
	Signing     string         `toml:"signing"`
	Encrypt     encryptSetting `toml:"encrypt"`
	Posix       *bool          `toml:"posix"`
	Sendfile    *bool          `toml:"sendfile"`
	SignedSF    bool           `toml:"signed_sendfile"`
	SignedHash  string         `toml:"signed_sendfile_hash"`
	SMB1        bool           `toml:"smb1"`
	RecvfileMin *byteSize      `toml:"recvfile_min"`
	MaxIO       byteSize       `toml:"max_io"`
	ServerName  string         `toml:"server_name"`
	Workgroup   string         `toml:"workgroup"`
	LogFormat   string         `toml:"log_format"`
	LogLevel    string         `toml:"log_level"`
	Metrics     string         `toml:"metrics"`
	Control     string         `toml:"control_socket"`
	MDNS        *bool          `toml:"mdns"`
	MDNSModel   string         `toml:"mdns_model"`
	WSD         bool           `toml:"ws_discovery"`
	Shares      []shareConfig  `toml:"share"`

	fileLimits   // limits_file.go
	limitsConfig // limits.go
	// AccessBasedShareEnum lists only the shares a user may connect to.
	AccessBasedShareEnum bool `toml:"access_based_share_enum"`
	// KernelLeases backs client read caching with Linux file leases.
	KernelLeases bool `toml:"kernel_leases"`
	// NoDirectoryLeases turns SMB 3.x directory leases off.
	NoDirectoryLeases bool `toml:"no_directory_leases"`
	// Groups adds groups (or members to groups of the users file).
	Groups map[string][]string `toml:"groups"`
	// UnixUsers runs each user's file access as a Unix identity
	// (unixusers.go): the passwd user of the same name or its
	// [unix_ids] entry; guests as UnixGuest (default nobody).
	UnixUsers bool                    `toml:"unix_users"`
	UnixGuest string                  `toml:"unix_guest"`
	UnixIDs   map[string]unixIDConfig `toml:"unix_ids"`
}

// byteSize is a size in the config file: an integer byte count or a
// string with a K/M/G suffix, as on the command line.
type byteSize int64

// UnmarshalTOML implements toml.Unmarshaler.
func (b *byteSize) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return fmt.Errorf("negative size %d", v)
		}
		*b = byteSize(v)
		return nil
	case string:
		n, err := parseSize(v)
		*b = byteSize(n)
		return err
	}
	return fmt.Errorf("size must be an integer or a string like \"64K\", not %T", v)
}

type shareConfig struct {
	Name     string `toml:"name"`
	Path     string `toml:"path"`
	ReadOnly bool   `toml:"read_only"`
	Guest    bool   `toml:"guest"`
	Comment  string `toml:"comment"`
	// Access lists: user names or "@group".
	Users      []string `toml:"users"`
	ReadUsers  []string `toml:"read_users"`
	WriteUsers []string `toml:"write_users"`
	AdminUsers []string `toml:"admin_users"`
	// Time Machine destination, advertised in _adisk._tcp; the size
	// limit is reported as the volume size.
	TimeMachine        bool     `toml:"time_machine"`
	TimeMachineMaxSize byteSize `toml:"time_machine_max_size"`
	// Permission bits of new files and directories (before the umask).
	CreateMask    fileMask `toml:"create_mask"`
	DirectoryMask fileMask `toml:"directory_mask"`
}

// fileMask is a permission mask: a TOML integer (0o640) or an octal
// string ("0640"); 0 means none.
type fileMask uint32

// UnmarshalTOML implements toml.Unmarshaler.
func (m *fileMask) UnmarshalTOML(v any) error {
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case string:
		var err error
		if n, err = strconv.ParseInt(strings.TrimPrefix(v, "0o"), 8, 32); err != nil {
			return fmt.Errorf("mask %q: want octal digits like \"0640\"", v)
		}
	default:
		return fmt.Errorf("mask must be an integer like 0o640 or a string like \"0640\", not %T", v)
	}
	if n < 0 || n > 0o777 {
		return fmt.Errorf("mask %#o: want permission bits within 0777", n)
	}
	*m = fileMask(n)
	return nil
}

// MarshalText writes the mask as an octal string (config check).
func (m fileMask) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("%04o", uint32(m))), nil }

// loadConfig reads and validates a TOML config file. Errors name the file,
// the line and the key.
func loadConfig(path string) (*fileConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var fc fileConfig
	md, err := toml.Decode(string(data), &fc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			if pe.LastKey != "" {
				return nil, fmt.Errorf("config %s:%d: %s (key %s)", path, pe.Position.Line, pe.Message, pe.LastKey)
			}
			return nil, fmt.Errorf("config %s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("config %s: unknown key %s (known: listen, users, signing, encrypt, posix, sendfile, signed_sendfile, signed_sendfile_hash, recvfile_min, smb1, max_io, server_name, workgroup, log_format, log_level, metrics, control_socket, mdns, mdns_model, ws_discovery, access_based_share_enum, kernel_leases, unix_users, unix_guest, "+fileLimitKeys+", %s, [groups], [unix_ids] uid/gid/groups, [[share]] name/path/read_only/guest/comment/users/read_users/write_users/admin_users/time_machine/time_machine_max_size/create_mask/directory_mask)", path, strings.Join(keys, ", "), limitKeys)
	}
	for i, s := range fc.Shares {
		if s.Name == "" || s.Path == "" {
			return nil, fmt.Errorf("config %s: [[share]] #%d needs both name and path", path, i+1)
		}
		if err := checkAccessLists(s); err != nil {
			return nil, fmt.Errorf("config %s: [[share]] %s: %w", path, s.Name, err)
		}
		if err := checkTimeMachine(s); err != nil {
			return nil, fmt.Errorf("config %s: [[share]] %s: %w", path, s.Name, err)
		}
	}
	if err := checkEnums(&fc); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if err := checkUnixIDs(fc.UnixIDs); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return &fc, nil
}

// checkEnums validates the keys that take one of a fixed set of words, so
// a typo in the file is reported with the file name rather than later.
func checkEnums(fc *fileConfig) error {
	for _, e := range []struct {
		key, val string
		ok       []string
	}{
		{"signing", fc.Signing, []string{"", "auto", "required", "mandatory"}},
		{"log_format", fc.LogFormat, []string{"", "text", "json"}},
		{"log_level", strings.ToLower(fc.LogLevel), []string{"", "debug", "info", "warn", "warning", "error"}},
	} {
		if !slices.Contains(e.ok, e.val) {
			return fmt.Errorf("%s = %q: want one of %s", e.key, e.val, strings.Join(e.ok[1:], ", "))
		}
	}
	return nil
}

// checkTimeMachine refuses Time Machine settings Time Machine cannot use
// (the server checks again: server.Share.TimeMachine).
func checkTimeMachine(s shareConfig) error {
	switch {
	case s.TimeMachineMaxSize != 0 && !s.TimeMachine:
		return errors.New("time_machine_max_size needs time_machine = true")
	case s.TimeMachine && s.ReadOnly:
		return errors.New("a time_machine share cannot be read_only")
	}
	return nil
}

// checkAccessLists refuses empty names in a share's access lists.
func checkAccessLists(s shareConfig) error {
	for _, l := range []struct {
		key  string
		list []string
	}{{"users", s.Users}, {"read_users", s.ReadUsers}, {"write_users", s.WriteUsers}, {"admin_users", s.AdminUsers}} {
		for _, n := range l.list {
			if strings.TrimPrefix(strings.TrimSpace(n), "@") == "" || strings.ContainsAny(n, ":\r\n") {
				return fmt.Errorf("%s: bad entry %q (want a user name or @group)", l.key, n)
			}
		}
	}
	return nil
}

// parseShareFlag parses NAME=DIR[,ro][,guest][,comment=TEXT] plus the
// access lists users=, read=, write= and admin=, each a '+'-separated
// list of names and @groups.
func parseShareFlag(v string) (shareConfig, error) {
	name, rest, ok := strings.Cut(v, "=")
	if !ok || name == "" || rest == "" {
		return shareConfig{}, fmt.Errorf("--share %q: want NAME=DIR[,ro][,guest]", v)
	}
	parts := strings.Split(rest, ",")
	sc := shareConfig{Name: name, Path: parts[0]}
	for _, p := range parts[1:] {
		switch {
		case p == "ro" || p == "readonly":
			sc.ReadOnly = true
		case p == "rw":
			sc.ReadOnly = false
		case p == "guest":
			sc.Guest = true
		case strings.HasPrefix(p, "comment="):
			sc.Comment = strings.TrimPrefix(p, "comment=")
		case strings.HasPrefix(p, "users="):
			sc.Users = splitNames(strings.TrimPrefix(p, "users="))
		case strings.HasPrefix(p, "read="):
			sc.ReadUsers = splitNames(strings.TrimPrefix(p, "read="))
		case strings.HasPrefix(p, "write="):
			sc.WriteUsers = splitNames(strings.TrimPrefix(p, "write="))
		case strings.HasPrefix(p, "admin="):
			sc.AdminUsers = splitNames(strings.TrimPrefix(p, "admin="))
		case strings.HasPrefix(p, "create_mask="), strings.HasPrefix(p, "directory_mask="):
			key, val, _ := strings.Cut(p, "=")
			var m fileMask
			if err := m.UnmarshalTOML(val); err != nil {
				return shareConfig{}, fmt.Errorf("--share %q: %s: %w", v, key, err)
			}
			if key == "create_mask" {
				sc.CreateMask = m
			} else {
				sc.DirectoryMask = m
			}
		case p == "time_machine":
			sc.TimeMachine = true
		case strings.HasPrefix(p, "time_machine_max_size="):
			n, err := parseSize(strings.TrimPrefix(p, "time_machine_max_size="))
			if err != nil {
				return shareConfig{}, fmt.Errorf("--share %q: time_machine_max_size: %w", v, err)
			}
			sc.TimeMachineMaxSize = byteSize(n)
		default:
			return shareConfig{}, fmt.Errorf("--share %q: unknown option %q (want ro, guest, comment=TEXT, users=, read=, write=, admin=, time_machine, time_machine_max_size=, create_mask=, directory_mask=)", v, p)
		}
	}
	if err := checkAccessLists(sc); err != nil {
		return shareConfig{}, fmt.Errorf("--share %q: %w", v, err)
	}
	if err := checkTimeMachine(sc); err != nil {
		return shareConfig{}, fmt.Errorf("--share %q: %w", v, err)
	}
	return sc, nil
}

// parseSize parses a byte count with an optional K/M/G (KiB/MiB/GiB) suffix.
func parseSize(in string) (int64, error) {
	s := strings.TrimSpace(strings.ToUpper(in))
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}} {
		if strings.HasSuffix(s, suf.s) {
			mult = suf.m
			s = strings.TrimSuffix(s, suf.s)
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q: want a byte count with optional suffix K, M, G or T", in)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", in)
	}
	return n * mult, nil
}

// splitNames splits a --share access list: names separated by '+'.
func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, "+") {
		out = append(out, strings.TrimSpace(n))
	}
	return out
}
