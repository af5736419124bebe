package server

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
)

// oddSizes are the transfer sizes of the signed/sealed round trips: empty,
// one byte, one past a 64 KiB credit, and 3 past the 8 MiB maximum I/O (so
// the last request is a 3-byte one).
var oddSizes = map[string]int{"zero.bin": 0, "one.bin": 1, "64k1.bin": 64<<10 + 1, "8m3.bin": 8<<20 + 3}

// TestSmbclientSignedSealedOddSizes puts and gets files of odd sizes with
// Samba's smbclient over SMB 3.1.1 on every signed and sealed data path:
// AES-GMAC and AES-CMAC signing on the copy path and with signed sendfile,
// and each of the four ciphers (the only one the client allows, so it is
// the one negotiated) on a server that requires encryption. smbclient
// checks every signature and tag; the bytes are compared on both sides.
func TestSmbclientSignedSealedOddSizes(t *testing.T) {
	sign := func(alg string) []string {
		return userArgs("-m", "SMB3_11", "--client-protection=sign", "--option=clientsmb3signingalgorithms="+alg)
	}
	seal := func(c string) []string {
		return userArgs("-m", "SMB3_11", "--client-protection=encrypt", "--option=clientsmb3encryptionalgorithms="+c)
	}
	cases := []struct {
		name     string
		opts     testOpts
		args     []string
		sendfile bool // signed READs must use sendfile
	}{
		{"gmac-copy", testOpts{Signing: true, Sendfile: true, RecvfileMin: 65536}, sign("AES-128-GMAC"), false},
		{"gmac-signed-sendfile", testOpts{Signing: true, Sendfile: true, SignedSendfile: true, RecvfileMin: 65536}, sign("AES-128-GMAC"), true},
		{"cmac-signed-sendfile", testOpts{Signing: true, Sendfile: true, SignedSendfile: true, RecvfileMin: 65536}, sign("AES-128-CMAC"), true},
		{"gmac-signed-sendfile-mmap", testOpts{Signing: true, Sendfile: true, SignedSendfile: true, SignedHash: SignedHashMmap, RecvfileMin: 65536}, sign("AES-128-GMAC"), true},
		{"gmac-signed-sendfile-pread", testOpts{Signing: true, Sendfile: true, SignedSendfile: true, SignedHash: SignedHashPread, RecvfileMin: 65536}, sign("AES-128-GMAC"), true},
		{"aes-128-gcm", testOpts{Encrypt: true, Sendfile: true, RecvfileMin: 65536}, seal("AES-128-GCM"), false},
		{"aes-256-gcm", testOpts{Encrypt: true, Sendfile: true, RecvfileMin: 65536}, seal("AES-256-GCM"), false},
		{"aes-128-ccm", testOpts{Encrypt: true, Sendfile: true, RecvfileMin: 65536}, seal("AES-128-CCM"), false},
		{"aes-256-ccm", testOpts{Encrypt: true, Sendfile: true, RecvfileMin: 65536}, seal("AES-256-CCM"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.sendfile && runtime.GOOS != "linux" {
				t.Skip("signed sendfile is Linux only")
			}
			ts := startServer(t, tc.opts)
			local := t.TempDir()
			var puts, gets []string
			for name, size := range oddSizes {
				randomFile(t, local, name, size)
				puts = append(puts, fmt.Sprintf("put %s %s", filepath.Join(local, name), name))
				gets = append(gets, fmt.Sprintf("get %s %s", name, filepath.Join(local, name+".back")))
			}
			before := zerocopy.Snapshot()
			mustSmbclient(t, ts, "share", tc.args, strings.Join(puts, "; "))
			for name := range oddSizes {
				sameFile(t, filepath.Join(local, name), filepath.Join(ts.Dir, name))
			}
			mustSmbclient(t, ts, "share", tc.args, strings.Join(gets, "; "))
			for name := range oddSizes {
				sameFile(t, filepath.Join(local, name), filepath.Join(local, name+".back"))
			}
			after := zerocopy.Snapshot()
			sent, spliced := after.SendfileBytes-before.SendfileBytes, after.SpliceBytes-before.SpliceBytes
			t.Logf("sendfile %d bytes, splice %d bytes", sent, spliced)
			if spliced != 0 {
				t.Errorf("splice used on a %s session (%d bytes)", tc.name, spliced)
			}
			switch {
			case tc.sendfile && sent < 8<<20:
				t.Errorf("signed sendfile carried %d bytes, want most of the 8 MiB file", sent)
			case !tc.sendfile && sent != 0:
				t.Errorf("sendfile used on a %s session (%d bytes)", tc.name, sent)
			}
		})
	}
}

// TestGoSmb2SignedSealedOddSizes writes and reads back the odd sizes with
// go-smb2 (which verifies every signature and decrypts every response) on
// a signing server, with and without signed sendfile, and on one that
// requires encryption; offsets are odd too.
func TestGoSmb2SignedSealedOddSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts testOpts
	}{
		{"signed-copy", testOpts{Signing: true, Sendfile: true, RecvfileMin: 65536}},
		{"signed-sendfile", testOpts{Signing: true, Sendfile: true, SignedSendfile: true, RecvfileMin: 65536}},
		{"sealed", testOpts{Encrypt: true, Sendfile: true, RecvfileMin: 65536}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.opts)
			share := dialGo(t, ts)
			for name, size := range oddSizes {
				data := make([]byte, size)
				rand.Read(data)
				f, err := share.Create(name)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteAt(data, 3); err != nil {
					t.Fatalf("%s: write: %v", name, err)
				}
				got := make([]byte, size)
				if n, err := f.ReadAt(got, 3); n != size || (err != nil && err != io.EOF) {
					t.Fatalf("%s: read %d of %d: %v", name, n, size, err)
				}
				f.Close()
				if !bytes.Equal(got, data) {
					t.Fatalf("%s: read back differs", name)
				}
				disk, err := os.ReadFile(filepath.Join(ts.Dir, name))
				wantLen := size + 3
				if size == 0 {
					wantLen = 0 // an empty WRITE does not extend the file
				}
				if err != nil || len(disk) != wantLen || (size > 0 && !bytes.Equal(disk[3:], data)) {
					t.Fatalf("%s: file on disk differs (%d bytes, %v)", name, len(disk), err)
				}
				// Read again through a read-only handle: with no
				// writer open, the signed sendfile path is eligible.
				r, err := share.Open(name)
				if err != nil {
					t.Fatal(err)
				}
				clear(got)
				if n, err := r.ReadAt(got, 3); n != size || (err != nil && err != io.EOF) {
					t.Fatalf("%s: second read %d of %d: %v", name, n, size, err)
				}
				r.Close()
				if !bytes.Equal(got, data) {
					t.Fatalf("%s: second read differs", name)
				}
			}
		})
	}
}

// TestSmbtortureSealed runs the READ/WRITE and compound suites with
// smbtorture encrypting everything (SMB 3.1.1, each cipher forced in
// turn) against a server that requires encryption: sealed compound
// responses and sealed odd-sized I/O from a second real client.
func TestSmbtortureSealed(t *testing.T) {
	if testing.Short() {
		t.Skip("smbtorture suites are slow")
	}
	for _, c := range []string{"AES-128-GCM", "AES-256-GCM", "AES-128-CCM", "AES-256-CCM"} {
		t.Run(c, func(t *testing.T) {
			for _, suite := range []string{"smb2.read", "smb2.rw", "smb2.compound"} {
				ts := startServer(t, testOpts{Encrypt: true, Sendfile: true, RecvfileMin: 65536})
				res := runTorture(t, ts, suite, "-m", "SMB3_11", "--option=clientsmbencrypt=required",
					"--option=clientsmb3encryptionalgorithms="+c)
				t.Logf("%s: %d passed, %d failed %v", suite, len(res.pass), len(res.fail), res.fail)
				if len(res.pass) == 0 {
					t.Fatalf("%s: nothing passed:\n%s", suite, res.out)
				}
				for _, f := range res.fail {
					if _, known := knownTortureFailures[suite+"."+f]; !known {
						t.Errorf("%s: unexpected failure %s", suite, f)
					}
				}
				if t.Failed() {
					t.Logf("output:\n%s", res.out)
				}
			}
		})
	}
}
