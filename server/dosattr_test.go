//go:build linux

package server

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"
	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
	"github.com/zerosmb/zerosmb/vfs/memfs"
)

// rawBasicInfo is a FILE_BASIC_INFORMATION setting the creation time
// btime (0: unchanged) and the attributes attrs.
func rawBasicInfo(btime uint64, attrs uint32) []byte {
	b := make([]byte, 40)
	le.PutUint64(b, btime)
	le.PutUint32(b[32:], attrs)
	return b
}

// goStat is the go-smb2 FileStat of name.
func goStat(t *testing.T, fs *gosmb2.Share, name string) *gosmb2.FileStat {
	t.Helper()
	fi, err := fs.Stat(name)
	if err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	return fi.(*gosmb2.FileStat)
}

// TestDOSAttribPersist sets HIDDEN|READONLY and a creation time through
// SMB2, then checks them with go-smb2 through a hard link made over SMB2
// and one made on the backing directory, in a directory listing, after
// a server restart on the same directory, and that an overwrite resets
// them.
// xattrTempDir returns a temporary directory whose file system takes
// user xattrs, or skips the test.
func xattrTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Setxattr(dir, "user.test", []byte("x"), 0); err != nil {
		t.Skipf("no user xattrs on the temp dir: %v", err)
	}
	return dir
}

func TestDOSAttribPersist(t *testing.T) {
	dir := xattrTempDir(t)
	hs := serveGuestLogged(t, dir, slog.LevelWarn, nil, testUser)
	fs := dialGo(t, hs.testServer)
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	btime := smb2.FileTime(time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	const set = smb2.FileAttributeHidden | smb2.FileAttributeReadonly
	c := rawSession(t, hs.Addr)
	id, st := c.create("f", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("open f: %v", st)
	}
	c.expectStatus("set attributes and creation time", smb2.SetInfo,
		rawSetInfo(id, smb2.InfoFile, smb2.FileBasicInformation, rawBasicInfo(btime, set)), nil, smb2.StatusSuccess)
	c.expectStatus("SMB2 hard link", smb2.SetInfo, fuzzSetInfo(id, smb2.FileLinkInformation, rawLinkInfo(false, "h")), nil, smb2.StatusSuccess)
	c.expectStatus("close f", smb2.Close, rawClose(id), nil, smb2.StatusSuccess)
	if err := os.Link(filepath.Join(dir, "f"), filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
	check := func(when string, fs *gosmb2.Share, names ...string) {
		t.Helper()
		for _, n := range names {
			s := goStat(t, fs, n)
			if s.FileAttributes&set != set || smb2.FileTime(s.CreationTime) != btime {
				t.Errorf("%s: %s: attributes %#x, creation %v; want %#x and %v", when, n, s.FileAttributes, s.CreationTime, set, smb2.TimeFromFileTime(btime))
			}
		}
		ents, err := fs.ReadDir("")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			s := e.(*gosmb2.FileStat)
			if s.FileAttributes&set != set || smb2.FileTime(s.CreationTime) != btime {
				t.Errorf("%s: listed %s: attributes %#x, creation %v", when, s.FileName, s.FileAttributes, s.CreationTime)
			}
		}
	}
	check("hard links", fs, "f", "g", "h")
	raw, err := unix.Getxattr(filepath.Join(dir, "g"), "user.zerosmb.dosattrib", make([]byte, 64))
	if err != nil || raw != 14 {
		t.Errorf("stored record: %d bytes, %v", raw, err)
	}

	hs.Stop()
	hs2 := serveGuestLogged(t, dir, slog.LevelWarn, nil, testUser)
	fs2 := dialGo(t, hs2.testServer)
	check("after restart", fs2, "f", "g", "h")

	// Overwrite resets them: clear READONLY and HIDDEN first (a hidden
	// file is overwritten only by a request asking for HIDDEN).
	c2 := rawSession(t, hs2.Addr)
	r := c2.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "g", disposition: rawDispOpen,
		access: smb2.FileWriteAttributes, share: 7}), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("open g: %v", r.hdr.Status)
	}
	id = createdID(r.body)
	c2.expectStatus("clear", smb2.SetInfo, rawSetInfo(id, smb2.InfoFile, smb2.FileBasicInformation,
		rawBasicInfo(0, smb2.FileAttributeNotContentIndexed)), nil, smb2.StatusSuccess)
	c2.expectStatus("close g", smb2.Close, rawClose(id), nil, smb2.StatusSuccess)
	if a := goStat(t, fs2, "h").FileAttributes; a != smb2.FileAttributeNotContentIndexed {
		t.Errorf("h after clearing through g: %#x", a)
	}
	w, err := fs2.Create("h") // FILE_OVERWRITE_IF
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	for _, n := range []string{"f", "g", "h"} {
		s := goStat(t, fs2, n)
		if s.FileAttributes != smb2.FileAttributeArchive || smb2.FileTime(s.CreationTime) == btime {
			t.Errorf("%s after overwrite: attributes %#x, creation %v", n, s.FileAttributes, s.CreationTime)
		}
	}
	if _, err := unix.Getxattr(filepath.Join(dir, "f"), "user.zerosmb.dosattrib", nil); err != unix.ENODATA {
		t.Errorf("record left after overwrite: %v", err)
	}
}

// TestDOSAttribCorrupt: a stored record that is truncated, of another
// version or garbage is ignored: the file shows its derived attributes.
func TestDOSAttribCorrupt(t *testing.T) {
	dir := xattrTempDir(t)
	good := smb2.DOSAttrib{Attributes: smb2.FileAttributeHidden, HasAttributes: true, CreationTime: 1}.Append(nil)
	bad := map[string][]byte{
		"truncated": good[:9],
		"version":   append([]byte{9}, good[1:]...),
		"garbage":   []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
		"empty":     {},
	}
	for n, v := range bad {
		p := filepath.Join(dir, n)
		os.WriteFile(p, []byte("x"), 0o644)
		if err := unix.Setxattr(p, "user.zerosmb.dosattrib", v, 0); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "good"), []byte("x"), 0o644)
	unix.Setxattr(filepath.Join(dir, "good"), "user.zerosmb.dosattrib", good, 0)
	hs := serveGuestLogged(t, dir, slog.LevelWarn, nil, testUser)
	fs := dialGo(t, hs.testServer)
	ents, err := fs.ReadDir("")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		s := e.(*gosmb2.FileStat)
		want := uint32(smb2.FileAttributeArchive)
		if s.FileName == "good" {
			want = smb2.FileAttributeHidden
		}
		if s.FileAttributes != want {
			t.Errorf("listed %s: %#x, want %#x", s.FileName, s.FileAttributes, want)
		}
		if a := goStat(t, fs, s.FileName).FileAttributes; a != want {
			t.Errorf("stat %s: %#x, want %#x", s.FileName, a, want)
		}
	}
}

// noXattrFS is memfs whose files keep no extended attributes: the
// server must keep DOS records in memory.
type noXattrFS struct{ *memfs.FS }

type noXattrFile struct{ vfs.File }

func (f noXattrFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	file, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return noXattrFile{file}, nil
}

// TestDOSAttribMemoryFallback: without xattrs the record is kept in
// memory by file identity, so a hard link shows it too, and it is
// forgotten when the last name goes.
func TestDOSAttribMemoryFallback(t *testing.T) {
	fsys := noXattrFS{memfs.New()}
	db := auth.NewUserDB()
	db.Add(testUser, testPass)
	ts := serveConfig(t, Config{Shares: []*Share{{Name: "mem", FS: fsys}}, Users: db, Logger: testLogger(t)}, "")
	share := dialGoAs(t, ts, testUser, testPass, "mem")
	if err := share.WriteFile("f", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := share.Chmod("f", 0o444); err != nil { // FILE_ATTRIBUTE_READONLY
		t.Fatal(err)
	}
	if err := fsys.Link("f", "g"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"f", "g"} {
		if a := goStat(t, share, n).FileAttributes; a&smb2.FileAttributeReadonly == 0 {
			t.Errorf("%s: attributes %#x, want READONLY", n, a)
		}
	}
	ns := &ts.Srv.nodes.ns
	count := func() int {
		ns.mu.Lock()
		defer ns.mu.Unlock()
		return len(ns.dos)
	}
	if n := count(); n != 1 {
		t.Errorf("%d in-memory records, want 1", n)
	}
	if err := share.Chmod("g", 0o644); err != nil {
		t.Fatal(err)
	}
	if a := goStat(t, share, "f").FileAttributes; a&smb2.FileAttributeReadonly != 0 {
		t.Errorf("f after clearing READONLY through g: %#x", a)
	}
	share.Chmod("g", 0o444)
	share.Chmod("g", 0o644)
	if err := share.Remove("f"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("%d in-memory records with one name left, want 1", n)
	}
	if err := share.Remove("g"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("%d in-memory records after the last name went, want 0", n)
	}
}

// TestDOSAttribDefaultNotStored: a file created with the default
// attributes gets no stored record (no xattr, so no extra inode space).
func TestDOSAttribDefaultNotStored(t *testing.T) {
	dir := xattrTempDir(t)
	hs := serveGuestLogged(t, dir, slog.LevelWarn, nil, testUser)
	share := dialGo(t, hs.testServer)
	if err := share.WriteFile("n", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := share.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"n", "d"} {
		if _, err := unix.Getxattr(filepath.Join(dir, n), "user.zerosmb.dosattrib", nil); err != unix.ENODATA {
			t.Errorf("%s: record stored for default attributes: %v", n, err)
		}
	}
	if a := goStat(t, share, "n").FileAttributes; a != smb2.FileAttributeArchive {
		t.Errorf("n: %#x, want ARCHIVE", a)
	}
}
