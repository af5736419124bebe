package smb2

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// SMB 3.1.1 POSIX extensions (the Linux kernel client's "posix" mount
// option; Samba's "smb3 unix extensions"): one negotiate context, one
// create context and the FILE_POSIX_INFORMATION layout used by QUERY_INFO
// class 100 and QUERY_DIRECTORY class 100. Byte layouts as the POSIX
// extensions draft (and the Linux client) define them.

// PosixExtensionsGUID is the data of the POSIX negotiate context and the
// name (tag) of the POSIX create context.
var PosixExtensionsGUID = [16]byte{0x93, 0xAD, 0x25, 0x50, 0x9C, 0xB4, 0x11, 0xE7,
	0xB4, 0x23, 0x83, 0xDE, 0x96, 0x8B, 0xCD, 0x7C}

const (
	// PosixExtensionsAvailable is the negotiate context type
	// SMB2_POSIX_EXTENSIONS_AVAILABLE.
	PosixExtensionsAvailable uint16 = 0x0100
	// FilePosixInformation is the QUERY_INFO file class and the
	// QUERY_DIRECTORY class (SMB_FIND_FILE_POSIX_INFO) 100.
	FilePosixInformation uint8 = 100
	// CreateContextPosix names the POSIX create context.
	CreateContextPosix = "\x93\xAD\x25\x50\x9C\xB4\x11\xE7\xB4\x23\x83\xDE\x96\x8B\xCD\x7C"
)

// IsPosixNegotiateContext reports whether the data of a negotiate context
// of type PosixExtensionsAvailable names the POSIX extensions.
func IsPosixNegotiateContext(data []byte) bool {
	return len(data) >= 16 && [16]byte(data[:16]) == PosixExtensionsGUID
}

// PosixNegotiateContextData is the server's answer to that context.
func PosixNegotiateContextData() []byte { return append([]byte(nil), PosixExtensionsGUID[:]...) }

// ErrPosixContext reports a malformed POSIX create context.
var ErrPosixContext = errors.New("smb2: malformed POSIX create context")

// DecodePosixCreateContext returns the mode (POSIX permission bits, the
// low 12 bits) a POSIX create context asks for.
func DecodePosixCreateContext(data []byte) (uint32, error) {
	if len(data) < 4 {
		return 0, ErrPosixContext
	}
	return binary.LittleEndian.Uint32(data) & 0o7777, nil
}

// UnixUserSID is S-1-22-1-uid and UnixGroupSID is S-1-22-2-gid, the
// "Unix users/groups" SIDs Samba uses and the Linux client maps back to
// ids without an upcall when POSIX extensions are on.
func UnixUserSID(uid uint32) string { return "S-1-22-1-" + strconv.FormatUint(uint64(uid), 10) }

// UnixGroupSID is S-1-22-2-gid (see UnixUserSID).
func UnixGroupSID(gid uint32) string { return "S-1-22-2-" + strconv.FormatUint(uint64(gid), 10) }

// PosixInfo is what the POSIX extensions add to a file's information:
// the body of the POSIX create context response, also embedded in
// FILE_POSIX_INFORMATION.
type PosixInfo struct {
	HardLinks  uint32
	ReparseTag uint32
	Mode       uint32 // POSIX permission bits (07777)
	Owner      string // SID string, e.g. UnixUserSID(uid)
	Group      string
}

// AppendPosixCreateResponse appends the POSIX create context response:
// HardLinks, ReparseTag, Mode, owner SID, group SID.
func AppendPosixCreateResponse(dst []byte, p PosixInfo) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, p.HardLinks)
	dst = le.AppendUint32(dst, p.ReparseTag)
	dst = le.AppendUint32(dst, p.Mode)
	dst = append(dst, mustSID(p.Owner)...)
	return append(dst, mustSID(p.Group)...)
}

// DecodePosixCreateResponse parses a POSIX create context response.
func DecodePosixCreateResponse(b []byte) (PosixInfo, error) {
	var p PosixInfo
	if len(b) < 12 {
		return p, ErrPosixContext
	}
	le := binary.LittleEndian
	p.HardLinks, p.ReparseTag, p.Mode = le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:])
	var n int
	var err error
	if p.Owner, n, err = DecodeSID(b[12:]); err != nil {
		return p, err
	}
	p.Group, _, err = DecodeSID(b[12+n:])
	return p, err
}

// posixFixed appends the part of FILE_POSIX_INFORMATION before the
// POSIX create context body: times, sizes, DOS attributes, inode,
// device id and a reserved zero.
func posixFixed(dst []byte, fi *FileInfo, dev uint32) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint64(dst, fi.CreationTime)
	dst = le.AppendUint64(dst, fi.LastAccessTime)
	dst = le.AppendUint64(dst, fi.LastWriteTime)
	dst = le.AppendUint64(dst, fi.ChangeTime)
	dst = le.AppendUint64(dst, fi.EndOfFile)
	dst = le.AppendUint64(dst, fi.AllocationSize)
	dst = le.AppendUint32(dst, fi.FileAttributes)
	dst = le.AppendUint64(dst, fi.IndexNumber)
	dst = le.AppendUint32(dst, dev)
	return le.AppendUint32(dst, 0)
}

// AppendFilePosixInfo appends FILE_POSIX_INFORMATION (QUERY_INFO class
// 100) for fi and p: the fixed part and the POSIX create context body.
func AppendFilePosixInfo(dst []byte, fi *FileInfo, p PosixInfo, dev uint32) []byte {
	dst = posixFixed(dst, fi, dev)
	return AppendPosixCreateResponse(dst, p)
}

// AppendFindPosixInfo appends one SMB_FIND_FILE_POSIX_INFO entry
// (QUERY_DIRECTORY class 100) with NextEntryOffset 0: NextEntryOffset,
// a reserved 4 bytes, FILE_POSIX_INFORMATION, then the name's byte
// length and the name in UTF-16. The caller links entries.
func AppendFindPosixInfo(dst []byte, fi *FileInfo, p PosixInfo, dev uint32, name string) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint32(dst, 0)
	dst = AppendFilePosixInfo(dst, fi, p, dev)
	n := AppendUTF16(nil, name)
	dst = le.AppendUint32(dst, uint32(len(n)))
	return append(dst, n...)
}

// FilePosixInfoFixedSize is the size of FILE_POSIX_INFORMATION before
// the SIDs (the fixed part plus HardLinks, ReparseTag and Mode).
const FilePosixInfoFixedSize = 68 + 12

// DecodeFilePosixInfo parses FILE_POSIX_INFORMATION (as a client would):
// the FileInfo fields it carries, the POSIX part and the device id.
func DecodeFilePosixInfo(b []byte) (FileInfo, PosixInfo, uint32, error) {
	var fi FileInfo
	if len(b) < FilePosixInfoFixedSize {
		return fi, PosixInfo{}, 0, ErrPosixContext
	}
	le := binary.LittleEndian
	fi.CreationTime, fi.LastAccessTime = le.Uint64(b), le.Uint64(b[8:])
	fi.LastWriteTime, fi.ChangeTime = le.Uint64(b[16:]), le.Uint64(b[24:])
	fi.EndOfFile, fi.AllocationSize = le.Uint64(b[32:]), le.Uint64(b[40:])
	fi.FileAttributes = le.Uint32(b[48:])
	fi.IndexNumber = le.Uint64(b[52:])
	dev := le.Uint32(b[60:])
	p, err := DecodePosixCreateResponse(b[68:])
	return fi, p, dev, err
}

// FileFsPosixInformation is the QUERY_INFO file system class 100 of the
// POSIX extensions (FILE_SYSTEM_POSIX_INFO), the only statfs the Linux
// client asks for on a "posix" mount.
const FileFsPosixInformation uint8 = 100

// FsPosixInfoSize is the size of FILE_SYSTEM_POSIX_INFO.
const FsPosixInfoSize = 56

// FsPosixInfo is FILE_SYSTEM_POSIX_INFO: sizes in BlockSize units, -1
// (all ones) for what is not known.
type FsPosixInfo struct {
	OptimalTransferSize uint32
	BlockSize           uint32
	TotalBlocks         uint64
	BlocksAvail         uint64 // free
	UserBlocksAvail     uint64 // free to this user
	TotalFileNodes      uint64
	FreeFileNodes       uint64
	FileSysIdentifier   uint64
}

// AppendFsPosixInfo appends FILE_SYSTEM_POSIX_INFO for fs: allocation
// units as blocks, no inode counts (-1), the serial number as the id.
func AppendFsPosixInfo(dst []byte, fs *FSInfo) []byte {
	bs := fs.SectorsPerAllocationUnit * fs.BytesPerSector
	p := FsPosixInfo{OptimalTransferSize: bs, BlockSize: bs, TotalBlocks: fs.TotalAllocationUnits,
		BlocksAvail: fs.ActualAvailableUnits, UserBlocksAvail: fs.CallerAvailableUnits,
		TotalFileNodes: ^uint64(0), FreeFileNodes: ^uint64(0), FileSysIdentifier: uint64(fs.VolumeSerialNumber)}
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, p.OptimalTransferSize)
	dst = le.AppendUint32(dst, p.BlockSize)
	for _, v := range []uint64{p.TotalBlocks, p.BlocksAvail, p.UserBlocksAvail, p.TotalFileNodes, p.FreeFileNodes, p.FileSysIdentifier} {
		dst = le.AppendUint64(dst, v)
	}
	return dst
}

// DecodeFsPosixInfo parses FILE_SYSTEM_POSIX_INFO (as a client would).
func DecodeFsPosixInfo(b []byte) (FsPosixInfo, error) {
	var p FsPosixInfo
	if len(b) < FsPosixInfoSize {
		return p, ErrPosixContext
	}
	le := binary.LittleEndian
	p.OptimalTransferSize, p.BlockSize = le.Uint32(b), le.Uint32(b[4:])
	p.TotalBlocks, p.BlocksAvail, p.UserBlocksAvail = le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:])
	p.TotalFileNodes, p.FreeFileNodes, p.FileSysIdentifier = le.Uint64(b[32:]), le.Uint64(b[40:]), le.Uint64(b[48:])
	return p, nil
}
