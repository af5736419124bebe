//go:build unix

package osfs

import (
	"os"
	"syscall"
)

// openExtra is or'ed into every open: O_NONBLOCK keeps open(2) of a FIFO
// from waiting for a writer; OpenFile then refuses the FIFO.
const openExtra = syscall.O_NONBLOCK

// setBlocking clears the O_NONBLOCK that openExtra set, so the
// descriptor handed to sendfile/splice behaves like a plain file.
func setBlocking(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
