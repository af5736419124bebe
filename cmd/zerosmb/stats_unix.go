//go:build unix

package main

import (
	"os"
	"syscall"
)

// statsSignals are the signals that make serve log its data-path counters.
func statsSignals() []os.Signal { return []os.Signal{syscall.SIGUSR1} }

// reloadSignals are the signals that make serve re-read its configuration.
func reloadSignals() []os.Signal { return []os.Signal{syscall.SIGHUP} }
