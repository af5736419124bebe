//go:build linux

// Command guest is the workload of the kernel-client test (test/kclient).
// The test builds it static (CGO_ENABLED=0), puts it into the guest's
// initramfs as /kcheck with /kcheck.json beside it, and the guest's /init
// runs it: for each mount variant it mounts the share with mount.cifs, runs
// every check in a directory of its own, unmounts, and reports on the
// serial console one line per check:
//
//	PASS variant/check
//	FAIL variant/check detail
//	DMESG variant kernel-log-line
//
// followed by KCHECK-DONE. The same binary also serves as the helper
// processes some checks need (two appenders, a second lock owner) and, on
// the host, as the byte relay QEMU's guestfwd runs ("relay ADDR").
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Config is /kcheck.json, written by the test.
type Config struct {
	Server   string    // UNC host, e.g. 10.0.2.100
	Share    string    // share name
	User     string    // user name
	Pass     string    // password
	Variants []Variant // mount variants, in order
	Long     bool      // 1 GiB sequential transfer instead of a small one
	Only     []string  // if set, run only these checks
	// NoQuiesce skips the coherence check's wait for the client's queued
	// work before the unmount (to reproduce the client's unmount race).
	NoQuiesce bool
}

// Variant is one mount: a name for the report and the mount options.
type Variant struct {
	Name string
	Opts string // e.g. "vers=3.1.1,seal"
	// Server overrides Config.Server (another server behind another
	// guest address).
	Server string
	// BigDir is how many entries the bigdir check creates (default 500).
	BigDir int
	// Posix adds the POSIX-extension checks (mount option "posix").
	Posix bool
	// OwnedFile, if set, names a file in the share root that the test
	// created with OwnedUID:OwnedGID and mode 0640.
	OwnedFile          string
	OwnedUID, OwnedGID uint32
	// Coherence adds the check in which the host rewrites a file the
	// client caches (through its own SMB connection) while the guest
	// waits.
	Coherence bool
	// Reconnect adds the check in which the host drops the client's
	// connection while it holds a file open and locked.
	Reconnect bool
}

var out sync.Mutex

// report prints one result line atomically.
func report(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	line = strings.ReplaceAll(line, "\n", " | ")
	out.Lock()
	os.Stdout.WriteString(line + "\n")
	out.Unlock()
}

func main() {
	if len(os.Args) > 1 {
		os.Exit(subcommand(os.Args[1], os.Args[2:]))
	}
	b, err := os.ReadFile("/kcheck.json")
	if err != nil {
		report("FAIL setup read config: %v", err)
		os.Exit(1)
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		report("FAIL setup parse config: %v", err)
		os.Exit(1)
	}
	// Boot noise (e.g. the guest's own module loading) is not the server's.
	exec.Command("dmesg", "-c").Run()
	for _, v := range cfg.Variants {
		runVariant(&cfg, v)
	}
	report("KCHECK-DONE")
}

func runVariant(cfg *Config, v Variant) {
	mnt := "/mnt/" + v.Name
	os.MkdirAll(mnt, 0o755)
	opts := fmt.Sprintf("username=%s,password=%s,%s", cfg.User, cfg.Pass, v.Opts)
	start := time.Now()
	srv := cfg.Server
	if v.Server != "" {
		srv = v.Server
	}
	cmd := exec.Command("mount.cifs", "//"+srv+"/"+cfg.Share, mnt, "-o", opts)
	if b, err := cmd.CombinedOutput(); err != nil {
		report("FAIL %s/mount %v: %s", v.Name, err, b)
		dumpDmesg(v.Name)
		return
	}
	report("PASS %s/mount", v.Name)
	dir := mnt + "/" + v.Name
	if err := os.Mkdir(dir, 0o755); err != nil {
		report("FAIL %s/mkdir %v", v.Name, err)
	}
	all := checks(cfg, v)
	if v.Posix {
		all = append(all, posixChecks(mnt, v)...)
	}
	for _, c := range all {
		if len(cfg.Only) > 0 && !contains(cfg.Only, c.name) {
			continue
		}
		runCheck(v.Name, dir, c)
	}
	if err := unix.Unmount(mnt, 0); err != nil {
		report("FAIL %s/umount %v", v.Name, err)
		unix.Unmount(mnt, unix.MNT_DETACH)
	} else {
		report("PASS %s/umount", v.Name)
	}
	// Give the client's logoff/teardown time to log what it has to say.
	time.Sleep(2 * time.Second)
	report("INFO %s took %s", v.Name, time.Since(start).Round(time.Millisecond))
	dumpDmesg(v.Name)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runCheck runs one check with its timeout. A check that hangs in the
// kernel is reported and left behind; the unmount falls back to detaching.
func runCheck(variant, dir string, c check) {
	sub := dir + "/" + c.name
	if err := os.Mkdir(sub, 0o755); err != nil {
		report("FAIL %s/%s mkdir: %v", variant, c.name, err)
		return
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- c.fn(sub)
	}()
	select {
	case err := <-done:
		if err != nil {
			report("FAIL %s/%s %v", variant, c.name, err)
		} else {
			report("PASS %s/%s %s", variant, c.name, time.Since(start).Round(time.Millisecond))
		}
	case <-time.After(c.timeout):
		report("FAIL %s/%s timeout after %s", variant, c.name, c.timeout)
	}
}

// dumpDmesg prints and clears the kernel log, each line tagged with the
// variant so the test can attribute CIFS complaints.
func dumpDmesg(variant string) {
	b, _ := exec.Command("dmesg", "-c").CombinedOutput()
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			report("DMESG %s %s", variant, l)
		}
	}
}

// subcommand runs the helper modes: "append FILE TAG N", "trylock FILE
// START LEN", and "relay ADDR" (host side of QEMU's guestfwd).
func subcommand(name string, args []string) int {
	switch name {
	case "append":
		return appendRecords(args)
	case "trylock":
		return tryLock(args)
	case "relay":
		return relay(args)
	}
	fmt.Fprintln(os.Stderr, "unknown subcommand", name)
	return 2
}

// relay copies stdin to ADDR and ADDR to stdout: QEMU runs it for each
// connection the guest opens to the guestfwd address.
func relay(args []string) int {
	if len(args) != 1 {
		return 2
	}
	c, err := net.Dial("tcp", args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return 1
	}
	done := make(chan struct{})
	go func() {
		io.Copy(c, os.Stdin)
		c.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(os.Stdout, c)
	return 0
}
