package server

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/memfs"
)

// rawEA builds one FILE_FULL_EA_INFORMATION entry by hand.
func rawEA(next uint32, flags uint8, name string, value []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, next)
	b = append(b, flags, byte(len(name)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(value)))
	b = append(b, name...)
	b = append(b, 0)
	return append(b, value...)
}

func TestDecodeFullEA(t *testing.T) {
	two := append(rawEA(16, 0, "ab", []byte("123")), 0, 0)
	two = append(two, rawEA(0, fileNeedEA, "Cd", nil)...)
	tests := []struct {
		name  string
		in    []byte
		want  []eaEntry
		st    smb2.Status
		names string
	}{
		{"one", rawEA(0, 0, "NewEA", []byte("testme")), []eaEntry{{name: "NewEA", value: []byte("testme")}}, smb2.StatusSuccess, ""},
		{"two chained", two, []eaEntry{{name: "ab", value: []byte("123")}, {name: "Cd", flags: fileNeedEA}}, smb2.StatusSuccess, ""},
		{"empty", nil, nil, smb2.StatusSuccess, ""},
		{"short header", []byte{0, 0, 0, 0, 0}, nil, smb2.StatusEAListInconsistent, ""},
		{"value past end", rawEA(0, 0, "A", []byte("xyz"))[:11], nil, smb2.StatusEAListInconsistent, ""},
		{"no NUL", func() []byte { b := rawEA(0, 0, "A", []byte("x")); b[9] = 'z'; return b }(), nil, smb2.StatusEAListInconsistent, ""},
		{"bad flags", rawEA(0, 1, "A", nil), nil, smb2.StatusEAListInconsistent, ""},
		{"misaligned next", append(rawEA(13, 0, "AB", []byte("1")), make([]byte, 12)...), nil, smb2.StatusEAListInconsistent, ""},
		{"next inside entry", append(rawEA(4, 0, "AB", []byte("1")), make([]byte, 12)...), nil, smb2.StatusEAListInconsistent, ""},
		{"next past end", rawEA(64, 0, "AB", []byte("1")), nil, smb2.StatusEAListInconsistent, ""},
		{"empty name", rawEA(0, 0, "", []byte("1")), nil, smb2.StatusInvalidEAName, ""},
		{"bad char", rawEA(0, 0, "a*b", []byte("1")), nil, smb2.StatusInvalidEAName, ""},
	}
	for _, tt := range tests {
		got, st := decodeFullEA(tt.in)
		if st != tt.st {
			t.Errorf("%s: status %v, want %v", tt.name, st, tt.st)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: %d entries, want %d", tt.name, len(got), len(tt.want))
			continue
		}
		for i := range got {
			if got[i].name != tt.want[i].name || got[i].flags != tt.want[i].flags || !bytes.Equal(got[i].value, tt.want[i].value) {
				t.Errorf("%s[%d] = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

func TestAppendFullEARoundTrip(t *testing.T) {
	eas := []eaEntry{{name: "A", value: []byte("1")}, {name: "LONGERNAME", value: bytes.Repeat([]byte{7}, 33)}, {name: "Z", value: []byte("zz")}}
	b := appendFullEA(nil, eas)
	if uint32(len(b)) != eaSize(eas) {
		t.Errorf("encoded %d bytes, eaSize %d", len(b), eaSize(eas))
	}
	// First entry: 8+1+1+1 = 11, padded to 12.
	if next := binary.LittleEndian.Uint32(b); next != 12 {
		t.Errorf("first NextEntryOffset %d, want 12", next)
	}
	got, st := decodeFullEA(b)
	if st != smb2.StatusSuccess || len(got) != 3 || got[1].name != "LONGERNAME" || len(got[1].value) != 33 || string(got[2].value) != "zz" {
		t.Fatalf("round trip: %v %+v", st, got)
	}
}

func TestDecodeGetEA(t *testing.T) {
	ent := func(next uint32, name string) []byte {
		b := binary.LittleEndian.AppendUint32(nil, next)
		b = append(b, byte(len(name)))
		return append(append(b, name...), 0)
	}
	in := append(ent(12, "one"), 0, 0, 0)
	in = append(in, ent(0, "Two")...)
	names, st := decodeGetEA(in)
	if st != smb2.StatusSuccess || len(names) != 2 || names[0] != "one" || names[1] != "Two" {
		t.Errorf("decodeGetEA = %q, %v", names, st)
	}
	if _, st := decodeGetEA(ent(0, "x")[:5]); st != smb2.StatusEAListInconsistent {
		t.Errorf("truncated: %v", st)
	}
}

func TestEAListResponse(t *testing.T) {
	eas := []eaEntry{{name: "AAAA", value: []byte("1234")}, {name: "BBBB", value: []byte("5678")}}
	one := eaEntrySize(eas[0]) // 17
	if r := eaListResponse(eas, uint32(one-1), false, nil); r.status != smb2.StatusBufferTooSmall {
		t.Errorf("too small: %v", r.status)
	}
	idx := 0
	if r := eaListResponse(eas, uint32(one+4), false, &idx); r.status != smb2.StatusBufferOverflow || idx != 1 {
		t.Errorf("partial: %v index %d", r.status, idx)
	}
	if r := eaListResponse(eas, 1000, true, nil); r.status != smb2.StatusSuccess {
		t.Errorf("single: %v", r.status)
	}
	if r := eaListResponse(eas, 1000, false, nil); r.status != smb2.StatusSuccess {
		t.Errorf("all: %v", r.status)
	}
}

// TestEAStores checks EAs through the server helpers on both stores:
// osfs (Linux xattrs) and memfs (XattrFile in memory).
func TestEAStores(t *testing.T) {
	ts := startServer(t, testOpts{})
	share := ts.Srv.cfg.Shares[0]
	mem := &Share{Name: "mem", FS: memfs.New()}
	for _, sh := range []*Share{share, mem} {
		f, err := sh.FS.OpenFile("f", os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		c := &conn{srv: ts.Srv}
		o := &open{tree: &tree{share: sh}, name: "f", file: f, access: fileReadEA | fileWriteEA}
		if st := c.setFullEA(o, rawEA(0, 0, "NewEA", []byte("testme"))); st != smb2.StatusSuccess {
			t.Fatalf("%s: set: %v", sh.Name, st)
		}
		eas, st := c.readEAs(o)
		if st != smb2.StatusSuccess || len(eas) != 1 || eas[0].name != "NewEA" || string(eas[0].value) != "testme" {
			t.Errorf("%s: read = %+v, %v", sh.Name, eas, st)
		}
		m := ts.Srv.nodes.ns.getMeta(sh, "f")
		if m.eaSize != eaSize(eas) {
			t.Errorf("%s: cached eaSize %d, want %d", sh.Name, m.eaSize, eaSize(eas))
		}
		if m.eas != nil { // both stores implement vfs.XattrFile; ext4/tmpfs take user xattrs
			t.Errorf("%s: EAs fell back to memory: %v", sh.Name, m.eas)
		}
		c.setFullEA(o, rawEA(0, 0, "newea", nil)) // empty value deletes
		if eas, _ := c.readEAs(o); len(eas) != 0 {
			t.Errorf("%s: after delete: %+v", sh.Name, eas)
		}
		o.access = fileReadEA
		if st := c.setFullEA(o, rawEA(0, 0, "X", []byte("1"))); st != smb2.StatusAccessDenied {
			t.Errorf("%s: set without FILE_WRITE_EA: %v", sh.Name, st)
		}
		f.Close()
	}
}

func FuzzDecodeFullEA(f *testing.F) {
	f.Add(rawEA(0, 0, "NewEA", []byte("testme")))
	f.Add(append(append(rawEA(16, 0, "ab", []byte("123")), 0, 0), rawEA(0, 0, "cd", nil)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		eas, st := decodeFullEA(b)
		if st != smb2.StatusSuccess {
			return
		}
		again, st := decodeFullEA(appendFullEA(nil, eas))
		if st != smb2.StatusSuccess || len(again) != len(eas) {
			t.Fatalf("re-decode: %v, %d vs %d entries", st, len(again), len(eas))
		}
		for i := range eas {
			if again[i].name != eas[i].name || !bytes.Equal(again[i].value, eas[i].value) {
				t.Fatalf("entry %d changed", i)
			}
		}
	})
}

func FuzzDecodeGetEA(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 2, 'a', 'b', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		names, st := decodeGetEA(b)
		for _, n := range names {
			if st != smb2.StatusSuccess || !validEAName(n) {
				t.Fatalf("bad name %q with %v", n, st)
			}
		}
	})
}

// TestEACasePreserved: EA names keep the client's spelling (the Linux
// kernel client reads user.* xattrs back case-sensitively) while still
// comparing case-insensitively: a second spelling replaces the first, a
// query by name finds either spelling.
func TestEACasePreserved(t *testing.T) {
	ts := startServer(t, testOpts{})
	share := ts.Srv.cfg.Shares[0]
	mem := &Share{Name: "mem", FS: memfs.New()}
	for _, sh := range []*Share{share, mem} {
		f, err := sh.FS.OpenFile("c", os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		c := &conn{srv: ts.Srv}
		o := &open{tree: &tree{share: sh}, name: "c", file: f, access: fileReadEA | fileWriteEA}
		c.setFullEA(o, rawEA(0, 0, "user.cvTest", []byte("one")))
		c.setFullEA(o, rawEA(0, 0, "b", []byte("bee")))
		eas, st := c.readEAs(o)
		if st != smb2.StatusSuccess || len(eas) != 2 || eas[0].name != "b" || eas[1].name != "user.cvTest" {
			t.Fatalf("%s: read = %+v, %v", sh.Name, eas, st)
		}
		c.setFullEA(o, rawEA(0, 0, "USER.CVTEST", []byte("two")))
		eas, _ = c.readEAs(o)
		if len(eas) != 2 || eas[1].name != "USER.CVTEST" || string(eas[1].value) != "two" {
			t.Errorf("%s: after re-set in another case: %+v", sh.Name, eas)
		}
		q := &smb2.QueryInfoRequest{OutputBufferLength: 1000, InputBuffer: append([]byte{0, 0, 0, 0, 11}, "User.CvTest\x00"...)}
		r := c.queryFullEA(o, q)
		if r.status != smb2.StatusSuccess || !bytes.Contains(r.body, []byte("USER.CVTEST\x00two")) {
			t.Errorf("%s: query by name: %v %q", sh.Name, r.status, r.body)
		}
		c.setFullEA(o, rawEA(0, 0, "user.CVtest", nil))
		if eas, _ := c.readEAs(o); len(eas) != 1 || eas[0].name != "b" {
			t.Errorf("%s: delete in a third spelling: %+v", sh.Name, eas)
		}
		f.Close()
	}
}
