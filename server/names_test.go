package server

import (
	"os"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// utf16Bytes encodes code units as little-endian bytes, unpaired
// surrogates included.
func utf16Bytes(units ...uint16) []byte {
	var b []byte
	for _, u := range units {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// withRawName replaces the name buffer at the end of body (whose
// length field sits at lenOff, 16 bits wide unless wide) by name.
func withRawName(body []byte, fixed, lenOff int, wide bool, name []byte) []byte {
	b := append(body[:fixed:fixed], name...)
	if wide {
		le.PutUint32(b[lenOff:], uint32(len(name)))
	} else {
		le.PutUint16(b[lenOff:], uint16(len(name)))
	}
	return b
}

// TestNamesUnpairedSurrogates: a name with an unpaired UTF-16 surrogate
// is refused with STATUS_OBJECT_NAME_INVALID everywhere a client sends
// one (CREATE, including stream names; rename targets; search
// patterns), instead of decoding to U+FFFD, which made "a\uD800" and
// "a\uDC00" the same file.
func TestNamesUnpairedSurrogates(t *testing.T) {
	hs := startHostile(t)
	c := hs.session(t)
	bad := map[string][]byte{
		"lone high":           utf16Bytes('a', 0xD800, 'b'),
		"lone low":            utf16Bytes('a', 0xDC00),
		"high at end":         utf16Bytes('x', 0xDBFF),
		"swapped pair":        utf16Bytes(0xDC00, 0xD800),
		"stream name":         utf16Bytes('f', ':', 's', 0xD801),
		"high high low":       utf16Bytes(0xD800, 0xD800, 0xDC00),
		"low after good pair": utf16Bytes(0xD83D, 0xDE00, 0xDE00),
	}
	for what, name := range bad {
		body := withRawName(rawCreate("", rawDispOverwriteIf), 56, 46, false, name)
		c.expectStatus("CREATE "+what, smb2.Create, body, nil, smb2.StatusObjectNameInvalid)
	}
	ents, err := os.ReadDir(hs.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("refused names created files: %v", ents)
	}

	// A proper pair is a name like any other.
	good := utf16Bytes('o', 'k', 0xD83D, 0xDE00)
	r := c.call(smb2.Create, withRawName(rawCreate("", rawDispOverwriteIf), 56, 46, false, good), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("CREATE with a surrogate pair: %v", r.hdr.Status)
	}
	if _, err := os.Stat(hs.Dir + "/ok\U0001F600"); err != nil {
		t.Errorf("surrogate pair name: %v", err)
	}
	fid := smb2.FileID{Persistent: le.Uint64(r.body[64:]), Volatile: le.Uint64(r.body[72:])}

	// Rename target.
	info := make([]byte, 20)
	info = append(info, utf16Bytes('n', 0xD800)...)
	le.PutUint32(info[16:], 4)
	c.expectStatus("rename to a lone surrogate", smb2.SetInfo, rawSetInfo(fid, 1, smb2.FileRenameInformation, info), nil, smb2.StatusObjectNameInvalid)
	c.call(smb2.Close, rawClose(fid), nil)

	// Search pattern.
	dir, st := c.create("", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	q := withRawName(rawQueryDir(dir, "", 65536), 32, 26, false, utf16Bytes('*', 0xDC00))
	c.expectStatus("QUERY_DIRECTORY pattern", smb2.QueryDirectory, q, nil, smb2.StatusObjectNameInvalid)
}

// rawSetInfo builds a SET_INFO request body.
func rawSetInfo(id smb2.FileID, infoType, class uint8, buf []byte) []byte {
	b := make([]byte, 32)
	le.PutUint16(b, 33)
	b[2], b[3] = infoType, class
	le.PutUint32(b[4:], uint32(len(buf)))
	le.PutUint16(b[8:], smb2.HeaderSize+32)
	le.PutUint64(b[16:], id.Persistent)
	le.PutUint64(b[24:], id.Volatile)
	return append(b, buf...)
}
