package smb2

import "encoding/binary"

// FileInfo is everything the server knows about an open file, from which
// AppendFileInfo encodes the QUERY_INFO file information classes. Times
// are FILETIMEs (see FileTime).
type FileInfo struct {
	CreationTime   uint64
	LastAccessTime uint64
	LastWriteTime  uint64
	ChangeTime     uint64
	FileAttributes uint32
	AllocationSize uint64
	EndOfFile      uint64
	NumberOfLinks  uint32
	DeletePending  bool
	Directory      bool
	IndexNumber    uint64 // FileInternalInformation; also the file ID
	EaSize         uint32
	AccessFlags    uint32 // granted access of the open
	Position       uint64 // CurrentByteOffset
	Mode           uint32
	Alignment      uint32 // AlignmentRequirement, normally 0
	ReparseTag     uint32
	Name           string // path from the share root, leading backslash
	AlternateName  string // 8.3 short name, for FileAlternateNameInformation
}

// Sizes of the fixed-size file information classes.
const (
	fileBasicInfoSize       = 40
	fileStandardInfoSize    = 24
	fileNetworkOpenInfoSize = 56
	fileCompressionInfoSize = 16
	defaultStreamName       = "::$DATA"
)

// AppendFileInfo appends fi encoded as file information class class. It
// returns StatusInvalidInfoClass for a class it cannot encode (the dst
// returned is then unchanged). The caller compares the length appended
// with OutputBufferLength: fixed-size classes that do not fit fail with
// STATUS_INFO_LENGTH_MISMATCH, variable ones are truncated and answered
// with STATUS_BUFFER_OVERFLOW.
func AppendFileInfo(dst []byte, class uint8, fi *FileInfo) ([]byte, error) {
	le := binary.LittleEndian
	switch class {
	case FileBasicInformation:
		return appendBasic(dst, fi), nil
	case FileStandardInformation:
		return appendStandard(dst, fi), nil
	case FileInternalInformation:
		return le.AppendUint64(dst, fi.IndexNumber), nil
	case FileEaInformation:
		return le.AppendUint32(dst, fi.EaSize), nil
	case FileAccessInformation:
		return le.AppendUint32(dst, fi.AccessFlags), nil
	case FileNameInformation, FileNormalizedNameInformation:
		return appendNameInfo(dst, fi.Name), nil
	case FileAlternateNameInformation:
		return appendNameInfo(dst, fi.AlternateName), nil
	case FilePositionInformation:
		return le.AppendUint64(dst, fi.Position), nil
	case FileModeInformation:
		return le.AppendUint32(dst, fi.Mode), nil
	case FileAlignmentInformation:
		return le.AppendUint32(dst, fi.Alignment), nil
	case FileAllInformation:
		dst = appendBasic(dst, fi)
		dst = appendStandard(dst, fi)
		dst = le.AppendUint64(dst, fi.IndexNumber)
		dst = le.AppendUint32(dst, fi.EaSize)
		dst = le.AppendUint32(dst, fi.AccessFlags)
		dst = le.AppendUint64(dst, fi.Position)
		dst = le.AppendUint32(dst, fi.Mode)
		dst = le.AppendUint32(dst, fi.Alignment)
		return appendNameInfo(dst, fi.Name), nil
	case FileStreamInformation:
		if fi.Directory {
			return dst, nil // directories have no data stream
		}
		dst = le.AppendUint32(dst, 0) // NextEntryOffset
		dst = le.AppendUint32(dst, uint32(UTF16Len(defaultStreamName)))
		dst = le.AppendUint64(dst, fi.EndOfFile)
		dst = le.AppendUint64(dst, fi.AllocationSize)
		return AppendUTF16(dst, defaultStreamName), nil
	case FileCompressionInformation:
		dst = le.AppendUint64(dst, fi.EndOfFile)    // CompressedFileSize
		return append(dst, make([]byte, 8)...), nil // format none, shifts, reserved
	case FileNetworkOpenInformation:
		dst = le.AppendUint64(dst, fi.CreationTime)
		dst = le.AppendUint64(dst, fi.LastAccessTime)
		dst = le.AppendUint64(dst, fi.LastWriteTime)
		dst = le.AppendUint64(dst, fi.ChangeTime)
		dst = le.AppendUint64(dst, fi.AllocationSize)
		dst = le.AppendUint64(dst, fi.EndOfFile)
		dst = le.AppendUint32(dst, fi.FileAttributes)
		return le.AppendUint32(dst, 0), nil
	case FileAttributeTagInformation:
		dst = le.AppendUint32(dst, fi.FileAttributes)
		return le.AppendUint32(dst, fi.ReparseTag), nil
	}
	return dst, StatusInvalidInfoClass
}

func appendBasic(dst []byte, fi *FileInfo) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint64(dst, fi.CreationTime)
	dst = le.AppendUint64(dst, fi.LastAccessTime)
	dst = le.AppendUint64(dst, fi.LastWriteTime)
	dst = le.AppendUint64(dst, fi.ChangeTime)
	dst = le.AppendUint32(dst, fi.FileAttributes)
	return le.AppendUint32(dst, 0)
}

func appendStandard(dst []byte, fi *FileInfo) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint64(dst, fi.AllocationSize)
	dst = le.AppendUint64(dst, fi.EndOfFile)
	dst = le.AppendUint32(dst, fi.NumberOfLinks)
	return append(dst, boolByte(fi.DeletePending), boolByte(fi.Directory), 0, 0)
}

func appendNameInfo(dst []byte, name string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(UTF16Len(name)))
	return AppendUTF16(dst, name)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// File system attribute flags (MS-FSCC 2.5.1).
const (
	FileCaseSensitiveSearch     uint32 = 0x00000001
	FileCasePreservedNames      uint32 = 0x00000002
	FileUnicodeOnDisk           uint32 = 0x00000004
	FilePersistentACLs          uint32 = 0x00000008
	FileFileCompression         uint32 = 0x00000010
	FileVolumeQuotas            uint32 = 0x00000020
	FileSupportsSparseFiles     uint32 = 0x00000040
	FileSupportsReparsePoints   uint32 = 0x00000080
	FileSupportsRemoteStorage   uint32 = 0x00000100
	FileVolumeIsCompressed      uint32 = 0x00008000
	FileSupportsObjectIDs       uint32 = 0x00010000
	FileSupportsEncryption      uint32 = 0x00020000
	FileNamedStreams            uint32 = 0x00040000
	FileReadOnlyVolume          uint32 = 0x00080000
	FileSequentialWriteOnce     uint32 = 0x00100000
	FileSupportsTransactions    uint32 = 0x00200000
	FileSupportsHardLinks       uint32 = 0x00400000
	FileSupportsExtendedAttribs uint32 = 0x00800000
	FileSupportsOpenByFileID    uint32 = 0x01000000
	FileSupportsUSNJournal      uint32 = 0x02000000
)

// Device types and characteristics for FileFsDeviceInformation.
const (
	FileDeviceDisk       uint32 = 0x00000007
	FileDeviceNamedPipe  uint32 = 0x00000011
	FileRemoteDevice     uint32 = 0x00000010
	FileDeviceIsMounted  uint32 = 0x00000020
	FileReadOnlyDevice   uint32 = 0x00000002
	FileDeviceSecureOpen uint32 = 0x00000100
)

// FILE_FS_SECTOR_SIZE_INFORMATION flags.
const (
	ssinfoFlagsAlignedDev   uint32 = 0x00000001
	ssinfoFlagsPartitionAln uint32 = 0x00000002
)

// FSInfo describes a share's volume for the file system information
// classes encoded by AppendFSInfo.
type FSInfo struct {
	VolumeCreationTime         uint64
	VolumeSerialNumber         uint32
	VolumeLabel                string
	TotalAllocationUnits       uint64
	CallerAvailableUnits       uint64 // available to this user
	ActualAvailableUnits       uint64 // free on the volume
	SectorsPerAllocationUnit   uint32
	BytesPerSector             uint32
	DeviceType                 uint32 // FileDeviceDisk if 0
	Characteristics            uint32
	FileSystemAttributes       uint32
	MaximumComponentNameLength uint32
	FileSystemName             string // "NTFS" is what clients expect
	ObjectID                   [16]byte
}

// AppendFSInfo appends fs encoded as file system information class
// class, or returns StatusInvalidInfoClass.
func AppendFSInfo(dst []byte, class uint8, fs *FSInfo) ([]byte, error) {
	le := binary.LittleEndian
	switch class {
	case FileFsVolumeInformation:
		dst = le.AppendUint64(dst, fs.VolumeCreationTime)
		dst = le.AppendUint32(dst, fs.VolumeSerialNumber)
		dst = le.AppendUint32(dst, uint32(UTF16Len(fs.VolumeLabel)))
		dst = append(dst, 0, 0) // SupportsObjects, Reserved
		return AppendUTF16(dst, fs.VolumeLabel), nil
	case FileFsSizeInformation:
		dst = le.AppendUint64(dst, fs.TotalAllocationUnits)
		dst = le.AppendUint64(dst, fs.CallerAvailableUnits)
		dst = le.AppendUint32(dst, fs.SectorsPerAllocationUnit)
		return le.AppendUint32(dst, fs.BytesPerSector), nil
	case FileFsDeviceInformation:
		dt := fs.DeviceType
		if dt == 0 {
			dt = FileDeviceDisk
		}
		dst = le.AppendUint32(dst, dt)
		return le.AppendUint32(dst, fs.Characteristics), nil
	case FileFsAttributeInformation:
		dst = le.AppendUint32(dst, fs.FileSystemAttributes)
		dst = le.AppendUint32(dst, fs.MaximumComponentNameLength)
		dst = le.AppendUint32(dst, uint32(UTF16Len(fs.FileSystemName)))
		return AppendUTF16(dst, fs.FileSystemName), nil
	case FileFsFullSizeInformation:
		dst = le.AppendUint64(dst, fs.TotalAllocationUnits)
		dst = le.AppendUint64(dst, fs.CallerAvailableUnits)
		dst = le.AppendUint64(dst, fs.ActualAvailableUnits)
		dst = le.AppendUint32(dst, fs.SectorsPerAllocationUnit)
		return le.AppendUint32(dst, fs.BytesPerSector), nil
	case FileFsObjectIDInformation:
		dst = append(dst, fs.ObjectID[:]...)
		return append(dst, make([]byte, 48)...), nil // ExtendedInfo
	case FileFsSectorSizeInformation:
		bps := fs.BytesPerSector
		dst = le.AppendUint32(dst, bps) // LogicalBytesPerSector
		dst = le.AppendUint32(dst, bps) // PhysicalBytesPerSectorForAtomicity
		dst = le.AppendUint32(dst, bps) // PhysicalBytesPerSectorForPerformance
		dst = le.AppendUint32(dst, bps) // FileSystemEffectivePhysicalBytesPerSectorForAtomicity
		dst = le.AppendUint32(dst, ssinfoFlagsAlignedDev|ssinfoFlagsPartitionAln)
		dst = le.AppendUint32(dst, 0) // ByteOffsetForSectorAlignment
		return le.AppendUint32(dst, 0), nil
	}
	return dst, StatusInvalidInfoClass
}

// infoFixedSizes holds, per file and file system information class, the
// size of the part that must fit in OutputBufferLength; the rest (a name)
// may be truncated.
var infoFixedSizes = map[[2]uint8]int{
	{InfoFile, FileBasicInformation}:              40,
	{InfoFile, FileStandardInformation}:           24,
	{InfoFile, FileInternalInformation}:           8,
	{InfoFile, FileEaInformation}:                 4,
	{InfoFile, FileAccessInformation}:             4,
	{InfoFile, FileNameInformation}:               4,
	{InfoFile, FilePositionInformation}:           8,
	{InfoFile, FileModeInformation}:               4,
	{InfoFile, FileAlignmentInformation}:          4,
	{InfoFile, FileAllInformation}:                100,
	{InfoFile, FileAlternateNameInformation}:      4,
	{InfoFile, FileStreamInformation}:             24,
	{InfoFile, FileCompressionInformation}:        16,
	{InfoFile, FileNetworkOpenInformation}:        56,
	{InfoFile, FileAttributeTagInformation}:       8,
	{InfoFile, FileNormalizedNameInformation}:     4,
	{InfoFilesystem, FileFsVolumeInformation}:     18,
	{InfoFilesystem, FileFsSizeInformation}:       24,
	{InfoFilesystem, FileFsDeviceInformation}:     8,
	{InfoFilesystem, FileFsAttributeInformation}:  12,
	{InfoFilesystem, FileFsFullSizeInformation}:   32,
	{InfoFilesystem, FileFsObjectIDInformation}:   64,
	{InfoFilesystem, FileFsSectorSizeInformation}: 28,
}

// FitInfo applies the QUERY_INFO output rules (MS-SMB2 3.3.5.20.1,
// 3.3.5.20.2) to out, an encoding of class produced by AppendFileInfo or
// AppendFSInfo: if it fits in max it is returned with StatusSuccess; if
// not even the fixed part fits the result is StatusInfoLengthMismatch;
// otherwise out is truncated to max and the status is
// StatusBufferOverflow (a warning: the truncated data is still sent).
func FitInfo(out []byte, infoType, class uint8, max uint32) ([]byte, Status) {
	if uint64(len(out)) <= uint64(max) {
		return out, StatusSuccess
	}
	fixed, ok := infoFixedSizes[[2]uint8{infoType, class}]
	if !ok || uint64(max) < uint64(fixed) {
		return nil, StatusInfoLengthMismatch
	}
	return out[:max], StatusBufferOverflow
}
