package smb2

import "fmt"

// Status is an NTSTATUS value (MS-ERREF 2.3). Names follow MS-ERREF.
type Status uint32

// NTSTATUS values used by the server. Every value was checked against
// MS-ERREF 2.3.1 (STATUS_SMB_TOO_MANY_UIDS is defined in MS-SMB2).
const (
	StatusSuccess                Status = 0x00000000
	StatusPending                Status = 0x00000103
	StatusNotifyCleanup          Status = 0x0000010B
	StatusNotifyEnumDir          Status = 0x0000010C
	StatusBufferOverflow         Status = 0x80000005
	StatusNoMoreFiles            Status = 0x80000006
	StatusEAListInconsistent     Status = 0x80000014
	StatusStoppedOnSymlink       Status = 0x8000002D
	StatusUnsuccessful           Status = 0xC0000001
	StatusNotImplemented         Status = 0xC0000002
	StatusInvalidInfoClass       Status = 0xC0000003
	StatusInfoLengthMismatch     Status = 0xC0000004
	StatusInvalidHandle          Status = 0xC0000008
	StatusInvalidParameter       Status = 0xC000000D
	StatusNoSuchDevice           Status = 0xC000000E
	StatusNoSuchFile             Status = 0xC000000F
	StatusInvalidDeviceRequest   Status = 0xC0000010
	StatusEndOfFile              Status = 0xC0000011
	StatusMoreProcessingRequired Status = 0xC0000016
	StatusNoMemory               Status = 0xC0000017
	StatusAccessDenied           Status = 0xC0000022
	StatusBufferTooSmall         Status = 0xC0000023
	StatusObjectTypeMismatch     Status = 0xC0000024
	StatusObjectNameInvalid      Status = 0xC0000033
	StatusObjectNameNotFound     Status = 0xC0000034
	StatusObjectNameCollision    Status = 0xC0000035
	StatusPortDisconnected       Status = 0xC0000037
	StatusObjectPathInvalid      Status = 0xC0000039
	StatusObjectPathNotFound     Status = 0xC000003A
	StatusObjectPathSyntaxBad    Status = 0xC000003B
	StatusSharingViolation       Status = 0xC0000043
	StatusEAsNotSupported        Status = 0xC000004F
	StatusEATooLarge             Status = 0xC0000050
	StatusNonexistentEAEntry     Status = 0xC0000051
	StatusNoEAsOnFile            Status = 0xC0000052
	StatusDeletePending          Status = 0xC0000056
	StatusPrivilegeNotHeld       Status = 0xC0000061
	StatusInvalidOwner           Status = 0xC000005A
	StatusNoneMapped             Status = 0xC0000073
	StatusSomeNotMapped          Status = 0x00000107
	StatusLogonFailure           Status = 0xC000006D
	StatusAccountRestriction     Status = 0xC000006E
	StatusPasswordExpired        Status = 0xC0000071
	StatusAccountDisabled        Status = 0xC0000072
	StatusAccountLockedOut       Status = 0xC0000234
	StatusDiskFull               Status = 0xC000007F
	// StatusAllottedSpaceExceeded: a size beyond what the object may hold
	// (an AFP_AfpInfo stream made larger than 60 bytes).
	StatusAllottedSpaceExceeded Status = 0xC0000099
	StatusRangeNotLocked        Status = 0xC000007E
	StatusFileLockConflict      Status = 0xC0000054
	StatusLockNotGranted        Status = 0xC0000055
	StatusInsufficientResources Status = 0xC000009A
	// StatusFileForcedClosed: an open of the same application instance
	// with a newer version exists (MS-SMB2 3.3.5.9.13).
	StatusFileForcedClosed       Status = 0xC00000B6
	StatusFileIsADirectory       Status = 0xC00000BA
	StatusNotSupported           Status = 0xC00000BB
	StatusNetworkNameDeleted     Status = 0xC00000C9
	StatusBadNetworkName         Status = 0xC00000CC
	StatusRequestNotAccepted     Status = 0xC00000D0
	StatusPipeNotAvailable       Status = 0xC00000AC
	StatusInvalidPipeState       Status = 0xC00000AD
	StatusPipeBusy               Status = 0xC00000AE
	StatusPipeDisconnected       Status = 0xC00000B0
	StatusPipeClosing            Status = 0xC00000B1
	StatusPipeEmpty              Status = 0xC00000D9
	StatusInternalError          Status = 0xC00000E5
	StatusMediaWriteProtected    Status = 0xC00000A2
	StatusDirectoryNotEmpty      Status = 0xC0000101
	StatusNotADirectory          Status = 0xC0000103
	StatusBadNetworkPath         Status = 0xC00000BE
	StatusCancelled              Status = 0xC0000120
	StatusFileClosed             Status = 0xC0000128
	StatusInvalidLevel           Status = 0xC0000148
	StatusNotSameDevice          Status = 0xC00000D4
	StatusFileRenamed            Status = 0xC00000D5
	StatusCannotDelete           Status = 0xC0000121
	StatusFileDeleted            Status = 0xC0000123
	StatusUserSessionDeleted     Status = 0xC0000203
	StatusNetworkSessionExpired  Status = 0xC000035C
	StatusSMBTooManyUIDs         Status = 0xC000205A
	StatusNotFound               Status = 0xC0000225
	StatusIOTimeout              Status = 0xC00000B5
	StatusRangeNotFound          Status = 0xC000028C
	StatusFSDriverRequired       Status = 0xC000019C
	StatusNotAReparsePoint       Status = 0xC0000275
	StatusObjectNameExists       Status = 0x40000000
	StatusInvalidNetworkResponse Status = 0xC00000C3
	StatusFileSystemLimitation   Status = 0xC0000427
	StatusTooManyOpenedFiles     Status = 0xC000011F
	StatusWrongPassword          Status = 0xC000006A
	StatusNoSuchUser             Status = 0xC0000064
	StatusInvalidDeviceState     Status = 0xC0000184
	StatusDuplicateObjectID      Status = 0xC000022A
	StatusIllegalCharacter       Status = 0xC0000161
	StatusNameTooLong            Status = 0xC0000106
	StatusRequestAborted         Status = 0xC0000240
	StatusConnectionDisconnected Status = 0xC000020C
	StatusTooManySessions        Status = 0xC00000CE
	StatusUnexpectedIOError      Status = 0xC00000E9
	StatusInvalidLockSequence    Status = 0xC000001E
	StatusNotLocked              Status = 0xC000002A
	StatusBadImpersonationLevel  Status = 0xC00000A5
	StatusNetworkAccessDenied    Status = 0xC00000CA
	StatusObjectIDNotFound       Status = 0xC00002F0
	StatusObjectIDExists         Status = 0xC000022B
	StatusInvalidUserBuffer      Status = 0xC00000E8
	StatusNoMoreEAs              Status = 0x80000012
	StatusInvalidEAName          Status = 0x80000013
	StatusFileNotAvailable       Status = 0xC0000467
	StatusTooManyLinks           Status = 0xC0000265
	StatusFileInvalid            Status = 0xC0000098
	StatusInvalidSecurityDescr   Status = 0xC0000079
	StatusDiskQuotaExceeded      Status = 0xC0000802
	StatusNotSameObject          Status = 0xC00001AC
	StatusIOReparseTagNotHandled Status = 0xC0000279
	StatusIOReparseDataInvalid   Status = 0xC0000278
	StatusOplockNotGranted       Status = 0xC00000E2
	StatusUserMappedFile         Status = 0xC0000243
)

var statusNames = map[Status]string{
	StatusSuccess:                "STATUS_SUCCESS",
	StatusPending:                "STATUS_PENDING",
	StatusNotifyCleanup:          "STATUS_NOTIFY_CLEANUP",
	StatusNotifyEnumDir:          "STATUS_NOTIFY_ENUM_DIR",
	StatusBufferOverflow:         "STATUS_BUFFER_OVERFLOW",
	StatusEAListInconsistent:     "STATUS_EA_LIST_INCONSISTENT",
	StatusNoMoreFiles:            "STATUS_NO_MORE_FILES",
	StatusUnsuccessful:           "STATUS_UNSUCCESSFUL",
	StatusNotImplemented:         "STATUS_NOT_IMPLEMENTED",
	StatusInvalidInfoClass:       "STATUS_INVALID_INFO_CLASS",
	StatusInfoLengthMismatch:     "STATUS_INFO_LENGTH_MISMATCH",
	StatusInvalidHandle:          "STATUS_INVALID_HANDLE",
	StatusInvalidParameter:       "STATUS_INVALID_PARAMETER",
	StatusNoSuchFile:             "STATUS_NO_SUCH_FILE",
	StatusInvalidDeviceRequest:   "STATUS_INVALID_DEVICE_REQUEST",
	StatusEndOfFile:              "STATUS_END_OF_FILE",
	StatusMoreProcessingRequired: "STATUS_MORE_PROCESSING_REQUIRED",
	StatusAccessDenied:           "STATUS_ACCESS_DENIED",
	StatusBufferTooSmall:         "STATUS_BUFFER_TOO_SMALL",
	StatusObjectNameInvalid:      "STATUS_OBJECT_NAME_INVALID",
	StatusObjectNameNotFound:     "STATUS_OBJECT_NAME_NOT_FOUND",
	StatusObjectNameCollision:    "STATUS_OBJECT_NAME_COLLISION",
	StatusObjectPathNotFound:     "STATUS_OBJECT_PATH_NOT_FOUND",
	StatusSharingViolation:       "STATUS_SHARING_VIOLATION",
	StatusDeletePending:          "STATUS_DELETE_PENDING",
	StatusLogonFailure:           "STATUS_LOGON_FAILURE",
	StatusAccountLockedOut:       "STATUS_ACCOUNT_LOCKED_OUT",
	StatusDiskFull:               "STATUS_DISK_FULL",
	StatusAllottedSpaceExceeded:  "STATUS_ALLOTTED_SPACE_EXCEEDED",
	StatusFileLockConflict:       "STATUS_FILE_LOCK_CONFLICT",
	StatusLockNotGranted:         "STATUS_LOCK_NOT_GRANTED",
	StatusRangeNotLocked:         "STATUS_RANGE_NOT_LOCKED",
	StatusFileIsADirectory:       "STATUS_FILE_IS_A_DIRECTORY",
	StatusNotSupported:           "STATUS_NOT_SUPPORTED",
	StatusNetworkNameDeleted:     "STATUS_NETWORK_NAME_DELETED",
	StatusBadNetworkName:         "STATUS_BAD_NETWORK_NAME",
	StatusDirectoryNotEmpty:      "STATUS_DIRECTORY_NOT_EMPTY",
	StatusNotADirectory:          "STATUS_NOT_A_DIRECTORY",
	StatusCancelled:              "STATUS_CANCELLED",
	StatusFileClosed:             "STATUS_FILE_CLOSED",
	StatusUserSessionDeleted:     "STATUS_USER_SESSION_DELETED",
	StatusNetworkSessionExpired:  "STATUS_NETWORK_SESSION_EXPIRED",
	StatusNotFound:               "STATUS_NOT_FOUND",
	StatusInsufficientResources:  "STATUS_INSUFFICIENT_RESOURCES",
	StatusFileForcedClosed:       "STATUS_FILE_FORCED_CLOSED",
	StatusObjectPathSyntaxBad:    "STATUS_OBJECT_PATH_SYNTAX_BAD",
	StatusInvalidLevel:           "STATUS_INVALID_LEVEL",
	StatusNotSameDevice:          "STATUS_NOT_SAME_DEVICE",
	StatusCannotDelete:           "STATUS_CANNOT_DELETE",
	StatusMediaWriteProtected:    "STATUS_MEDIA_WRITE_PROTECTED",
	StatusPipeDisconnected:       "STATUS_PIPE_DISCONNECTED",
	StatusPipeEmpty:              "STATUS_PIPE_EMPTY",
	StatusInternalError:          "STATUS_INTERNAL_ERROR",
	StatusEAsNotSupported:        "STATUS_EAS_NOT_SUPPORTED",
	StatusNoEAsOnFile:            "STATUS_NO_EAS_ON_FILE",
	StatusNameTooLong:            "STATUS_NAME_TOO_LONG",
	StatusObjectTypeMismatch:     "STATUS_OBJECT_TYPE_MISMATCH",
	StatusRequestNotAccepted:     "STATUS_REQUEST_NOT_ACCEPTED",
	StatusNotAReparsePoint:       "STATUS_NOT_A_REPARSE_POINT",
	StatusPrivilegeNotHeld:       "STATUS_PRIVILEGE_NOT_HELD",
	StatusInvalidOwner:           "STATUS_INVALID_OWNER",
	StatusNoneMapped:             "STATUS_NONE_MAPPED",
	StatusSomeNotMapped:          "STATUS_SOME_NOT_MAPPED",
	StatusAccountDisabled:        "STATUS_ACCOUNT_DISABLED",
	StatusNoSuchDevice:           "STATUS_NO_SUCH_DEVICE",
	StatusStoppedOnSymlink:       "STATUS_STOPPED_ON_SYMLINK",
	StatusNoMemory:               "STATUS_NO_MEMORY",
	StatusPortDisconnected:       "STATUS_PORT_DISCONNECTED",
	StatusObjectPathInvalid:      "STATUS_OBJECT_PATH_INVALID",
	StatusEATooLarge:             "STATUS_EA_TOO_LARGE",
	StatusNonexistentEAEntry:     "STATUS_NONEXISTENT_EA_ENTRY",
	StatusAccountRestriction:     "STATUS_ACCOUNT_RESTRICTION",
	StatusPasswordExpired:        "STATUS_PASSWORD_EXPIRED",
	StatusPipeNotAvailable:       "STATUS_PIPE_NOT_AVAILABLE",
	StatusInvalidPipeState:       "STATUS_INVALID_PIPE_STATE",
	StatusPipeBusy:               "STATUS_PIPE_BUSY",
	StatusPipeClosing:            "STATUS_PIPE_CLOSING",
	StatusBadNetworkPath:         "STATUS_BAD_NETWORK_PATH",
	StatusFileRenamed:            "STATUS_FILE_RENAMED",
	StatusFileDeleted:            "STATUS_FILE_DELETED",
	StatusSMBTooManyUIDs:         "STATUS_SMB_TOO_MANY_UIDS",
	StatusIOTimeout:              "STATUS_IO_TIMEOUT",
	StatusRangeNotFound:          "STATUS_RANGE_NOT_FOUND",
	StatusFSDriverRequired:       "STATUS_FS_DRIVER_REQUIRED",
	StatusObjectNameExists:       "STATUS_OBJECT_NAME_EXISTS",
	StatusInvalidNetworkResponse: "STATUS_INVALID_NETWORK_RESPONSE",
	StatusFileSystemLimitation:   "STATUS_FILE_SYSTEM_LIMITATION",
	StatusTooManyOpenedFiles:     "STATUS_TOO_MANY_OPENED_FILES",
	StatusWrongPassword:          "STATUS_WRONG_PASSWORD",
	StatusNoSuchUser:             "STATUS_NO_SUCH_USER",
	StatusInvalidDeviceState:     "STATUS_INVALID_DEVICE_STATE",
	StatusDuplicateObjectID:      "STATUS_DUPLICATE_OBJECTID",
	StatusIllegalCharacter:       "STATUS_ILLEGAL_CHARACTER",
	StatusRequestAborted:         "STATUS_REQUEST_ABORTED",
	StatusConnectionDisconnected: "STATUS_CONNECTION_DISCONNECTED",
	StatusTooManySessions:        "STATUS_TOO_MANY_SESSIONS",
	StatusUnexpectedIOError:      "STATUS_UNEXPECTED_IO_ERROR",
	StatusInvalidLockSequence:    "STATUS_INVALID_LOCK_SEQUENCE",
	StatusNotLocked:              "STATUS_NOT_LOCKED",
	StatusBadImpersonationLevel:  "STATUS_BAD_IMPERSONATION_LEVEL",
	StatusNetworkAccessDenied:    "STATUS_NETWORK_ACCESS_DENIED",
	StatusObjectIDNotFound:       "STATUS_OBJECTID_NOT_FOUND",
	StatusObjectIDExists:         "STATUS_OBJECTID_EXISTS",
	StatusInvalidUserBuffer:      "STATUS_INVALID_USER_BUFFER",
	StatusNoMoreEAs:              "STATUS_NO_MORE_EAS",
	StatusInvalidEAName:          "STATUS_INVALID_EA_NAME",
	StatusFileNotAvailable:       "STATUS_FILE_NOT_AVAILABLE",
	StatusTooManyLinks:           "STATUS_TOO_MANY_LINKS",
	StatusFileInvalid:            "STATUS_FILE_INVALID",
	StatusInvalidSecurityDescr:   "STATUS_INVALID_SECURITY_DESCR",
	StatusDiskQuotaExceeded:      "STATUS_DISK_QUOTA_EXCEEDED",
	StatusNotSameObject:          "STATUS_NOT_SAME_OBJECT",
	StatusIOReparseTagNotHandled: "STATUS_IO_REPARSE_TAG_NOT_HANDLED",
	StatusIOReparseDataInvalid:   "STATUS_IO_REPARSE_DATA_INVALID",
	StatusOplockNotGranted:       "STATUS_OPLOCK_NOT_GRANTED",
	StatusUserMappedFile:         "STATUS_USER_MAPPED_FILE",
}

// String returns the MS-ERREF name, or the hex value for unnamed codes.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("NTSTATUS(0x%08X)", uint32(s))
}

// Error makes Status usable as an error value.
func (s Status) Error() string { return s.String() }

// IsError reports whether s has the error severity (0xC...).
func (s Status) IsError() bool { return s>>30 == 3 }
