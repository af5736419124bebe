package smb1

// SMB1 oplocks (MS-CIFS 2.2.4.64, 2.2.4.41, 2.2.4.32).

// Oplock levels of the NT_CREATE_ANDX response (OplockLevel).
const (
	OplockNone      uint8 = 0
	OplockExclusive uint8 = 1
	OplockBatch     uint8 = 2
	OplockLevelII   uint8 = 3
)

// OPEN_ANDX oplock bits: requested in Flags, granted in OpenResults.
const (
	OpenAndXRequestOplock uint16 = 0x0002
	OpenAndXRequestBatch  uint16 = 0x0004
	OpenAndXOplockGranted uint16 = 0x8000
)

// BreakLevelNone and BreakLevelII are the NewOPLockLevel of a break.
const (
	BreakLevelNone uint8 = 0
	BreakLevelII   uint8 = 1
)

// OplockBreakSize is the size of AppendOplockBreak's message.
const OplockBreakSize = HeaderSize + 1 + 16 + 2

// AppendOplockBreak appends the oplock break the server sends (a
// LOCKING_ANDX request with OPLOCK_RELEASE, MS-CIFS 3.3.4.2): tree tid,
// file fid, the level to break to (BreakLevelNone, BreakLevelII). PID and
// MID are 0xFFFF, UID 0, Flags and Flags2 0, as Windows and Samba send it.
func AppendOplockBreak(dst []byte, tid, fid uint16, level uint8) []byte {
	h := Header{Command: ComLockingAndX, TID: tid, PIDLow: 0xFFFF, MID: 0xFFFF}
	dst = h.Append(dst)
	dst = append(dst, 8, byte(ComNoAndX), 0, 0, 0)
	dst = le.AppendUint16(dst, fid)
	dst = append(dst, LockingOplockRelease, level)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0) // Timeout, NumberOfUnlocks, NumberOfLocks
	return append(dst, 0, 0)                  // ByteCount
}
