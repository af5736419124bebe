//go:build linux

package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// smb1RoundTrip writes size bytes with the SMB1 load client in ioSize
// WRITE_ANDX requests (4 outstanding), checks the file holds them, and
// reads them back with READ_ANDX.
func smb1RoundTrip(t *testing.T, pr peer, ioSize int, size int64) {
	t.Helper()
	dial := func() *smb1Client {
		c, err := dialSMB1(ClientConfig{Addr: pr.addr, Share: "share", User: pr.user, Password: pr.pass})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := dial()
	if err := c.open("smb1.bin", true); err != nil {
		t.Fatal(err)
	}
	n, err := c.transfer(true, 0, size, ioSize, 4)
	if err != nil || n != size {
		t.Fatalf("write: %d bytes, %v; want %d", n, err, size)
	}
	c.close()
	got, err := os.ReadFile(filepath.Join(pr.share, "smb1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat(writePattern(ioSize), int(size)/ioSize)
	if !bytes.Equal(got, want) {
		t.Fatalf("file: %d bytes, not the %d written", len(got), len(want))
	}
	c = dial()
	defer c.close()
	if err := c.open("smb1.bin", false); err != nil {
		t.Fatal(err)
	}
	if n, err := c.transfer(false, 0, size, ioSize, 4); err != nil || n != size {
		t.Fatalf("read: %d bytes, %v; want %d", n, err, size)
	}
	if err := c.open("missing.bin", false); err == nil {
		t.Fatal("opening a missing file succeeded")
	}
}

// TestSMB1ClientRoundTrip runs the SMB1 load client against zerosmb with
// SMB1 on (in-process) and smbd with server min protocol = NT1 and the
// bench's samba-sendfile "min receivefile size" (without it smbd resets
// the connection on pipelined 1 MiB WRITE_ANDX: TestSMB1SambaDefaultsLimit),
// at both benchmark sizes.
func TestSMB1ClientRoundTrip(t *testing.T) {
	for _, io := range []int{64 << 10, 1 << 20} {
		smb1RoundTrip(t, startZeroSMB(t, SMB1NT1, false), io, 8<<20)
	}
	if testing.Short() {
		t.Skip("starts smbd")
	}
	pr := startSmbdExtra(t, SMB1NT1, "\tmin receivefile size = 16384\n")
	for _, io := range []int{64 << 10, 1 << 20} {
		smb1RoundTrip(t, pr, io, 8<<20)
	}
}

// TestSMB1SambaDefaultsLimit: smbd with its defaults takes pipelined
// 64 KiB WRITE_ANDX but drops the connection when four 1 MiB ones are
// outstanding, which is why the bench skips write-1m-nt1 for the samba
// (defaults) server.
func TestSMB1SambaDefaultsLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts smbd")
	}
	pr := startSmbd(t, SMB1NT1)
	smb1RoundTrip(t, pr, 64<<10, 1<<20)
	c, err := dialSMB1(ClientConfig{Addr: pr.addr, Share: "share", User: pr.user, Password: pr.pass})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if err := c.open("big.bin", true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.transfer(true, 0, 4<<20, 1<<20, 4); err == nil {
		t.Fatal("smbd with its defaults took a 1 MiB WRITE_ANDX; drop the skip in Run")
	}
	if sambaRefuses(ServerSamba, Case{Write: true, IO: 1 << 20, Prot: SMB1NT1}) == "" {
		t.Fatal("Run does not skip write-1m-nt1 on samba")
	}
}

// TestSMB1ClientRefusedWithoutSMB1: a zerosmb without SMB1 does not let the
// SMB1 client log on.
func TestSMB1ClientRefusedWithoutSMB1(t *testing.T) {
	pr := startZeroSMB(t, Unprotected, false)
	if c, err := dialSMB1(ClientConfig{Addr: pr.addr, Share: "share", User: pr.user, Password: pr.pass}); err == nil {
		c.close()
		t.Fatal("SMB1 logon succeeded against a server without SMB1")
	}
}
