package server

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"

	"github.com/zerosmb/zerosmb/smb2"
)

// statusFromError maps a backend error to the NTSTATUS Windows returns for
// the same condition.
func statusFromError(err error) smb2.Status {
	if err == nil {
		return smb2.StatusSuccess
	}
	var st smb2.Status
	if errors.As(err, &st) {
		return st
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOENT:
			return smb2.StatusObjectNameNotFound
		case syscall.EEXIST:
			return smb2.StatusObjectNameCollision
		case syscall.EACCES, syscall.EPERM, syscall.EROFS:
			return smb2.StatusAccessDenied
		case syscall.ENOTEMPTY:
			return smb2.StatusDirectoryNotEmpty
		case syscall.ENOTDIR:
			return smb2.StatusObjectPathNotFound
		case syscall.EISDIR:
			return smb2.StatusFileIsADirectory
		case syscall.ENOSPC, syscall.EDQUOT:
			return smb2.StatusDiskFull
		case syscall.ENAMETOOLONG:
			return smb2.StatusObjectNameInvalid
		case syscall.EXDEV:
			return smb2.StatusNotSameDevice
		case syscall.EINVAL:
			return smb2.StatusInvalidParameter
		case syscall.ELOOP:
			return smb2.StatusObjectNameNotFound
		case syscall.EFBIG:
			return smb2.StatusDiskFull
		case syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM:
			return smb2.StatusInsufficientResources
		case syscall.EBUSY, syscall.ETXTBSY:
			return smb2.StatusSharingViolation
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return smb2.StatusObjectNameNotFound
	case errors.Is(err, fs.ErrExist):
		return smb2.StatusObjectNameCollision
	case errors.Is(err, fs.ErrPermission):
		return smb2.StatusAccessDenied
	case errors.Is(err, fs.ErrInvalid):
		return smb2.StatusObjectNameInvalid
	case errors.Is(err, fs.ErrClosed):
		return smb2.StatusFileClosed
	}
	// os.Root reports escapes as "path escapes from parent".
	if strings.Contains(err.Error(), "escapes from parent") {
		return smb2.StatusAccessDenied
	}
	return smb2.StatusUnexpectedIOError
}
