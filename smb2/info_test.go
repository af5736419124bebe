package smb2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

func TestDecodeQueryInfoRequest(t *testing.T) {
	le := binary.LittleEndian
	b := make([]byte, 40)
	le.PutUint16(b, 41)
	b[2] = InfoSecurity
	b[3] = 0
	le.PutUint32(b[4:], 4096)
	le.PutUint16(b[8:], 104)
	le.PutUint32(b[12:], 4)
	le.PutUint32(b[16:], OwnerSecurityInformation|DACLSecurityInformation)
	le.PutUint32(b[20:], SLRestartScan)
	FileID{1, 2}.Put(b[24:])
	b = append(b, 9, 8, 7, 6)
	r, err := DecodeQueryInfoRequest(wireMsg(QueryInfo, b))
	if err != nil {
		t.Fatal(err)
	}
	if r.InfoType != InfoSecurity || r.OutputBufferLength != 4096 || !bytes.Equal(r.InputBuffer, []byte{9, 8, 7, 6}) ||
		r.AdditionalInformation != 5 || r.Flags != SLRestartScan || r.FileID != (FileID{1, 2}) {
		t.Errorf("%+v", r)
	}
	le.PutUint32(b[12:], 5)
	if _, err := DecodeQueryInfoRequest(wireMsg(QueryInfo, b)); !errors.Is(err, ErrMalformed) {
		t.Errorf("input past end: %v", err)
	}
}

func setInfoMsg(class uint8, buf []byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 32)
	le.PutUint16(b, 33)
	b[2] = InfoFile
	b[3] = class
	le.PutUint32(b[4:], uint32(len(buf)))
	le.PutUint16(b[8:], 96)
	FileID{3, 4}.Put(b[16:])
	return wireMsg(SetInfo, append(b, buf...))
}

func TestDecodeSetInfo(t *testing.T) {
	le := binary.LittleEndian
	// Rename: ReplaceIfExists, 7 reserved, RootDirectory, length, name.
	ren := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	ren = le.AppendUint64(ren, 0)
	name := AppendUTF16(nil, `dir\new name.txt`)
	ren = le.AppendUint32(ren, uint32(len(name)))
	ren = append(ren, name...)
	r, err := DecodeSetInfoRequest(setInfoMsg(FileRenameInformation, ren))
	if err != nil {
		t.Fatal(err)
	}
	if r.InfoType != InfoFile || r.FileInfoClass != FileRenameInformation || r.FileID != (FileID{3, 4}) {
		t.Fatalf("%+v", r)
	}
	ri, err := DecodeFileRenameInfo(r.Buffer, r.FileInfoClass)
	if err != nil || !ri.ReplaceIfExists || ri.FileName != `dir\new name.txt` {
		t.Errorf("rename %+v %v", ri, err)
	}
	// Ex variant: Flags instead of the byte.
	le.PutUint32(ren, FileRenamePosixSemantics)
	ri, err = DecodeFileRenameInfo(ren, FileRenameInformationEx)
	if err != nil || ri.ReplaceIfExists || ri.Flags != FileRenamePosixSemantics {
		t.Errorf("rename ex %+v %v", ri, err)
	}
	// Links share the layout.
	le.PutUint32(ren, FileLinkReplaceIfExists|FileLinkPosixSemantics)
	li, err := DecodeFileLinkInfo(ren, FileLinkInformationEx)
	if err != nil || !li.ReplaceIfExists || li.FileName != `dir\new name.txt` {
		t.Errorf("link ex %+v %v", li, err)
	}
	le.PutUint32(ren, 0)
	if li, err := DecodeFileLinkInfo(ren, FileLinkInformation); err != nil || li.ReplaceIfExists {
		t.Errorf("link %+v %v", li, err)
	}
	if _, err := DecodeFileRenameInfo(ren[:len(ren)-2], FileRenameInformation); err != StatusInvalidParameter {
		t.Errorf("short name: %v", err)
	}
	if _, err := DecodeFileRenameInfo(ren[:10], FileRenameInformation); err != StatusInfoLengthMismatch {
		t.Errorf("short rename: %v", err)
	}

	bad := setInfoMsg(FileEndOfFileInformation, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	le.PutUint32(bad[64+4:], 9)
	if _, err := DecodeSetInfoRequest(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("buffer past end: %v", err)
	}

	basic := make([]byte, 40)
	le.PutUint64(basic[16:], 0xFFFFFFFFFFFFFFFF)
	le.PutUint32(basic[32:], FileAttributeHidden)
	bi, err := DecodeFileBasicInfo(basic)
	if err != nil || bi.LastWriteTime != ^uint64(0) || bi.FileAttributes != FileAttributeHidden || bi.CreationTime != 0 {
		t.Errorf("basic %+v %v", bi, err)
	}
	if d, err := DecodeFileDispositionInfo([]byte{1}, FileDispositionInformation); err != nil || d != FileDispositionDelete {
		t.Errorf("disposition %d %v", d, err)
	}
	if d, err := DecodeFileDispositionInfo([]byte{0}, FileDispositionInformation); err != nil || d != FileDispositionDoNotDelete {
		t.Errorf("disposition 0: %d %v", d, err)
	}
	if d, err := DecodeFileDispositionInfo([]byte{0x03, 0, 0, 0}, FileDispositionInformationEx); err != nil ||
		d != FileDispositionDelete|FileDispositionPosixSemantics {
		t.Errorf("disposition ex %d %v", d, err)
	}
	if _, err := DecodeFileDispositionInfo([]byte{1}, FileDispositionInformationEx); err != StatusInfoLengthMismatch {
		t.Errorf("short disposition ex: %v", err)
	}
	if v, err := DecodeUint64Info(le.AppendUint64(nil, 1<<33)); err != nil || v != 1<<33 {
		t.Errorf("eof %d %v", v, err)
	}
	if _, err := DecodeUint64Info([]byte{1}); err != StatusInfoLengthMismatch {
		t.Errorf("short eof: %v", err)
	}
	if m, err := DecodeFileModeInfo([]byte{2, 0, 0, 0}); err != nil || m != 2 {
		t.Errorf("mode %d %v", m, err)
	}
	if got := AppendSetInfoResponse(nil); !bytes.Equal(got, []byte{2, 0}) {
		t.Errorf("set info response % x", got)
	}
}

func TestAppendFileInfo(t *testing.T) {
	fi := FileInfo{
		CreationTime: 11, LastAccessTime: 12, LastWriteTime: 13, ChangeTime: 14,
		FileAttributes: FileAttributeArchive, AllocationSize: 8192, EndOfFile: 5000,
		NumberOfLinks: 1, DeletePending: true, IndexNumber: 0xABCDEF, EaSize: 0,
		AccessFlags: FileAllAccess, Position: 77, Mode: 0x20, Name: `\dir\f.txt`, AlternateName: "F~1.TXT",
		ReparseTag: 0xA000000C,
	}
	le := binary.LittleEndian
	nameLen := uint32(UTF16Len(fi.Name))
	sizes := map[uint8]int{
		FileBasicInformation: 40, FileStandardInformation: 24, FileInternalInformation: 8,
		FileEaInformation: 4, FileAccessInformation: 4, FileNameInformation: 4 + int(nameLen),
		FilePositionInformation: 8, FileModeInformation: 4, FileAlignmentInformation: 4,
		FileAllInformation: 100 + int(nameLen), FileAlternateNameInformation: 4 + 14,
		FileStreamInformation: 24 + 14, FileCompressionInformation: 16, FileNetworkOpenInformation: 56,
		FileAttributeTagInformation: 8, FileNormalizedNameInformation: 4 + int(nameLen),
	}
	for class, size := range sizes {
		b, err := AppendFileInfo(nil, class, &fi)
		if err != nil || len(b) != size {
			t.Errorf("class %d: len %d err %v, want %d", class, len(b), err, size)
		}
	}
	all, _ := AppendFileInfo(nil, FileAllInformation, &fi)
	// Basic(40) Standard(24) Internal(8) Ea(4) Access(4) Position(8) Mode(4) Alignment(4) Name.
	if le.Uint64(all) != 11 || le.Uint32(all[32:]) != FileAttributeArchive ||
		le.Uint64(all[40:]) != 8192 || le.Uint64(all[48:]) != 5000 || le.Uint32(all[56:]) != 1 || all[60] != 1 || all[61] != 0 ||
		le.Uint64(all[64:]) != 0xABCDEF || le.Uint32(all[76:]) != FileAllAccess || le.Uint64(all[80:]) != 77 ||
		le.Uint32(all[88:]) != 0x20 || le.Uint32(all[96:]) != nameLen || DecodeUTF16(all[100:]) != fi.Name {
		t.Errorf("FileAllInformation % x", all)
	}
	st, _ := AppendFileInfo(nil, FileStreamInformation, &fi)
	if le.Uint32(st) != 0 || le.Uint64(st[8:]) != 5000 || DecodeUTF16(st[24:]) != "::$DATA" {
		t.Errorf("stream % x", st)
	}
	tag, _ := AppendFileInfo(nil, FileAttributeTagInformation, &fi)
	if le.Uint32(tag[4:]) != 0xA000000C {
		t.Errorf("tag % x", tag)
	}
	dir := fi
	dir.Directory = true
	if st, _ := AppendFileInfo(nil, FileStreamInformation, &dir); len(st) != 0 {
		t.Errorf("directory streams % x", st)
	}
	if b, err := AppendFileInfo([]byte{1}, 99, &fi); err != StatusInvalidInfoClass || len(b) != 1 {
		t.Errorf("unknown class: %v %d", err, len(b))
	}
}

func TestAppendFSInfo(t *testing.T) {
	fs := FSInfo{
		VolumeSerialNumber: 0x1234, VolumeLabel: "share", TotalAllocationUnits: 1000,
		CallerAvailableUnits: 400, ActualAvailableUnits: 500, SectorsPerAllocationUnit: 8,
		BytesPerSector: 512, FileSystemAttributes: FileCasePreservedNames | FileUnicodeOnDisk,
		MaximumComponentNameLength: 255, FileSystemName: "NTFS",
	}
	le := binary.LittleEndian
	sizes := map[uint8]int{
		FileFsVolumeInformation: 18 + 10, FileFsSizeInformation: 24, FileFsDeviceInformation: 8,
		FileFsAttributeInformation: 12 + 8, FileFsFullSizeInformation: 32, FileFsObjectIDInformation: 64,
		FileFsSectorSizeInformation: 28,
	}
	for class, size := range sizes {
		b, err := AppendFSInfo(nil, class, &fs)
		if err != nil || len(b) != size {
			t.Errorf("class %d: len %d err %v, want %d", class, len(b), err, size)
		}
	}
	vol, _ := AppendFSInfo(nil, FileFsVolumeInformation, &fs)
	if le.Uint32(vol[8:]) != 0x1234 || le.Uint32(vol[12:]) != 10 || DecodeUTF16(vol[18:]) != "share" {
		t.Errorf("volume % x", vol)
	}
	full, _ := AppendFSInfo(nil, FileFsFullSizeInformation, &fs)
	if le.Uint64(full) != 1000 || le.Uint64(full[8:]) != 400 || le.Uint64(full[16:]) != 500 || le.Uint32(full[28:]) != 512 {
		t.Errorf("full size % x", full)
	}
	attr, _ := AppendFSInfo(nil, FileFsAttributeInformation, &fs)
	if le.Uint32(attr[4:]) != 255 || DecodeUTF16(attr[12:]) != "NTFS" {
		t.Errorf("attribute % x", attr)
	}
	dev, _ := AppendFSInfo(nil, FileFsDeviceInformation, &fs)
	if le.Uint32(dev) != FileDeviceDisk {
		t.Errorf("device % x", dev)
	}
	if _, err := AppendFSInfo(nil, 42, &fs); err != StatusInvalidInfoClass {
		t.Errorf("unknown fs class: %v", err)
	}
}

func TestSecurityDescriptor(t *testing.T) {
	sid, err := EncodeSID("S-1-5-32-544")
	want := []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0}
	if err != nil || !bytes.Equal(sid, want) {
		t.Fatalf("EncodeSID = % x %v", sid, err)
	}
	if s, n, err := DecodeSID(sid); err != nil || s != "S-1-5-32-544" || n != 16 {
		t.Errorf("DecodeSID = %q %d %v", s, n, err)
	}
	for _, bad := range []string{"", "S-1", "X-1-5", "S-2-5", "S-1-5-x", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16"} {
		if _, err := EncodeSID(bad); err == nil {
			t.Errorf("EncodeSID(%q) accepted", bad)
		}
	}
	if _, _, err := DecodeSID(sid[:12]); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated SID: %v", err)
	}

	le := binary.LittleEndian
	sd := AppendSecurityDescriptor(nil, SIDAdministrators, SIDUsers,
		OwnerSecurityInformation|GroupSecurityInformation|DACLSecurityInformation)
	if sd[0] != 1 || le.Uint16(sd[2:]) != SESelfRelative|SEDACLPresent {
		t.Fatalf("header % x", sd[:20])
	}
	ownerOff, groupOff, saclOff, daclOff := le.Uint32(sd[4:]), le.Uint32(sd[8:]), le.Uint32(sd[12:]), le.Uint32(sd[16:])
	if ownerOff != 20 || groupOff != 36 || saclOff != 0 || daclOff != 52 {
		t.Fatalf("offsets %d %d %d %d", ownerOff, groupOff, saclOff, daclOff)
	}
	if s, _, _ := DecodeSID(sd[ownerOff:]); s != SIDAdministrators {
		t.Errorf("owner %q", s)
	}
	if s, _, _ := DecodeSID(sd[groupOff:]); s != SIDUsers {
		t.Errorf("group %q", s)
	}
	acl := sd[daclOff:]
	if acl[0] != 2 || int(le.Uint16(acl[2:])) != len(acl) || le.Uint16(acl[4:]) != 1 {
		t.Fatalf("acl header % x (len %d)", acl[:8], len(acl))
	}
	ace := acl[8:]
	if ace[0] != 0 || int(le.Uint16(ace[2:])) != len(ace) || le.Uint32(ace[4:]) != FileAllAccess {
		t.Errorf("ace % x", ace)
	}
	if s, _, _ := DecodeSID(ace[8:]); s != SIDEveryone {
		t.Errorf("ace sid %q", s)
	}

	only := AppendSecurityDescriptor(nil, SIDAdministrators, SIDUsers, DACLSecurityInformation)
	if le.Uint32(only[4:]) != 0 || le.Uint32(only[8:]) != 0 || le.Uint32(only[16:]) != 20 || len(only) != 20+8+20 {
		t.Errorf("dacl only % x", only)
	}
	none := AppendSecurityDescriptor(nil, "", "", 0)
	if len(none) != 20 || le.Uint16(none[2:]) != SESelfRelative {
		t.Errorf("empty % x", none)
	}
}

func TestFileTime(t *testing.T) {
	if FileTime(time.Time{}) != 0 || !TimeFromFileTime(0).IsZero() {
		t.Error("zero time must map to 0 and back")
	}
	epoch := time.Unix(0, 0)
	if got := FileTime(epoch); got != 116444736000000000 {
		t.Errorf("FileTime(1970) = %d", got)
	}
	ts := time.Date(2024, 2, 29, 12, 34, 56, 789012300, time.UTC)
	if got := TimeFromFileTime(FileTime(ts)); !got.Equal(ts) {
		t.Errorf("round trip %v -> %v", ts, got)
	}
	if got := FileTime(time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)); got != 1 {
		t.Errorf("pre-1601 = %d", got)
	}
	if got := TimeFromFileTime(^uint64(0)); got.IsZero() {
		t.Error("max FILETIME gave zero time")
	}
}

func TestUTF16(t *testing.T) {
	for _, s := range []string{"", "plain.txt", "Grüße", "日本語", "emoji 😀 x"} {
		b := AppendUTF16(nil, s)
		if len(b) != UTF16Len(s) {
			t.Errorf("%q: UTF16Len %d, encoded %d", s, UTF16Len(s), len(b))
		}
		if got := DecodeUTF16(b); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
	if got := AppendUTF16(nil, "A😀"); !bytes.Equal(got, []byte{0x41, 0, 0x3D, 0xD8, 0x00, 0xDE}) {
		t.Errorf("surrogate encoding % x", got)
	}
	if got := DecodeUTF16([]byte{0x41, 0, 0x42}); got != "A" {
		t.Errorf("odd trailing byte: %q", got)
	}
}

func TestChangeNotify(t *testing.T) {
	le := binary.LittleEndian
	b := make([]byte, 32)
	le.PutUint16(b, 32)
	le.PutUint16(b[2:], ChangeNotifyWatchTree)
	le.PutUint32(b[4:], 2048)
	FileID{5, 6}.Put(b[8:])
	le.PutUint32(b[24:], FileNotifyChangeFileName|FileNotifyChangeLastWrite)
	r, err := DecodeChangeNotifyRequest(wireMsg(ChangeNotify, b))
	if err != nil || r.Flags != ChangeNotifyWatchTree || r.OutputBufferLength != 2048 ||
		r.FileID != (FileID{5, 6}) || r.CompletionFilter != 0x11 {
		t.Errorf("%+v %v", r, err)
	}
	if _, err := DecodeChangeNotifyRequest(wireMsg(ChangeNotify, b[:31])); !errors.Is(err, ErrMalformed) {
		t.Errorf("short: %v", err)
	}
	out := AppendFileNotifyInformation(nil, []FileNotifyInformation{
		{FileActionRenamedOldName, "a"}, {FileActionRenamedNewName, "bc"},
	})
	// First: 12 + 2 = 14, padded to 16. Second: 12 + 4 = 16.
	if len(out) != 32 || le.Uint32(out) != 16 || le.Uint32(out[4:]) != FileActionRenamedOldName ||
		le.Uint32(out[8:]) != 2 || le.Uint32(out[16:]) != 0 || DecodeUTF16(out[28:32]) != "bc" {
		t.Errorf("% x", out)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{
		StatusSuccess:             "STATUS_SUCCESS",
		StatusObjectNameNotFound:  "STATUS_OBJECT_NAME_NOT_FOUND",
		StatusSMBTooManyUIDs:      "STATUS_SMB_TOO_MANY_UIDS",
		StatusInvalidLockSequence: "STATUS_INVALID_LOCK_SEQUENCE",
		Status(0xC0FFEE00):        "NTSTATUS(0xC0FFEE00)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint32(s), got, want)
		}
	}
	if !StatusAccessDenied.IsError() || StatusBufferOverflow.IsError() {
		t.Error("IsError")
	}
}

func TestDecodeUTF16Name(t *testing.T) {
	for _, tt := range []struct {
		in   []uint16
		want string
		ok   bool
	}{
		{[]uint16{'a', 'b'}, "ab", true},
		{[]uint16{0xD83D, 0xDE00}, "\U0001F600", true},
		{[]uint16{0xD83D}, "", false},
		{[]uint16{0xDE00, 'a'}, "", false},
		{[]uint16{'a', 0xD800, 'b'}, "", false},
		{[]uint16{0xD800, 0xD800, 0xDC00}, "", false},
		{nil, "", true},
	} {
		var b []byte
		for _, u := range tt.in {
			b = append(b, byte(u), byte(u>>8))
		}
		got, ok := DecodeUTF16Name(b)
		if got != tt.want || ok != tt.ok {
			t.Errorf("DecodeUTF16Name(%x) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := DecodeUTF16Name([]byte{'a', 0, 'b'}); ok {
		t.Error("odd length accepted")
	}
}
