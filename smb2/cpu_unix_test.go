//go:build unix

package smb2

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time: unlike wall time it
// does not grow when other programs load the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
