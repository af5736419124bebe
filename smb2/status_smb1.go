package smb2

// NTSTATUS values used only by the SMB1 dialect (server/smb1*.go).
const (
	// StatusBadDeviceType: TREE_CONNECT_ANDX asked for a service ("A:",
	// "IPC") the share is not.
	StatusBadDeviceType Status = 0xC00000CB
)
