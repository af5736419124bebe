package smb2

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestSymlinkReparseLayout(t *testing.T) {
	s := Symlink{SubstituteName: `a\b`, PrintName: `a\b`, Relative: true}
	b := AppendSymlinkReparse(nil, s)
	le := binary.LittleEndian
	// MS-FSCC 2.1.2.4: tag, ReparseDataLength (bytes after Reserved),
	// Reserved, SubstituteName offset/length, PrintName offset/length,
	// Flags, PathBuffer.
	want := []byte{0x0C, 0, 0, 0xA0, 24, 0, 0, 0, 0, 0, 6, 0, 6, 0, 6, 0, 1, 0, 0, 0}
	want = append(want, AppendUTF16(nil, `a\b`)...)
	want = append(want, AppendUTF16(nil, `a\b`)...)
	if !bytes.Equal(b, want) {
		t.Fatalf("reparse buffer\n got % x\nwant % x", b, want)
	}
	if int(le.Uint16(b[4:]))+8 != len(b) {
		t.Fatalf("ReparseDataLength %d for %d bytes", le.Uint16(b[4:]), len(b))
	}
	got, err := DecodeSymlinkReparse(b)
	if err != nil || got != s {
		t.Fatalf("decode: %+v %v", got, err)
	}
	if tag, err := ReparseTag(b); err != nil || tag != IOReparseTagSymlink {
		t.Fatalf("tag %#x %v", tag, err)
	}
	// Another tag, a short buffer, a name past the end: refused.
	other := append([]byte(nil), b...)
	other[0] = 0x0D
	for _, bad := range [][]byte{other, b[:19], b[:len(b)-1]} {
		if _, err := DecodeSymlinkReparse(bad); err == nil {
			t.Errorf("accepted % x", bad)
		}
	}
}

func TestSymlinkErrorLayout(t *testing.T) {
	s := Symlink{SubstituteName: `..\t`, PrintName: `..\t`, Relative: true}
	b := AppendSymlinkError(nil, s, 4)
	le := binary.LittleEndian
	if int(le.Uint32(b))+4 != len(b) {
		t.Fatalf("SymLinkLength %d for %d bytes", le.Uint32(b), len(b))
	}
	if le.Uint32(b[4:]) != 0x4C4D5953 || le.Uint32(b[8:]) != IOReparseTagSymlink {
		t.Fatalf("tags % x", b[:12])
	}
	if le.Uint16(b[14:]) != 4 || le.Uint16(b[18:]) != 8 || le.Uint32(b[24:]) != SymlinkFlagRelative {
		t.Fatalf("fields % x", b[12:28])
	}
	got, unparsed, err := DecodeSymlinkError(b)
	if err != nil || got != s || unparsed != 4 {
		t.Fatalf("decode: %+v %d %v", got, unparsed, err)
	}
	if _, _, err := DecodeSymlinkError(b[:len(b)-2]); err == nil {
		t.Fatal("truncated response accepted")
	}
}

func TestSymlinkValid(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), MaxSymlinkName/2+1))
	for _, tc := range []struct {
		s  Symlink
		ok bool
	}{
		{Symlink{SubstituteName: "a"}, true},
		{Symlink{}, false},
		{Symlink{SubstituteName: long}, false},
		{Symlink{SubstituteName: "a", PrintName: long}, false},
	} {
		if tc.s.Valid() != tc.ok {
			t.Errorf("%.20q: Valid %v", tc.s.SubstituteName, !tc.ok)
		}
	}
}

func FuzzDecodeSymlink(f *testing.F) {
	s := Symlink{SubstituteName: `dir\target`, PrintName: `dir\target`, Relative: true}
	f.Add(AppendSymlinkReparse(nil, s))
	f.Add(AppendSymlinkError(nil, s, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		ReparseTag(b)
		if got, err := DecodeSymlinkReparse(b); err == nil {
			if !got.Valid() {
				return
			}
			again, err := DecodeSymlinkReparse(AppendSymlinkReparse(nil, got))
			if err != nil || again != got {
				t.Fatalf("re-encode: %+v vs %+v (%v)", again, got, err)
			}
		}
		if got, n, err := DecodeSymlinkError(b); err == nil && got.Valid() {
			again, m, err := DecodeSymlinkError(AppendSymlinkError(nil, got, n))
			if err != nil || again != got || m != n {
				t.Fatalf("re-encode error response: %+v vs %+v (%v)", again, got, err)
			}
		}
	})
}
