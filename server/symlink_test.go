package server

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// posixRawSession is a raw anonymous session on share with the POSIX
// extensions negotiated.
func posixRawSession(t *testing.T, addr string) *rawConn {
	c := dialRaw(t, addr)
	if r := c.call(smb2.Negotiate, rawNegotiatePosix(), nil); r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("NEGOTIATE %v", r.hdr.Status)
	}
	c.anonLogon()
	c.treeConnect("share")
	return c
}

func createdID(body []byte) smb2.FileID {
	return smb2.FileID{Persistent: le.Uint64(body[64:]), Volatile: le.Uint64(body[72:])}
}

// TestPosixSymlinks: over the POSIX extensions a symlink inside the
// share is a reparse point — STATUS_STOPPED_ON_SYMLINK with the symbolic
// link error response on a plain open, the link itself with
// FILE_OPEN_REPARSE_POINT (reparse attribute and tag in
// FILE_POSIX_INFORMATION, FSCTL_GET_REPARSE_POINT, delete removes the
// link and not the target), the link in a POSIX listing. A link out of
// the share is never shown nor followed, and non-POSIX opens keep
// following links inside the share.
func TestPosixSymlinks(t *testing.T) {
	hs := startHostile(t)
	os.Mkdir(filepath.Join(hs.Dir, "d"), 0o755)
	os.WriteFile(filepath.Join(hs.Dir, "d", "target"), []byte("target data"), 0o644)
	mustNil(t, os.Symlink("target", filepath.Join(hs.Dir, "d", "rel")))
	mustNil(t, os.Symlink("../d/target", filepath.Join(hs.Dir, "d", "up")))
	mustNil(t, os.Symlink(filepath.Join(hs.Dir, "d", "target"), filepath.Join(hs.Dir, "abs")))
	mustNil(t, os.Symlink("/etc/passwd", filepath.Join(hs.Dir, "out")))
	mustNil(t, os.Symlink("../../etc/passwd", filepath.Join(hs.Dir, "d", "climb")))
	c := posixRawSession(t, hs.Addr)

	for _, tc := range []struct{ name, want string }{
		{`d\rel`, "target"}, {`d\up`, `..\d\target`}, {"abs", `d\target`},
	} {
		r := c.call(smb2.Create, rawCreatePosix(tc.name, rawDispOpen, 0, 0), nil)
		if r.hdr.Status != smb2.StatusStoppedOnSymlink || len(r.body) < 8 {
			t.Fatalf("%s: %v, want STATUS_STOPPED_ON_SYMLINK", tc.name, r.hdr.Status)
		}
		if n := le.Uint32(r.body[4:]); int(n) != len(r.body)-8 {
			t.Fatalf("%s: ByteCount %d for %d bytes", tc.name, n, len(r.body)-8)
		}
		s, unparsed, err := smb2.DecodeSymlinkError(r.body[8:])
		if err != nil || s.SubstituteName != tc.want || !s.Relative || unparsed != 0 {
			t.Errorf("%s: symlink error response %+v %d %v, want %q", tc.name, s, unparsed, err, tc.want)
		}
	}
	// Out of the share: not a symlink to show, and not followed.
	for _, name := range []string{"out", `d\climb`} {
		if r := c.call(smb2.Create, rawCreatePosix(name, rawDispOpen, 0, 0), nil); r.hdr.Status == smb2.StatusSuccess ||
			r.hdr.Status == smb2.StatusStoppedOnSymlink {
			t.Errorf("%s (out of the share): %v", name, r.hdr.Status)
		}
	}

	// The link itself.
	r := c.call(smb2.Create, rawCreatePosix(`d\rel`, rawDispOpen, smb2.FileOpenReparsePoint, 0), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("open with FILE_OPEN_REPARSE_POINT: %v", r.hdr.Status)
	}
	if r.body[3]&smb2.CreateFlagReparsePoint == 0 || le.Uint32(r.body[56:])&smb2.FileAttributeReparsePoint == 0 {
		t.Errorf("CREATE response flags %#x attributes %#x", r.body[3], le.Uint32(r.body[56:]))
	}
	id := createdID(r.body)
	q := c.call(smb2.QueryInfo, fuzzQueryInfo(id, smb2.InfoFile, smb2.FilePosixInformation), nil)
	if q.hdr.Status != smb2.StatusSuccess || len(q.body) < 8 {
		t.Fatalf("QUERY_INFO class 100 of the link: %v", q.hdr.Status)
	}
	fi, pi, _, err := smb2.DecodeFilePosixInfo(q.body[8:])
	if err != nil || pi.ReparseTag != smb2.IOReparseTagSymlink || fi.FileAttributes&smb2.FileAttributeReparsePoint == 0 {
		t.Errorf("FILE_POSIX_INFORMATION of the link: %+v %+v %v", fi, pi, err)
	}
	g := c.call(smb2.Ioctl, fuzzIoctl(id, smb2.FsctlGetReparsePoint, nil), nil)
	if g.hdr.Status != smb2.StatusSuccess || len(g.body) < 48 {
		t.Fatalf("FSCTL_GET_REPARSE_POINT: %v", g.hdr.Status)
	}
	out := g.body[le.Uint32(g.body[32:])-smb2.HeaderSize:]
	if s, err := smb2.DecodeSymlinkReparse(out[:le.Uint32(g.body[36:])]); err != nil || s.SubstituteName != "target" {
		t.Errorf("reparse buffer %+v %v", s, err)
	}
	if rd := c.call(smb2.Read, rawRead(id, 0, 16), nil); rd.hdr.Status == smb2.StatusSuccess {
		t.Error("READ of a link opened as a reparse point succeeded")
	}
	c.call(smb2.Close, rawClose(id), nil)
	if _, st := c.create(`d\target`, rawDispOpen); st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	// A regular file is no reparse point.
	fid, _ := c.create(`d\target`, rawDispOpen)
	c.expectStatus("FSCTL_GET_REPARSE_POINT of a file", smb2.Ioctl, fuzzIoctl(fid, smb2.FsctlGetReparsePoint, nil), nil, smb2.StatusNotAReparsePoint)

	// The POSIX listing shows the link as a reparse point.
	did, st := c.create("d", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	body := rawQueryDir(did, "rel", 4096)
	body[2] = smb2.FilePosixInformation
	l := c.call(smb2.QueryDirectory, body, nil)
	if l.hdr.Status != smb2.StatusSuccess || len(l.body) < 16 {
		t.Fatalf("QUERY_DIRECTORY class 100: %v", l.hdr.Status)
	}
	lfi, lp, _, err := smb2.DecodeFilePosixInfo(l.body[16:])
	if err != nil || lp.ReparseTag != smb2.IOReparseTagSymlink || lfi.FileAttributes&smb2.FileAttributeReparsePoint == 0 {
		t.Errorf("listed link: %+v %+v %v", lfi, lp, err)
	}

	// Deleting the link (as the Linux client unlinks: open the reparse
	// point with DELETE and delete-on-close) leaves the target.
	del := rawCreatePosix(`d\rel`, rawDispOpen, smb2.FileOpenReparsePoint|smb2.FileDeleteOnClose, 0)
	le.PutUint32(del[24:], 0x00010080) // DELETE | FILE_READ_ATTRIBUTES
	r = c.call(smb2.Create, del, nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("delete-on-close open of the link: %v", r.hdr.Status)
	}
	c.call(smb2.Close, rawClose(createdID(r.body)), nil)
	if _, err := os.Lstat(filepath.Join(hs.Dir, "d", "rel")); !os.IsNotExist(err) {
		t.Errorf("link still there: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(hs.Dir, "d", "target")); err != nil || string(b) != "target data" {
		t.Errorf("target after deleting the link: %q %v", b, err)
	}

	// Without the POSIX extensions a link inside the share is followed.
	plain := rawSession(t, hs.Addr)
	pid, st := plain.create(`d\up`, rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("plain open through a link: %v", st)
	}
	if rd := plain.call(smb2.Read, rawRead(pid, 0, 64), nil); rd.hdr.Status != smb2.StatusSuccess ||
		!bytes.Contains(rd.body, []byte("target data")) {
		t.Errorf("plain READ through a link: %v", rd.hdr.Status)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSetReparsePointSymlink: FSCTL_SET_REPARSE_POINT with a relative
// IO_REPARSE_TAG_SYMLINK buffer on a new empty file (as Windows and
// newer Linux clients create symlinks) leaves a symlink on disk that a
// POSIX open then reports; absolute or climbing targets, other tags,
// files with data and malformed buffers are refused.
func TestSetReparsePointSymlink(t *testing.T) {
	hs := startHostile(t)
	os.WriteFile(filepath.Join(hs.Dir, "target"), []byte("data"), 0o644)
	c := rawSession(t, hs.Addr)
	set := func(name string, s smb2.Symlink, in []byte) smb2.Status {
		t.Helper()
		id, st := c.create(name, 3) // FILE_OPEN_IF
		if st != smb2.StatusSuccess {
			t.Fatalf("create %s: %v", name, st)
		}
		defer c.call(smb2.Close, rawClose(id), nil)
		if in == nil {
			in = smb2.AppendSymlinkReparse(nil, s)
		}
		return c.call(smb2.Ioctl, fuzzIoctl(id, smb2.FsctlSetReparsePoint, in), nil).hdr.Status
	}
	if st := set("link", smb2.Symlink{SubstituteName: "target", PrintName: "target", Relative: true}, nil); st != smb2.StatusSuccess {
		t.Fatalf("FSCTL_SET_REPARSE_POINT: %v", st)
	}
	if tgt, err := os.Readlink(filepath.Join(hs.Dir, "link")); err != nil || tgt != "target" {
		t.Fatalf("on disk: %q %v", tgt, err)
	}
	other := smb2.AppendSymlinkReparse(nil, smb2.Symlink{SubstituteName: "x", Relative: true})
	le.PutUint32(other, 0x80000023) // IO_REPARSE_TAG_NFS
	os.WriteFile(filepath.Join(hs.Dir, "full"), []byte("data"), 0o644)
	for _, tc := range []struct {
		name string
		s    smb2.Symlink
		in   []byte
		want smb2.Status
	}{
		{"abs", smb2.Symlink{SubstituteName: `\??\C:\x`}, nil, smb2.StatusAccessDenied},
		{"climb", smb2.Symlink{SubstituteName: `..\..\etc\passwd`, Relative: true}, nil, smb2.StatusAccessDenied},
		{"nfs", smb2.Symlink{}, other, smb2.StatusIOReparseTagNotHandled},
		{"short", smb2.Symlink{}, []byte{0x0C, 0, 0, 0xA0, 0, 0, 0, 0}, smb2.StatusIOReparseDataInvalid},
		{"full", smb2.Symlink{SubstituteName: "target", Relative: true}, nil, smb2.StatusIOReparseDataInvalid},
	} {
		if st := set(tc.name, tc.s, tc.in); st != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, st, tc.want)
		}
		if fi, err := os.Lstat(filepath.Join(hs.Dir, tc.name)); err != nil || fi.Mode()&os.ModeSymlink != 0 {
			t.Errorf("%s: left %v %v", tc.name, fi, err)
		}
	}
	p := posixRawSession(t, hs.Addr)
	if r := p.call(smb2.Create, rawCreatePosix("link", rawDispOpen, 0, 0), nil); r.hdr.Status != smb2.StatusStoppedOnSymlink {
		t.Errorf("POSIX open of the new link: %v", r.hdr.Status)
	}
}

// TestPosixStatfs: FILE_SYSTEM_POSIX_INFO (file system class 100), the
// only statfs the Linux client sends on a posix mount, reports the
// volume in blocks; without the POSIX extensions the class is refused.
func TestPosixStatfs(t *testing.T) {
	hs := startHostile(t)
	c := posixRawSession(t, hs.Addr)
	did, st := c.create("", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	q := c.call(smb2.QueryInfo, fuzzQueryInfo(did, smb2.InfoFilesystem, smb2.FileFsPosixInformation), nil)
	if q.hdr.Status != smb2.StatusSuccess || len(q.body) < 8+smb2.FsPosixInfoSize {
		t.Fatalf("FS class 100: %v (%d bytes)", q.hdr.Status, len(q.body))
	}
	p, err := smb2.DecodeFsPosixInfo(q.body[8:])
	if err != nil || p.BlockSize == 0 || p.TotalBlocks == 0 || p.BlocksAvail > p.TotalBlocks ||
		p.TotalFileNodes != ^uint64(0) {
		t.Errorf("FILE_SYSTEM_POSIX_INFO %+v %v", p, err)
	}
	plain := rawSession(t, hs.Addr)
	pid, _ := plain.create("", rawDispOpen)
	plain.expectStatus("FS class 100 without POSIX", smb2.QueryInfo,
		fuzzQueryInfo(pid, smb2.InfoFilesystem, smb2.FileFsPosixInformation), nil, smb2.StatusInvalidInfoClass)
}

// TestPosixReadonlyChmod: on a POSIX connection the READONLY attribute
// (how the 6.1 client sends chmod a-w / u+w) changes the file's write
// bits; without the POSIX extensions it stays an attribute only.
func TestPosixReadonlyChmod(t *testing.T) {
	hs := startHostile(t)
	basic := func(attrs uint32) []byte {
		b := make([]byte, 40)
		le.PutUint32(b[32:], attrs)
		return b
	}
	c := posixRawSession(t, hs.Addr)
	r := c.call(smb2.Create, rawCreatePosix("f", rawDispCreate, 0x40, 0o644), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatal(r.hdr.Status)
	}
	id := createdID(r.body)
	mode := func() os.FileMode {
		fi, err := os.Stat(filepath.Join(hs.Dir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	c.expectStatus("set READONLY", smb2.SetInfo, rawSetInfo(id, smb2.InfoFile, smb2.FileBasicInformation, basic(smb2.FileAttributeReadonly|smb2.FileAttributeArchive)), nil, smb2.StatusSuccess)
	if m := mode(); m != 0o444 {
		t.Errorf("after READONLY: %v, want 0444", m)
	}
	c.expectStatus("clear READONLY", smb2.SetInfo, rawSetInfo(id, smb2.InfoFile, smb2.FileBasicInformation, basic(smb2.FileAttributeArchive)), nil, smb2.StatusSuccess)
	if m := mode(); m != 0o644 {
		t.Errorf("after clearing READONLY: %v, want 0644", m)
	}
	plain := rawSession(t, hs.Addr)
	pid, st := plain.create("f", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	plain.expectStatus("plain READONLY", smb2.SetInfo, rawSetInfo(pid, smb2.InfoFile, smb2.FileBasicInformation, basic(smb2.FileAttributeReadonly)), nil, smb2.StatusSuccess)
	if m := mode(); m != 0o644 {
		t.Errorf("without POSIX the mode changed: %v", m)
	}
}
