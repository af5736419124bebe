//go:build unix

package server

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// rawLinkInfo is a FILE_LINK_INFORMATION buffer (SMB2 layout).
func rawLinkInfo(replace bool, name string) []byte {
	b := make([]byte, 20)
	if replace {
		b[0] = 1
	}
	n := smb2.AppendUTF16(nil, name)
	le.PutUint32(b[16:], uint32(len(n)))
	return append(b, n...)
}

// TestHardLink drives SET_INFO FileLinkInformation over raw frames and
// checks Windows' replace-if-exists rules and the files on disk.
func TestHardLink(t *testing.T) {
	hs := startHostile(t)
	dir := hs.Dir
	os.WriteFile(filepath.Join(dir, "a"), []byte("hello"), 0o644)
	os.WriteFile(filepath.Join(dir, "c"), []byte("old c"), 0o644)
	os.WriteFile(filepath.Join(dir, "busy"), []byte("open"), 0o644)
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	c := rawSession(t, hs.Addr)
	id, st := c.create("a", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("open a: %v", st)
	}
	link := func(what string, replace bool, name string, want smb2.Status) {
		t.Helper()
		c.expectStatus(what, smb2.SetInfo, fuzzSetInfo(id, smb2.FileLinkInformation, rawLinkInfo(replace, name)), nil, want)
	}
	link("new name", false, "b", smb2.StatusSuccess)
	var sa, sb syscall.Stat_t
	syscall.Stat(filepath.Join(dir, "a"), &sa)
	if err := syscall.Stat(filepath.Join(dir, "b"), &sb); err != nil || sa.Ino != sb.Ino || sb.Nlink != 2 {
		t.Errorf("b: %v, ino %d vs %d, nlink %d", err, sb.Ino, sa.Ino, sb.Nlink)
	}
	link("existing, no replace", false, "c", smb2.StatusObjectNameCollision)
	link("existing, other case, no replace", false, "C", smb2.StatusObjectNameCollision)
	if b, _ := os.ReadFile(filepath.Join(dir, "c")); string(b) != "old c" {
		t.Errorf("c changed without replace: %q", b)
	}
	link("existing, replace", true, "C", smb2.StatusSuccess)
	if b, _ := os.ReadFile(filepath.Join(dir, "c")); string(b) != "hello" {
		t.Errorf("c after replace: %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*zerosmb-link*")); len(m) != 0 {
		t.Errorf("temporary names left: %v", m)
	}
	link("onto another name of itself", true, "b", smb2.StatusSuccess)
	link("onto itself, no replace", false, "a", smb2.StatusObjectNameCollision)
	link("onto a directory", true, "d", smb2.StatusAccessDenied)
	bid, st := c.create("busy", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("open busy: %v", st)
	}
	link("onto an open file", true, "busy", smb2.StatusAccessDenied)
	c.expectStatus("close busy", smb2.Close, rawClose(bid), nil, smb2.StatusSuccess)
	link("missing parent", false, `nope\x`, smb2.StatusObjectPathNotFound)
	link("bad length", false, "", smb2.StatusObjectNameInvalid)
	did, st := c.create("d", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("open d: %v", st)
	}
	c.expectStatus("link a directory", smb2.SetInfo, fuzzSetInfo(did, smb2.FileLinkInformation, rawLinkInfo(false, "d2")), nil, smb2.StatusFileIsADirectory)
	ex := rawLinkInfo(false, "e")
	le.PutUint32(ex, smb2.FileLinkReplaceIfExists)
	c.expectStatus("Ex class", smb2.SetInfo, fuzzSetInfo(id, smb2.FileLinkInformationEx, ex), nil, smb2.StatusSuccess)
	if b, _ := os.ReadFile(filepath.Join(dir, "e")); string(b) != "hello" {
		t.Errorf("e: %q", b)
	}
}
