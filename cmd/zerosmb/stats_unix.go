//go:build unix

package main

import (
	"os"
	"syscall"
)

// statsSignals are the signals that make serve log its data-path counters.
func statsSignals() []os.Signal { return []os.Signal{syscall.SIGUSR1} }
