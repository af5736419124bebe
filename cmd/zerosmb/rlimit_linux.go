package main

import (
	"log/slog"
	"syscall"
)

// raiseFDLimit makes RLIMIT_NOFILE fit maxConns connections: a socket
// each, about as many open files, and some slack. The Go runtime already
// raises the soft limit to the hard one; this also tries to raise the hard
// limit (root or CAP_SYS_RESOURCE) and warns when the result is short. It
// returns the soft limit in force.
func raiseFDLimit(log *slog.Logger, maxConns int) uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	want := uint64(2*maxConns + 1024)
	if rl.Cur < want {
		nl := syscall.Rlimit{Cur: want, Max: max(rl.Max, want)}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &nl) != nil {
			nl = syscall.Rlimit{Cur: rl.Max, Max: rl.Max}
			syscall.Setrlimit(syscall.RLIMIT_NOFILE, &nl)
		}
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	if rl.Cur < want {
		log.Warn("file descriptor limit is below what max_connections needs; connections beyond it are refused by accept (EMFILE): raise it (ulimit -n, systemd LimitNOFILE=) or lower max_connections",
			"fd_limit", rl.Cur, "want", want, "max_connections", maxConns)
	}
	return rl.Cur
}
