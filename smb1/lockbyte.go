package smb1

// The core-protocol byte-range lock commands (MS-CIFS 2.2.4.13, 2.2.4.14):
// one 32-bit range, owned by the header's PID.
const (
	ComLockByteRange   Command = 0x0C
	ComUnlockByteRange Command = 0x0D
)

// DecodeLockByteRange decodes a LOCK_BYTE_RANGE or UNLOCK_BYTE_RANGE
// block (WordCount 5: FID, CountOfBytesToLock, LockOffsetInBytes; no
// bytes) into the FID and the range (PID left 0 for the caller to set).
func DecodeLockByteRange(b *Block) (fid uint16, r LockRange, err error) {
	if len(b.Words) != 10 || len(b.Bytes) != 0 {
		return 0, r, ErrMalformed
	}
	w := b.Words
	return le.Uint16(w), LockRange{Length: uint64(le.Uint32(w[2:])), Offset: uint64(le.Uint32(w[6:]))}, nil
}
