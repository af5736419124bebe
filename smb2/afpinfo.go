package smb2

import (
	"bytes"
	"encoding/binary"
)

// AFP_AfpInfo is the stream in which Apple's SMB client keeps a file's
// Finder metadata (type, creator, flags, label colour, the "date added"),
// as Apple's own SMB server and Samba's vfs_fruit lay it out. All
// multi-byte fields are big-endian:
//
//	0   Signature   "AFP\0"
//	4   Version     0x00000100
//	8   Reserved    (4)
//	12  BackupTime  0x80000000 when never backed up
//	16  FinderInfo  32 bytes (FileInfo + ExtendedFileInfo)
//	48  ProDOSInfo  6 bytes
//	54  Reserved    6 bytes

// AfpInfoSize is the size of an AFP_AfpInfo stream.
const AfpInfoSize = 60

// AfpInfoFinderInfoOffset is where the FinderInfo starts in AFP_AfpInfo;
// a write of at most this many bytes changes nothing a client reads.
const AfpInfoFinderInfoOffset = 16

// AfpInfo signature and version.
const (
	AfpSignature uint32 = 0x41465000 // "AFP\0"
	AfpVersion   uint32 = 0x00000100
)

// AfpInfo is a decoded AFP_AfpInfo stream.
type AfpInfo struct {
	Signature  uint32
	Version    uint32
	BackupTime uint32
	FinderInfo [32]byte
	ProDOSInfo [6]byte
}

// DecodeAfpInfo decodes an AFP_AfpInfo stream. ok is false unless b is
// 60 bytes with Apple's signature and version.
func DecodeAfpInfo(b []byte) (ai AfpInfo, ok bool) {
	if len(b) != AfpInfoSize {
		return ai, false
	}
	be := binary.BigEndian
	ai.Signature = be.Uint32(b)
	ai.Version = be.Uint32(b[4:])
	ai.BackupTime = be.Uint32(b[12:])
	copy(ai.FinderInfo[:], b[16:48])
	copy(ai.ProDOSInfo[:], b[48:54])
	return ai, ai.Signature == AfpSignature && ai.Version == AfpVersion
}

// AppendAfpInfo appends ai as a 60-byte AFP_AfpInfo stream.
func (ai *AfpInfo) AppendAfpInfo(dst []byte) []byte {
	be := binary.BigEndian
	dst = be.AppendUint32(dst, ai.Signature)
	dst = be.AppendUint32(dst, ai.Version)
	dst = be.AppendUint32(dst, 0)
	dst = be.AppendUint32(dst, ai.BackupTime)
	dst = append(dst, ai.FinderInfo[:]...)
	dst = append(dst, ai.ProDOSInfo[:]...)
	return append(dst, make([]byte, 6)...)
}

// EmptyFinderInfo reports whether ai's FinderInfo is all zeros; writing
// such an AFP_AfpInfo removes the stream (as on a macOS server).
func (ai *AfpInfo) EmptyFinderInfo() bool {
	return bytes.Equal(ai.FinderInfo[:], make([]byte, len(ai.FinderInfo)))
}
