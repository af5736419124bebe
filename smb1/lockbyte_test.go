package smb1

import "testing"

func TestDecodeLockByteRange(t *testing.T) {
	msg := msgWith(ComLockByteRange, false, func(b []byte) []byte {
		return block(b, []byte{7, 0, 0xA0, 0x0F, 0, 0, 0xFF, 0xFF, 0xFF, 0xEE}, nil)
	})
	b, err := DecodeBlock(msg, HeaderSize)
	if err != nil {
		t.Fatal(err)
	}
	fid, r, err := DecodeLockByteRange(&b)
	if err != nil || fid != 7 || r.Length != 4000 || r.Offset != 0xEEFFFFFF {
		t.Fatalf("got fid %d %+v %v; want 7, 4000 bytes at 0xEEFFFFFF", fid, r, err)
	}
	for _, bad := range []Block{{Words: make([]byte, 8)}, {Words: make([]byte, 10), Bytes: []byte{0}}} {
		if _, _, err := DecodeLockByteRange(&bad); err == nil {
			t.Errorf("accepted %d words, %d bytes", len(bad.Words)/2, len(bad.Bytes))
		}
	}
}

// FuzzDecodeLockByteRange: any block decodes or fails, never panics.
func FuzzDecodeLockByteRange(f *testing.F) {
	f.Add(msgWith(ComLockByteRange, false, func(b []byte) []byte { return block(b, make([]byte, 10), nil) }))
	f.Fuzz(func(t *testing.T, msg []byte) {
		b, err := DecodeBlock(msg, min(len(msg), HeaderSize))
		if err != nil {
			return
		}
		if _, r, err := DecodeLockByteRange(&b); err == nil && (r.Offset > 0xFFFFFFFF || r.Length > 0xFFFFFFFF) {
			t.Fatalf("32-bit range decoded as %+v", r)
		}
	})
}
