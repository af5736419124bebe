//go:build freebsd && (amd64 || arm64 || riscv64)

package zerocopy

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawSendfile is sendfile(fd, s, offset, nbytes, hdtr, &sbytes, 0).
func rawSendfile(file, sock int, off, n int64, hdtr unsafe.Pointer) (sbytes int64, err error) {
	_, _, e := unix.Syscall9(unix.SYS_SENDFILE, uintptr(file), uintptr(sock),
		uintptr(off), uintptr(n), uintptr(hdtr), uintptr(unsafe.Pointer(&sbytes)), 0, 0, 0)
	if e != 0 {
		err = e
		if e != unix.EAGAIN && e != unix.EINTR && e != unix.EBUSY {
			sbytes = 0 // only defined for these errors
		}
	}
	return sbytes, err
}
