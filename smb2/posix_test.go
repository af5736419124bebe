package smb2

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestPosixLayouts(t *testing.T) {
	if !IsPosixNegotiateContext(PosixNegotiateContextData()) || IsPosixNegotiateContext(make([]byte, 16)) ||
		IsPosixNegotiateContext(PosixExtensionsGUID[:15]) {
		t.Error("IsPosixNegotiateContext")
	}
	if CreateContextPosix != string(PosixExtensionsGUID[:]) {
		t.Error("CreateContextPosix differs from the GUID")
	}
	if m, err := DecodePosixCreateContext([]byte{0xed, 0x81, 0, 0}); err != nil || m != 0o755 {
		t.Errorf("mode %o %v (type bits must be dropped)", m, err)
	}
	if _, err := DecodePosixCreateContext([]byte{1, 2, 3}); err == nil {
		t.Error("short context accepted")
	}
	p := PosixInfo{HardLinks: 2, Mode: 0o640, Owner: UnixUserSID(1234), Group: UnixGroupSID(5678)}
	b := AppendPosixCreateResponse(nil, p)
	// 12 bytes + two SIDs of two sub-authorities (16 bytes each).
	if len(b) != 12+16+16 || !bytes.Equal(b[12:20], []byte{1, 2, 0, 0, 0, 0, 0, 22}) {
		t.Fatalf("create response % x", b)
	}
	got, err := DecodePosixCreateResponse(b)
	if err != nil || got.HardLinks != 2 || got.Mode != 0o640 || got.Owner != "S-1-22-1-1234" || got.Group != "S-1-22-2-5678" {
		t.Errorf("round trip %+v %v", got, err)
	}
	fi := FileInfo{CreationTime: 1, LastAccessTime: 2, LastWriteTime: 3, ChangeTime: 4, EndOfFile: 5,
		AllocationSize: 4096, FileAttributes: FileAttributeArchive, IndexNumber: 77}
	q := AppendFilePosixInfo(nil, &fi, p, 9)
	if len(q) != FilePosixInfoFixedSize+32 {
		t.Fatalf("FILE_POSIX_INFORMATION is %d bytes", len(q))
	}
	gfi, gp, dev, err := DecodeFilePosixInfo(q)
	if err != nil || gfi.IndexNumber != 77 || gfi.EndOfFile != 5 || gfi.FileAttributes != FileAttributeArchive ||
		dev != 9 || gp.Mode != 0o640 || gp.Owner != p.Owner {
		t.Errorf("decode %+v %+v %d %v", gfi, gp, dev, err)
	}
	e := AppendFindPosixInfo(nil, &fi, p, 9, "name")
	if n := binary.LittleEndian.Uint32(e[len(e)-12:]); n != 8 || !bytes.Equal(e[len(e)-8:], AppendUTF16(nil, "name")) {
		t.Errorf("find entry name length %d", n)
	}
	if _, _, _, err := DecodeFilePosixInfo(e[8:]); err != nil {
		t.Errorf("find entry body: %v", err)
	}
}

func FuzzDecodePosix(f *testing.F) {
	p := PosixInfo{Mode: 0o755, Owner: UnixUserSID(0), Group: UnixGroupSID(0)}
	f.Add(AppendPosixCreateResponse(nil, p))
	f.Add(AppendFilePosixInfo(nil, &FileInfo{}, p, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodePosixCreateContext(b)
		IsPosixNegotiateContext(b)
		if got, err := DecodePosixCreateResponse(b); err == nil {
			again, err := DecodePosixCreateResponse(AppendPosixCreateResponse(nil, got))
			if err != nil || again.Owner != got.Owner || again.Group != got.Group || again.Mode != got.Mode {
				t.Fatalf("re-encode: %+v vs %+v (%v)", again, got, err)
			}
		}
		DecodeFilePosixInfo(b)
		if fp, err := DecodeFsPosixInfo(b); err == nil && fp.BlockSize == 0 && len(b) < FsPosixInfoSize {
			t.Fatal("decoded a short FILE_SYSTEM_POSIX_INFO")
		}
	})
}

func TestDirEntryPosix(t *testing.T) {
	p := PosixInfo{HardLinks: 1, Mode: 0o700, Owner: UnixUserSID(7), Group: UnixGroupSID(8)}
	e := DirEntry{FileID: 42, EndOfFile: 3, Name: "file.txt", Posix: &p}
	want := dirEntrySize(FilePosixInformation, &e)
	w := NewDirListWriter(nil, FilePosixInformation, uint32(want))
	if !w.Add(&e) || w.Add(&e) {
		t.Fatal("exactly one entry must fit")
	}
	b := w.Bytes()
	if len(b) != want || binary.LittleEndian.Uint32(b) != 0 {
		t.Fatalf("entry %d bytes (want %d), next %d", len(b), want, binary.LittleEndian.Uint32(b))
	}
	fi, gp, _, err := DecodeFilePosixInfo(b[8:])
	if err != nil || fi.IndexNumber != 42 || fi.EndOfFile != 3 || gp.Owner != "S-1-22-1-7" || gp.Mode != 0o700 {
		t.Errorf("%+v %+v %v", fi, gp, err)
	}
	off := 8 + FilePosixInfoFixedSize + 32
	if n := binary.LittleEndian.Uint32(b[off:]); n != 16 {
		t.Errorf("name length %d", n)
	}
	two := AppendDirEntry(AppendDirEntry(nil, FilePosixInformation, &e), FilePosixInformation, &e)
	if next := binary.LittleEndian.Uint32(two); next%8 != 0 || int(next) < want {
		t.Errorf("NextEntryOffset %d", next)
	}
}

func TestFsPosixInfo(t *testing.T) {
	fs := FSInfo{TotalAllocationUnits: 100, CallerAvailableUnits: 30, ActualAvailableUnits: 40,
		SectorsPerAllocationUnit: 8, BytesPerSector: 512, VolumeSerialNumber: 7}
	b, err := AppendFSInfo(nil, FileFsPosixInformation, &fs)
	if err != nil || len(b) != FsPosixInfoSize {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	p, err := DecodeFsPosixInfo(b)
	want := FsPosixInfo{OptimalTransferSize: 4096, BlockSize: 4096, TotalBlocks: 100, BlocksAvail: 40,
		UserBlocksAvail: 30, TotalFileNodes: ^uint64(0), FreeFileNodes: ^uint64(0), FileSysIdentifier: 7}
	if err != nil || p != want {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := DecodeFsPosixInfo(b[:55]); err == nil {
		t.Fatal("short buffer accepted")
	}
}
