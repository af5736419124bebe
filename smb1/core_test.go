package smb1

import (
	"bytes"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func TestCoreWriteDecode(t *testing.T) {
	words := []byte{7, 0, 2, 0, 10, 0, 0, 0, 0, 0} // FID 7, 2 bytes at 10
	msg := msgWith(ComWrite, false, func(b []byte) []byte { return block(b, words, []byte{1, 2, 0, 'h', 'i'}) })
	b, err := DecodeBlock(msg, HeaderSize)
	if err != nil {
		t.Fatal(err)
	}
	r, data, err := DecodeWriteRequest(&b)
	if err != nil || r.FID != 7 || r.Offset != 10 || string(data) != "hi" {
		t.Fatalf("got %+v %q %v", r, data, err)
	}
	// A data length that differs from Count, or runs past the block, is
	// refused (the bad-write of smbtorture: Count 65535, no data).
	for _, bad := range [][]byte{{1, 3, 0, 'h', 'i'}, {1, 2, 0, 'h'}, {2, 2, 0, 'h', 'i'}, {1}} {
		msg := msgWith(ComWrite, false, func(b []byte) []byte { return block(b, words, bad) })
		b, _ := DecodeBlock(msg, HeaderSize)
		if _, _, err := DecodeWriteRequest(&b); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestCoreOpenAndCreate(t *testing.T) {
	msg := msgWith(ComOpen, true, func(b []byte) []byte {
		return block(b, []byte{0x42, 0, 0x16, 0}, append(append([]byte{4}, smb2.AppendUTF16(nil, `\d\f.txt`)...), 0, 0))
	})
	b, _ := DecodeBlock(msg, HeaderSize)
	r, err := DecodeOpenRequest(msg, &b, true)
	if err != nil || r.AccessMode != 0x42 || r.SearchAttributes != 0x16 || r.Name != `\d\f.txt` {
		t.Fatalf("got %+v %v", r, err)
	}
	if _, err := DecodeCreateRequest(msg, &b, true); err == nil {
		t.Error("CREATE with 2 words accepted")
	}
	msg = msgWith(ComCreateNew, false, func(b []byte) []byte {
		return block(b, []byte{2, 0, 0x10, 0x20, 0x30, 0x40}, []byte("\x04new\x00"))
	})
	b, _ = DecodeBlock(msg, HeaderSize)
	c, err := DecodeCreateRequest(msg, &b, false)
	if err != nil || c.FileAttributes != 2 || c.Time != 0x40302010 || c.Name != "new" {
		t.Fatalf("got %+v %v", c, err)
	}
}

func TestCoreResponses(t *testing.T) {
	got := AppendReadResponse(nil, []byte("abc"))
	want := []byte{5, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1, 3, 0, 'a', 'b', 'c'}
	if !bytes.Equal(got, want) {
		t.Errorf("READ response % x, want % x", got, want)
	}
	got = AppendCreateTemporaryResponse(nil, 9, "TMP1")
	want = []byte{1, 9, 0, 5, 0, 'T', 'M', 'P', '1', 0}
	if !bytes.Equal(got, want) {
		t.Errorf("CREATE_TEMPORARY response % x, want % x", got, want)
	}
	if got := AppendSeekResponse(nil, 0xFFFFFFFF); !bytes.Equal(got, []byte{2, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0}) {
		t.Errorf("SEEK response % x", got)
	}
}

func TestDOSError(t *testing.T) {
	class, code, ok := SplitDOSError(StatusSrvBadUID)
	if !ok || class != ErrClassSrv || code != 91 {
		t.Fatalf("SplitDOSError(ERRbaduid) = %d %d %v", class, code, ok)
	}
	if _, _, ok := SplitDOSError(smb2.StatusAccessDenied); ok {
		t.Error("an NTSTATUS taken for a DOS error")
	}
	h := Header{Flags2: Flags2NTStatus | Flags2Unicode}
	msg := h.Append(nil)
	PutDOSError(msg, ErrClassDOS, 12)
	d, _ := DecodeHeader(msg)
	if d.Status != 0x000C0001 || d.Flags2 != Flags2Unicode {
		t.Errorf("status %#x flags2 %#x", d.Status, d.Flags2)
	}
}
