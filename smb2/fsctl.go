package smb2

import "net"

// FSCTL input and output buffers carried in IOCTL requests and responses
// (MS-SMB2 2.2.31.1 ff., MS-FSCC 2.3).

// ResumeKeySize is the length of a SRV_REQUEST_RESUME_KEY key.
const ResumeKeySize = 24

// AppendResumeKeyResponse appends SRV_REQUEST_RESUME_KEY's response
// (MS-SMB2 2.2.32.3): the key, ContextLength 0 and 4 reserved bytes.
func AppendResumeKeyResponse(dst []byte, key [ResumeKeySize]byte) []byte {
	dst = append(dst, key[:]...)
	return append(dst, make([]byte, 8)...)
}

// CopyChunk is one SRV_COPYCHUNK element (MS-SMB2 2.2.31.1.1).
type CopyChunk struct {
	SourceOffset uint64
	TargetOffset uint64
	Length       uint32
}

// CopyChunkCopy is SRV_COPYCHUNK_COPY (MS-SMB2 2.2.31.1).
type CopyChunkCopy struct {
	SourceKey [ResumeKeySize]byte
	Chunks    []CopyChunk
}

// copyChunkSize is the size of one SRV_COPYCHUNK element.
const copyChunkSize = 24

// DecodeCopyChunkCopy parses SRV_COPYCHUNK_COPY. The chunk count is
// checked against the input before anything is allocated.
func DecodeCopyChunkCopy(b []byte) (CopyChunkCopy, error) {
	var r CopyChunkCopy
	if len(b) < 32 {
		return r, ErrMalformed
	}
	copy(r.SourceKey[:], b)
	count := le.Uint32(b[24:])
	if uint64(count)*copyChunkSize > uint64(len(b)-32) {
		return r, ErrMalformed
	}
	r.Chunks = make([]CopyChunk, count)
	for i := range r.Chunks {
		e := b[32+copyChunkSize*i:]
		r.Chunks[i] = CopyChunk{SourceOffset: le.Uint64(e), TargetOffset: le.Uint64(e[8:]), Length: le.Uint32(e[16:])}
	}
	return r, nil
}

// CopyChunkResponse is SRV_COPYCHUNK_RESPONSE (MS-SMB2 2.2.32.1).
type CopyChunkResponse struct {
	ChunksWritten     uint32
	ChunkBytesWritten uint32
	TotalBytesWritten uint32
}

// Append appends the response.
func (r *CopyChunkResponse) Append(dst []byte) []byte {
	dst = le.AppendUint32(dst, r.ChunksWritten)
	dst = le.AppendUint32(dst, r.ChunkBytesWritten)
	return le.AppendUint32(dst, r.TotalBytesWritten)
}

// FileRange is a FILE_ALLOCATED_RANGE_BUFFER (MS-FSCC 2.3.33), the input
// and output of FSCTL_QUERY_ALLOCATED_RANGES.
type FileRange struct {
	Offset int64
	Length int64
}

// DecodeFileRange parses a FILE_ALLOCATED_RANGE_BUFFER.
func DecodeFileRange(b []byte) (FileRange, error) {
	if len(b) < 16 {
		return FileRange{}, ErrMalformed
	}
	return FileRange{Offset: int64(le.Uint64(b)), Length: int64(le.Uint64(b[8:]))}, nil
}

// Append appends the range.
func (r FileRange) Append(dst []byte) []byte {
	dst = le.AppendUint64(dst, uint64(r.Offset))
	return le.AppendUint64(dst, uint64(r.Length))
}

// ZeroDataInfo is FILE_ZERO_DATA_INFORMATION (MS-FSCC 2.3.85), the input
// of FSCTL_SET_ZERO_DATA.
type ZeroDataInfo struct {
	FileOffset      int64
	BeyondFinalZero int64
}

// DecodeZeroDataInfo parses FILE_ZERO_DATA_INFORMATION.
func DecodeZeroDataInfo(b []byte) (ZeroDataInfo, error) {
	r, err := DecodeFileRange(b) // the same two 64-bit fields
	return ZeroDataInfo{FileOffset: r.Offset, BeyondFinalZero: r.Length}, err
}

// CompressionFormatNone is COMPRESSION_FORMAT_NONE (MS-FSCC 2.3.9).
const CompressionFormatNone uint16 = 0

// DecodeCompressionState parses FSCTL_SET_COMPRESSION's input, a
// USHORT CompressionState (MS-FSCC 2.3.67).
func DecodeCompressionState(b []byte) (uint16, error) {
	if len(b) < 2 {
		return 0, ErrMalformed
	}
	return le.Uint16(b), nil
}

// AppendCompressionState appends FSCTL_GET_COMPRESSION's output.
func AppendCompressionState(dst []byte, state uint16) []byte {
	return le.AppendUint16(dst, state)
}

// SnapshotArraySize is the size of an SRV_SNAPSHOT_ARRAY without snapshots
// (MS-SMB2 2.2.32.2).
const SnapshotArraySize = 16

// AppendEmptySnapshotArray appends an SRV_SNAPSHOT_ARRAY that lists no
// snapshots.
func AppendEmptySnapshotArray(dst []byte) []byte {
	return append(dst, make([]byte, SnapshotArraySize)...)
}

// NetworkInterfaceInfo is one NETWORK_INTERFACE_INFO entry (MS-SMB2
// 2.2.32.5).
type NetworkInterfaceInfo struct {
	IfIndex    uint32
	Capability uint32 // NETWORK_INTERFACE_CAP_RSS / _RDMA
	LinkSpeed  uint64 // bits per second
	IP         net.IP
}

// Socket address families in SOCKADDR_STORAGE.
const (
	afInterNetwork   = 0x0002
	afInterNetworkV6 = 0x0017
)

// AppendNetworkInterfaceInfo appends ifs as a NETWORK_INTERFACE_INFO chain.
func AppendNetworkInterfaceInfo(dst []byte, ifs []NetworkInterfaceInfo) []byte {
	for i, in := range ifs {
		next := uint32(0)
		if i < len(ifs)-1 {
			next = 152 // the fixed size of an entry
		}
		dst = le.AppendUint32(dst, next)
		dst = le.AppendUint32(dst, in.IfIndex)
		dst = le.AppendUint32(dst, in.Capability)
		dst = le.AppendUint32(dst, 0) // Reserved
		dst = le.AppendUint64(dst, in.LinkSpeed)
		var sa [128]byte // SOCKADDR_STORAGE
		if ip4 := in.IP.To4(); ip4 != nil {
			le.PutUint16(sa[0:], afInterNetwork)
			copy(sa[4:8], ip4)
		} else {
			le.PutUint16(sa[0:], afInterNetworkV6)
			copy(sa[8:24], in.IP.To16())
		}
		dst = append(dst, sa[:]...)
	}
	return dst
}

// FileObjectID is FILE_OBJECTID_BUFFER (MS-FSCC 2.1.3.1), the output of
// FSCTL_CREATE_OR_GET_OBJECT_ID.
type FileObjectID struct {
	ObjectID      [16]byte
	BirthVolumeID [16]byte
	BirthObjectID [16]byte
	DomainID      [16]byte
}

// FileObjectIDSize is the size of FILE_OBJECTID_BUFFER.
const FileObjectIDSize = 64

// Append appends the buffer.
func (r *FileObjectID) Append(dst []byte) []byte {
	dst = append(dst, r.ObjectID[:]...)
	dst = append(dst, r.BirthVolumeID[:]...)
	dst = append(dst, r.BirthObjectID[:]...)
	return append(dst, r.DomainID[:]...)
}

// GUIDFromUint64 returns a GUID whose first 8 bytes are v (little-endian)
// and whose last 8 are tail: the object and volume ids the server derives
// from stable numbers.
func GUIDFromUint64(v uint64, tail []byte) [16]byte {
	var g [16]byte
	le.PutUint64(g[:8], v)
	copy(g[8:], tail)
	return g
}
