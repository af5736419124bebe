package smb2

import (
	"encoding/binary"
)

// CHANGE_NOTIFY request flags.
const ChangeNotifyWatchTree uint16 = 0x0001

// Completion filter bits (MS-SMB2 2.2.35).
const (
	FileNotifyChangeFileName    uint32 = 0x00000001
	FileNotifyChangeDirName     uint32 = 0x00000002
	FileNotifyChangeAttributes  uint32 = 0x00000004
	FileNotifyChangeSize        uint32 = 0x00000008
	FileNotifyChangeLastWrite   uint32 = 0x00000010
	FileNotifyChangeLastAccess  uint32 = 0x00000020
	FileNotifyChangeCreation    uint32 = 0x00000040
	FileNotifyChangeEA          uint32 = 0x00000080
	FileNotifyChangeSecurity    uint32 = 0x00000100
	FileNotifyChangeStreamName  uint32 = 0x00000200
	FileNotifyChangeStreamSize  uint32 = 0x00000400
	FileNotifyChangeStreamWrite uint32 = 0x00000800
)

// FILE_NOTIFY_INFORMATION actions (MS-FSCC 2.7.1).
const (
	FileActionAdded          uint32 = 0x00000001
	FileActionRemoved        uint32 = 0x00000002
	FileActionModified       uint32 = 0x00000003
	FileActionRenamedOldName uint32 = 0x00000004
	FileActionRenamedNewName uint32 = 0x00000005
	FileActionAddedStream    uint32 = 0x00000006
	FileActionRemovedStream  uint32 = 0x00000007
	FileActionModifiedStream uint32 = 0x00000008
)

const changeNotifyRequestSize = 32

// ChangeNotifyRequest is a decoded CHANGE_NOTIFY request (MS-SMB2 2.2.35).
type ChangeNotifyRequest struct {
	Flags              uint16
	OutputBufferLength uint32
	FileID             FileID
	CompletionFilter   uint32
}

// DecodeChangeNotifyRequest decodes a CHANGE_NOTIFY request message.
func DecodeChangeNotifyRequest(msg []byte) (ChangeNotifyRequest, error) {
	var r ChangeNotifyRequest
	b, err := bodyOf(msg, changeNotifyRequestSize, changeNotifyRequestSize)
	if err != nil {
		return r, err
	}
	le := binary.LittleEndian
	r.Flags = le.Uint16(b[2:])
	r.OutputBufferLength = le.Uint32(b[4:])
	r.FileID = DecodeFileID(b[8:])
	r.CompletionFilter = le.Uint32(b[24:])
	return r, nil
}

// FileNotifyInformation is one change reported by CHANGE_NOTIFY.
type FileNotifyInformation struct {
	Action   uint32
	FileName string // relative to the watched directory
}

// AppendFileNotifyInformation appends the changes as a chain of
// FILE_NOTIFY_INFORMATION structures, each padded to a multiple of 4
// bytes, the last with NextEntryOffset 0. The result is the output buffer
// of a CHANGE_NOTIFY response (see AppendOutputResponse).
func AppendFileNotifyInformation(dst []byte, changes []FileNotifyInformation) []byte {
	le := binary.LittleEndian
	for i, c := range changes {
		start := len(dst)
		dst = le.AppendUint32(dst, 0)
		dst = le.AppendUint32(dst, c.Action)
		dst = le.AppendUint32(dst, uint32(UTF16Len(c.FileName)))
		dst = AppendUTF16(dst, c.FileName)
		for (len(dst)-start)%4 != 0 {
			dst = append(dst, 0)
		}
		if i < len(changes)-1 {
			le.PutUint32(dst[start:], uint32(len(dst)-start))
		}
	}
	return dst
}
