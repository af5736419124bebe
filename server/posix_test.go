package server

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// rawNegotiatePosix offers 3.1.1 with the preauth and POSIX contexts.
func rawNegotiatePosix() []byte {
	b := rawNegotiate311()
	le.PutUint16(b[32:], 2)
	for (smb2.HeaderSize+len(b))%8 != 0 {
		b = append(b, 0)
	}
	b = le.AppendUint16(b, smb2.PosixExtensionsAvailable)
	b = le.AppendUint16(b, 16)
	b = append(b, 0, 0, 0, 0)
	return append(b, smb2.PosixExtensionsGUID[:]...)
}

// rawCreatePosix is rawCreate with a POSIX create context asking for mode.
func rawCreatePosix(name string, disposition, options, mode uint32) []byte {
	b := rawCreate(name, disposition)
	le.PutUint32(b[40:], options)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	ctxOff := smb2.HeaderSize + len(b)
	ctx := make([]byte, 16)
	le.PutUint16(ctx[4:], 16) // NameOffset
	le.PutUint16(ctx[6:], 16) // NameLength
	le.PutUint16(ctx[10:], 32)
	le.PutUint32(ctx[12:], 4) // DataLength
	ctx = append(ctx, smb2.PosixExtensionsGUID[:]...)
	ctx = le.AppendUint32(ctx, mode)
	le.PutUint32(b[48:], uint32(ctxOff))
	le.PutUint32(b[52:], uint32(len(ctx)))
	return append(b, ctx...)
}

// TestPosixExtensions drives the SMB 3.1.1 POSIX extensions over raw
// frames: the negotiate context is echoed, a POSIX create applies its
// mode and answers with the POSIX context, names are case-sensitive, and
// QUERY_INFO / QUERY_DIRECTORY class 100 report mode and owner.
func TestPosixExtensions(t *testing.T) {
	hs := startHostile(t)
	c := dialRaw(t, hs.Addr)
	r := c.call(smb2.Negotiate, rawNegotiatePosix(), nil)
	if r.hdr.Status != smb2.StatusSuccess || !bytes.Contains(r.body, smb2.PosixExtensionsGUID[:]) {
		t.Fatalf("NEGOTIATE %v: POSIX context not answered", r.hdr.Status)
	}
	c.anonLogon()
	c.treeConnect("share")
	os.WriteFile(filepath.Join(hs.Dir, "Exists"), []byte("x"), 0o644)

	r = c.call(smb2.Create, rawCreatePosix("m751", rawDispCreate, 0x40, 0o751), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("POSIX create: %v", r.hdr.Status)
	}
	if fi, err := os.Stat(filepath.Join(hs.Dir, "m751")); err != nil || fi.Mode().Perm() != 0o751 {
		t.Errorf("mode on disk: %v %v", fi.Mode(), err)
	}
	i := bytes.Index(r.body, smb2.PosixExtensionsGUID[:])
	if i < 0 {
		t.Fatal("no POSIX create context in the response")
	}
	pi, err := smb2.DecodePosixCreateResponse(r.body[i+16:])
	if err != nil || pi.Mode != 0o751 || pi.HardLinks != 1 || pi.Owner != smb2.UnixUserSID(uint32(os.Getuid())) {
		t.Errorf("POSIX create response %+v %v", pi, err)
	}
	id := smb2.FileID{Persistent: le.Uint64(r.body[64:]), Volatile: le.Uint64(r.body[72:])}
	q := c.call(smb2.QueryInfo, fuzzQueryInfo(id, smb2.InfoFile, smb2.FilePosixInformation), nil)
	if q.hdr.Status != smb2.StatusSuccess || len(q.body) < 8 {
		t.Fatalf("QUERY_INFO class 100: %v", q.hdr.Status)
	}
	_, qp, _, err := smb2.DecodeFilePosixInfo(q.body[8:])
	if err != nil || qp.Mode != 0o751 {
		t.Errorf("FILE_POSIX_INFORMATION %+v %v", qp, err)
	}
	// Case-sensitive: "exists" is a new file beside "Exists".
	r = c.call(smb2.Create, rawCreatePosix("exists", rawDispCreate, 0x40, 0o600), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Errorf("POSIX create of a name differing in case: %v", r.hdr.Status)
	}
	if _, err := os.Stat(filepath.Join(hs.Dir, "exists")); err != nil {
		t.Errorf("no second file: %v", err)
	}
	// Without the create context the lookup stays case-insensitive.
	if _, st := c.create("EXISTS", rawDispCreate); st != smb2.StatusObjectNameCollision {
		t.Errorf("plain create of EXISTS: %v", st)
	}
	did, st := c.create("", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	body := rawQueryDir(did, "m751", 4096)
	body[2] = smb2.FilePosixInformation
	l := c.call(smb2.QueryDirectory, body, nil)
	if l.hdr.Status != smb2.StatusSuccess || len(l.body) < 8+8 {
		t.Fatalf("QUERY_DIRECTORY class 100: %v", l.hdr.Status)
	}
	_, dp, _, err := smb2.DecodeFilePosixInfo(l.body[8+8:])
	if err != nil || dp.Mode != 0o751 || !bytes.Contains(l.body, smb2.AppendUTF16(nil, "m751")) {
		t.Errorf("listed %+v %v", dp, err)
	}
}

// TestPosixOffByDefault: without the negotiate context class 100 is
// refused and the context is not answered.
func TestPosixOffByDefault(t *testing.T) {
	hs := startHostile(t)
	c := rawSession(t, hs.Addr)
	did, st := c.create("", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	c.expectStatus("QUERY_INFO class 100", smb2.QueryInfo, fuzzQueryInfo(did, smb2.InfoFile, smb2.FilePosixInformation), nil, smb2.StatusInvalidInfoClass)
	body := rawQueryDir(did, "*", 4096)
	body[2] = smb2.FilePosixInformation
	c.expectStatus("QUERY_DIRECTORY class 100", smb2.QueryDirectory, body, nil, smb2.StatusInvalidInfoClass)
}

// TestPosixRefused: with Config.NoPosixExtensions the context is not
// answered even when offered.
func TestPosixRefused(t *testing.T) {
	dir := t.TempDir()
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	ts := serveConfig(t, Config{Shares: []*Share{{Name: "share", FS: fsys, Guest: true, Path: dir}},
		NoPosixExtensions: true, Logger: testLogger(t)}, dir)
	c := dialRaw(t, ts.Addr)
	r := c.call(smb2.Negotiate, rawNegotiatePosix(), nil)
	if r.hdr.Status != smb2.StatusSuccess || bytes.Contains(r.body, smb2.PosixExtensionsGUID[:]) {
		t.Errorf("NEGOTIATE %v: POSIX context answered although refused", r.hdr.Status)
	}
}
