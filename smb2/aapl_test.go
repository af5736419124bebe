package smb2

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// TestAAPLQueryLayout: the 24-byte server query as Apple's client and
// smbtorture send it (the command written as a 64-bit value).
func TestAAPLQueryLayout(t *testing.T) {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint64(b, 1)
	binary.LittleEndian.PutUint64(b[8:], 7)
	binary.LittleEndian.PutUint64(b[16:], 1|4|8)
	q, err := DecodeAAPLQuery(b)
	if err != nil || q.Command != AAPLServerQuery || q.Bitmap != 7 || q.ClientCaps != 13 {
		t.Fatalf("%+v %v", q, err)
	}
	if got := q.AppendAAPLQuery(nil); !bytes.Equal(got, b) {
		t.Errorf("re-encoded %x, want %x", got, b)
	}
	for _, n := range []int{0, 16, 23, 25, 32} {
		if _, err := DecodeAAPLQuery(make([]byte, n)); err == nil {
			t.Errorf("%d bytes accepted", n)
		}
	}
}

// TestAAPLReplyLayout checks the reply byte for byte: the layout
// smbtorture's vfs.fruit AAPL test expects (40 bytes + the UTF-16 model).
func TestAAPLReplyLayout(t *testing.T) {
	r := AAPLReply{Bitmap: 7, ServerCaps: AAPLSupportsReadDirAttr, VolumeCaps: AAPLFullSync, Model: "Mac"}
	got := r.AppendAAPLReply(nil)
	want, _ := hex.DecodeString("01000000" + "00000000" + "0700000000000000" +
		"0100000000000000" + "0400000000000000" + "00000000" + "06000000" + "4d0061006300")
	if !bytes.Equal(got, want) {
		t.Fatalf("reply\n got %x\nwant %x", got, want)
	}
	back, err := DecodeAAPLReply(got)
	if err != nil || back != r {
		t.Errorf("decoded %+v %v", back, err)
	}
	// Only the parts asked for are present, in order.
	r = AAPLReply{Bitmap: AAPLVolumeCaps, ServerCaps: 9, VolumeCaps: 2}
	got = r.AppendAAPLReply(nil)
	if len(got) != 24 || binary.LittleEndian.Uint64(got[16:]) != 2 {
		t.Errorf("volume caps only: %x", got)
	}
	long := AAPLReply{Bitmap: AAPLModelInfo, Model: string(bytes.Repeat([]byte{'x'}, 200))}
	if got := long.AppendAAPLReply(nil); len(got) != 24+2*AAPLMaxModelLen {
		t.Errorf("long model: %d bytes", len(got))
	}
	for _, bad := range [][]byte{nil, make([]byte, 15), want[:20], want[:len(want)-1]} {
		if _, err := DecodeAAPLReply(bad); err == nil {
			t.Errorf("decoded truncated reply %x", bad)
		}
	}
}

// TestAAPLDirEntryLayout: with AAPL set, FileIdBothDirectoryInformation
// carries max access in EaSize, 24 as ShortNameLength, the resource fork
// size and compressed FinderInfo in ShortName and the mode in Reserved2.
func TestAAPLDirEntryLayout(t *testing.T) {
	var finder [32]byte
	copy(finder[:], "TEXTttxt")
	finder[8], finder[9] = 0x01, 0x0e // Finder flags (label colour bits)
	finder[24], finder[25] = 0x12, 0x34
	a := &AAPLDirInfo{MaxAccess: 0x1f01ff, ResourceForkSize: 0x0102030405,
		FinderInfo: CompressFinderInfo(finder[:], true, 0x2a000001), UnixMode: 0o644}
	e := DirEntry{Name: "f", FileID: 0x99, EaSize: 7, ShortName: "F", AAPL: a}
	b := AppendDirEntry(nil, FileIDBothDirectoryInformation, &e)
	le := binary.LittleEndian
	if got := le.Uint32(b[64:]); got != 0x1f01ff {
		t.Errorf("EaSize %#x", got)
	}
	if b[68] != 24 || b[69] != 0 {
		t.Errorf("ShortNameLength %d reserved %d", b[68], b[69])
	}
	if got := le.Uint64(b[70:]); got != 0x0102030405 {
		t.Errorf("rfork size %#x", got)
	}
	wantFI := []byte("TEXTttxt\x01\x0e\x12\x34\x2a\x00\x00\x01")
	if !bytes.Equal(b[78:94], wantFI) {
		t.Errorf("FinderInfo % x", b[78:94])
	}
	if got := le.Uint16(b[94:]); got != 0o644 {
		t.Errorf("Reserved2 %o", got)
	}
	if le.Uint64(b[96:]) != 0x99 || le.Uint32(b[60:]) != 2 || !bytes.Equal(b[104:106], []byte{'f', 0}) {
		t.Errorf("FileId/name wrong: % x", b[56:])
	}
	// Without AAPL the same entry is the plain layout.
	e.AAPL = nil
	b = AppendDirEntry(nil, FileIDBothDirectoryInformation, &e)
	if le.Uint32(b[64:]) != 7 || b[68] != 2 || le.Uint64(b[96:]) != 0x99 {
		t.Errorf("plain entry % x", b)
	}
	// Directories keep no type/creator; no AfpInfo means only the date.
	c := CompressFinderInfo(finder[:], false, AAPLDateStart)
	if !bytes.Equal(c[:], []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x01\x0e\x12\x34\x80\x00\x00\x00")) {
		t.Errorf("directory FinderInfo % x", c)
	}
	if c := CompressFinderInfo(nil, true, AAPLDateStart); c != [16]byte{12: 0x80} {
		t.Errorf("no AfpInfo: % x", c)
	}
}

// TestAfpInfoLayout: 60 bytes, big-endian, signature and version checked.
func TestAfpInfoLayout(t *testing.T) {
	ai := AfpInfo{Signature: AfpSignature, Version: AfpVersion, BackupTime: 0x80000000}
	copy(ai.FinderInfo[:], "SMB,OLE!")
	b := ai.AppendAfpInfo(nil)
	if len(b) != AfpInfoSize || string(b[:4]) != "AFP\x00" || !bytes.Equal(b[4:8], []byte{0, 0, 1, 0}) ||
		!bytes.Equal(b[12:16], []byte{0x80, 0, 0, 0}) || string(b[16:24]) != "SMB,OLE!" {
		t.Fatalf("layout % x", b)
	}
	back, ok := DecodeAfpInfo(b)
	if !ok || back != ai || back.EmptyFinderInfo() {
		t.Errorf("decoded %+v %v", back, ok)
	}
	bad := bytes.Clone(b)
	bad[6] = 2
	if _, ok := DecodeAfpInfo(bad); ok {
		t.Error("wrong version accepted")
	}
	if _, ok := DecodeAfpInfo(b[:59]); ok {
		t.Error("59 bytes accepted")
	}
	empty := AfpInfo{Signature: AfpSignature, Version: AfpVersion}
	if !empty.EmptyFinderInfo() {
		t.Error("zero FinderInfo not empty")
	}
}

func FuzzDecodeAAPL(f *testing.F) {
	q := AAPLQuery{Command: 1, Bitmap: 7, ClientCaps: 1}
	f.Add(q.AppendAAPLQuery(nil))
	r := AAPLReply{Bitmap: 7, ServerCaps: 1, VolumeCaps: 4, Model: "RackMac"}
	f.Add(r.AppendAAPLReply(nil))
	f.Add(make([]byte, 60))
	f.Fuzz(func(t *testing.T, b []byte) {
		if q, err := DecodeAAPLQuery(b); err == nil {
			if !bytes.Equal(q.AppendAAPLQuery(nil)[8:], b[8:]) {
				t.Fatalf("query %x re-encodes differently", b)
			}
		}
		if r, err := DecodeAAPLReply(b); err == nil {
			again, err := DecodeAAPLReply(r.AppendAAPLReply(nil))
			if err != nil || again.Bitmap != r.Bitmap || again.ServerCaps != r.ServerCaps || again.VolumeCaps != r.VolumeCaps {
				t.Fatalf("reply %x: %+v vs %+v (%v)", b, r, again, err)
			}
		}
		if ai, ok := DecodeAfpInfo(b); ok {
			if !bytes.Equal(ai.AppendAfpInfo(nil)[16:54], b[16:54]) {
				t.Fatalf("AfpInfo %x re-encodes differently", b)
			}
		}
	})
}
