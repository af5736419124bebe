package server

import (
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// TestSMB1CoreCommands drives the core commands over a raw connection:
// CREATE_NEW, WRITE (a zero-byte WRITE truncates), READ, SEEK, CLOSE with
// a last write time, QUERY_INFORMATION, OPEN (an impossible mode is the
// DOS error ERRbadaccess), CREATE_TEMPORARY and WRITE_AND_CLOSE.
func TestSMB1CoreCommands(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	path := func(name string) []byte { return append(append([]byte{4}, smb2.AppendUTF16(nil, name)...), 0, 0) }
	w16 := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = le.AppendUint16(b, uint16(v))
		}
		return b
	}
	fidOf := func(r s1Resp) uint16 { return le.Uint16(r.blk.Words) }

	r := c.expect("create new", c.s1Msg(smb1.ComCreateNew, w16(0, 0, 0), path(`core.txt`)), smb2.StatusSuccess)
	fid := fidOf(r)
	c.expect("create new again", c.s1Msg(smb1.ComCreateNew, w16(0, 0, 0), path(`core.txt`)), smb2.StatusObjectNameCollision)

	write := func(off uint32, data string) s1Resp {
		return c.s1Call(c.s1Msg(smb1.ComWrite, w16(uint32(fid), uint32(len(data)), off, off>>16, 0),
			append([]byte{1, byte(len(data)), byte(len(data) >> 8)}, data...)))
	}
	read := func(off uint32, n int) string {
		r := c.expect("read", c.s1Msg(smb1.ComRead, w16(uint32(fid), uint32(n), off, off>>16, 0), nil), smb2.StatusSuccess)
		b := r.blk.Bytes
		if len(b) < 3 || b[0] != 1 || int(le.Uint16(b[1:])) != len(b)-3 || int(le.Uint16(r.blk.Words)) != len(b)-3 {
			t.Fatalf("READ response bytes % x", b)
		}
		return string(b[3:])
	}
	if r := write(0, "hello"); le.Uint16(r.blk.Words) != 5 {
		t.Fatalf("WRITE wrote %d", le.Uint16(r.blk.Words))
	}
	if got := read(0, 100); got != "hello" {
		t.Errorf("READ = %q", got)
	}
	write(2, "") // truncate at 2
	if got := read(0, 100); got != "he" {
		t.Errorf("READ after a zero-byte WRITE = %q", got)
	}
	seek := func(mode, off uint32) uint32 {
		r := c.expect("seek", c.s1Msg(smb1.ComSeek, w16(uint32(fid), mode, off, off>>16), nil), smb2.StatusSuccess)
		return le.Uint32(r.blk.Words)
	}
	if got := seek(2, 0); got != 2 {
		t.Errorf("SEEK to the end = %d", got)
	}
	if got := seek(0, 0xFFFFFFFF); got != 0xFFFFFFFF {
		t.Errorf("SEEK to -1 = %#x (wraps as Windows)", got)
	}
	const mtime = 1500000000
	c.expect("close", c.s1Msg(smb1.ComClose, w16(uint32(fid), mtime&0xFFFF, mtime>>16), nil), smb2.StatusSuccess)
	c.expect("close again", c.s1Msg(smb1.ComClose, w16(uint32(fid), 0, 0), nil), smb2.StatusInvalidHandle)
	r = c.expect("getatr", c.s1Msg(smb1.ComQueryInformation, nil, path(`core.txt`)), smb2.StatusSuccess)
	if got := le.Uint32(r.blk.Words[2:]); got != mtime {
		t.Errorf("last write time %d after CLOSE set %d", got, mtime)
	}

	r = c.s1Call(c.s1Msg(smb1.ComOpen, w16(0x0007, 0), path(`core.txt`)))
	if r.hdr.Status != 0x000C0001 || r.hdr.Flags2&smb1.Flags2NTStatus != 0 {
		t.Errorf("OPEN with access mode 7: status %#x flags2 %#x, want ERRDOS:ERRbadaccess", r.hdr.Status, r.hdr.Flags2)
	}
	r = c.expect("open", c.s1Msg(smb1.ComOpen, w16(0x0042, 0), path(`core.txt`)), smb2.StatusSuccess)
	if len(r.blk.Words) != 14 || le.Uint32(r.blk.Words[8:]) != 2 || le.Uint16(r.blk.Words[12:]) != 0x42 {
		t.Errorf("OPEN response words % x", r.blk.Words)
	}
	fid = fidOf(r)
	// WRITE_AND_CLOSE: 3 bytes at 2, then the FID is gone.
	wc := c.s1Msg(smb1.ComWriteAndClose, w16(uint32(fid), 3, 2, 0, 0, 0), []byte{0, 'a', 'b', 'c'})
	if r := c.expect("write and close", wc, smb2.StatusSuccess); le.Uint16(r.blk.Words) != 3 {
		t.Errorf("WRITE_AND_CLOSE wrote %d", le.Uint16(r.blk.Words))
	}
	c.expect("closed by WRITE_AND_CLOSE", c.s1Msg(smb1.ComClose, w16(uint32(fid), 0, 0), nil), smb2.StatusInvalidHandle)
	r = c.expect("getatr", c.s1Msg(smb1.ComQueryInformation, nil, path(`core.txt`)), smb2.StatusSuccess)
	if got := le.Uint32(r.blk.Words[6:]); got != 5 {
		t.Errorf("size %d after WRITE_AND_CLOSE, want 5", got)
	}

	r = c.expect("ctemp", c.s1Msg(smb1.ComCreateTemporary, w16(0, 0, 0), path(``)), smb2.StatusSuccess)
	if name := string(r.blk.Bytes); !strings.HasPrefix(name, "TMP") || !strings.HasSuffix(name, "\x00") {
		t.Errorf("CREATE_TEMPORARY name %q", name)
	}
}
