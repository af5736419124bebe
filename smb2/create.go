package smb2

import (
	"encoding/binary"
	"fmt"
)

// Access mask bits (MS-SMB2 2.2.13.1, MS-DTYP 2.4.3).
const (
	FileReadData        uint32 = 0x00000001 // FILE_READ_DATA / FILE_LIST_DIRECTORY
	FileWriteData       uint32 = 0x00000002 // FILE_WRITE_DATA / FILE_ADD_FILE
	FileAppendData      uint32 = 0x00000004 // FILE_APPEND_DATA / FILE_ADD_SUBDIRECTORY
	FileReadEA          uint32 = 0x00000008
	FileWriteEA         uint32 = 0x00000010
	FileExecute         uint32 = 0x00000020 // FILE_EXECUTE / FILE_TRAVERSE
	FileDeleteChild     uint32 = 0x00000040
	FileReadAttributes  uint32 = 0x00000080
	FileWriteAttributes uint32 = 0x00000100
	Delete              uint32 = 0x00010000
	ReadControl         uint32 = 0x00020000
	WriteDAC            uint32 = 0x00040000
	WriteOwner          uint32 = 0x00080000
	Synchronize         uint32 = 0x00100000
	AccessSystemSec     uint32 = 0x01000000
	MaximumAllowed      uint32 = 0x02000000
	GenericAll          uint32 = 0x10000000
	GenericExecute      uint32 = 0x20000000
	GenericWrite        uint32 = 0x40000000
	GenericRead         uint32 = 0x80000000

	FileListDirectory   = FileReadData
	FileAddFile         = FileWriteData
	FileAddSubdirectory = FileAppendData
	FileTraverse        = FileExecute

	// FileAllAccess is every specific and standard right that applies to
	// a file (0x001F01FF).
	FileAllAccess uint32 = 0x001F01FF
	// FileGenericRead, FileGenericWrite and FileGenericExecute are the
	// file-specific mappings of the GENERIC_* bits (MS-SMB2 3.3.5.9 and
	// Windows GENERIC_MAPPING for files).
	FileGenericRead    uint32 = ReadControl | FileReadData | FileReadAttributes | FileReadEA | Synchronize
	FileGenericWrite   uint32 = ReadControl | FileWriteData | FileWriteAttributes | FileWriteEA | FileAppendData | Synchronize
	FileGenericExecute uint32 = ReadControl | FileReadAttributes | FileExecute | Synchronize
)

// MapGenericAccess replaces the GENERIC_* bits of mask by the file rights
// they stand for. MAXIMUM_ALLOWED is left for the caller.
func MapGenericAccess(mask uint32) uint32 {
	if mask&GenericRead != 0 {
		mask |= FileGenericRead
	}
	if mask&GenericWrite != 0 {
		mask |= FileGenericWrite
	}
	if mask&GenericExecute != 0 {
		mask |= FileGenericExecute
	}
	if mask&GenericAll != 0 {
		mask |= FileAllAccess
	}
	return mask &^ (GenericRead | GenericWrite | GenericExecute | GenericAll)
}

// Share access bits.
const (
	FileShareRead   uint32 = 0x00000001
	FileShareWrite  uint32 = 0x00000002
	FileShareDelete uint32 = 0x00000004
)

// Create dispositions.
const (
	FileSupersede   uint32 = 0x00000000
	FileOpen        uint32 = 0x00000001
	FileCreate      uint32 = 0x00000002
	FileOpenIf      uint32 = 0x00000003
	FileOverwrite   uint32 = 0x00000004
	FileOverwriteIf uint32 = 0x00000005
)

// Create options.
const (
	FileDirectoryFile           uint32 = 0x00000001
	FileWriteThrough            uint32 = 0x00000002
	FileSequentialOnly          uint32 = 0x00000004
	FileNoIntermediateBuffering uint32 = 0x00000008
	FileSynchronousIOAlert      uint32 = 0x00000010
	FileSynchronousIONonalert   uint32 = 0x00000020
	FileNonDirectoryFile        uint32 = 0x00000040
	FileCompleteIfOplocked      uint32 = 0x00000100
	FileNoEAKnowledge           uint32 = 0x00000200
	FileOpenRemoteInstance      uint32 = 0x00000400
	FileRandomAccess            uint32 = 0x00000800
	FileDeleteOnClose           uint32 = 0x00001000
	FileOpenByFileID            uint32 = 0x00002000
	FileOpenForBackupIntent     uint32 = 0x00004000
	FileNoCompression           uint32 = 0x00008000
	FileOpenRequiringOplock     uint32 = 0x00010000
	FileDisallowExclusive       uint32 = 0x00020000
	FileReserveOpfilter         uint32 = 0x00100000
	FileOpenReparsePoint        uint32 = 0x00200000
	FileOpenNoRecall            uint32 = 0x00400000
	FileOpenForFreeSpaceQuery   uint32 = 0x00800000
)

// Create actions returned in the CREATE response.
const (
	FileSuperseded  uint32 = 0x00000000
	FileOpened      uint32 = 0x00000001
	FileCreated     uint32 = 0x00000002
	FileOverwritten uint32 = 0x00000003
)

// File attributes (MS-FSCC 2.6).
const (
	FileAttributeReadonly          uint32 = 0x00000001
	FileAttributeHidden            uint32 = 0x00000002
	FileAttributeSystem            uint32 = 0x00000004
	FileAttributeDirectory         uint32 = 0x00000010
	FileAttributeArchive           uint32 = 0x00000020
	FileAttributeNormal            uint32 = 0x00000080
	FileAttributeTemporary         uint32 = 0x00000100
	FileAttributeSparseFile        uint32 = 0x00000200
	FileAttributeReparsePoint      uint32 = 0x00000400
	FileAttributeCompressed        uint32 = 0x00000800
	FileAttributeOffline           uint32 = 0x00001000
	FileAttributeNotContentIndexed uint32 = 0x00002000
	FileAttributeEncrypted         uint32 = 0x00004000
	FileAttributeIntegrityStream   uint32 = 0x00008000
	FileAttributeNoScrubData       uint32 = 0x00020000
)

// Oplock levels.
const (
	OplockLevelNone      uint8 = 0x00
	OplockLevelII        uint8 = 0x01
	OplockLevelExclusive uint8 = 0x08
	OplockLevelBatch     uint8 = 0x09
	OplockLevelLease     uint8 = 0xFF
)

// Impersonation levels.
const (
	ImpersonationAnonymous      uint32 = 0
	ImpersonationIdentification uint32 = 1
	ImpersonationImpersonation  uint32 = 2
	ImpersonationDelegate       uint32 = 3
)

// CreateFlagReparsePoint is the CREATE response Flags bit saying the
// opened file is a reparse point (SMB 3.1.1).
const CreateFlagReparsePoint uint8 = 0x01

// Create context names (MS-SMB2 2.2.13.2, 2.2.14.2).
const (
	CreateContextEABuffer           = "ExtA"
	CreateContextSecDesc            = "SecD"
	CreateContextDurableRequest     = "DHnQ"
	CreateContextDurableReconnect   = "DHnC"
	CreateContextAllocationSize     = "AlSi"
	CreateContextQueryMaximalAccess = "MxAc"
	CreateContextTimewarpToken      = "TWrp"
	CreateContextQueryOnDiskID      = "QFid"
	CreateContextRequestLease       = "RqLs"
	CreateContextDurableRequestV2   = "DH2Q"
	CreateContextDurableReconnectV2 = "DH2C"
)

const (
	createContextHeaderSize          = 16
	createRequestFixedSize           = 56
	createResponseFixedSize          = 88
	createRequestStructureSize       = 57
	createResponseStructureSize      = 89
	createContextMaximalAccessLength = 8
)

// CreateContext is one create context: its name (usually four ASCII
// characters, sometimes a 16-byte GUID) and its data. In a decoded
// request Data aliases the message.
type CreateContext struct {
	Name string
	Data []byte
}

// CreateRequest is a decoded CREATE request (MS-SMB2 2.2.13).
type CreateRequest struct {
	SecurityFlags        uint8
	RequestedOplockLevel uint8
	ImpersonationLevel   uint32
	SmbCreateFlags       uint64
	DesiredAccess        uint32
	FileAttributes       uint32
	ShareAccess          uint32
	CreateDisposition    uint32
	CreateOptions        uint32
	Name                 string // relative to the share root, backslash separated
	CreateContexts       []CreateContext
}

// Context returns the data of the create context called name and whether
// it is present.
func (r *CreateRequest) Context(name string) ([]byte, bool) {
	for _, c := range r.CreateContexts {
		if c.Name == name {
			return c.Data, true
		}
	}
	return nil, false
}

// DecodeCreateRequest decodes a CREATE request message.
func DecodeCreateRequest(msg []byte) (CreateRequest, error) {
	var r CreateRequest
	b, err := bodyOf(msg, createRequestFixedSize, createRequestStructureSize)
	if err != nil {
		return r, err
	}
	le := binary.LittleEndian
	r.SecurityFlags = b[2]
	r.RequestedOplockLevel = b[3]
	r.ImpersonationLevel = le.Uint32(b[4:])
	r.SmbCreateFlags = le.Uint64(b[8:])
	r.DesiredAccess = le.Uint32(b[24:])
	r.FileAttributes = le.Uint32(b[28:])
	r.ShareAccess = le.Uint32(b[32:])
	r.CreateDisposition = le.Uint32(b[36:])
	r.CreateOptions = le.Uint32(b[40:])
	name, err := bufferAt(msg, uint64(le.Uint16(b[44:])), uint64(le.Uint16(b[46:])))
	if err != nil {
		return r, fmt.Errorf("create name: %w", err)
	}
	if len(name)%2 != 0 {
		return r, fmt.Errorf("create name has odd length: %w", ErrMalformed)
	}
	var ok bool
	if r.Name, ok = DecodeUTF16Name(name); !ok {
		return r, fmt.Errorf("create name: %w", StatusObjectNameInvalid)
	}
	ctx, err := bufferAt(msg, uint64(le.Uint32(b[48:])), uint64(le.Uint32(b[52:])))
	if err != nil {
		return r, fmt.Errorf("create contexts: %w", err)
	}
	if r.CreateContexts, err = DecodeCreateContexts(ctx); err != nil {
		return r, err
	}
	return r, nil
}

// DecodeCreateContexts parses a chain of SMB2_CREATE_CONTEXT structures.
// Data slices alias b.
func DecodeCreateContexts(b []byte) ([]CreateContext, error) {
	var out []CreateContext
	le := binary.LittleEndian
	for len(b) > 0 {
		if len(b) < createContextHeaderSize {
			return nil, fmt.Errorf("create context header: %w", ErrMalformed)
		}
		next := le.Uint32(b)
		nameOff, nameLen := int(le.Uint16(b[4:])), int(le.Uint16(b[6:]))
		dataOff, dataLen := int(le.Uint16(b[10:])), int(le.Uint32(b[12:]))
		end := len(b)
		if next != 0 {
			if uint64(next) > uint64(len(b)) || next < createContextHeaderSize {
				return nil, fmt.Errorf("create context next: %w", ErrMalformed)
			}
			end = int(next)
		}
		if nameLen == 0 || nameOff > end || nameLen > end-nameOff {
			return nil, fmt.Errorf("create context name: %w", ErrMalformed)
		}
		c := CreateContext{Name: string(b[nameOff : nameOff+nameLen])}
		if dataLen != 0 {
			if dataOff > end || dataLen > end-dataOff {
				return nil, fmt.Errorf("create context data: %w", ErrMalformed)
			}
			c.Data = b[dataOff : dataOff+dataLen : dataOff+dataLen]
		}
		out = append(out, c)
		if next == 0 {
			break
		}
		b = b[next:]
	}
	return out, nil
}

// AppendCreateContexts appends ctxs as a chain of SMB2_CREATE_CONTEXT
// structures, each 8-byte aligned, the last with Next = 0. Nothing is
// appended for an empty list.
func AppendCreateContexts(dst []byte, ctxs []CreateContext) []byte {
	le := binary.LittleEndian
	for i, c := range ctxs {
		start := len(dst)
		nameOff := createContextHeaderSize
		dataOff := 0
		if len(c.Data) > 0 {
			dataOff = (nameOff + len(c.Name) + 7) &^ 7
		}
		dst = le.AppendUint32(dst, 0) // Next, patched below
		dst = le.AppendUint16(dst, uint16(nameOff))
		dst = le.AppendUint16(dst, uint16(len(c.Name)))
		dst = le.AppendUint16(dst, 0)
		dst = le.AppendUint16(dst, uint16(dataOff))
		dst = le.AppendUint32(dst, uint32(len(c.Data)))
		dst = append(dst, c.Name...)
		if len(c.Data) > 0 {
			dst = pad8(dst, start)
			dst = append(dst, c.Data...)
		}
		if i < len(ctxs)-1 {
			dst = pad8(dst, start)
			le.PutUint32(dst[start:], uint32(len(dst)-start))
		}
	}
	return dst
}

// MaximalAccessResponse builds the data of an MxAc create context
// response: QueryStatus and MaximalAccess.
func MaximalAccessResponse(status Status, access uint32) []byte {
	b := make([]byte, createContextMaximalAccessLength)
	binary.LittleEndian.PutUint32(b, uint32(status))
	binary.LittleEndian.PutUint32(b[4:], access)
	return b
}

// QueryOnDiskIDResponse builds the data of a QFid create context
// response: DiskFileId, VolumeId and 16 reserved bytes.
func QueryOnDiskIDResponse(diskFileID, volumeID uint64) []byte {
	b := make([]byte, 32)
	binary.LittleEndian.PutUint64(b, diskFileID)
	binary.LittleEndian.PutUint64(b[8:], volumeID)
	return b
}

// CreateResponse is a CREATE response (MS-SMB2 2.2.14). Times are
// FILETIMEs.
type CreateResponse struct {
	OplockLevel    uint8
	Flags          uint8
	CreateAction   uint32
	CreationTime   uint64
	LastAccessTime uint64
	LastWriteTime  uint64
	ChangeTime     uint64
	AllocationSize uint64
	EndOfFile      uint64
	FileAttributes uint32
	FileID         FileID
	CreateContexts []CreateContext
}

// Append appends the response body.
func (r *CreateResponse) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, createResponseStructureSize)
	dst = append(dst, r.OplockLevel, r.Flags)
	dst = le.AppendUint32(dst, r.CreateAction)
	dst = le.AppendUint64(dst, r.CreationTime)
	dst = le.AppendUint64(dst, r.LastAccessTime)
	dst = le.AppendUint64(dst, r.LastWriteTime)
	dst = le.AppendUint64(dst, r.ChangeTime)
	dst = le.AppendUint64(dst, r.AllocationSize)
	dst = le.AppendUint64(dst, r.EndOfFile)
	dst = le.AppendUint32(dst, r.FileAttributes)
	dst = le.AppendUint32(dst, 0)
	dst = appendFileID(dst, r.FileID)
	if len(r.CreateContexts) == 0 {
		dst = le.AppendUint64(dst, 0) // offset and length
		return append(dst, 0)         // the one byte of Buffer
	}
	// Body offset 88 + header 64 = 152, already 8-byte aligned.
	lenPos := len(dst) + 4
	dst = le.AppendUint32(dst, HeaderSize+createResponseFixedSize)
	dst = le.AppendUint32(dst, 0)
	cstart := len(dst)
	dst = AppendCreateContexts(dst, r.CreateContexts)
	le.PutUint32(dst[lenPos:], uint32(len(dst)-cstart))
	return dst
}

func appendFileID(dst []byte, id FileID) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, id.Persistent)
	return binary.LittleEndian.AppendUint64(dst, id.Volatile)
}
