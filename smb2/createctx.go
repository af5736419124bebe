package smb2

import "encoding/binary"

// Lease states (MS-SMB2 2.2.13.2.8).
const (
	LeaseNone          uint32 = 0x00
	LeaseReadCaching   uint32 = 0x01
	LeaseHandleCaching uint32 = 0x02
	LeaseWriteCaching  uint32 = 0x04
)

// LeaseFlagParentLeaseKeySet marks a v2 lease request with a parent key.
const LeaseFlagParentLeaseKeySet uint32 = 0x00000004

// DurableHandleFlagPersistent asks for a persistent handle in DH2Q.
const DurableHandleFlagPersistent uint32 = 0x00000002

const (
	leaseV1Size         = 32
	leaseV2Size         = 52
	durableV2ReqSize    = 32
	allocationSizeBytes = 8
)

// LeaseRequest is a decoded SMB2_CREATE_REQUEST_LEASE (v1, 32 bytes) or
// SMB2_CREATE_REQUEST_LEASE_V2 (52 bytes) context.
type LeaseRequest struct {
	LeaseKey       [16]byte
	LeaseState     uint32
	LeaseFlags     uint32
	ParentLeaseKey [16]byte // v2 only
	Epoch          uint16   // v2 only
	V2             bool
}

// DecodeLeaseRequest decodes the data of an RqLs create context.
func DecodeLeaseRequest(b []byte) (LeaseRequest, error) {
	var r LeaseRequest
	if len(b) < leaseV1Size {
		return r, ErrMalformed
	}
	le := binary.LittleEndian
	copy(r.LeaseKey[:], b)
	r.LeaseState = le.Uint32(b[16:])
	r.LeaseFlags = le.Uint32(b[20:])
	if len(b) >= leaseV2Size {
		r.V2 = true
		copy(r.ParentLeaseKey[:], b[32:48])
		r.Epoch = le.Uint16(b[48:])
	}
	return r, nil
}

// AppendLease appends the data of an RqLs create context response in the
// same version as the request.
func (r *LeaseRequest) AppendLease(dst []byte) []byte {
	le := binary.LittleEndian
	dst = append(dst, r.LeaseKey[:]...)
	dst = le.AppendUint32(dst, r.LeaseState)
	dst = le.AppendUint32(dst, r.LeaseFlags)
	dst = le.AppendUint64(dst, 0) // LeaseDuration
	if r.V2 {
		dst = append(dst, r.ParentLeaseKey[:]...)
		dst = le.AppendUint16(dst, r.Epoch)
		dst = le.AppendUint16(dst, 0)
	}
	return dst
}

// DurableHandleRequestV2 is a decoded DH2Q create context.
type DurableHandleRequestV2 struct {
	Timeout    uint32 // milliseconds
	Flags      uint32
	CreateGUID [16]byte
}

// DecodeDurableHandleRequestV2 decodes the data of a DH2Q create context.
func DecodeDurableHandleRequestV2(b []byte) (DurableHandleRequestV2, error) {
	var r DurableHandleRequestV2
	if len(b) < durableV2ReqSize {
		return r, ErrMalformed
	}
	r.Timeout = binary.LittleEndian.Uint32(b)
	r.Flags = binary.LittleEndian.Uint32(b[4:])
	copy(r.CreateGUID[:], b[16:32])
	return r, nil
}

// DurableHandleResponseV2 builds the data of a DH2Q create context
// response: Timeout and Flags.
func DurableHandleResponseV2(timeout, flags uint32) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, timeout)
	binary.LittleEndian.PutUint32(b[4:], flags)
	return b
}

// DurableHandleResponse builds the 8 reserved bytes of a DHnQ create
// context response.
func DurableHandleResponse() []byte { return make([]byte, 8) }

// DecodeAllocationSize decodes the data of an AlSi create context.
func DecodeAllocationSize(b []byte) (uint64, error) {
	if len(b) < allocationSizeBytes {
		return 0, ErrMalformed
	}
	return binary.LittleEndian.Uint64(b), nil
}

const (
	durableV1ReconnectSize = 16
	durableV2ReconnectSize = 36
)

// DecodeDurableHandleReconnect decodes the data of a DHnC create context:
// the FileId of the open to reclaim.
func DecodeDurableHandleReconnect(b []byte) (FileID, error) {
	if len(b) < durableV1ReconnectSize {
		return FileID{}, ErrMalformed
	}
	return DecodeFileID(b), nil
}

// DurableHandleReconnectV2 is a decoded DH2C create context.
type DurableHandleReconnectV2 struct {
	FileID     FileID
	CreateGUID [16]byte
	Flags      uint32
}

// DecodeDurableHandleReconnectV2 decodes the data of a DH2C create context.
func DecodeDurableHandleReconnectV2(b []byte) (DurableHandleReconnectV2, error) {
	var r DurableHandleReconnectV2
	if len(b) < durableV2ReconnectSize {
		return r, ErrMalformed
	}
	r.FileID = DecodeFileID(b)
	copy(r.CreateGUID[:], b[16:32])
	r.Flags = binary.LittleEndian.Uint32(b[32:])
	return r, nil
}
