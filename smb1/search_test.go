package smb1

import (
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func TestSearchRequest(t *testing.T) {
	key := make([]byte, ResumeKeySize)
	key[1] = 7
	data := append([]byte("\x04\\d\\*.*\x00\x05\x15\x00"), key...)
	msg := msgWith(ComSearch, false, func(b []byte) []byte { return block(b, []byte{10, 0, 0x16, 0}, data) })
	b, _ := DecodeBlock(msg, HeaderSize)
	r, err := DecodeSearchRequest(msg, &b, false)
	if err != nil || r.MaxCount != 10 || r.SearchAttributes != 0x16 || r.Pattern != `\d\*.*` || len(r.ResumeKey) != 21 || r.ResumeKey[1] != 7 {
		t.Fatalf("%+v %v", r, err)
	}
	// A resume key of another length, or missing, is refused.
	for _, bad := range [][]byte{[]byte("\x04a\x00\x05\x03\x00abc"), []byte("\x04a\x00"), []byte("\x04a\x00\x05\x15\x00short")} {
		msg := msgWith(ComSearch, false, func(b []byte) []byte { return block(b, []byte{10, 0, 0, 0}, bad) })
		b, _ := DecodeBlock(msg, HeaderSize)
		if _, err := DecodeSearchRequest(msg, &b, false); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	e := SearchEntry{Attrs: 0x20, Size: 5, Name: "T000-0.TXT"}
	e.ResumeKey[1] = 7
	out := AppendSearchEntry(nil, &e)
	if len(out) != SearchEntrySize || out[1] != 7 || out[21] != 0x20 || string(out[30:40]) != "T000-0.TXT" || out[42] != 0 {
		t.Errorf("entry % x", out)
	}
}

func TestIs83AndAttrsMatch(t *testing.T) {
	for name, want := range map[string]bool{"t000-0.txt": true, "..": true, "LONGNAME1.txt": false, "a.b.c": false,
		"a.text": false, "a+b": false, "README": true, "x.": false} {
		if Is83(name) != want {
			t.Errorf("Is83(%q) = %v", name, !want)
		}
	}
	cases := []struct {
		attrs  uint32
		search uint16
		want   bool
	}{
		{0x20, 0, true}, {0x10, 0, false}, {0x10, 0x10, true}, {0x02, 0x10, false},
		{0x20, 0x1010, false}, {0x10, 0x1010, true}, {0x30, 0x2010, true},
	}
	for _, c := range cases {
		if AttrsMatch(c.attrs, c.search) != c.want {
			t.Errorf("AttrsMatch(%#x, %#x) = %v", c.attrs, c.search, !c.want)
		}
	}
}

func TestFindEntries(t *testing.T) {
	in := []smb2.DirEntry{{Name: "a.txt", ShortName: "A.TXT", EndOfFile: 3, FileAttributes: 0x20, EaSize: 9, FileID: 5},
		{Name: "long name here", ShortName: "LONGNA~1", FileAttributes: 0x10}}
	var b []byte
	for i := range in {
		b = smb2.AppendDirEntry(b, smb2.FileIDBothDirectoryInformation, &in[i])
	}
	got, err := DecodeIDBothDirEntries(b)
	if err != nil || len(got) != 2 || got[0].Name != "a.txt" || got[0].EaSize != 9 || got[0].FileID != 5 ||
		got[1].ShortName != "LONGNA~1" || got[1].FileAttributes != 0x10 {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := DecodeIDBothDirEntries(b[:50]); err == nil {
		t.Error("truncated list accepted")
	}
	// The OS/2 levels: fixed part, name length byte, name, terminator.
	for _, c := range []struct {
		level   uint16
		unicode bool
		size    int
	}{{FindInfoStandard, false, 23 + 5 + 1}, {FindInfoStandard, true, 23 + 1 + 10 + 2}, {FindEASize, true, 27 + 10 + 1}} {
		e := OS2FindEntry{DirEntry: &in[0]}
		out, nameOff := AppendOS2FindEntry(nil, 0, c.level, &e, c.unicode)
		if len(out) != c.size || out[nameOff-1-btoi(c.unicode && c.level == FindInfoStandard)] == 0 {
			t.Errorf("level %d unicode %v: %d bytes (want %d), name at %d: % x", c.level, c.unicode, len(out), c.size, nameOff, out)
		}
	}
}
