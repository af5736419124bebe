package server

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
	"github.com/zerosmb/zerosmb/vfs/memfs"
)

func TestSplitStream(t *testing.T) {
	long := strings.Repeat("s", maxStreamNameLen+1)
	tests := []struct {
		in           string
		base, stream string
		st           smb2.Status
	}{
		{in: `a\b.txt`, base: `a\b.txt`},
		{in: `b.txt::$DATA`, base: `b.txt`},
		{in: `b.txt::$data`, base: `b.txt`},
		{in: `b.txt:alt`, base: `b.txt`, stream: "alt"},
		{in: `b.txt:alt:$DATA`, base: `b.txt`, stream: "alt"},
		{in: `b.txt:alt:$dAtA`, base: `b.txt`, stream: "alt"},
		{in: `dir:s`, base: `dir`, stream: "s"},
		{in: `:s`, base: ``, stream: "s"},
		{in: `b.txt:`, st: smb2.StatusObjectNameInvalid},
		{in: `b.txt:alt:$INDEX_ALLOCATION`, st: smb2.StatusObjectNameInvalid},
		{in: `b.txt::$INDEX_ALLOCATION`, st: smb2.StatusObjectNameInvalid},
		{in: `b.txt:alt:$DATA:x`, st: smb2.StatusObjectNameInvalid},
		{in: `a:b\c`, st: smb2.StatusObjectNameInvalid},
		{in: `a:b/c`, st: smb2.StatusObjectNameInvalid},
		{in: "a:b\x01", st: smb2.StatusObjectNameInvalid},
		{in: `a:b*`, st: smb2.StatusObjectNameInvalid},
		{in: `a:` + long, st: smb2.StatusObjectNameInvalid},
	}
	for _, tt := range tests {
		base, stream, st := splitStream(tt.in)
		if st != tt.st || st == smb2.StatusSuccess && (base != tt.base || stream != tt.stream) {
			t.Errorf("splitStream(%q) = %q, %q, %v; want %q, %q, %v", tt.in, base, stream, st, tt.base, tt.stream, tt.st)
		}
	}
}

func FuzzSplitStream(f *testing.F) {
	for _, s := range []string{"a", "a:b", "a:b:$DATA", "a::$DATA", "a:", ":", "a:b:c:d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		base, stream, st := splitStream(name)
		if st != smb2.StatusSuccess {
			return
		}
		if strings.ContainsAny(stream, `:\/`) || len(stream) > maxStreamNameLen {
			t.Fatalf("splitStream(%q) accepted stream %q", name, stream)
		}
		if !strings.HasPrefix(name, base) || strings.Contains(base, ":") {
			t.Fatalf("splitStream(%q) base %q", name, base)
		}
	})
}

// TestStreamFileLimits checks the in-memory stream file: reads past the
// end, growth beyond maxStreamSize (disk full), truncation.
func TestStreamFileLimits(t *testing.T) {
	fsys := memfs.New()
	f, err := fsys.OpenFile("f", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	sf, exists, st := openStreamFile(fsys, "f", "Alt")
	if st != smb2.StatusSuccess || exists {
		t.Fatalf("openStreamFile new: exists=%v %v", exists, st)
	}
	defer sf.Close()
	if _, err := sf.WriteAt([]byte("xyz"), 2); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, err := sf.ReadAt(buf, 0)
	if n != 5 || err != io.EOF || string(buf[:n]) != "\x00\x00xyz" {
		t.Errorf("ReadAt = %d %v %q", n, err, buf[:n])
	}
	if _, err := sf.WriteAt([]byte("a"), maxStreamSize); statusFromError(err) != smb2.StatusDiskFull {
		t.Errorf("growth beyond the limit: %v (%v), want DISK_FULL", err, statusFromError(err))
	}
	if err := sf.Truncate(1); err != nil {
		t.Fatal(err)
	}
	fi, err := sf.Stat()
	if err != nil || fi.Size() != 1 || fi.IsDir() {
		t.Errorf("Stat after truncate: %v, %v", fi, err)
	}
	// A second open (case-insensitive) sees the stored data.
	sf2, exists, st := openStreamFile(fsys, "f", "ALT")
	if st != smb2.StatusSuccess || !exists || sf2.stream != "Alt" || len(sf2.data) != 1 {
		t.Fatalf("reopen: exists=%v st=%v stream=%q data=%q", exists, st, sf2.stream, sf2.data)
	}
	sf2.Close()
}

// TestQueryStreams checks the FileStreamInformation encoding: the
// default stream first, then each named stream with its size.
func TestQueryStreams(t *testing.T) {
	fsys := memfs.New()
	f, err := fsys.OpenFile("f", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("base!"), 0)
	f.Close()
	for _, s := range []struct{ name, data string }{{"one", "1"}, {"two", "22"}} {
		sf, _, st := openStreamFile(fsys, "f", s.name)
		if st != smb2.StatusSuccess {
			t.Fatal(st)
		}
		if _, err := sf.WriteAt([]byte(s.data), 0); err != nil {
			t.Fatal(err)
		}
		sf.Close()
	}
	o := &open{tree: &tree{share: &Share{FS: fsys}}, name: "f", stream: "one"}
	out, st := (&conn{}).queryStreams(o, &smb2.FileInfo{})
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	type ent struct {
		name string
		size uint64
	}
	var got []ent
	le := binary.LittleEndian
	for b := out; ; {
		if len(b) < 24 {
			t.Fatalf("short entry: %x", b)
		}
		next, nl := le.Uint32(b), int(le.Uint32(b[4:]))
		u := make([]uint16, nl/2)
		for i := range u {
			u[i] = le.Uint16(b[24+2*i:])
		}
		got = append(got, ent{string(utf16.Decode(u)), le.Uint64(b[8:])})
		if next == 0 {
			break
		}
		if next%8 != 0 {
			t.Errorf("NextEntryOffset %d not 8-aligned", next)
		}
		b = b[next:]
	}
	want := []ent{{"::$DATA", 5}, {":one:$DATA", 1}, {":two:$DATA", 2}}
	if len(got) != len(want) {
		t.Fatalf("streams = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stream %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestStreamsGoSMB2 drives streams through a real client: create, write
// and read back, base data untouched, missing stream, delete.
func TestStreamsGoSMB2(t *testing.T) {
	ts := startServer(t, testOpts{})
	fs := dialGo(t, ts)
	if err := fs.WriteFile("s.txt", []byte("base"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile("s.txt:alt", []byte("hello stream"), 0o666); err != nil {
		if strings.Contains(err.Error(), "not supported") {
			t.Skip("no user xattrs in the test directory")
		}
		t.Fatal(err)
	}
	if b, err := fs.ReadFile("s.txt:alt:$DATA"); err != nil || string(b) != "hello stream" {
		t.Errorf("read stream = %q, %v", b, err)
	}
	if b, err := fs.ReadFile("S.TXT:ALT"); err != nil || string(b) != "hello stream" {
		t.Errorf("read stream (other case) = %q, %v", b, err)
	}
	if b, err := fs.ReadFile("s.txt"); err != nil || string(b) != "base" {
		t.Errorf("base after stream write = %q, %v", b, err)
	}
	if fi, err := fs.Stat("s.txt:alt"); err != nil || fi.Size() != 12 {
		t.Errorf("stat stream = %v, %v", fi, err)
	}
	if _, err := fs.Open("s.txt:missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("open missing stream: %v, want not exist", err)
	}
	// The backend keeps the stream as an attribute, not as a file.
	if _, err := os.Stat(ts.Dir + "/s.txt:alt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stream leaked into the directory: %v", err)
	}
	// A stream on a missing base creates the base file.
	if err := fs.WriteFile("new.txt:s", []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	if fi, err := fs.Stat("new.txt"); err != nil || fi.Size() != 0 || fi.IsDir() {
		t.Errorf("base created by stream create: %v, %v", fi, err)
	}
	if err := fs.Remove("s.txt:alt"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Open("s.txt:alt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("open deleted stream: %v, want not exist", err)
	}
	if b, err := fs.ReadFile("s.txt"); err != nil || string(b) != "base" {
		t.Errorf("base after stream delete = %q, %v", b, err)
	}
	if _, err := fs.Open("s.txt:x:$INDEX_ALLOCATION"); err == nil {
		t.Error("open of a non-$DATA stream type succeeded")
	}
	// Directories carry named streams but no default data stream.
	if err := fs.Mkdir("d", 0o777); err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile("d:ds", []byte("on a dir"), 0o666); err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile("d:ds"); err != nil || string(b) != "on a dir" {
		t.Errorf("read dir stream = %q, %v", b, err)
	}
	if f, err := fs.Open("d::$DATA"); err == nil {
		f.Close()
		t.Error("open of a directory's ::$DATA succeeded")
	}
}

// openStreamFile opens stream of p in fsys, a backend whose streams are
// attributes (memfs), as a CREATE would.
func openStreamFile(fsys vfs.FS, p, stream string) (*streamFile, bool, smb2.Status) {
	l, st := findStream(fsys, p, stream)
	if st != smb2.StatusSuccess {
		return nil, false, st
	}
	defer l.close()
	f, st := l.open(false)
	if st != smb2.StatusSuccess {
		return nil, false, st
	}
	return f.(*streamFile), l.exists, st
}
