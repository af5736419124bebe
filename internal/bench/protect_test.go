//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/server"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

const (
	peerUser = "alice"
	peerPass = "peer-Pw-1"
)

// peer is a running server the client is tested against.
type peer struct {
	addr, share string // share: the shared directory
	user, pass  string
}

// startZeroSMB serves a temporary directory in-process with the policy the
// bench's zerosmb instance for p has: signing required for GMAC,
// encryption required for the sealed protections; require=false keeps the
// defaults (nothing required).
func startZeroSMB(t *testing.T, p Protection, require bool) peer {
	t.Helper()
	dir := t.TempDir()
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	users := auth.NewUserDB()
	users.Add(peerUser, peerPass)
	cfg := server.Config{Shares: []*server.Share{{Name: "share", FS: fsys, Path: dir}}, Users: users,
		Sendfile: true, RecvfileMin: 64 << 10, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if require && p == SignGMAC {
		cfg.SigningRequired = true
	}
	if require && p.Sealed() {
		cfg.Encrypt = server.EncryptRequired
	}
	cfg.SMB1 = p == SMB1NT1
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return peer{addr: ln.Addr().String(), share: dir, user: peerUser, pass: peerPass}
}

// startSmbd starts a private smbd configured for p as the benchmark does
// (internal/bench/samba.go). It skips without smbd or root, except under
// CI=true, where that is a failure.
func startSmbd(t *testing.T, p Protection) peer { return startSmbdExtra(t, p, "") }

// startSmbdExtra is startSmbd with extra [global] lines in smb.conf.
func startSmbdExtra(t *testing.T, p Protection, extra string) peer {
	t.Helper()
	_, err := os.Stat(smbdPath)
	if err == nil && os.Geteuid() != 0 {
		err = os.ErrPermission
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("smbd needed under CI=true (root, %s): %v", smbdPath, err)
		}
		t.Skipf("smbd not usable: %v", err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &env{dir: dir, share: filepath.Join(dir, "share"), user: u.Username, password: peerPass, sambaExtra: extra}
	if err := os.MkdirAll(e.share, 0o755); err != nil {
		t.Fatal(err)
	}
	tg, err := e.start(ServerSamba, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.stop)
	return peer{addr: tg.addr, share: e.share, user: e.user, pass: e.password}
}

func (pr peer) dial(p Protection, verifyData bool) (*Client, error) {
	return Dial(ClientConfig{Addr: pr.addr, Share: "share", User: pr.user, Password: pr.pass, Prot: p, VerifyData: verifyData})
}

// writePattern is the payload Transfer writes at each request's start.
func writePattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>12)
	}
	return b
}

// roundTrip311 logs on with p, checks what was negotiated, and moves data
// both ways: small synchronous WRITE/READ with a byte check, then a
// pipelined 1 MiB WRITE Transfer whose bytes are read back and compared,
// then a pipelined READ Transfer of the same range.
func roundTrip311(t *testing.T, pr peer, p Protection, verifyData bool) {
	t.Helper()
	c, err := pr.dial(p, verifyData)
	if err != nil {
		t.Fatalf("%v: %v", p, err)
	}
	defer c.Close()
	wantDialect := uint16(0x0302)
	if p.Dialect311() {
		wantDialect = 0x0311
	}
	if c.Dialect != wantDialect || c.Cipher != p.Cipher() || (p == SignGMAC && c.SigningAlg != sign.AESGMAC) {
		t.Fatalf("%v: negotiated dialect %#x signing %v cipher %v", p, c.Dialect, c.SigningAlg, c.Cipher)
	}
	id, err := c.Open("rt.dat", true)
	if err != nil {
		t.Fatalf("%v: %v", p, err)
	}
	small := bytes.Repeat([]byte("zerosmb-3.1.1!"), 4000)
	if n, err := c.WriteAt(id, small, 777); err != nil || n != len(small) {
		t.Fatalf("%v: WriteAt = %d, %v", p, n, err)
	}
	got := make([]byte, len(small))
	if n, err := c.ReadAt(id, got, 777); err != nil || n != len(got) || !bytes.Equal(got, small) {
		t.Fatalf("%v: ReadAt = %d, %v; equal %v", p, n, err, bytes.Equal(got, small))
	}
	const io, total = 1 << 20, 4 << 20
	if moved, err := c.Transfer(id, true, 0, total, io, 4); err != nil || moved != total {
		t.Fatalf("%v: WRITE Transfer = %d, %v", p, moved, err)
	}
	disk, err := os.ReadFile(filepath.Join(pr.share, "rt.dat"))
	if err != nil || len(disk) != total {
		t.Fatalf("%v: file after WRITE: %d bytes, %v", p, len(disk), err)
	}
	pat, back := writePattern(io), make([]byte, 60000)
	for off := 0; off < total; off += io {
		if !bytes.Equal(disk[off:off+io], pat) {
			t.Fatalf("%v: WRITE Transfer: bytes at %d differ from what was sent", p, off)
		}
		if n, err := c.ReadAt(id, back, int64(off+5000)); err != nil || n != len(back) || !bytes.Equal(back, pat[5000:65000]) {
			t.Fatalf("%v: ReadAt after Transfer at %d = %d, %v", p, off, n, err)
		}
	}
	if moved, err := c.Transfer(id, false, 0, total, io, 4); err != nil || moved != total {
		t.Fatalf("%v: READ Transfer = %d, %v", p, moved, err)
	}
	if err := c.CloseFile(id); err != nil {
		t.Fatalf("%v: %v", p, err)
	}
	if _, err := Dial(ClientConfig{Addr: pr.addr, Share: "share", User: pr.user, Password: "wrong", Prot: p}); err == nil {
		t.Errorf("%v: logon with a wrong password succeeded", p)
	}
}

// TestProtectedRoundTripZeroSMB runs every protection against zerosmb
// in-process, configured as the bench instances are.
func TestProtectedRoundTripZeroSMB(t *testing.T) {
	for _, p := range Protections {
		if p == SMB1NT1 {
			continue // TestSMB1ClientRoundTrip
		}
		t.Run(p.String(), func(t *testing.T) {
			roundTrip311(t, startZeroSMB(t, p, true), p, p == SignGMAC)
		})
	}
}

// TestProtectedRoundTripSmbd runs the 3.1.1 protections (and 3.0.2 CMAC)
// against smbd configured as the bench's Samba instances are.
func TestProtectedRoundTripSmbd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four smbd")
	}
	for _, p := range []Protection{SignCMAC, SignGMAC, SealGCM128, SealGCM256} {
		t.Run(p.String(), func(t *testing.T) {
			roundTrip311(t, startSmbd(t, p), p, true)
		})
	}
}

// TestProtectionMustBeRequired: a 3.1.1 row against a server that does not
// require what the row reports fails at logon instead of measuring
// something else.
func TestProtectionMustBeRequired(t *testing.T) {
	for _, p := range []Protection{SignGMAC, SealGCM128} {
		_, err := startZeroSMB(t, p, false).dial(p, false)
		if err == nil || !strings.Contains(err.Error(), "does not require") {
			t.Errorf("%v against a server requiring nothing: %v", p, err)
		}
	}
}

// TestSmbdOtherAlgorithmRefused: smbd that may only sign with AES-CMAC,
// or only seal with AES-128-CCM, cannot serve the gmac or gcm128 rows: the
// client refuses the logon instead of measuring another algorithm.
func TestSmbdOtherAlgorithmRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two smbd")
	}
	for _, tc := range []struct {
		p     Protection
		extra string
		want  string
	}{
		{SignGMAC, "\tserver smb3 signing algorithms = AES-128-CMAC\n", "offered only AES-GMAC"},
		{SealGCM128, "\tserver smb3 encryption algorithms = AES-128-CCM\n", "offered only AES-128-GCM"},
	} {
		_, err := startSmbdExtra(t, tc.p, tc.extra).dial(tc.p, false)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v against smbd with%s: %v, want an error mentioning %q", tc.p, strings.TrimSpace(tc.extra), err, tc.want)
		} else {
			t.Logf("%v: %v", tc.p, err)
		}
	}
}

// tamperProxy relays connections to addr and flips one bit of the frame-th
// server-to-client frame (0 = the NEGOTIATE response) at byte at(n) of its
// n-byte message.
func tamperProxy(t *testing.T, addr string, frame int, at func(n int) int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			cc, err := ln.Accept()
			if err != nil {
				return
			}
			sc, err := net.Dial("tcp", addr)
			if err != nil {
				cc.Close()
				continue
			}
			go func() { io.Copy(sc, cc); sc.Close() }()
			go func() {
				defer cc.Close()
				br := bufio.NewReader(sc)
				for i := 0; ; i++ {
					var f [4]byte
					if _, err := io.ReadFull(br, f[:]); err != nil {
						return
					}
					n := int(f[1])<<16 | int(f[2])<<8 | int(f[3])
					b := make([]byte, 4+n)
					copy(b, f[:])
					if _, err := io.ReadFull(br, b[4:]); err != nil {
						return
					}
					if i == frame {
						b[4+at(n)] ^= 0x10
					}
					if _, err := cc.Write(b); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestTamperedResponsesDetected flips one bit in a response and expects
// the client to fail: in the NEGOTIATE response's ServerGuid (only the
// preauth hash, and so the keys, change: the final SESSION_SETUP
// signature no longer verifies), in the TREE_CONNECT response (bad
// signature or failed authentication) and in the payload of the first
// READ response of a Transfer (sealed: authentication; GMAC with
// VerifyData: signature).
func TestTamperedResponsesDetected(t *testing.T) {
	last := func(n int) int { return n - 1 }
	for _, p := range []Protection{SignGMAC, SealGCM128, SealGCM256} {
		pr := startZeroSMB(t, p, true)
		// Seed the file the READ reads.
		c, err := pr.dial(p, false)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := c.Open("r.dat", true)
		if _, err := c.Transfer(id, true, 0, 2<<20, 1<<20, 2); err != nil {
			t.Fatal(err)
		}
		c.Close()
		for _, tc := range []struct {
			name  string
			frame int
			at    func(int) int
			want  string
		}{
			{"negotiate", 0, func(int) int { return hdrSize + 9 }, "final SESSION_SETUP"},
			{"tree-connect", 3, last, ""},
			{"read-data", 5, last, ""},
		} {
			tp := pr
			tp.addr = tamperProxy(t, pr.addr, tc.frame, tc.at)
			c, err := tp.dial(p, true)
			if err == nil {
				id, err2 := c.Open("r.dat", false)
				if err2 == nil {
					_, err = c.Transfer(id, false, 0, 2<<20, 1<<20, 2)
				} else {
					err = err2
				}
				c.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, %s tampered: err = %v, want one mentioning %q", p, tc.name, err, tc.want)
			} else {
				t.Logf("%v, %s tampered: %v", p, tc.name, err)
			}
		}
	}
}
