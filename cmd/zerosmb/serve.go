package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/server"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// multiFlag collects repeated --share flags.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseInterspersed parses flags that may appear before or after
// positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func cmdServe(args []string) int {
	fc, help, err := parseServeArgs(args)
	switch {
	case errors.As(err, new(usageError)):
		fmt.Fprintf(os.Stderr, "zerosmb serve: %v\nRun 'zerosmb help' for usage.\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(os.Stderr, "zerosmb serve: %v\n", err)
		return 2
	case help:
		os.Stdout.WriteString(usage)
		return 0
	}
	return serve(fc, args)
}

// defaultListen is the address served when neither --listen nor the
// config file names one.
const defaultListen = ":445"

// parseServeArgs parses the arguments of `serve` and merges them over the
// config file named by --config, if any: a flag given on the command line
// wins over the file, the file wins over the defaults. help reports -h or
// --help; fc is then nil.
func parseServeArgs(args []string) (fc *fileConfig, help bool, err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		configPath = fs.String("config", "", "")
		listen     = fs.String("listen", "", "")
		users      = fs.String("users", "", "")
		signing    = fs.String("signing", "", "")
		encrypt    encryptSetting
		posix      = fs.Bool("posix", true, "")
		sendfile   = fs.Bool("sendfile", true, "")
		signedSF   = fs.Bool("signed-sendfile", false, "")
		signedHash = fs.String("signed-sendfile-hash", "", "")
		smb1On     = fs.Bool("smb1", false, "")
		recvMin    = fs.String("recvfile-min", "", "")
		maxIO      = fs.String("max-io", "", "")
		serverName = fs.String("server-name", "", "")
		workgroup  = fs.String("workgroup", "", "")
		logFormat  = fs.String("log-format", "", "")
		logLevel   = fs.String("log-level", "", "")
		metricsAt  = fs.String("metrics", "", "")
		control    = fs.String("control-socket", "", "")
		mdnsOn     = fs.Bool("mdns", true, "")
		mdnsModel  = fs.String("mdns-model", "", "")
		wsd        = fs.Bool("ws-discovery", false, "")
		abe        = fs.Bool("access-based-share-enum", false, "")
		kleases    = fs.Bool("kernel-leases", false, "")
		noDirLease = fs.Bool("no-directory-leases", false, "")
		unixUsers  = fs.Bool("unix-users", false, "")
		unixGuest  = fs.String("unix-guest", "", "")
		shares     multiFlag
	)
	fs.BoolVar(&help, "help", false, "")
	fs.BoolVar(&help, "h", false, "")
	fs.Var(&shares, "share", "")
	fs.Var(&encrypt, "encrypt", "")
	limitFlags := registerFileLimitFlags(fs)
	applyLimits := registerLimitFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, false, usageError{err.Error()}
	}
	if help {
		return nil, true, nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	fc = &fileConfig{}
	if *configPath != "" {
		if fc, err = loadConfig(*configPath); err != nil {
			return nil, false, err
		}
	}
	override := func(name string, dst *string, v string) {
		if set[name] {
			*dst = v
		}
	}
	override("listen", &fc.Listen, *listen)
	override("users", &fc.Users, *users)
	override("signing", &fc.Signing, *signing)
	override("server-name", &fc.ServerName, *serverName)
	override("workgroup", &fc.Workgroup, *workgroup)
	override("log-format", &fc.LogFormat, *logFormat)
	override("log-level", &fc.LogLevel, *logLevel)
	override("metrics", &fc.Metrics, *metricsAt)
	override("control-socket", &fc.Control, *control)
	override("mdns-model", &fc.MDNSModel, *mdnsModel)
	if set["ws-discovery"] {
		fc.WSD = *wsd
	}
	if set["mdns"] {
		fc.MDNS = mdnsOn
	}
	if set["encrypt"] {
		fc.Encrypt = encrypt
	}
	if err := applyLimits(&fc.limitsConfig, set); err != nil {
		return nil, false, err
	}
	if set["posix"] || fc.Posix == nil {
		fc.Posix = posix
	}
	if set["access-based-share-enum"] {
		fc.AccessBasedShareEnum = *abe
	}
	if set["kernel-leases"] {
		fc.KernelLeases = *kleases
	}
	if set["no-directory-leases"] {
		fc.NoDirectoryLeases = *noDirLease
	}
	if set["unix-users"] {
		fc.UnixUsers = *unixUsers
	}
	override("unix-guest", &fc.UnixGuest, *unixGuest)
	if set["sendfile"] || fc.Sendfile == nil {
		fc.Sendfile = sendfile
	}
	if set["signed-sendfile"] {
		fc.SignedSF = *signedSF
	}
	if set["signed-sendfile-hash"] {
		fc.SignedHash = *signedHash
	}
	if set["smb1"] {
		fc.SMB1 = *smb1On
	}
	if set["recvfile-min"] {
		n, err := parseSize(*recvMin)
		if err != nil {
			return nil, false, fmt.Errorf("--recvfile-min: %w", err)
		}
		b := byteSize(n)
		fc.RecvfileMin = &b
	}
	if set["max-io"] {
		n, err := parseSize(*maxIO)
		if err != nil {
			return nil, false, fmt.Errorf("--max-io: %w", err)
		}
		fc.MaxIO = byteSize(n)
	}
	if err := limitFlags.apply(set, &fc.fileLimits); err != nil {
		return nil, false, err
	}
	for _, s := range shares {
		sc, err := parseShareFlag(s)
		if err != nil {
			return nil, false, err
		}
		fc.Shares = append(fc.Shares, sc)
	}
	switch len(pos) {
	case 0:
	case 1:
		fc.Shares = append(fc.Shares, shareConfig{Name: "share", Path: pos[0]})
	default:
		return nil, false, fmt.Errorf("at most one DIR argument (use --share NAME=DIR for more), got %q", pos)
	}
	if fc.Listen == "" {
		fc.Listen = defaultListen
	}
	return fc, false, nil
}

func newLogger(format, level string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "", "info":
		lv = slog.LevelInfo
	case "debug":
		lv = slog.LevelDebug
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		// Durations as "1.5s" rather than integer nanoseconds, as in text.
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindDuration {
				a.Value = slog.StringValue(a.Value.Duration().String())
			}
			return a
		}
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// defaultUsersPath is where the users file lives when none is named.
func defaultUsersPath() string {
	if p := os.Getenv("ZEROSMB_USERS"); p != "" {
		return p
	}
	if os.Geteuid() == 0 {
		return "/etc/zerosmb/users"
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "zerosmb", "users")
	}
	return "zerosmb-users"
}

// buildConfig turns the merged options into a server configuration.
func buildConfig(fc *fileConfig, log *slog.Logger) (server.Config, error) {
	cfg := server.Config{Logger: log, ServerName: fc.ServerName, Domain: fc.Workgroup, Encrypt: fc.Encrypt.mode(),
		NoPosixExtensions: fc.Posix != nil && !*fc.Posix, AccessBasedShareEnum: fc.AccessBasedShareEnum,
		KernelLeases: fc.KernelLeases, NoDirectoryLeases: fc.NoDirectoryLeases, AppleModel: fc.MDNSModel}
	if err := fc.limitsConfig.apply(&cfg); err != nil {
		return cfg, err
	}
	uu, err := unixUsersConfig(fc)
	if err != nil {
		return cfg, err
	}
	cfg.UnixUsers = uu
	switch fc.Signing {
	case "", "auto":
	case "required", "mandatory":
		cfg.SigningRequired = true
	default:
		return cfg, fmt.Errorf("signing %q: want auto or required", fc.Signing)
	}
	cfg.Sendfile = fc.Sendfile == nil || *fc.Sendfile
	cfg.SignedSendfile = fc.SignedSF
	h, err := server.ParseSignedHash(fc.SignedHash)
	if err != nil {
		return cfg, err
	}
	cfg.SignedSendfileHash = h
	cfg.SMB1 = fc.SMB1
	cfg.RecvfileMin = 64 << 10
	if fc.RecvfileMin != nil {
		cfg.RecvfileMin = int(*fc.RecvfileMin)
	}
	if fc.MaxIO != 0 {
		if fc.MaxIO < 64<<10 || fc.MaxIO > 8<<20 {
			return cfg, fmt.Errorf("max_io %d: must be between 64K and 8M", fc.MaxIO)
		}
		cfg.MaxIOSize = uint32(fc.MaxIO)
	}
	if err := fc.fileLimits.toConfig(&cfg); err != nil {
		return cfg, err
	}
	if len(fc.Shares) == 0 {
		return cfg, errors.New("nothing to share: give a DIR, --share NAME=DIR, or [[share]] in --config")
	}
	guest := false
	for _, sc := range fc.Shares {
		st, err := os.Stat(sc.Path)
		if err != nil {
			return cfg, fmt.Errorf("share %q: %w", sc.Name, err)
		}
		if !st.IsDir() {
			return cfg, fmt.Errorf("share %q: %s is not a directory", sc.Name, sc.Path)
		}
		// A read-only share with write_users is opened read-write; the
		// server keeps everyone else read-only.
		fsys, err := osfs.New(sc.Path, sc.ReadOnly && len(sc.WriteUsers) == 0)
		if err != nil {
			return cfg, fmt.Errorf("share %q: %w", sc.Name, err)
		}
		abs, _ := filepath.Abs(sc.Path)
		cfg.Shares = append(cfg.Shares, &server.Share{Name: sc.Name, FS: fsys, ReadOnly: sc.ReadOnly, Guest: sc.Guest, Comment: sc.Comment, Path: abs,
			ValidUsers: sc.Users, ReadUsers: sc.ReadUsers, WriteUsers: sc.WriteUsers, AdminUsers: sc.AdminUsers,
			TimeMachine: sc.TimeMachine, TimeMachineMaxSize: int64(sc.TimeMachineMaxSize),
			CreateMask: os.FileMode(sc.CreateMask), DirectoryMask: os.FileMode(sc.DirectoryMask)})
		guest = guest || sc.Guest
	}
	usersPath := fc.Users
	explicit := usersPath != ""
	if !explicit {
		usersPath = defaultUsersPath()
	}
	db, err := auth.LoadUsers(usersPath)
	switch {
	case err == nil:
		cfg.Users = db
		if len(db.Names()) == 0 && !guest {
			return cfg, fmt.Errorf("users file %s has no users and no share is marked guest: add one with 'zerosmb user add --users %s NAME'", usersPath, usersPath)
		}
	case errors.Is(err, os.ErrNotExist) && !explicit && guest:
		log.Info("no users file; only guest shares are usable", "users", usersPath)
	case errors.Is(err, os.ErrNotExist):
		return cfg, fmt.Errorf("users file %s does not exist: create it with 'zerosmb user add --users %s NAME' (password on stdin), or mark a share guest", usersPath, usersPath)
	default:
		return cfg, err
	}
	if err := addConfigGroups(cfg.Users, fc.Groups); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// addConfigGroups adds the [groups] of the config file to the users.
func addConfigGroups(db *auth.UserDB, groups map[string][]string) error {
	if len(groups) == 0 {
		return nil
	}
	if db == nil {
		return errors.New("[groups] needs a users file")
	}
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		if err := db.AddConfigGroup(name, groups[name]); err != nil {
			return fmt.Errorf("[groups] %s: %w", name, err)
		}
	}
	return nil
}

// serve runs the server that fc describes; args are serve's arguments,
// parsed again on SIGHUP.
func serve(fc *fileConfig, args []string) int {
	log, err := newLogger(fc.LogFormat, fc.LogLevel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zerosmb serve: %v\n", err)
		return 2
	}
	if _, err := offerFirstUser(fc); err != nil {
		fmt.Fprintf(os.Stderr, "zerosmb serve: %v\n", err)
		return 2
	}
	cfg, err := buildConfig(fc, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zerosmb serve: %v\n", err)
		return 2
	}
	srv, err := server.New(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zerosmb serve: %v\n", err)
		return 2
	}
	fdLimit := raiseFDLimit(log, srv.MaxConnections())
	// Catch signals before anything can announce that we are up, so a
	// SIGTERM sent right after the "listening" line is never fatal.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	usr, hup := make(chan os.Signal, 1), make(chan os.Signal, 1)
	if sigs := statsSignals(); len(sigs) > 0 {
		signal.Notify(usr, sigs...)
		defer signal.Stop(usr)
	}
	if sigs := reloadSignals(); len(sigs) > 0 {
		signal.Notify(hup, sigs...)
		defer signal.Stop(hup)
	}
	addr := fc.Listen
	if addr == "" {
		addr = defaultListen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EACCES) {
			fmt.Fprintf(os.Stderr, "zerosmb serve: cannot listen on %s: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE; try --listen :4445)\n", addr)
		} else {
			fmt.Fprintf(os.Stderr, "zerosmb serve: cannot listen on %s: %v\n", addr, err)
		}
		return 1
	}
	// Metrics, control socket and discovery come up first, so the
	// listening line means everything is ready.
	stopOps, adv, err := startOps(fc, srv, ln.Addr(), log)
	if err != nil {
		ln.Close()
		fmt.Fprintf(os.Stderr, "zerosmb serve: %v\n", err)
		return 1
	}
	defer stopOps()
	logListening(log, ln.Addr(), &cfg, "max_connections", srv.MaxConnections(), "fd_limit", fdLimit)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
wait:
	for {
		select {
		case err := <-errc:
			log.Error("serve failed", "err", err)
			return 1
		case <-usr:
			logDataStats(log, "data path", srv.DataStats())
		case <-hup:
			reload(srv, adv, fc, args, log)
		case <-ctx.Done():
			break wait
		}
	}
	stop() // a second SIGTERM or SIGINT kills the process at once
	log.Info("shutting down; waiting for requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown timed out; connections closed", "err", err)
	}
	<-errc
	logDataStats(log, "data path totals", srv.DataStats())
	log.Info("stopped")
	return 0
}

// logListening logs the "zerosmb listening" line with the settings in force.
func logListening(log *slog.Logger, addr net.Addr, cfg *server.Config, extra ...any) {
	shares := make([]string, len(cfg.Shares))
	for i, s := range cfg.Shares {
		shares[i] = s.Name + "=" + s.Path
		if s.ReadOnly {
			shares[i] += ",ro"
		}
		if s.Guest {
			shares[i] += ",guest"
		}
	}
	attrs := []any{"addr", addr.String(), "pid", os.Getpid(), "shares", shares,
		"signing", map[bool]string{true: "required", false: "auto"}[cfg.SigningRequired],
		"sendfile", cfg.Sendfile, "recvfile_min", strconv.Itoa(cfg.RecvfileMin), "encrypt", encryptName(cfg.Encrypt)}
	log.Info("zerosmb listening", append(attrs, extra...)...)
	if cfg.SMB1 {
		log.Warn("SMB1 (NT LM 0.12) is enabled: a legacy protocol without SMB2/3's integrity protections, for clients that speak nothing else")
	}
}

// logDataStats logs how many payload bytes went through the zero-copy
// paths and how many through the copy path.
func logDataStats(log *slog.Logger, msg string, st server.DataStats) {
	log.Info(msg,
		"read_bytes", st.ReadBytes, "read_sendfile_bytes", st.ReadSendfileBytes,
		"write_bytes", st.WriteBytes, "write_split_bytes", st.WriteSplitBytes)
}
