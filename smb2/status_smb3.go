package smb2

// NTSTATUS values specific to SMB 3.x negotiation.
const (
	StatusSMBNoPreauthIntegrityHashOverlap Status = 0xC05D0000
	StatusSMBBadClusterDialect             Status = 0xC05D0001
)
