package server

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// trans2DataMsg builds a TRANS2 request with params and data.
func (c *s1Conn) trans2DataMsg(sub uint16, params, data []byte) []byte {
	w := make([]byte, 30)
	le.PutUint16(w[0:], uint16(len(params)))
	le.PutUint16(w[2:], uint16(len(data)))
	le.PutUint16(w[4:], 64)
	le.PutUint16(w[6:], 16384)
	le.PutUint16(w[18:], uint16(len(params)))
	po := smb1.HeaderSize + 1 + 30 + 2 + 1
	le.PutUint16(w[20:], uint16(po))
	le.PutUint16(w[22:], uint16(len(data)))
	le.PutUint16(w[24:], uint16(po+len(params)))
	w[26] = 1
	le.PutUint16(w[28:], sub)
	return c.s1Msg(smb1.ComTransaction2, w, append(append([]byte{0}, params...), data...))
}

// trans2Data returns the data section of a TRANS2 response.
func trans2Data(t *testing.T, r s1Resp) []byte {
	t.Helper()
	w := r.blk.Words
	if len(w) < 20 {
		t.Fatalf("TRANS2 response with %d words", len(w)/2)
	}
	n, off := int(le.Uint16(w[12:])), int(le.Uint16(w[14:]))
	return r.msg[off : off+n]
}

// TestSMB1EAs: TRANS2_CREATE_DIRECTORY and TRANS2_OPEN2 store the EA
// lists they carry (through SMB2's ExtA), and the EA query levels read
// them back: all of them, some by name (a missing one with an empty
// value), and their size.
func TestSMB1EAs(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	eas := []smb2.FullEA{{Name: "EAONE", Value: []byte("blah")}, {Name: "EA TWO", Value: []byte("foo bar")}}
	fea := smb1.AppendFEAList(nil, eas)
	u16 := func(s string) []byte { return append(smb2.AppendUTF16(nil, s), 0, 0) }

	c.expect("t2 mkdir", c.trans2DataMsg(smb1.Trans2CreateDirectory, append(make([]byte, 4), u16(`eadir`)...), fea), smb2.StatusSuccess)
	query := func(level uint16, name string, data []byte) []byte {
		p := append([]byte{byte(level), byte(level >> 8), 0, 0, 0, 0}, u16(name)...)
		return trans2Data(t, c.expect("query", c.trans2DataMsg(smb1.Trans2QueryPathInfo, p, data), smb2.StatusSuccess))
	}
	got, err := smb1.DecodeFEAList(query(smb1.InfoQueryAllEAs, `eadir`, nil))
	if err != nil || len(got) != 2 {
		t.Fatalf("all EAs: %v %v", got, err)
	}
	slices.SortFunc(got, func(a, b smb2.FullEA) int { return strings.Compare(b.Name, a.Name) }) // "EAONE" first
	for i := range eas {
		if got[i].Name != eas[i].Name || !bytes.Equal(got[i].Value, eas[i].Value) {
			t.Errorf("EA %d = %q %q, want %q %q", i, got[i].Name, got[i].Value, eas[i].Name, eas[i].Value)
		}
	}
	gea := []byte{0, 0, 0, 0, 6, 'E', 'A', ' ', 'T', 'W', 'O', 0, 4, 'N', 'O', 'N', 'E', 0}
	le.PutUint32(gea, uint32(len(gea)))
	got, err = smb1.DecodeFEAList(query(smb1.InfoQueryEAsFromList, `eadir`, gea))
	if err != nil || len(got) != 2 || string(got[0].Value) != "foo bar" || got[1].Name != "NONE" || len(got[1].Value) != 0 {
		t.Errorf("EAs from list: %+v %v", got, err)
	}
	if size := query(smb1.InfoQueryEASize, `eadir`, nil); len(size) != 26 || le.Uint32(size[22:]) == 0 {
		t.Errorf("EA size level: % x", size)
	}

	// OPEN2 creating a file with an EA; open function 0 is refused.
	p := make([]byte, 28)
	le.PutUint16(p[2:], 0x42)  // read/write, deny none
	le.PutUint16(p[12:], 0x11) // open or create
	p = append(p, u16(`eafile`)...)
	one := smb1.AppendFEAList(nil, eas[:1])
	r := c.expect("open2", c.trans2DataMsg(smb1.Trans2Open2, p, one), smb2.StatusSuccess)
	if len(r.blk.Words) < 20 {
		t.Fatal("open2 response too short")
	}
	params := r.msg[le.Uint16(r.blk.Words[8:]):]
	if le.Uint16(params[12:]) != 0x42 || le.Uint16(params[18:]) != 2 {
		t.Errorf("open2: access %#x action %d", le.Uint16(params[12:]), le.Uint16(params[18:]))
	}
	got, err = smb1.DecodeFEAList(query(smb1.InfoQueryAllEAs, `eafile`, nil))
	if err != nil || len(got) != 1 || string(got[0].Value) != "blah" {
		t.Errorf("open2 EAs: %+v %v", got, err)
	}
	le.PutUint16(p[12:], 0)
	c.expect("open2 function 0", c.trans2DataMsg(smb1.Trans2Open2, p, nil), smb2.StatusObjectNameCollision)
}
