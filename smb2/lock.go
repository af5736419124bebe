package smb2

import (
	"encoding/binary"
	"fmt"
)

// Lock element flags (MS-SMB2 2.2.26.1).
const (
	LockFlagSharedLock      uint32 = 0x00000001
	LockFlagExclusiveLock   uint32 = 0x00000002
	LockFlagUnlock          uint32 = 0x00000004
	LockFlagFailImmediately uint32 = 0x00000010
)

const (
	lockRequestFixedSize = 24
	lockElementSize      = 24
)

// LockElement is one byte-range lock or unlock.
type LockElement struct {
	Offset uint64
	Length uint64
	Flags  uint32
}

// LockRequest is a decoded LOCK request (MS-SMB2 2.2.26).
type LockRequest struct {
	LockSequenceNumber uint8  // low 4 bits of LockSequence (SMB 2.1+)
	LockSequenceIndex  uint32 // high 28 bits of LockSequence
	FileID             FileID
	Locks              []LockElement
}

// DecodeLockRequest decodes a LOCK request message. LockCount must be at
// least one and every element must lie inside msg.
func DecodeLockRequest(msg []byte) (LockRequest, error) {
	var r LockRequest
	b, err := bodyOf(msg, lockRequestFixedSize, 48)
	if err != nil {
		return r, err
	}
	le := binary.LittleEndian
	n := int(le.Uint16(b[2:]))
	seq := le.Uint32(b[4:])
	r.LockSequenceNumber = uint8(seq & 0xF)
	r.LockSequenceIndex = seq >> 4
	r.FileID = DecodeFileID(b[8:])
	if n == 0 || n*lockElementSize > len(b)-lockRequestFixedSize {
		return r, fmt.Errorf("lock count %d: %w", n, ErrMalformed)
	}
	r.Locks = make([]LockElement, n)
	for i := range r.Locks {
		e := b[lockRequestFixedSize+i*lockElementSize:]
		r.Locks[i] = LockElement{
			Offset: le.Uint64(e),
			Length: le.Uint64(e[8:]),
			Flags:  le.Uint32(e[16:]),
		}
	}
	return r, nil
}

// AppendLockResponse appends the 4-byte LOCK response body.
func AppendLockResponse(dst []byte) []byte {
	return append(dst, 4, 0, 0, 0)
}
