package server

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
)

// smbclientRun runs smbclient against ts with the given command string.
func smbclientRun(t *testing.T, ts *testServer, share string, extra []string, cmds string) (string, error) {
	t.Helper()
	bin := requireTool(t, "smbclient")
	host, port, _ := net.SplitHostPort(ts.Addr)
	args := append([]string{"//" + host + "/" + share, "-p", port, "-c", cmds}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("smbclient timed out; output:\n%s", out.String())
	}
	return "", nil
}

func userArgs(extra ...string) []string {
	return append([]string{"-U", testUser + "%" + testPass}, extra...)
}

func mustSmbclient(t *testing.T, ts *testServer, share string, extra []string, cmds string) string {
	t.Helper()
	out, err := smbclientRun(t, ts, share, extra, cmds)
	if err != nil || strings.Contains(out, "NT_STATUS_") {
		t.Fatalf("smbclient %q failed: %v\n%s", cmds, err, out)
	}
	return out
}

func randomFile(t *testing.T, dir, name string, size int) string {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("%s and %s differ (%d vs %d bytes)", a, b, len(x), len(y))
	}
}

// TestSmbclientSignedUserShare drives a signing-required user share with
// Samba's smbclient: list, put, get, mkdir, rename, del, allinfo, and
// byte-exact transfers of 0 B, 1 B, 64 KiB+1 and 100 MiB.
func TestSmbclientSignedUserShare(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts testOpts
		args []string
	}{
		{"signed-zerocopy", testOpts{Signing: true, Sendfile: true, RecvfileMin: 65536}, userArgs("--client-protection=sign")},
		{"unsigned-zerocopy", testOpts{Sendfile: true, RecvfileMin: 65536}, userArgs("--client-protection=off")},
		{"unsigned-copy", testOpts{}, userArgs("--client-protection=off")},
		{"smb2_02", testOpts{Sendfile: true, RecvfileMin: 65536}, userArgs("-m", "SMB2_02", "--client-protection=off")},
		{"encrypted", testOpts{Sendfile: true, RecvfileMin: 65536}, userArgs("--client-protection=encrypt")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.opts)
			local := t.TempDir()
			sizes := map[string]int{"zero.bin": 0, "one.bin": 1, "64k1.bin": 64<<10 + 1, "big.bin": 100 << 20,
				"64km1.bin": 64<<10 - 1, "64k.bin": 64 << 10, "8m.bin": 8 << 20}
			if testing.Short() || tc.name == "smb2_02" || tc.name == "encrypted" {
				sizes["big.bin"] = 9<<20 + 7
			}
			var puts, gets []string
			for name, size := range sizes {
				randomFile(t, local, name, size)
				puts = append(puts, fmt.Sprintf("put %s %s", filepath.Join(local, name), name))
				gets = append(gets, fmt.Sprintf("get %s %s", name, filepath.Join(local, name+".back")))
			}
			before := zerocopy.Snapshot()
			mustSmbclient(t, ts, "share", tc.args, "mkdir sub; "+strings.Join(puts, "; "))
			for name := range sizes {
				sameFile(t, filepath.Join(local, name), filepath.Join(ts.Dir, name))
			}
			mustSmbclient(t, ts, "share", tc.args, strings.Join(gets, "; "))
			for name := range sizes {
				sameFile(t, filepath.Join(local, name), filepath.Join(local, name+".back"))
			}
			checkDataPath(t, tc.name, before, zerocopy.Snapshot(), sizes)
			out := mustSmbclient(t, ts, "share", tc.args, "ls")
			for _, want := range []string{"zero.bin", "one.bin", "64k1.bin", "big.bin", "sub"} {
				if !strings.Contains(out, want) {
					t.Errorf("ls lacks %s:\n%s", want, out)
				}
			}
			out = mustSmbclient(t, ts, "share", tc.args, "allinfo one.bin")
			if !strings.Contains(out, "stream: [::$DATA], 1 bytes") {
				t.Errorf("allinfo one.bin:\n%s", out)
			}
			mustSmbclient(t, ts, "share", tc.args, "rename one.bin sub\\uno.bin; del zero.bin; mkdir gone; rmdir gone")
			if _, err := os.Stat(filepath.Join(ts.Dir, "sub", "uno.bin")); err != nil {
				t.Errorf("rename: %v", err)
			}
			for _, gone := range []string{"zero.bin", "one.bin", "gone"} {
				if _, err := os.Stat(filepath.Join(ts.Dir, gone)); !os.IsNotExist(err) {
					t.Errorf("%s still exists (err %v)", gone, err)
				}
			}
			out, _ = smbclientRun(t, ts, "share", tc.args, "get nosuchfile "+filepath.Join(local, "x"))
			if !strings.Contains(out, "NT_STATUS_OBJECT_NAME_NOT_FOUND") {
				t.Errorf("get of a missing file: want NT_STATUS_OBJECT_NAME_NOT_FOUND, got:\n%s", out)
			}
		})
	}
}

// checkDataPath proves which data path carried the transfers: with an
// unsigned, unencrypted session and zero-copy enabled every READ byte goes
// through sendfile and large WRITEs through splice; signed, encrypted and
// copy-path sessions must not touch the zero-copy path at all.
func checkDataPath(t *testing.T, name string, before, after zerocopy.Stats, sizes map[string]int) {
	t.Helper()
	total := uint64(0)
	for _, n := range sizes {
		total += uint64(n)
	}
	sent := after.SendfileBytes - before.SendfileBytes
	spliced := after.SpliceBytes - before.SpliceBytes
	t.Logf("%s: sendfile %d bytes, splice %d bytes of %d per direction", name, sent, spliced, total)
	switch name {
	case "unsigned-zerocopy", "smb2_02":
		if sent < total {
			t.Errorf("sendfile carried %d bytes, want all %d read bytes", sent, total)
		}
		if big := uint64(sizes["big.bin"]); spliced < big {
			t.Errorf("splice carried %d bytes, want at least the %d-byte file", spliced, big)
		}
	default:
		if sent != 0 || spliced != 0 {
			t.Errorf("zero-copy path used on a %s session (sendfile %d, splice %d)", name, sent, spliced)
		}
	}
}

// TestSmbclientList checks that `smbclient -L` enumerates shares over
// srvsvc on a signing-required server.
func TestSmbclientList(t *testing.T) {
	ts := startServer(t, testOpts{Signing: true})
	bin := requireTool(t, "smbclient")
	host, port, _ := net.SplitHostPort(ts.Addr)
	out, err := exec.Command(bin, "-L", "//"+host, "-p", port, "-U", testUser+"%"+testPass).CombinedOutput()
	if err != nil {
		t.Fatalf("smbclient -L: %v\n%s", err, out)
	}
	for _, want := range []string{"share", "IPC$", "Disk", "IPC"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("smbclient -L output lacks %q:\n%s", want, out)
		}
	}
}

// TestSmbclientGuest checks anonymous access to a guest share, and that a
// wrong password is refused with NT_STATUS_LOGON_FAILURE.
func TestSmbclientGuest(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, Sendfile: true, RecvfileMin: 65536})
	local := t.TempDir()
	src := randomFile(t, local, "g.bin", 200<<10)
	mustSmbclient(t, ts, "share", []string{"-N"}, "put "+src+" g.bin; get g.bin "+src+".back; ls")
	sameFile(t, src, src+".back")
	sameFile(t, src, filepath.Join(ts.Dir, "g.bin"))

	ts2 := startServer(t, testOpts{})
	out, _ := smbclientRun(t, ts2, "share", []string{"-U", testUser + "%wrong"}, "ls")
	if !strings.Contains(out, "NT_STATUS_LOGON_FAILURE") {
		t.Errorf("wrong password: want NT_STATUS_LOGON_FAILURE, got:\n%s", out)
	}
	out, _ = smbclientRun(t, ts2, "share", []string{"-N"}, "ls")
	if !strings.Contains(out, "NT_STATUS_") {
		t.Errorf("anonymous on a non-guest share must fail, got:\n%s", out)
	}
}
