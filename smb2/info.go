package smb2

import (
	"encoding/binary"
	"fmt"
)

// Info types of QUERY_INFO and SET_INFO.
const (
	InfoFile       uint8 = 0x01
	InfoFilesystem uint8 = 0x02
	InfoSecurity   uint8 = 0x03
	InfoQuota      uint8 = 0x04
)

// File information classes (MS-FSCC 2.4).
const (
	FileBasicInformation            uint8 = 4
	FileStandardInformation         uint8 = 5
	FileInternalInformation         uint8 = 6
	FileEaInformation               uint8 = 7
	FileAccessInformation           uint8 = 8
	FileNameInformation             uint8 = 9
	FileRenameInformation           uint8 = 10
	FileLinkInformation             uint8 = 11
	FileDispositionInformation      uint8 = 13
	FilePositionInformation         uint8 = 14
	FileFullEaInformation           uint8 = 15
	FileModeInformation             uint8 = 16
	FileAlignmentInformation        uint8 = 17
	FileAllInformation              uint8 = 18
	FileAllocationInformation       uint8 = 19
	FileEndOfFileInformation        uint8 = 20
	FileAlternateNameInformation    uint8 = 21
	FileStreamInformation           uint8 = 22
	FilePipeInformation             uint8 = 23
	FilePipeLocalInformation        uint8 = 24
	FilePipeRemoteInformation       uint8 = 25
	FileCompressionInformation      uint8 = 28
	FileNetworkOpenInformation      uint8 = 34
	FileAttributeTagInformation     uint8 = 35
	FileValidDataLengthInformation  uint8 = 39
	FileShortNameInformation        uint8 = 40
	FileNormalizedNameInformation   uint8 = 48
	FileIDInformation               uint8 = 59
	FileDispositionInformationEx    uint8 = 64
	FileRenameInformationEx         uint8 = 65
	FileStatInformation             uint8 = 68
	FileCaseSensitiveInformation    uint8 = 71
	FileLinkInformationEx           uint8 = 72
	FileStorageReserveIDInformation uint8 = 74
)

// File system information classes (MS-FSCC 2.5).
const (
	FileFsVolumeInformation     uint8 = 1
	FileFsLabelInformation      uint8 = 2
	FileFsSizeInformation       uint8 = 3
	FileFsDeviceInformation     uint8 = 4
	FileFsAttributeInformation  uint8 = 5
	FileFsControlInformation    uint8 = 6
	FileFsFullSizeInformation   uint8 = 7
	FileFsObjectIDInformation   uint8 = 8
	FileFsSectorSizeInformation uint8 = 11
)

// AdditionalInformation bits for InfoSecurity (MS-SMB2 2.2.37).
const (
	OwnerSecurityInformation     uint32 = 0x00000001
	GroupSecurityInformation     uint32 = 0x00000002
	DACLSecurityInformation      uint32 = 0x00000004
	SACLSecurityInformation      uint32 = 0x00000008
	LabelSecurityInformation     uint32 = 0x00000010
	AttributeSecurityInformation uint32 = 0x00000020
	ScopeSecurityInformation     uint32 = 0x00000040
	BackupSecurityInformation    uint32 = 0x00010000
)

// QUERY_INFO flags (used with InfoQuota and FileFullEaInformation).
const (
	SLRestartScan       uint32 = 0x00000001
	SLReturnSingleEntry uint32 = 0x00000002
	SLIndexSpecified    uint32 = 0x00000004
)

const (
	queryInfoFixedSize          = 40
	queryInfoStructureSize      = 41
	setInfoFixedSize            = 32
	setInfoStructureSize        = 33
	setInfoResponseStructureLen = 2
)

// QueryInfoRequest is a decoded QUERY_INFO request (MS-SMB2 2.2.37).
type QueryInfoRequest struct {
	InfoType              uint8
	FileInfoClass         uint8
	OutputBufferLength    uint32
	InputBuffer           []byte
	AdditionalInformation uint32
	Flags                 uint32
	FileID                FileID
}

// DecodeQueryInfoRequest decodes a QUERY_INFO request message.
func DecodeQueryInfoRequest(msg []byte) (QueryInfoRequest, error) {
	var r QueryInfoRequest
	b, err := bodyOf(msg, queryInfoFixedSize, queryInfoStructureSize)
	if err != nil {
		return r, err
	}
	le := binary.LittleEndian
	r.InfoType = b[2]
	r.FileInfoClass = b[3]
	r.OutputBufferLength = le.Uint32(b[4:])
	r.InputBuffer, err = bufferAt(msg, uint64(le.Uint16(b[8:])), uint64(le.Uint32(b[12:])))
	if err != nil {
		return r, fmt.Errorf("query info input: %w", err)
	}
	r.AdditionalInformation = le.Uint32(b[16:])
	r.Flags = le.Uint32(b[20:])
	r.FileID = DecodeFileID(b[24:])
	return r, nil
}

// SetInfoRequest is a decoded SET_INFO request (MS-SMB2 2.2.39). Buffer
// aliases the message.
type SetInfoRequest struct {
	InfoType              uint8
	FileInfoClass         uint8
	Buffer                []byte
	AdditionalInformation uint32
	FileID                FileID
}

// DecodeSetInfoRequest decodes a SET_INFO request message.
func DecodeSetInfoRequest(msg []byte) (SetInfoRequest, error) {
	var r SetInfoRequest
	b, err := bodyOf(msg, setInfoFixedSize, setInfoStructureSize)
	if err != nil {
		return r, err
	}
	le := binary.LittleEndian
	r.InfoType = b[2]
	r.FileInfoClass = b[3]
	r.Buffer, err = bufferAt(msg, uint64(le.Uint16(b[8:])), uint64(le.Uint32(b[4:])))
	if err != nil {
		return r, fmt.Errorf("set info buffer: %w", err)
	}
	r.AdditionalInformation = le.Uint32(b[12:])
	r.FileID = DecodeFileID(b[16:])
	return r, nil
}

// AppendSetInfoResponse appends the 2-byte SET_INFO response body.
func AppendSetInfoResponse(dst []byte) []byte {
	return append(dst, setInfoResponseStructureLen, 0)
}

// FileBasicInfo is FILE_BASIC_INFORMATION (MS-FSCC 2.4.7). In SET_INFO a
// time of 0 means "leave unchanged" and 0xFFFFFFFFFFFFFFFF means "stop
// updating automatically"; FileAttributes 0 means "leave unchanged".
type FileBasicInfo struct {
	CreationTime   uint64
	LastAccessTime uint64
	LastWriteTime  uint64
	ChangeTime     uint64
	FileAttributes uint32
}

// DecodeFileBasicInfo decodes a SET_INFO FileBasicInformation buffer.
func DecodeFileBasicInfo(b []byte) (FileBasicInfo, error) {
	if len(b) < 36 {
		return FileBasicInfo{}, StatusInfoLengthMismatch
	}
	le := binary.LittleEndian
	return FileBasicInfo{
		CreationTime:   le.Uint64(b),
		LastAccessTime: le.Uint64(b[8:]),
		LastWriteTime:  le.Uint64(b[16:]),
		ChangeTime:     le.Uint64(b[24:]),
		FileAttributes: le.Uint32(b[32:]),
	}, nil
}

// Flags of FILE_RENAME_INFORMATION_EX (MS-FSCC 2.4.42.2).
const (
	FileRenameReplaceIfExists         uint32 = 0x00000001
	FileRenamePosixSemantics          uint32 = 0x00000002
	FileRenameIgnoreReadonlyAttribute uint32 = 0x00000040
)

// FileRenameInfo is FILE_RENAME_INFORMATION as sent in SMB2 (the TYPE_2
// layout, MS-FSCC 2.4.42.2) or, for FileRenameInformationEx, its Flags
// variant. ReplaceIfExists is set from Flags in the Ex case.
type FileRenameInfo struct {
	ReplaceIfExists bool
	Flags           uint32 // Ex only
	RootDirectory   uint64 // must be 0 in SMB2
	FileName        string // full path from the share root
}

// DecodeFileRenameInfo decodes a SET_INFO FileRenameInformation (class
// 10) or FileRenameInformationEx (class 65) buffer.
func DecodeFileRenameInfo(b []byte, class uint8) (FileRenameInfo, error) {
	var r FileRenameInfo
	if len(b) < 20 {
		return r, StatusInfoLengthMismatch
	}
	le := binary.LittleEndian
	if class == FileRenameInformationEx {
		r.Flags = le.Uint32(b)
		r.ReplaceIfExists = r.Flags&FileRenameReplaceIfExists != 0
	} else {
		r.ReplaceIfExists = b[0] != 0
	}
	r.RootDirectory = le.Uint64(b[8:])
	n := uint64(le.Uint32(b[16:]))
	if n > uint64(len(b)-20) || n%2 != 0 {
		return r, StatusInvalidParameter
	}
	var ok bool
	if r.FileName, ok = DecodeUTF16Name(b[20 : 20+n]); !ok {
		return r, StatusObjectNameInvalid
	}
	return r, nil
}

// Flags of FILE_LINK_INFORMATION for FileLinkInformationEx (MS-FSCC
// 2.4.27).
const (
	FileLinkReplaceIfExists         uint32 = 0x00000001
	FileLinkPosixSemantics          uint32 = 0x00000002
	FileLinkIgnoreReadonlyAttribute uint32 = 0x00000040
)

// FileLinkInfo is FILE_LINK_INFORMATION as sent in SMB2: the same layout
// as FileRenameInfo (ReplaceIfExists byte or, for FileLinkInformationEx,
// Flags; RootDirectory; FileNameLength; FileName).
type FileLinkInfo = FileRenameInfo

// DecodeFileLinkInfo decodes a SET_INFO FileLinkInformation (class 11)
// or FileLinkInformationEx (class 72) buffer; ReplaceIfExists is set from
// Flags in the Ex case.
func DecodeFileLinkInfo(b []byte, class uint8) (FileLinkInfo, error) {
	rc := FileRenameInformation
	if class == FileLinkInformationEx {
		rc = FileRenameInformationEx // same bit 0x1 for replace-if-exists
	}
	return DecodeFileRenameInfo(b, rc)
}

// Flags of FILE_DISPOSITION_INFORMATION_EX (MS-FSCC 2.4.12).
const (
	FileDispositionDoNotDelete             uint32 = 0x00000000
	FileDispositionDelete                  uint32 = 0x00000001
	FileDispositionPosixSemantics          uint32 = 0x00000002
	FileDispositionForceImageSectionCheck  uint32 = 0x00000004
	FileDispositionOnClose                 uint32 = 0x00000008
	FileDispositionIgnoreReadonlyAttribute uint32 = 0x00000010
)

// DecodeFileDispositionInfo decodes FileDispositionInformation (class
// 13, one byte DeletePending) or FileDispositionInformationEx (class 64,
// 4-byte Flags) and returns the flags; for class 13 DeletePending maps to
// FileDispositionDelete.
func DecodeFileDispositionInfo(b []byte, class uint8) (uint32, error) {
	if class == FileDispositionInformationEx {
		if len(b) < 4 {
			return 0, StatusInfoLengthMismatch
		}
		return binary.LittleEndian.Uint32(b), nil
	}
	if len(b) < 1 {
		return 0, StatusInfoLengthMismatch
	}
	if b[0] != 0 {
		return FileDispositionDelete, nil
	}
	return FileDispositionDoNotDelete, nil
}

// DecodeUint64Info decodes the single 8-byte field of
// FilePositionInformation, FileAllocationInformation and
// FileEndOfFileInformation.
func DecodeUint64Info(b []byte) (uint64, error) {
	if len(b) < 8 {
		return 0, StatusInfoLengthMismatch
	}
	return binary.LittleEndian.Uint64(b), nil
}

// DecodeFileModeInfo decodes FileModeInformation (4-byte Mode).
func DecodeFileModeInfo(b []byte) (uint32, error) {
	if len(b) < 4 {
		return 0, StatusInfoLengthMismatch
	}
	return binary.LittleEndian.Uint32(b), nil
}
