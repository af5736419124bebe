package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zerosmb/zerosmb/server"
)

// limitsConfig holds the connection, memory and logon-throttling keys of
// the config file (and their flags). A nil field takes the server's
// default; 0 means "off" where a limit can be off (see the manual).
type limitsConfig struct {
	MaxConns             *int      `toml:"max_connections"`
	MaxConnsPerAddr      *int      `toml:"max_connections_per_addr"`
	MaxHandshakesPerAddr *int      `toml:"max_handshakes_per_addr"`
	HandshakeTimeout     *duration `toml:"handshake_timeout"`
	IdleTimeout          *duration `toml:"idle_timeout"`
	MaxRequestMemory     *byteSize `toml:"max_request_memory"`
	AuthFailDelay        *duration `toml:"auth_fail_delay"`
	AuthLockoutUser      *int      `toml:"auth_lockout_user"`
	AuthLockoutAddr      *int      `toml:"auth_lockout_addr"`
	AuthLockoutTime      *duration `toml:"auth_lockout_time"`
}

// limitKeys lists the limitsConfig keys, for the unknown-key message.
const limitKeys = "max_connections, max_connections_per_addr, max_handshakes_per_addr, handshake_timeout, idle_timeout, max_request_memory, auth_fail_delay, auth_lockout_user, auth_lockout_addr, auth_lockout_time"

// duration is a time span in the config file: a string such as "30s" or
// "15m", or an integer number of seconds.
type duration time.Duration

// UnmarshalTOML implements toml.Unmarshaler.
func (d *duration) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return fmt.Errorf("negative duration %d", v)
		}
		*d = duration(time.Duration(v) * time.Second)
		return nil
	case string:
		x, err := parseDuration(v)
		*d = duration(x)
		return err
	}
	return fmt.Errorf("duration must be a string like \"30s\" or an integer of seconds, not %T", v)
}

// MarshalText writes d as "30s", which UnmarshalTOML reads back.
func (d duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q: want e.g. 30s, 15m, 1h30m", s)
	}
	return d, nil
}

// encryptSetting is the "encrypt" key: "off", "desired" or "required";
// the boolean of older configs means "required" (true) or "off" (false).
type encryptSetting string

// UnmarshalTOML implements toml.Unmarshaler.
func (e *encryptSetting) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case bool:
		*e = map[bool]encryptSetting{true: "required", false: "off"}[v]
		return nil
	case string:
		return e.Set(v)
	}
	return fmt.Errorf("encrypt must be \"off\", \"desired\" or \"required\" (or a boolean), not %T", v)
}

// Set implements flag.Value: --encrypt alone means required.
func (e *encryptSetting) Set(v string) error {
	switch strings.ToLower(v) {
	case "off", "false", "no":
		*e = "off"
	case "desired", "if_possible":
		*e = "desired"
	case "required", "true", "yes", "mandatory":
		*e = "required"
	default:
		return fmt.Errorf("encrypt %q: want off, desired or required", v)
	}
	return nil
}

func (e *encryptSetting) String() string {
	if *e == "" {
		return "off"
	}
	return string(*e)
}

// IsBoolFlag lets --encrypt stand alone.
func (e *encryptSetting) IsBoolFlag() bool { return true }

// encryptName is the config word for m.
func encryptName(m server.EncryptMode) string {
	switch m {
	case server.EncryptDesired:
		return "desired"
	case server.EncryptRequired:
		return "required"
	}
	return "off"
}

func (e encryptSetting) mode() server.EncryptMode {
	switch e {
	case "desired":
		return server.EncryptDesired
	case "required":
		return server.EncryptRequired
	}
	return server.EncryptOff
}

// registerLimitFlags registers the flags of limitsConfig on fs; apply copies the
// ones given on the command line (set) over lc.
func registerLimitFlags(fs *flag.FlagSet) (apply func(lc *limitsConfig, set map[string]bool) error) {
	str := map[string]*string{}
	for _, name := range []string{"max-connections", "max-connections-per-addr", "max-handshakes-per-addr",
		"auth-lockout-user", "auth-lockout-addr", "handshake-timeout", "idle-timeout", "auth-fail-delay",
		"auth-lockout-time", "max-request-memory"} {
		str[name] = fs.String(name, "", "")
	}
	return func(lc *limitsConfig, set map[string]bool) error {
		ints := map[string]**int{"max-connections": &lc.MaxConns, "max-connections-per-addr": &lc.MaxConnsPerAddr,
			"max-handshakes-per-addr": &lc.MaxHandshakesPerAddr, "auth-lockout-user": &lc.AuthLockoutUser,
			"auth-lockout-addr": &lc.AuthLockoutAddr}
		durs := map[string]**duration{"handshake-timeout": &lc.HandshakeTimeout, "idle-timeout": &lc.IdleTimeout,
			"auth-fail-delay": &lc.AuthFailDelay, "auth-lockout-time": &lc.AuthLockoutTime}
		for name, p := range ints {
			if set[name] {
				n, err := strconv.Atoi(*str[name])
				if err != nil || n < 0 {
					return usageError{fmt.Sprintf("--%s %q: want a count >= 0", name, *str[name])}
				}
				*p = &n
			}
		}
		for name, p := range durs {
			if set[name] {
				d, err := parseDuration(*str[name])
				if err != nil {
					return usageError{fmt.Sprintf("--%s: %v", name, err)}
				}
				dd := duration(d)
				*p = &dd
			}
		}
		if set["max-request-memory"] {
			n, err := parseSize(*str["max-request-memory"])
			if err != nil {
				return usageError{fmt.Sprintf("--max-request-memory: %v", err)}
			}
			b := byteSize(n)
			lc.MaxRequestMemory = &b
		}
		return nil
	}
}

// apply sets the limits in cfg. Counts of 0 turn a limit off (the server
// takes negative values for that), durations of 0 are errors except for
// auth_fail_delay, where 0 means no delay.
func (lc *limitsConfig) apply(cfg *server.Config) error {
	off := func(p *int) int {
		if *p == 0 {
			return -1
		}
		return *p
	}
	if p := lc.MaxConns; p != nil {
		if *p <= 0 {
			return fmt.Errorf("max_connections %d: must be at least 1", *p)
		}
		cfg.MaxConnections = *p
	}
	if p := lc.MaxConnsPerAddr; p != nil {
		cfg.MaxConnectionsPerAddr = max(*p, 0)
	}
	if p := lc.MaxHandshakesPerAddr; p != nil {
		cfg.MaxHandshakesPerAddr = off(p)
	}
	for _, d := range []struct {
		key string
		p   *duration
		dst *time.Duration
	}{{"handshake_timeout", lc.HandshakeTimeout, &cfg.HandshakeTimeout}, {"idle_timeout", lc.IdleTimeout, &cfg.IdleTimeout},
		{"auth_lockout_time", lc.AuthLockoutTime, &cfg.Throttle.Lockout}} {
		if d.p != nil {
			if *d.p <= 0 {
				return fmt.Errorf("%s: must be more than 0", d.key)
			}
			*d.dst = time.Duration(*d.p)
		}
	}
	if p := lc.AuthFailDelay; p != nil {
		cfg.Throttle.FailDelay = time.Duration(*p)
		if *p == 0 {
			cfg.Throttle.FailDelay = -1
		}
		if time.Duration(*p) > time.Minute {
			return fmt.Errorf("auth_fail_delay %v: at most 1m", time.Duration(*p))
		}
	}
	if p := lc.AuthLockoutUser; p != nil {
		cfg.Throttle.UserFailures = off(p)
	}
	if p := lc.AuthLockoutAddr; p != nil {
		cfg.Throttle.AddrFailures = off(p)
	}
	if p := lc.MaxRequestMemory; p != nil {
		if *p < 1<<20 {
			return fmt.Errorf("max_request_memory %d: at least 1M", *p)
		}
		cfg.MaxRequestMemory = int64(*p)
	}
	return nil
}

// values renders the set limits comparably (pointers differ between two
// parses of the same file), for reload's restart check.
func (lc *limitsConfig) values() string {
	var b strings.Builder
	for _, v := range []any{lc.MaxConns, lc.MaxConnsPerAddr, lc.MaxHandshakesPerAddr, lc.HandshakeTimeout,
		lc.IdleTimeout, lc.MaxRequestMemory, lc.AuthFailDelay, lc.AuthLockoutUser, lc.AuthLockoutAddr, lc.AuthLockoutTime} {
		switch v := v.(type) {
		case *int:
			if v != nil {
				fmt.Fprint(&b, *v)
			}
		case *duration:
			if v != nil {
				fmt.Fprint(&b, time.Duration(*v))
			}
		case *byteSize:
			if v != nil {
				fmt.Fprint(&b, int64(*v))
			}
		}
		b.WriteByte(',')
	}
	return b.String()
}
