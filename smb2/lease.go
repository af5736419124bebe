package smb2

import "encoding/binary"

// Lease break wire layouts (MS-SMB2 2.2.23.2, 2.2.24.2, 2.2.25.2) and the
// unsolicited notification header (MS-SMB2 3.3.4.6).

// Lease flags of a create response or a lease break notification.
const (
	// LeaseFlagBreakInProgress says a break of the lease is under way
	// (create response, MS-SMB2 2.2.14.2.10).
	LeaseFlagBreakInProgress uint32 = 0x00000002
	// LeaseBreakFlagAckRequired says the client must acknowledge a lease
	// break notification (MS-SMB2 2.2.23.2).
	LeaseBreakFlagAckRequired uint32 = 0x00000001
)

// NotificationMessageID is the MessageId of unsolicited server messages
// (oplock and lease break notifications).
const NotificationMessageID uint64 = 0xFFFFFFFFFFFFFFFF

const leaseBreakNotifySize = 44

// LeaseBreakNotification is a lease break notification (server to client).
type LeaseBreakNotification struct {
	NewEpoch          uint16 // 3.x only; 0 for leases of version 1
	Flags             uint32 // LeaseBreakFlagAckRequired
	LeaseKey          [16]byte
	CurrentLeaseState uint32
	NewLeaseState     uint32
}

// Append appends the 44-byte notification body.
func (n *LeaseBreakNotification) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, leaseBreakNotifySize)
	dst = le.AppendUint16(dst, n.NewEpoch)
	dst = le.AppendUint32(dst, n.Flags)
	dst = append(dst, n.LeaseKey[:]...)
	dst = le.AppendUint32(dst, n.CurrentLeaseState)
	dst = le.AppendUint32(dst, n.NewLeaseState)
	return append(dst, make([]byte, 12)...) // BreakReason, AccessMaskHint, ShareMaskHint
}

// DecodeLeaseBreakNotification decodes a notification message (header
// included); clients and tests use it.
func DecodeLeaseBreakNotification(msg []byte) (LeaseBreakNotification, error) {
	b, err := bodyOf(msg, leaseBreakNotifySize, leaseBreakNotifySize)
	if err != nil {
		return LeaseBreakNotification{}, err
	}
	le := binary.LittleEndian
	n := LeaseBreakNotification{NewEpoch: le.Uint16(b[2:]), Flags: le.Uint32(b[4:]),
		CurrentLeaseState: le.Uint32(b[24:]), NewLeaseState: le.Uint32(b[28:])}
	copy(n.LeaseKey[:], b[8:24])
	return n, nil
}

// LeaseBreakAck is a lease break acknowledgment (client to server) or its
// response (server to client); both have this 36-byte layout.
type LeaseBreakAck struct {
	Flags      uint32
	LeaseKey   [16]byte
	LeaseState uint32
}

// DecodeLeaseBreakAck decodes a lease break acknowledgment message.
func DecodeLeaseBreakAck(msg []byte) (LeaseBreakAck, error) {
	b, err := bodyOf(msg, LeaseBreakAckSize, LeaseBreakAckSize)
	if err != nil {
		return LeaseBreakAck{}, err
	}
	le := binary.LittleEndian
	a := LeaseBreakAck{Flags: le.Uint32(b[4:]), LeaseState: le.Uint32(b[24:])}
	copy(a.LeaseKey[:], b[8:24])
	return a, nil
}

// Append appends the 36-byte acknowledgment (or response) body.
func (a *LeaseBreakAck) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, LeaseBreakAckSize)
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint32(dst, a.Flags)
	dst = append(dst, a.LeaseKey[:]...)
	dst = le.AppendUint32(dst, a.LeaseState)
	return le.AppendUint64(dst, 0) // LeaseDuration
}

// AppendOplockBreakAck appends an oplock break acknowledgment body (the
// client's side of the 24-byte layout); clients and tests use it.
func AppendOplockBreakAck(dst []byte, level uint8, id FileID) []byte {
	m := OplockBreakMessage{OplockLevel: level, FileID: id}
	return m.Append(dst)
}

// AppendNotification appends a complete unsolicited OPLOCK_BREAK message
// (header and body) with MessageId all ones: sessionID is the open's
// session for an oplock break and 0 for a lease break, as Windows and
// Samba send them.
func AppendNotification(dst []byte, sessionID uint64, body []byte) []byte {
	h := Header{Command: OplockBreak, Flags: FlagResponse, MessageID: NotificationMessageID, SessionID: sessionID}
	dst = h.Append(dst)
	return append(dst, body...)
}
