package smb2

// NTSTATUS values used by the byte-range lock and oplock handlers.
const (
	// StatusInvalidLockRange: a lock range extends past the largest
	// 64-bit offset (MS-FSA 2.1.5.8).
	StatusInvalidLockRange Status = 0xC00001A1
	// StatusInvalidOplockProtocol: an oplock break acknowledgment for an
	// open that holds no oplock and has no break in progress.
	StatusInvalidOplockProtocol Status = 0xC00000E3
)

// StatusPipeBroken: the other end of a named pipe went away.
const StatusPipeBroken Status = 0xC000014B

// StatusInvalidViewSize: a server-side copy chunk extends past the end of
// its source file.
const StatusInvalidViewSize Status = 0xC000001F
