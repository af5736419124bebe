package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireTools finds the named programs; missing ones fail the test under
// CI=true and skip it otherwise. The test also needs root (namespaces).
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			missing = append(missing, n)
		}
	}
	switch {
	case len(missing) > 0 && os.Getenv("CI") == "true":
		t.Fatalf("%v not installed (required under CI=true)", missing)
	case len(missing) > 0:
		t.Skipf("%v not installed", missing)
	case os.Geteuid() != 0 && os.Getenv("CI") == "true":
		t.Fatal("needs root for network namespaces (required under CI=true)")
	case os.Geteuid() != 0:
		t.Skip("needs root for network namespaces")
	}
}

// mustRun runs a command and fails the test if it fails.
func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// bg starts a long-running command and stops it (by its pid) at cleanup.
func bg(t *testing.T, log *syncBuffer, env []string, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return cmd
}

func waitText(t *testing.T, what string, buf *syncBuffer, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(buf.String(), s); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged %q:\n%s", what, s, buf)
		}
	}
}

// TestServeMDNSAvahi puts the server in one network namespace and
// avahi-daemon (with a private D-Bus) in another, joined by a veth pair
// the test creates, and browses with avahi-browse: _smb._tcp must resolve
// to the server's address and port, _device-info._tcp must carry the
// model and _adisk._tcp the Time Machine share. A server started with
// --mdns=false must not be found.
func TestServeMDNSAvahi(t *testing.T) {
	requireTools(t, "ip", "avahi-daemon", "avahi-browse", "dbus-daemon")
	n := newVethPair(t, 0)
	ns2, v1, v2, ip1 := n.ns2, n.v1, n.v2, n.ip1
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	os.Mkdir(share, 0o755)
	users := newUsers(t, dir)
	serve := func(name, port string, extra ...string) *syncBuffer {
		return n.serveIn(t, share, users, name, port, extra...)
	}
	backups := filepath.Join(dir, "backups")
	os.Mkdir(backups, 0o755)
	// The Time Machine share comes from a config file, so a SIGHUP can
	// take it away and bring another (below).
	tmConf := func(name string) string {
		if name == "" {
			return ""
		}
		return "[[share]]\nname = \"" + name + "\"\npath = \"" + backups + "\"\ntime_machine = true\ntime_machine_max_size = \"2G\"\n"
	}
	conf := writeFile(t, dir, "tm.toml", tmConf("Backups"), 0o644)
	srvLog, srvCmd := n.serveCmd(t, share, users, "ZSMBMDNS", "4445", "--config", conf)
	if !strings.Contains(srvLog.String(), "mDNS advertising") || !strings.Contains(srvLog.String(), v1) {
		t.Fatalf("server did not advertise on %s:\n%s", v1, srvLog)
	}
	offLog := serve("ZSMBOFF", "4446", "--mdns=false")
	if strings.Contains(offLog.String(), "mDNS advertising") {
		t.Errorf("--mdns=false advertised:\n%s", offLog)
	}

	// A private system bus and avahi-daemon in the client namespace; a
	// tmpfs over /run/avahi-daemon (in the mount namespace that ip netns
	// exec makes) keeps its pid file away from any avahi on the host.
	bus := filepath.Join(dir, "bus.sock")
	busConf := writeFile(t, dir, "bus.conf", `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=`+bus+`</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>
`, 0o644)
	busLog := &syncBuffer{}
	bg(t, busLog, nil, "ip", "netns", "exec", ns2, "dbus-daemon", "--config-file="+busConf, "--nofork", "--nopidfile")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(bus); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dbus-daemon did not start:\n%s", busLog)
		}
	}
	avahiConf := writeFile(t, dir, "avahi.conf", "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces="+v2+
		"\nenable-dbus=yes\n[wide-area]\nenable-wide-area=no\n[publish]\ndisable-publishing=yes\n", 0o644)
	busEnv := []string{"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + bus}
	avahiLog := &syncBuffer{}
	bg(t, avahiLog, busEnv, "ip", "netns", "exec", ns2, "sh", "-c",
		"mkdir -p /run/avahi-daemon && mount -t tmpfs zerosmb-test /run/avahi-daemon && exec avahi-daemon -f "+avahiConf+
			" --no-chroot --no-drop-root --no-rlimits")
	waitText(t, "avahi-daemon", avahiLog, "Server startup complete")

	browseOnce := func(service string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns2, "avahi-browse", "--resolve", "--terminate", "--parsable", service)
		cmd.Env = append(os.Environ(), busEnv...)
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	browse := func(service, want string) string {
		t.Helper()
		var out string
		for try := 0; try < 5; try++ {
			if out = browseOnce(service); strings.Contains(out, want) {
				return out
			}
			time.Sleep(500 * time.Millisecond)
		}
		t.Fatalf("avahi-browse %s never showed %q; last output:\n%s\nserver log:\n%s\navahi log:\n%s", service, want, out, srvLog, avahiLog)
		return ""
	}
	// "=;IFACE;IPv4;NAME;TYPE;DOMAIN;HOST;ADDRESS;PORT;TXT"
	smb := browse("_smb._tcp", ";ZSMBMDNS;")
	if !strings.Contains(smb, "=;"+v2+";IPv4;ZSMBMDNS;") || !strings.Contains(smb, ";"+ip1+";4445;") {
		t.Errorf("_smb._tcp not resolved to %s:4445:\n%s", ip1, smb)
	}
	if strings.Contains(smb, "ZSMBOFF") {
		t.Errorf("the --mdns=false server was found:\n%s", smb)
	}
	dev := browse("_device-info._tcp", ";ZSMBMDNS;")
	if !strings.Contains(dev, `"model=RackMac"`) {
		t.Errorf("_device-info._tcp lacks the model:\n%s", dev)
	}
	// The Time Machine share: _adisk._tcp with the system and disk records.
	adisk := browse("_adisk._tcp", ";ZSMBMDNS;")
	if !strings.Contains(adisk, `"dk0=adVN=Backups,adVF=0x82"`) || !strings.Contains(adisk, `"sys=waMa=0,adVF=0x100"`) ||
		!strings.Contains(adisk, ";"+ip1+";9;") {
		t.Errorf("_adisk._tcp records wrong:\n%s", adisk)
	}
	if strings.Contains(adisk, "ZSMBOFF") {
		t.Errorf("the --mdns=false server has an _adisk._tcp record:\n%s", adisk)
	}

	// SIGHUP with the Time Machine share removed: the goodbye drops it
	// from avahi's cache; with another one added: it is announced.
	hup := func(name, logged string) {
		t.Helper()
		writeFile(t, dir, "tm.toml", tmConf(name), 0o644)
		if err := srvCmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitText(t, "zerosmb", srvLog, logged)
	}
	hup("", `re-advertised" time_machine=[]`)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		out := browseOnce("_adisk._tcp")
		if !strings.Contains(out, ";ZSMBMDNS;") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("_adisk._tcp still shows the removed Time Machine share:\n%s\nserver log:\n%s", out, srvLog)
		}
	}
	if smb := browse("_smb._tcp", ";ZSMBMDNS;"); !strings.Contains(smb, ";"+ip1+";4445;") {
		t.Errorf("_smb._tcp lost by the reload:\n%s", smb)
	}
	hup("Vault", `re-advertised" time_machine=[Vault]`)
	if adisk := browse("_adisk._tcp", `"dk0=adVN=Vault,adVF=0x82"`); strings.Contains(adisk, "adVN=Backups") {
		t.Errorf("_adisk._tcp after adding Vault:\n%s", adisk)
	}
}

// vethPair is two network namespaces joined by a veth pair: ns1 (the
// server side, v1 with ip1) and ns2 (the client side, v2 with ip2).
type vethPair struct{ ns1, ns2, v1, v2, ip1, ip2 string }

// newVethPair creates the namespaces and links; cleanup deletes them.
// salt keeps the names of two pairs in one test run apart.
func newVethPair(t *testing.T, salt int) vethPair {
	t.Helper()
	id := (os.Getpid() + salt) % 100000
	n := vethPair{
		ns1: fmt.Sprintf("zsmb%d-srv", id), ns2: fmt.Sprintf("zsmb%d-cli", id),
		v1: fmt.Sprintf("zs%da", id), v2: fmt.Sprintf("zs%db", id),
		ip1: fmt.Sprintf("10.213.%d.1", 1+id%250), ip2: fmt.Sprintf("10.213.%d.2", 1+id%250),
	}
	mustRun(t, "ip", "netns", "add", n.ns1)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.ns1).Run() })
	mustRun(t, "ip", "netns", "add", n.ns2)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.ns2).Run() })
	mustRun(t, "ip", "link", "add", n.v1, "netns", n.ns1, "type", "veth", "peer", "name", n.v2, "netns", n.ns2)
	for _, c := range [][]string{
		{"-n", n.ns1, "addr", "add", n.ip1 + "/24", "dev", n.v1}, {"-n", n.ns2, "addr", "add", n.ip2 + "/24", "dev", n.v2},
		{"-n", n.ns1, "link", "set", n.v1, "up"}, {"-n", n.ns2, "link", "set", n.v2, "up"},
		{"-n", n.ns1, "link", "set", "lo", "up"}, {"-n", n.ns2, "link", "set", "lo", "up"},
	} {
		mustRun(t, "ip", c...)
	}
	return n
}

// serveIn runs zerosmb serve in n.ns1 on ip1:port and waits until it listens.
func (n vethPair) serveIn(t *testing.T, share, users, name, port string, extra ...string) *syncBuffer {
	t.Helper()
	log, _ := n.serveCmd(t, share, users, name, port, extra...)
	return log
}

// serveCmd is serveIn that also returns the server's process (ip netns
// exec runs zerosmb in its own place, so signals reach the server).
func (n vethPair) serveCmd(t *testing.T, share, users, name, port string, extra ...string) (*syncBuffer, *exec.Cmd) {
	t.Helper()
	log := &syncBuffer{}
	args := append([]string{"netns", "exec", n.ns1, binPath, "serve", "--listen", n.ip1 + ":" + port, "--users", users,
		"--server-name", name, "--control-socket", "none"}, extra...)
	cmd := bg(t, log, nil, "ip", append(args, share)...)
	waitText(t, "zerosmb", log, "zerosmb listening")
	return log, cmd
}

// TestServeWSDiscovery runs the server with --ws-discovery in one network
// namespace and wsdd in discovery mode (a WS-Discovery client, as Windows'
// network view is) in the other: wsdd must probe, fetch the metadata and
// report the computer name and workgroup at the server's address.
func TestServeWSDiscovery(t *testing.T) {
	requireTools(t, "ip", "wsdd")
	n := newVethPair(t, 7)
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	os.Mkdir(share, 0o755)
	srvLog := n.serveIn(t, share, newUsers(t, dir), "ZSMBWSD", "4445", "--ws-discovery", "--workgroup", "TESTGROUP")
	waitText(t, "zerosmb", srvLog, "WS-Discovery announcing")
	wsdLog := &syncBuffer{}
	bg(t, wsdLog, nil, "ip", "netns", "exec", n.ns2, "wsdd", "--discovery", "--no-host", "--ipv4only", "--interface", n.v2, "-v")
	want := "discovered ZSMBWSD in Workgroup:TESTGROUP on " + n.ip1
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(wsdLog.String(), want); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("wsdd never logged %q:\n%s\nserver log:\n%s", want, wsdLog, srvLog)
		}
	}
}
