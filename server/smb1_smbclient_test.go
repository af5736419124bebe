package server

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
)

// nt1Args makes smbclient speak SMB1 only.
func nt1Args(extra ...string) []string {
	return userArgs(append([]string{"-m", "NT1", "--option=client min protocol=NT1"}, extra...)...)
}

// TestSmbclientSMB1 drives an --smb1 server with smbclient restricted to
// NT1: ls, put, get, mkdir, rmdir, rename, del, allinfo, du and byte-exact
// transfers of 0 B, 1 B, 64 KiB+1 and 20 MiB, on the zero-copy and on the
// copy data path, and checks which path the payload took.
func TestSmbclientSMB1(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts testOpts
	}{
		{"zerocopy", testOpts{SMB1: true, Sendfile: true, RecvfileMin: 65536}},
		{"copy", testOpts{SMB1: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.opts)
			local := t.TempDir()
			sizes := map[string]int{"zero.bin": 0, "one.bin": 1, "64k1.bin": 64<<10 + 1, "big.bin": 20 << 20}
			var puts, gets []string
			for name, size := range sizes {
				randomFile(t, local, name, size)
				puts = append(puts, fmt.Sprintf("put %s %s", filepath.Join(local, name), name))
				gets = append(gets, fmt.Sprintf("get %s %s", name, filepath.Join(local, name+".back")))
			}
			zc0, ds0 := zerocopy.Snapshot(), ts.Srv.DataStats()
			mustSmbclient(t, ts, "share", nt1Args(), "mkdir sub; "+strings.Join(puts, "; "))
			for name := range sizes {
				sameFile(t, filepath.Join(local, name), filepath.Join(ts.Dir, name))
			}
			mustSmbclient(t, ts, "share", nt1Args(), strings.Join(gets, "; "))
			for name := range sizes {
				sameFile(t, filepath.Join(local, name), filepath.Join(local, name+".back"))
			}
			checkSMB1DataPath(t, tc.name, zc0, zerocopy.Snapshot(), ds0, ts.Srv.DataStats(), sizes)
			out := mustSmbclient(t, ts, "share", nt1Args(), "ls")
			for _, want := range []string{"zero.bin", "one.bin", "64k1.bin", "big.bin", "sub", "blocks available"} {
				if !strings.Contains(out, want) {
					t.Errorf("ls lacks %s:\n%s", want, out)
				}
			}
			out = mustSmbclient(t, ts, "share", nt1Args(), "allinfo one.bin")
			if !strings.Contains(out, "stream: [::$DATA], 1 bytes") {
				t.Errorf("allinfo one.bin:\n%s", out)
			}
			mustSmbclient(t, ts, "share", nt1Args(), "rename one.bin sub\\uno.bin; del zero.bin; mkdir gone; rmdir gone; ls sub\\*")
			if _, err := os.Stat(filepath.Join(ts.Dir, "sub", "uno.bin")); err != nil {
				t.Errorf("rename: %v", err)
			}
			for _, gone := range []string{"zero.bin", "one.bin", "gone"} {
				if _, err := os.Stat(filepath.Join(ts.Dir, gone)); !os.IsNotExist(err) {
					t.Errorf("%s still exists (err %v)", gone, err)
				}
			}
			out, _ = smbclientRun(t, ts, "share", nt1Args(), "get nosuchfile "+filepath.Join(local, "x"))
			if !strings.Contains(out, "NT_STATUS_OBJECT_NAME_NOT_FOUND") {
				t.Errorf("get of a missing file: want NT_STATUS_OBJECT_NAME_NOT_FOUND, got:\n%s", out)
			}
			out, _ = smbclientRun(t, ts, "share", nt1Args(), "rmdir sub")
			if !strings.Contains(out, "NT_STATUS_DIRECTORY_NOT_EMPTY") {
				t.Errorf("rmdir of a non-empty directory: want NT_STATUS_DIRECTORY_NOT_EMPTY, got:\n%s", out)
			}
		})
	}
}

// checkSMB1DataPath checks that on the zero-copy configuration every
// READ_ANDX byte left by sendfile and the large WRITE_ANDX payloads (all
// of big.bin but a last short chunk) came in by header splitting and
// splice; on the copy path neither.
func checkSMB1DataPath(t *testing.T, name string, zc0, zc1 zerocopy.Stats, ds0, ds1 DataStats, sizes map[string]int) {
	t.Helper()
	total := uint64(0)
	for _, n := range sizes {
		total += uint64(n)
	}
	read, sent := ds1.ReadBytes-ds0.ReadBytes, ds1.ReadSendfileBytes-ds0.ReadSendfileBytes
	written, split := ds1.WriteBytes-ds0.WriteBytes, ds1.WriteSplitBytes-ds0.WriteSplitBytes
	t.Logf("%s: DataStats read %d (sendfile %d), written %d (split %d); zerocopy sendfile %d splice %d; of %d per direction",
		name, read, sent, written, split, zc1.SendfileBytes-zc0.SendfileBytes, zc1.SpliceBytes-zc0.SpliceBytes, total)
	if read < total || written != total {
		t.Errorf("DataStats counted read %d, written %d; want at least %d read and exactly %d written", read, written, total, total)
	}
	switch name {
	case "zerocopy":
		if sent < total || zc1.SendfileBytes-zc0.SendfileBytes < total {
			t.Errorf("sendfile carried %d bytes (zerocopy %d), want all %d", sent, zc1.SendfileBytes-zc0.SendfileBytes, total)
		}
		if big := uint64(sizes["big.bin"]) - 64<<10; split < big || zc1.SpliceBytes-zc0.SpliceBytes < big {
			t.Errorf("header splitting took %d bytes (splice %d), want at least %d", split, zc1.SpliceBytes-zc0.SpliceBytes, big)
		}
	default:
		if sent != 0 || split != 0 || zc1.SendfileBytes != zc0.SendfileBytes || zc1.SpliceBytes != zc0.SpliceBytes {
			t.Errorf("zero-copy path used on the copy configuration (sendfile %d, split %d)", sent, split)
		}
	}
}

// TestSmbclientSMB1OffByDefault checks SMB1 stays off unless asked for: an
// NT1-only smbclient is refused by a default server, while with SMB1 on a
// default smbclient still works (it negotiates SMB2/3: TestSMB1Negotiate).
func TestSmbclientSMB1OffByDefault(t *testing.T) {
	ts := startServer(t, testOpts{})
	out, err := smbclientRun(t, ts, "share", nt1Args(), "ls")
	if err == nil || strings.Contains(out, "blocks available") {
		t.Fatalf("NT1-only smbclient was served without SMB1 enabled: %v\n%s", err, out)
	}
	on := startServer(t, testOpts{SMB1: true})
	out = mustSmbclient(t, on, "share", userArgs("-d", "1"), "ls")
	if !strings.Contains(out, "blocks available") {
		t.Fatalf("default smbclient against an SMB1-enabled server:\n%s", out)
	}
}

// TestSmbclientSMB1List: `smbclient -L -m NT1` enumerates the shares over
// srvsvc on a named pipe opened with NT_CREATE_ANDX and driven by TRANS
// TransactNmPipe.
func TestSmbclientSMB1List(t *testing.T) {
	ts := startServer(t, testOpts{SMB1: true})
	bin := requireTool(t, "smbclient")
	host, port, _ := net.SplitHostPort(ts.Addr)
	out, _ := exec.Command(bin, append([]string{"-L", "//" + host, "-p", port}, nt1Args()...)...).CombinedOutput()
	for _, want := range []string{"share           Disk", "IPC$            IPC"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("smbclient -L -m NT1 output lacks %q:\n%s", want, out)
		}
	}
}

// TestSmbclientSMB1Signed: smbclient over NT1 with MD5 signing, once
// because the client insists (--client-protection=sign) and once because
// the server requires it; put and get are byte-exact and, although
// sendfile and header splitting are on, take the copy path (a signature
// covers the payload).
func TestSmbclientSMB1Signed(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts testOpts
		args []string
	}{
		{"client", testOpts{SMB1: true, Sendfile: true, RecvfileMin: 65536}, []string{"--client-protection=sign"}},
		{"server", testOpts{SMB1: true, Sendfile: true, RecvfileMin: 65536, Signing: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.opts)
			local := t.TempDir()
			sizes := map[string]int{"one.bin": 1, "64k1.bin": 64<<10 + 1, "big.bin": 5 << 20}
			var puts, gets []string
			for name, size := range sizes {
				randomFile(t, local, name, size)
				puts = append(puts, fmt.Sprintf("put %s %s", filepath.Join(local, name), name))
				gets = append(gets, fmt.Sprintf("get %s %s", name, filepath.Join(local, name+".back")))
			}
			zc0, ds0 := zerocopy.Snapshot(), ts.Srv.DataStats()
			args := nt1Args(append([]string{"-d", "3"}, tc.args...)...)
			out := mustSmbclient(t, ts, "share", args, strings.Join(puts, "; ")+"; "+strings.Join(gets, "; "))
			for name := range sizes {
				sameFile(t, filepath.Join(local, name), filepath.Join(ts.Dir, name))
				sameFile(t, filepath.Join(local, name), filepath.Join(local, name+".back"))
			}
			checkSMB1DataPath(t, "copy", zc0, zerocopy.Snapshot(), ds0, ts.Srv.DataStats(), sizes)
			if strings.Contains(out, "signing") {
				t.Logf("smbclient on signing:\n%s", grepLines(out, "sign"))
			}
		})
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
