//go:build linux

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	smbdPath    = "/usr/sbin/smbd"
	pdbeditPath = "/usr/bin/pdbedit"
)

// ensureSamba installs Debian's samba package when smbd is missing.
func ensureSamba(log func(string, ...any)) error {
	if _, err := os.Stat(smbdPath); err == nil {
		return nil
	}
	log("smbd not found: apt-get install -y samba")
	cmd := exec.Command("apt-get", "install", "-y", "samba")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: apt-get install samba: %v: %s", err, tail(out, 2000))
	}
	return nil
}

// SambaVersion returns `smbd --version`, or "" when smbd is missing.
func SambaVersion() string {
	out, err := exec.Command(smbdPath, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// sambaConf writes a private smb.conf (and passdb with the bench user) for
// one Samba instance configured for protection p and returns its path.
func (e *env) sambaConf(name string, p Protection, port int) (string, error) {
	d := filepath.Join(e.dir, instanceName(name, p))
	for _, sub := range []string{"private", "lock", "state", "cache", "pid", "ncalrpc", "log"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `[global]
	server role = standalone
	workgroup = WORKGROUP
	netbios name = BENCH
	smb ports = %d
	bind interfaces only = yes
	interfaces = lo
	disable netbios = yes
	private dir = %[2]s/private
	lock directory = %[2]s/lock
	state directory = %[2]s/state
	cache directory = %[2]s/cache
	pid directory = %[2]s/pid
	ncalrpc dir = %[2]s/ncalrpc
	log file = %[2]s/log/log.%%m
	passdb backend = tdbsam:%[2]s/passdb.tdb
	log level = 0
	load printers = no
	printcap name = /dev/null
	disable spoolss = yes
	server min protocol = SMB2_02
`, port, d)
	if name == ServerSambaSendfile {
		b.WriteString("\tuse sendfile = yes\n\taio read size = 0\n\taio write size = 0\n\tmin receivefile size = 16384\n")
	}
	b.WriteString(sambaProtection(p))
	b.WriteString(e.sambaExtra)
	fmt.Fprintf(&b, "\n[share]\n\tpath = %s\n\tread only = no\n\tguest ok = no\n", e.share)
	conf := filepath.Join(d, "smb.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command(pdbeditPath, "-s", conf, "-a", "-t", "-u", e.user)
	cmd.Stdin = strings.NewReader(e.password + "\n" + e.password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: pdbedit: %v: %s", err, out)
	}
	return conf, nil
}

// sambaProtection returns the smb.conf lines that make smbd require p
// with exactly its algorithm, the way the 3.1.1 rows compare servers
// (Samba 4.17 names; "server smb encrypt" was "smb encrypt" before 4.14).
func sambaProtection(p Protection) string {
	switch p {
	case SignGMAC:
		return "\tserver signing = mandatory\n" +
			"\tserver smb3 signing algorithms = AES-128-GMAC\n"
	case SealGCM128, SealGCM256:
		return "\tserver smb encrypt = required\n" +
			"\tserver smb3 encryption algorithms = " + p.Cipher().String() + "\n"
	case SMB1NT1:
		return "\tserver min protocol = NT1\n" // the later line wins
	}
	return ""
}
