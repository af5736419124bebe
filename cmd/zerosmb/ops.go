package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/discovery"
	"github.com/zerosmb/zerosmb/metrics"
	"github.com/zerosmb/zerosmb/server"
)

// Operations side of serve: the Prometheus endpoint, the control socket
// that `zerosmb status` talks to, and SIGHUP reloads.

// startMetrics serves Prometheus metrics on addr at /metrics (and /).
func startMetrics(addr string, srv *server.Server, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: cannot listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	h := metrics.Handler(srv)
	mux.Handle("/metrics", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "zerosmb: metrics at /metrics")
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server failed", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}, nil
}

// defaultControlPath is the control socket used when none is configured:
// $ZEROSMB_CONTROL_SOCKET, /run/zerosmb/control.sock for root,
// $XDG_RUNTIME_DIR/zerosmb/control.sock otherwise, else a directory of
// the user's under the temporary directory.
func defaultControlPath() string {
	if p := os.Getenv("ZEROSMB_CONTROL_SOCKET"); p != "" {
		return p
	}
	if os.Geteuid() == 0 {
		return "/run/zerosmb/control.sock"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "zerosmb", "control.sock")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("zerosmb-%d", os.Geteuid()), "control.sock")
}

// controlCommands are the requests the control socket answers: one line
// in, one JSON document out.
const controlStatus = "status"

// startControl listens on the unix socket path (mode 0600 in a 0700
// directory it creates if missing) and answers `zerosmb status`. A stale
// socket file is replaced; one another server still answers on is an
// error.
func startControl(path string, srv *server.Server, log *slog.Logger) (stop func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("control socket: %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket: %s is in use by another server", path)
		}
		os.Remove(path)
	}
	ln, err := listenUnix0600(path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(true)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveControl(c, srv, log)
		}
	}()
	log.Info("control socket listening", "path", path)
	return func() { ln.Close() }, nil
}

// serveControl answers one request on a control connection.
func serveControl(c net.Conn, srv *server.Server, log *slog.Logger) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := peerAllowed(c); err != nil {
		log.Warn("control socket: peer refused", "err", err)
		return
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	switch strings.TrimSpace(line) {
	case controlStatus:
		json.NewEncoder(c).Encode(srv.Status())
	default:
		fmt.Fprintf(c, "{\"error\":%q}\n", "unknown request")
	}
}

// listenUnix0600 listens on a unix socket at path readable and writable
// by the owner only. Before the chmod the socket has at most the umask's
// mode; connecting needs write permission, which the default umask
// already denies to others, and peerAllowed checks the peer anyway.
func listenUnix0600(path string) (net.Listener, error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// startOps starts the metrics endpoint (if configured) and the control
// socket (unless control_socket is "none"). A control socket that cannot
// be set up is logged, not fatal; a metrics address that cannot be bound
// is an error.
// The returned adv is the mDNS advertiser, nil when mDNS is off or failed.
func startOps(fc *fileConfig, srv *server.Server, addr net.Addr, log *slog.Logger) (stop func(), adv *discovery.Advertiser, err error) {
	var stops []func()
	stop = func() {
		for _, f := range stops {
			f()
		}
	}
	if fc.Metrics != "" {
		f, err := startMetrics(fc.Metrics, srv, log)
		if err != nil {
			return nil, nil, err
		}
		stops = append(stops, f)
	}
	if adv = startMDNS(fc, addr, log); adv != nil {
		stops = append(stops, func() { adv.Close() })
	}
	if f := startWSD(fc, addr, log); f != nil {
		stops = append(stops, f)
	}
	if path := fc.Control; path != "none" {
		if path == "" {
			path = defaultControlPath()
		}
		f, err := startControl(path, srv, log)
		if err != nil {
			log.Warn("no control socket; zerosmb status will not reach this server", "err", err)
		} else {
			stops = append(stops, f)
		}
	}
	return stop, adv, nil
}

// reload re-reads the configuration (serve's arguments again, so the
// config file and the users file are read anew and command-line flags
// still win) and applies the shares and users. Anything wrong leaves the
// running configuration as it is. Settings that only apply at start are
// reported when they changed. With adv set, the Time Machine shares of
// the new configuration are advertised in its place.
func reload(srv *server.Server, adv *discovery.Advertiser, running *fileConfig, args []string, log *slog.Logger) {
	log.Info("SIGHUP: reloading configuration")
	fc, _, err := parseServeArgs(args)
	if err == nil {
		var cfg server.Config
		if cfg, err = buildConfig(fc, log); err == nil {
			var added, removed []string
			if added, removed, err = srv.Reconfigure(cfg.Shares, cfg.Users); err == nil {
				log.Info("configuration reloaded", "shares_added", added, "shares_removed", removed,
					"users", userCount(cfg.Users))
				readvertise(adv, fc, log)
				if changed := restartOnly(running, fc); len(changed) > 0 {
					log.Warn("changed settings take effect only after a restart", "keys", changed)
				}
				return
			}
		}
	}
	log.Error("reload failed; keeping the running configuration", "err", err)
}

// restartOnly lists the settings that differ between a and b and that a
// reload does not apply.
func restartOnly(a, b *fileConfig) []string {
	var out []string
	for _, k := range []struct {
		key  string
		x, y any
	}{
		{"listen", a.Listen, b.Listen}, {"signing", a.Signing, b.Signing}, {"encrypt", a.Encrypt, b.Encrypt},
		{"sendfile", a.Sendfile == nil || *a.Sendfile, b.Sendfile == nil || *b.Sendfile},
		{"signed_sendfile", a.SignedSF, b.SignedSF}, {"signed_sendfile_hash", a.SignedHash, b.SignedHash}, {"max_io", a.MaxIO, b.MaxIO}, {"smb1", a.SMB1, b.SMB1},
		{"server_name", a.ServerName, b.ServerName}, {"workgroup", a.Workgroup, b.Workgroup},
		{"log_format", a.LogFormat, b.LogFormat}, {"log_level", a.LogLevel, b.LogLevel},
		{"metrics", a.Metrics, b.Metrics}, {"control_socket", a.Control, b.Control},
		{"mdns", a.MDNS == nil || *a.MDNS, b.MDNS == nil || *b.MDNS}, {"mdns_model", a.MDNSModel, b.MDNSModel},
		{"ws_discovery", a.WSD, b.WSD},
		{"unix_users", a.UnixUsers, b.UnixUsers}, {"unix_guest", a.UnixGuest, b.UnixGuest},
		{"[unix_ids]", unixIDsString(a.UnixIDs), unixIDsString(b.UnixIDs)},
		{fileLimitKeys, a.fileLimits, b.fileLimits},
		{limitKeys, a.limitsConfig.values(), b.limitsConfig.values()},
	} {
		if k.x != k.y {
			out = append(out, k.key)
		}
	}
	if (a.RecvfileMin == nil) != (b.RecvfileMin == nil) || a.RecvfileMin != nil && *a.RecvfileMin != *b.RecvfileMin {
		out = append(out, "recvfile_min")
	}
	return out
}

func userCount(db *auth.UserDB) int {
	if db == nil {
		return 0
	}
	return len(db.Names())
}

// startMDNS advertises the server with mDNS/DNS-SD unless mdns is false
// or the server listens on loopback only. Failing to is logged, not fatal
// (nil).
func startMDNS(fc *fileConfig, addr net.Addr, log *slog.Logger) *discovery.Advertiser {
	ta, ok := addr.(*net.TCPAddr)
	if !ok || (fc.MDNS != nil && !*fc.MDNS) {
		return nil
	}
	if ta.IP.IsLoopback() {
		log.Debug("mDNS off: listening on loopback only")
		return nil
	}
	ip := advertisedIP(ta.IP)
	tm := timeMachineShares(fc)
	adv, err := discovery.Start(discovery.Config{Instance: fc.ServerName, Port: ta.Port, IP: ip, Model: fc.MDNSModel,
		TimeMachine: tm, Logger: log})
	if err != nil {
		log.Warn("mDNS advertisement failed; clients must be given the address", "err", err)
		return nil
	}
	services := "_smb._tcp,_device-info._tcp"
	if len(tm) > 0 {
		services += ",_adisk._tcp"
	}
	log.Info("mDNS advertising", "services", services, "port", ta.Port, "interfaces", adv.Interfaces, "time_machine", tm)
	return adv
}

// timeMachineShares names the shares of fc with time_machine = true.
func timeMachineShares(fc *fileConfig) []string {
	var tm []string
	for _, sc := range fc.Shares {
		if sc.TimeMachine {
			tm = append(tm, sc.Name)
		}
	}
	return tm
}

// readvertise puts the Time Machine shares of a reloaded fc into the
// _adisk._tcp record of adv (nil: mDNS is off, nothing to do).
func readvertise(adv *discovery.Advertiser, fc *fileConfig, log *slog.Logger) {
	if adv == nil {
		return
	}
	tm := timeMachineShares(fc)
	if slices.Equal(tm, adv.TimeMachine()) {
		return
	}
	if err := adv.SetTimeMachine(tm); err != nil {
		log.Error("mDNS: Time Machine shares not re-advertised", "err", err)
		return
	}
	log.Info("mDNS re-advertised", "time_machine", tm)
}

// advertisedIP is the address discovery announces for a listener on ip:
// nil (every interface) for the IPv6 wildcard, since Go's "[::]" and
// ":port" listeners take IPv4 too.
func advertisedIP(ip net.IP) net.IP {
	if ip.IsUnspecified() && ip.To4() == nil {
		return nil
	}
	return ip
}

// startWSD runs WS-Discovery when ws_discovery is on and the server does
// not listen on loopback only. Failing to is logged, not fatal.
func startWSD(fc *fileConfig, addr net.Addr, log *slog.Logger) (stop func()) {
	ta, ok := addr.(*net.TCPAddr)
	if !ok || !fc.WSD {
		return nil
	}
	if ta.IP.IsLoopback() {
		log.Warn("WS-Discovery off: listening on loopback only")
		return nil
	}
	ip := advertisedIP(ta.IP)
	w, err := discovery.StartWSD(discovery.WSDConfig{Name: fc.ServerName, Workgroup: fc.Workgroup, IP: ip, Logger: log})
	if err != nil {
		log.Warn("WS-Discovery failed; Windows' network view will not list the server", "err", err)
		return nil
	}
	log.Info("WS-Discovery announcing", "interfaces", w.Interfaces)
	return func() { w.Close() }
}
