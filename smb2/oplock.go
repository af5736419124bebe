package smb2

import "encoding/binary"

// OplockBreakMessage is an oplock break notification (server to client) or
// acknowledgment (client to server) and the acknowledgment's response;
// all three share this 24-byte layout (MS-SMB2 2.2.23.1, 2.2.24.1,
// 2.2.25.1).
type OplockBreakMessage struct {
	OplockLevel uint8
	FileID      FileID
}

const oplockBreakSize = 24

// DecodeOplockBreakAck decodes an oplock break acknowledgment message.
// Lease break acknowledgments (StructureSize 36) are rejected with
// ErrMalformed; callers that support leases check StructureSize first.
func DecodeOplockBreakAck(msg []byte) (OplockBreakMessage, error) {
	b, err := bodyOf(msg, oplockBreakSize, oplockBreakSize)
	if err != nil {
		return OplockBreakMessage{}, err
	}
	return OplockBreakMessage{OplockLevel: b[2], FileID: DecodeFileID(b[8:])}, nil
}

// Append appends the 24-byte body of a notification or acknowledgment
// response.
func (r *OplockBreakMessage) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, oplockBreakSize)
	dst = append(dst, r.OplockLevel, 0, 0, 0, 0, 0)
	return appendFileID(dst, r.FileID)
}

// LeaseBreakAckSize is the StructureSize of a lease break acknowledgment
// (MS-SMB2 2.2.24.2).
const LeaseBreakAckSize = 36

// IsLeaseBreakAck reports whether the OPLOCK_BREAK message msg (header
// included) is a lease break acknowledgment rather than an oplock one: the
// two are told apart by StructureSize alone (MS-SMB2 3.3.5.22).
func IsLeaseBreakAck(msg []byte) bool {
	return len(msg) >= HeaderSize+2 && le.Uint16(msg[HeaderSize:]) == LeaseBreakAckSize
}
