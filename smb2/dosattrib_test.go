package smb2

import (
	"bytes"
	"testing"
)

func TestDOSAttribRoundTrip(t *testing.T) {
	for _, d := range []DOSAttrib{
		{},
		{Attributes: FileAttributeHidden | FileAttributeReadonly, HasAttributes: true},
		{HasAttributes: true}, // a client cleared every bit: not the same as no record
		{CreationTime: 0x01d9_0000_1234_5678},
		{Attributes: FileAttributeArchive, HasAttributes: true, CreationTime: 1},
	} {
		b := d.Append(nil)
		if len(b) != 14 {
			t.Fatalf("%+v: %d bytes", d, len(b))
		}
		got, err := DecodeDOSAttrib(b)
		if err != nil || got != d {
			t.Errorf("%+v decoded as %+v, %v", d, got, err)
		}
	}
	// Attributes without HasAttributes are not stored.
	if got, _ := DecodeDOSAttrib(DOSAttrib{Attributes: 7}.Append(nil)); got != (DOSAttrib{}) {
		t.Errorf("attributes without HasAttributes stored: %+v", got)
	}
}

func TestDOSAttribBad(t *testing.T) {
	good := DOSAttrib{Attributes: FileAttributeHidden, HasAttributes: true, CreationTime: 5}.Append(nil)
	bad := map[string][]byte{
		"empty":              nil,
		"truncated":          good[:13],
		"long":               append(append([]byte{}, good...), 0),
		"version 0":          append([]byte{0}, good[1:]...),
		"version 2":          append([]byte{2}, good[1:]...),
		"reserved":           append([]byte{1, 0x07}, good[2:]...),
		"attrs without flag": append([]byte{1, dosAttribHasBtime}, good[2:]...),
		"btime without flag": append([]byte{1, dosAttribHasAttrs}, good[2:]...),
		"flag without btime": {1, dosAttribHasBtime, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	}
	for name, b := range bad {
		if d, err := DecodeDOSAttrib(b); err == nil {
			t.Errorf("%s: accepted as %+v", name, d)
		}
	}
}

func FuzzDecodeDOSAttrib(f *testing.F) {
	f.Add(DOSAttrib{Attributes: FileAttributeHidden, HasAttributes: true, CreationTime: 5}.Append(nil))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDOSAttrib(b)
		if err != nil {
			return
		}
		if !bytes.Equal(d.Append(nil), b) {
			t.Fatalf("%x decoded as %+v, which encodes as %x", b, d, d.Append(nil))
		}
	})
}
