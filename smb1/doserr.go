package smb1

import "github.com/zerosmb/zerosmb/smb2"

// DOS errors (MS-CIFS 2.2.2.4): a few SMB1 answers are a DOS error class
// and code even to a client that negotiated NT status codes (Windows and
// Samba send them so, and smbtorture checks them). A handler returns one
// as a status built by DOSError; the response then carries the class and
// code in the header's Status field with SMB_FLAGS2_NT_STATUS clear.
//
// The encoding is Samba's NT_STATUS_DOS: 0xF1 in the top byte (the error
// severity with customer and reserved bits set, which no NTSTATUS has),
// the class in bits 16-23, the code in the low 16 bits.

// DOS error classes.
const (
	ErrClassDOS uint8 = 0x01 // ERRDOS
	ErrClassSrv uint8 = 0x02 // ERRSRV
)

// DOS errors zerosmb sends.
const (
	// StatusDOSBadAccess is ERRDOS:ERRbadaccess, an impossible OPEN_ANDX
	// open function or access mode.
	StatusDOSBadAccess = smb2.Status(0xF1000000 | uint32(ErrClassDOS)<<16 | 12)
	// StatusSrvBadUID is ERRSRV:ERRbaduid, a UID the connection does not
	// have.
	StatusSrvBadUID = smb2.Status(0xF1000000 | uint32(ErrClassSrv)<<16 | 91)
	// StatusSrvError is ERRSRV:ERRerror, a non-specific server error.
	StatusSrvError = smb2.Status(0xF1000000 | uint32(ErrClassSrv)<<16 | 1)
	// StatusDOSCancelViolation is ERRDOS:ERRcancelviolation, a LOCKING_ANDX
	// CANCEL_LOCK that found no waiting lock.
	StatusDOSCancelViolation = smb2.Status(0xF1000000 | uint32(ErrClassDOS)<<16 | 0xAD)
	// StatusDOSNoAtomicLocks is ERRDOS:ERRnoatomiclocks, LOCKING_ANDX
	// CHANGE_LOCKTYPE (not supported, as on Samba).
	StatusDOSNoAtomicLocks = smb2.Status(0xF1000000 | uint32(ErrClassDOS)<<16 | 0xAE)
)

// DOSError returns the status that carries DOS error class:code.
func DOSError(class uint8, code uint16) smb2.Status {
	return smb2.Status(0xF1000000 | uint32(class)<<16 | uint32(code))
}

// SplitDOSError returns the class and code of a status built by DOSError;
// ok is false for an NTSTATUS.
func SplitDOSError(st smb2.Status) (class uint8, code uint16, ok bool) {
	if st>>24 != 0xF1 {
		return 0, 0, false
	}
	return uint8(st >> 16), uint16(st), true
}

// PutDOSError writes class:code into the Status field of the SMB1 header
// at the start of msg (ErrorClass, a reserved byte, ErrorCode) and clears
// SMB_FLAGS2_NT_STATUS.
func PutDOSError(msg []byte, class uint8, code uint16) {
	msg[5], msg[6] = class, 0
	le.PutUint16(msg[7:], code)
	le.PutUint16(msg[10:], le.Uint16(msg[10:])&^Flags2NTStatus)
}
