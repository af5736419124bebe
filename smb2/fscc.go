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
	case FileFsPosixInformation:
		return AppendFsPosixInfo(dst, fs), nil
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

// MinInfoSize returns the size of a variable-length information class's C
// structure (fixed part plus alignment, as Windows measures it): a QUERY_INFO
// output buffer at least this large gets the data truncated with
// STATUS_BUFFER_OVERFLOW (MS-SMB2 3.3.5.20.1). It is 0 for fixed-size
// classes, which must fit whole.
func MinInfoSize(infoType, class uint8) int {
	if infoType == InfoFile {
		switch class {
		case FileAllInformation:
			return 104
		case FileNameInformation, FileNormalizedNameInformation, FileAlternateNameInformation:
			return 8
		case FileStreamInformation:
			return 32
		case FileFullEaInformation:
			return 12
		}
		return 0
	}
	switch class {
	case FileFsVolumeInformation:
		return 24
	case FileFsAttributeInformation:
		return 16
	}
	return 0
}

// FileStreamInfo is one FILE_STREAM_INFORMATION entry (MS-FSCC 2.4.43).
type FileStreamInfo struct {
	Name           string // ":NAME:$DATA", "::$DATA" for the unnamed stream
	Size           uint64
	AllocationSize uint64
}

// AppendFileStreamInformation appends streams as a FILE_STREAM_INFORMATION
// chain, each entry but the last padded to a multiple of 8 bytes.
func AppendFileStreamInformation(dst []byte, streams []FileStreamInfo) []byte {
	for i, e := range streams {
		start := len(dst)
		nameLen := UTF16Len(e.Name)
		size := 24 + nameLen
		next := 0
		if i < len(streams)-1 {
			next = (size + 7) &^ 7
		}
		dst = le.AppendUint32(dst, uint32(next))
		dst = le.AppendUint32(dst, uint32(nameLen))
		dst = le.AppendUint64(dst, e.Size)
		dst = le.AppendUint64(dst, e.AllocationSize)
		dst = AppendUTF16(dst, e.Name)
		for len(dst)-start < next {
			dst = append(dst, 0)
		}
	}
	return dst
}
