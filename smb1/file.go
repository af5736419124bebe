package smb1

// NTCreateRequest is an NT_CREATE_ANDX request (MS-CIFS 2.2.4.64.1).
type NTCreateRequest struct {
	AndX               AndX
	Flags              uint32
	RootDirectoryFID   uint32
	DesiredAccess      uint32
	AllocationSize     uint64
	ExtFileAttributes  uint32
	ShareAccess        uint32
	CreateDisposition  uint32
	CreateOptions      uint32
	ImpersonationLevel uint32
	SecurityFlags      uint8
	Name               string
}

// NT_CREATE_ANDX flags.
const (
	NTCreateRequestOplock      uint32 = 0x02
	NTCreateRequestBatchOplock uint32 = 0x04
	NTCreateOpenTargetDir      uint32 = 0x08
	NTCreateExtendedResponse   uint32 = 0x10
)

// DecodeNTCreateRequest decodes the block b of msg.
func DecodeNTCreateRequest(msg []byte, b *Block, unicode bool) (NTCreateRequest, error) {
	var r NTCreateRequest
	a, err := decodeAndXWords(msg, b, 48)
	if err != nil {
		return r, err
	}
	w := b.Words
	r.AndX = a
	nameLen := int(le.Uint16(w[5:]))
	r.Flags = le.Uint32(w[7:])
	r.RootDirectoryFID = le.Uint32(w[11:])
	r.DesiredAccess = le.Uint32(w[15:])
	r.AllocationSize = le.Uint64(w[19:])
	r.ExtFileAttributes = le.Uint32(w[27:])
	r.ShareAccess = le.Uint32(w[31:])
	r.CreateDisposition = le.Uint32(w[35:])
	r.CreateOptions = le.Uint32(w[39:])
	r.ImpersonationLevel = le.Uint32(w[43:])
	r.SecurityFlags = w[47]
	hi := b.End
	start := b.BytesOff
	if unicode && start%2 != 0 {
		start++
	}
	if nameLen <= hi-start {
		hi = start + nameLen // NameLength counts bytes, terminator optional
	}
	r.Name, _, err = String(msg, b.BytesOff, hi, unicode)
	return r, err
}

// NTCreateResponse is the NT_CREATE_ANDX response (WordCount 34). Times
// are FILETIMEs.
type NTCreateResponse struct {
	OplockLevel       uint8
	FID               uint16
	CreateAction      uint32
	CreationTime      uint64
	LastAccessTime    uint64
	LastWriteTime     uint64
	ChangeTime        uint64
	ExtFileAttributes uint32
	AllocationSize    uint64
	EndOfFile         uint64
	ResourceType      uint16
	NMPipeStatus      uint16
	Directory         bool
}

// Append appends the response block.
func (r *NTCreateResponse) Append(dst []byte) []byte {
	dst, start := BeginBlock(dst)
	dst = AppendAndX(dst)
	dst = append(dst, r.OplockLevel)
	dst = le.AppendUint16(dst, r.FID)
	dst = le.AppendUint32(dst, r.CreateAction)
	dst = r.appendInfo(dst)
	dst, bc := EndWords(dst, start)
	EndBlock(dst, bc)
	return dst
}

// appendInfo appends the fields from CreationTime to Directory, the same
// in NT_CREATE_ANDX and NT_TRANSACT_CREATE responses.
func (r *NTCreateResponse) appendInfo(dst []byte) []byte {
	dst = le.AppendUint64(dst, r.CreationTime)
	dst = le.AppendUint64(dst, r.LastAccessTime)
	dst = le.AppendUint64(dst, r.LastWriteTime)
	dst = le.AppendUint64(dst, r.ChangeTime)
	dst = le.AppendUint32(dst, r.ExtFileAttributes)
	dst = le.AppendUint64(dst, r.AllocationSize)
	dst = le.AppendUint64(dst, r.EndOfFile)
	dst = le.AppendUint16(dst, r.ResourceType)
	dst = le.AppendUint16(dst, r.NMPipeStatus)
	dir := byte(0)
	if r.Directory {
		dir = 1
	}
	return append(dst, dir)
}

// DecodeFIDRequest returns the FID that starts the words of CLOSE (3
// words) and FLUSH (1 word).
func DecodeFIDRequest(b *Block, words int) (uint16, error) {
	if len(b.Words) != 2*words {
		return 0, ErrMalformed
	}
	return le.Uint16(b.Words), nil
}

// ReadAndXRequest is a READ_ANDX request (WordCount 10 or 12).
type ReadAndXRequest struct {
	AndX      AndX
	FID       uint16
	Offset    uint64
	MaxCount  uint32 // MaxCountOfBytesToReturn with MaxCountHigh
	MinCount  uint16
	Remaining uint16
}

// DecodeReadAndXRequest decodes the block b of msg. MaxCountHigh (the
// Timeout field of old clients) counts only when large reads were
// negotiated and it is not 0xFFFFFFFF.
func DecodeReadAndXRequest(msg []byte, b *Block, large bool) (ReadAndXRequest, error) {
	var r ReadAndXRequest
	a, err := decodeAndXWords(msg, b, 20, 24)
	if err != nil {
		return r, err
	}
	w := b.Words
	r.AndX = a
	r.FID = le.Uint16(w[4:])
	r.Offset = uint64(le.Uint32(w[6:]))
	r.MaxCount = uint32(le.Uint16(w[10:]))
	r.MinCount = le.Uint16(w[12:])
	if high := le.Uint32(w[14:]); large && high != 0xFFFFFFFF {
		r.MaxCount |= (high & 0xFFFF) << 16
	}
	r.Remaining = le.Uint16(w[18:])
	if len(w) == 24 {
		r.Offset |= uint64(le.Uint32(w[20:])) << 32
	}
	return r, nil
}

// ReadAndXDataOffset is where a READ_ANDX response built by
// AppendReadAndXResponse puts its data: header, WordCount, 12 words,
// ByteCount and one pad byte.
const ReadAndXDataOffset = HeaderSize + 1 + 24 + 2 + 1

// AppendReadAndXResponse appends the READ_ANDX response block for n data
// bytes, up to and including the pad byte, without the data (which may
// follow from a file by sendfile). The block must start at
// ReadAndXDataOffset-28 from the header (it is the only one of the
// message).
func AppendReadAndXResponse(dst []byte, n uint32) []byte {
	dst, start := BeginBlock(dst)
	dst = AppendAndX(dst)
	dst = le.AppendUint16(dst, 0xFFFF) // Available: not a pipe
	dst = le.AppendUint16(dst, 0)      // DataCompactionMode
	dst = le.AppendUint16(dst, 0)      // Reserved
	dst = le.AppendUint16(dst, uint16(n))
	dst = le.AppendUint16(dst, ReadAndXDataOffset)
	dst = le.AppendUint16(dst, uint16(n>>16))
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	dst, bc := EndWords(dst, start)
	dst = append(dst, 0) // pad
	bcount := n + 1
	if bcount > 0xFFFF {
		bcount = 0xFFFF // clients take the size from DataLength(High)
	}
	le.PutUint16(dst[bc:], uint16(bcount))
	return dst
}

// WriteAndXRequest is a WRITE_ANDX request (WordCount 12 or 14), without
// its data.
type WriteAndXRequest struct {
	AndX       AndX
	FID        uint16
	Offset     uint64
	WriteMode  uint16
	Remaining  uint16
	DataLength uint32 // DataLength with DataLengthHigh
	DataOffset uint16 // from the header start
}

// WriteAndXFixedSize is the size of a WRITE_ANDX request with WordCount 14
// up to and including ByteCount: what header splitting reads.
const WriteAndXFixedSize = HeaderSize + 1 + 28 + 2

// Write modes.
const WriteThrough uint16 = 0x0001

// DecodeWriteAndXWords decodes the words of a WRITE_ANDX request whose
// message is msgLen bytes long (the data may still be in the socket) and
// checks that the data lies after the words and inside the message.
func DecodeWriteAndXWords(b *Block, msgLen int, large bool) (WriteAndXRequest, error) {
	var r WriteAndXRequest
	if len(b.Words) != 24 && len(b.Words) != 28 {
		return r, ErrMalformed
	}
	a, err := DecodeAndX(b, msgLen)
	if err != nil {
		return r, err
	}
	w := b.Words
	r.AndX = a
	r.FID = le.Uint16(w[4:])
	r.Offset = uint64(le.Uint32(w[6:]))
	r.WriteMode = le.Uint16(w[14:])
	r.Remaining = le.Uint16(w[16:])
	r.DataLength = uint32(le.Uint16(w[20:]))
	if large {
		r.DataLength |= uint32(le.Uint16(w[18:])) << 16
	}
	r.DataOffset = le.Uint16(w[22:])
	if len(w) == 28 {
		r.Offset |= uint64(le.Uint32(w[24:])) << 32
	}
	wordsEnd := b.Start + 1 + len(w) + 2
	if int(r.DataOffset) < wordsEnd || int(r.DataOffset) > msgLen || int(r.DataLength) > msgLen-int(r.DataOffset) {
		return r, ErrMalformed
	}
	return r, nil
}

// DecodeWriteAndXRequest decodes a whole WRITE_ANDX and returns its data,
// a subslice of msg.
func DecodeWriteAndXRequest(msg []byte, b *Block, large bool) (WriteAndXRequest, []byte, error) {
	r, err := DecodeWriteAndXWords(b, len(msg), large)
	if err != nil {
		return r, nil, err
	}
	off := int(r.DataOffset)
	return r, msg[off : off+int(r.DataLength)], nil
}

// PeekWriteAndX looks at the first WriteAndXFixedSize bytes h of a lone
// WRITE_ANDX message of msgLen bytes (no chained command) and returns the
// request when its data starts within h's length plus slack bytes: what a
// reader needs to leave the payload in the socket.
func PeekWriteAndX(h []byte, msgLen int, large bool) (Header, WriteAndXRequest, bool) {
	hdr, err := DecodeHeader(h)
	if err != nil || hdr.Command != ComWriteAndX || hdr.Flags&FlagsReply != 0 || len(h) < WriteAndXFixedSize {
		return hdr, WriteAndXRequest{}, false
	}
	if h[HeaderSize] != 14 {
		return hdr, WriteAndXRequest{}, false
	}
	b := Block{Start: HeaderSize, Words: h[HeaderSize+1 : HeaderSize+29], BytesOff: WriteAndXFixedSize, End: WriteAndXFixedSize}
	r, err := DecodeWriteAndXWords(&b, msgLen, large)
	if err != nil || r.AndX.Command != ComNoAndX || int(r.DataOffset)+int(r.DataLength) != msgLen {
		return hdr, r, false
	}
	return hdr, r, true
}

// AppendWriteAndXResponse appends the WRITE_ANDX response block.
func AppendWriteAndXResponse(dst []byte, count uint32) []byte {
	dst, start := BeginBlock(dst)
	dst = AppendAndX(dst)
	dst = le.AppendUint16(dst, uint16(count))
	dst = le.AppendUint16(dst, 0xFFFF) // Available
	dst = le.AppendUint16(dst, uint16(count>>16))
	dst = le.AppendUint16(dst, 0)
	dst, bc := EndWords(dst, start)
	EndBlock(dst, bc)
	return dst
}

// LOCKING_ANDX lock types.
const (
	LockingShared        uint8 = 0x01
	LockingOplockRelease uint8 = 0x02
	LockingChangeType    uint8 = 0x04
	LockingCancel        uint8 = 0x08
	LockingLargeFiles    uint8 = 0x10
)

// LockRange is one LOCKING_ANDX range.
type LockRange struct {
	PID    uint16
	Offset uint64
	Length uint64
}

// LockingRequest is a LOCKING_ANDX request (MS-CIFS 2.2.4.32.1).
type LockingRequest struct {
	AndX        AndX
	FID         uint16
	Type        uint8
	OplockLevel uint8 // NewOPLockLevel of an OPLOCK_RELEASE: 0 none, 1 level II
	Timeout     uint32
	Unlocks     []LockRange
	Locks       []LockRange
}

// MaxLockRanges bounds the ranges of one LOCKING_ANDX.
const MaxLockRanges = 64

// DecodeLockingRequest decodes the block b of msg.
func DecodeLockingRequest(msg []byte, b *Block) (LockingRequest, error) {
	var r LockingRequest
	a, err := decodeAndXWords(msg, b, 16)
	if err != nil {
		return r, err
	}
	w := b.Words
	r.AndX = a
	r.FID = le.Uint16(w[4:])
	r.Type = w[6]
	r.OplockLevel = w[7]
	r.Timeout = le.Uint32(w[8:])
	nu, nl := int(le.Uint16(w[12:])), int(le.Uint16(w[14:]))
	size := 10
	if r.Type&LockingLargeFiles != 0 {
		size = 20
	}
	if nu > MaxLockRanges || nl > MaxLockRanges || (nu+nl)*size > len(b.Bytes) {
		return r, ErrMalformed
	}
	p := b.Bytes
	get := func() LockRange {
		var l LockRange
		if size == 10 {
			l = LockRange{PID: le.Uint16(p), Offset: uint64(le.Uint32(p[2:])), Length: uint64(le.Uint32(p[6:]))}
		} else {
			l = LockRange{PID: le.Uint16(p),
				Offset: uint64(le.Uint32(p[4:]))<<32 | uint64(le.Uint32(p[8:])),
				Length: uint64(le.Uint32(p[12:]))<<32 | uint64(le.Uint32(p[16:]))}
		}
		p = p[size:]
		return l
	}
	for range nu {
		r.Unlocks = append(r.Unlocks, get())
	}
	for range nl {
		r.Locks = append(r.Locks, get())
	}
	return r, nil
}

// ComOpenAndX is OPEN_ANDX (MS-CIFS 2.2.4.41).
const ComOpenAndX Command = 0x2D

// OpenAndXRequest is an OPEN_ANDX request (WordCount 15).
type OpenAndXRequest struct {
	AndX       AndX
	Flags      uint16
	AccessMode uint16
	FileAttrs  uint16
	Time       uint32 // CreationTime, a UTIME: the last write time of a new file
	OpenMode   uint16
	AllocSize  uint32 // the size of a created or truncated file
	Name       string
}

// OPEN_ANDX request flags.
const (
	OpenAndXAdditionalInfo   uint16 = 0x0001
	OpenAndXExtendedResponse uint16 = 0x0010
)

// DecodeOpenAndXRequest decodes the block b of msg.
func DecodeOpenAndXRequest(msg []byte, b *Block, unicode bool) (OpenAndXRequest, error) {
	var r OpenAndXRequest
	a, err := decodeAndXWords(msg, b, 30)
	if err != nil {
		return r, err
	}
	w := b.Words
	r.AndX = a
	r.Flags = le.Uint16(w[4:])
	r.AccessMode = le.Uint16(w[6:])
	r.FileAttrs = le.Uint16(w[10:])
	r.Time = le.Uint32(w[12:])
	r.OpenMode = le.Uint16(w[16:])
	r.AllocSize = le.Uint32(w[18:])
	r.Name, _, err = String(msg, b.BytesOff, b.End, unicode)
	return r, err
}

// OpenAndXResponse is the OPEN_ANDX response (WordCount 15).
type OpenAndXResponse struct {
	FID           uint16
	FileAttrs     uint16
	LastWriteTime uint32 // seconds since 1970 (UTIME)
	FileDataSize  uint32
	AccessRights  uint16
	ResourceType  uint16
	NMPipeStatus  uint16
	OpenResults   uint16
	// Extended: the WordCount 19 form (MS-SMB 2.2.4.1.2) with the
	// maximal access rights.
	Extended      bool
	MaximalAccess uint32
}

// Append appends the response block.
func (r *OpenAndXResponse) Append(dst []byte) []byte {
	dst, start := BeginBlock(dst)
	dst = AppendAndX(dst)
	dst = le.AppendUint16(dst, r.FID)
	dst = le.AppendUint16(dst, r.FileAttrs)
	dst = le.AppendUint32(dst, r.LastWriteTime)
	dst = le.AppendUint32(dst, r.FileDataSize)
	dst = le.AppendUint16(dst, r.AccessRights)
	dst = le.AppendUint16(dst, r.ResourceType)
	dst = le.AppendUint16(dst, r.NMPipeStatus)
	dst = le.AppendUint16(dst, r.OpenResults)
	dst = append(dst, 0, 0, 0, 0, 0, 0)
	if r.Extended {
		dst = le.AppendUint32(dst, r.MaximalAccess)
		dst = le.AppendUint32(dst, 0) // GuestMaximalAccessRights
	}
	dst, bc := EndWords(dst, start)
	EndBlock(dst, bc)
	return dst
}

// Core commands of the DOS era still used by old clients.
const (
	ComQueryInformation Command = 0x08
	ComSetInformation   Command = 0x09
	ComProcessExit      Command = 0x11
)

// AppendQueryInformationResponse appends the QUERY_INFORMATION response
// block (WordCount 10).
func AppendQueryInformationResponse(dst []byte, attrs uint16, mtime, size uint32) []byte {
	dst, start := BeginBlock(dst)
	dst = le.AppendUint16(dst, attrs)
	dst = le.AppendUint32(dst, mtime)
	dst = le.AppendUint32(dst, size)
	dst = append(dst, make([]byte, 10)...)
	dst, bc := EndWords(dst, start)
	EndBlock(dst, bc)
	return dst
}

// DecodeSetInformationWords returns the attributes and UTIME of a
// SET_INFORMATION request (WordCount 8).
func DecodeSetInformationWords(b *Block) (attrs uint16, mtime uint32, err error) {
	if len(b.Words) != 16 {
		return 0, 0, ErrMalformed
	}
	return le.Uint16(b.Words), le.Uint32(b.Words[2:]), nil
}
