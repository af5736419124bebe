package smb2

import (
	"encoding/binary"
	"errors"
	"testing"
)

func TestDecodeQueryDirectoryRequest(t *testing.T) {
	le := binary.LittleEndian
	b := make([]byte, 32)
	le.PutUint16(b, 33)
	b[2] = FileIDBothDirectoryInformation
	b[3] = QueryDirRestartScans
	FileID{1, 2}.Put(b[8:])
	pat := AppendUTF16(nil, "*.txt")
	le.PutUint16(b[24:], 96)
	le.PutUint16(b[26:], uint16(len(pat)))
	le.PutUint32(b[28:], 65536)
	b = append(b, pat...)
	r, err := DecodeQueryDirectoryRequest(wireMsg(QueryDirectory, b))
	if err != nil {
		t.Fatal(err)
	}
	if r.FileInformationClass != 37 || r.Flags != QueryDirRestartScans || r.FileID != (FileID{1, 2}) ||
		r.FileName != "*.txt" || r.OutputBufferLength != 65536 {
		t.Errorf("%+v", r)
	}
	le.PutUint16(b[26:], uint16(len(pat)+2))
	if _, err := DecodeQueryDirectoryRequest(wireMsg(QueryDirectory, b)); !errors.Is(err, ErrMalformed) {
		t.Errorf("pattern past end: %v", err)
	}
}

func TestAppendDirEntryLayouts(t *testing.T) {
	e := DirEntry{
		FileIndex: 5, CreationTime: 1, LastAccessTime: 2, LastWriteTime: 3, ChangeTime: 4,
		EndOfFile: 1000, AllocationSize: 4096, FileAttributes: FileAttributeArchive,
		EaSize: 0, FileID: 0x1122334455, ReparseTag: 0xA000000C, Name: "abc.txt", ShortName: "ABC.TXT",
	}
	le := binary.LittleEndian
	nameLen := 14
	tests := []struct {
		class   uint8
		nameOff int
		check   func(t *testing.T, b []byte)
	}{
		{FileDirectoryInformation, 64, nil},
		{FileFullDirectoryInformation, 68, nil},
		{FileBothDirectoryInformation, 94, func(t *testing.T, b []byte) {
			if b[68] != 14 || DecodeUTF16(b[70:84]) != "ABC.TXT" {
				t.Errorf("short name % x", b[68:94])
			}
		}},
		{FileNamesInformation, 12, func(t *testing.T, b []byte) {
			if le.Uint32(b[8:]) != uint32(nameLen) {
				t.Errorf("names: length %d", le.Uint32(b[8:]))
			}
		}},
		{FileIDBothDirectoryInformation, 104, func(t *testing.T, b []byte) {
			if le.Uint64(b[96:]) != 0x1122334455 || b[68] != 14 {
				t.Errorf("id both: id %#x", le.Uint64(b[96:]))
			}
		}},
		{FileIDExtdDirectoryInformation, 88, func(t *testing.T, b []byte) {
			if le.Uint32(b[68:]) != 0xA000000C || le.Uint64(b[72:]) != 0x1122334455 || le.Uint64(b[80:]) != 0 {
				t.Errorf("id extd % x", b[64:88])
			}
		}},
		{FileIDFullDirectoryInformation, 80, func(t *testing.T, b []byte) {
			if le.Uint64(b[72:]) != 0x1122334455 {
				t.Errorf("id full: id %#x", le.Uint64(b[72:]))
			}
		}},
	}
	for _, tt := range tests {
		b := AppendDirEntry(nil, tt.class, &e)
		want := (tt.nameOff + nameLen + 7) &^ 7
		if len(b) != want || int(le.Uint32(b)) != want {
			t.Errorf("class %d: len %d next %d, want %d", tt.class, len(b), le.Uint32(b), want)
			continue
		}
		if le.Uint32(b[4:]) != 5 {
			t.Errorf("class %d: FileIndex %d", tt.class, le.Uint32(b[4:]))
		}
		if got := DecodeUTF16(b[tt.nameOff : tt.nameOff+nameLen]); got != "abc.txt" {
			t.Errorf("class %d: name %q", tt.class, got)
		}
		if tt.class != FileNamesInformation {
			if le.Uint64(b[8:]) != 1 || le.Uint64(b[32:]) != 4 || le.Uint64(b[40:]) != 1000 ||
				le.Uint64(b[48:]) != 4096 || le.Uint32(b[56:]) != FileAttributeArchive || le.Uint32(b[60:]) != uint32(nameLen) {
				t.Errorf("class %d: common fields % x", tt.class, b[:64])
			}
		}
		if tt.check != nil {
			tt.check(t, b)
		}
	}
	if b := AppendDirEntry([]byte{1}, 99, &e); len(b) != 1 {
		t.Errorf("unknown class appended %d bytes", len(b)-1)
	}
}

func TestDirListWriter(t *testing.T) {
	e := DirEntry{Name: "a"} // FileDirectoryInformation: 66 bytes, 72 padded
	w := NewDirListWriter(nil, FileDirectoryInformation, 72+66)
	if !w.Add(&e) || !w.Add(&e) {
		t.Fatal("two entries should fit")
	}
	if w.Add(&e) {
		t.Fatal("third entry should not fit")
	}
	b := w.Bytes()
	le := binary.LittleEndian
	if w.Len() != 2 || len(b) != 72+66 {
		t.Fatalf("len %d entries %d", len(b), w.Len())
	}
	if le.Uint32(b) != 72 || le.Uint32(b[72:]) != 0 {
		t.Errorf("next offsets %d %d", le.Uint32(b), le.Uint32(b[72:]))
	}
	empty := NewDirListWriter(make([]byte, 10), FileDirectoryInformation, 10)
	if empty.Add(&e) || len(empty.Bytes()) != 0 {
		t.Error("entry must not fit in 10 bytes")
	}
}

func TestAppendOutputResponse(t *testing.T) {
	b := AppendOutputResponse(nil, nil)
	if len(b) != 9 || b[0] != 9 || binary.LittleEndian.Uint16(b[2:]) != 72 || binary.LittleEndian.Uint32(b[4:]) != 0 {
		t.Errorf("empty: % x", b)
	}
	b = AppendOutputResponse(nil, []byte{1, 2, 3})
	if len(b) != 11 || binary.LittleEndian.Uint32(b[4:]) != 3 || b[8] != 1 {
		t.Errorf("3 bytes: % x", b)
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "anything.txt", true},
		{"*.*", "noext", true},
		{"", "x", true},
		{"*", "", false},
		{"", "", true},
		{"a", "", false},
		{"readme.TXT", "README.txt", true},
		{"readme.txt", "readme.md", false},
		{"*.txt", "a.TXT", true},
		{"*.txt", "a.txt.bak", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"?", "ab", false},
		{"??", "ab", true},
		{"a?c", "abc", true},
		{"ÄB*", "äbc", true},
		// DOS_STAR stops at the last '.'.
		{`<.txt`, "a.b.txt", true},
		{`<`, "noext", true},
		{`<`, "a.b", false},
		{`<"`, "noext", true}, // "*." : names without extension
		{`<"`, "a.b", false},
		{`<.<`, "a.b.c", true},
		// DOS_QM matches one char, or nothing at '.' or the end.
		{`a>>.txt`, "a.txt", true},
		{`a>>.txt`, "abc.txt", true},
		{`a>>.txt`, "abcd.txt", false},
		{`file.>>>`, "file.c", true},
		{`file.>>>`, "file.", true},
		{`file.>>>`, "file.cppx", false},
		// DOS_DOT matches '.' or nothing at the end.
		{`foo"`, "foo", true},
		{`foo"`, "foo.", true},
		{`foo"bar`, "foo.bar", true},
		{`foo"bar`, "fooxbar", false},
		{`**a**`, "bab", true},
	}
	for _, tt := range tests {
		if got := MatchPattern(tt.pattern, tt.name); got != tt.want {
			t.Errorf("MatchPattern(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}
