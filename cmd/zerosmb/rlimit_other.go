//go:build !linux

package main

import "log/slog"

// raiseFDLimit is left to the system here (the Go runtime raises the soft
// limit to the hard one on Unix systems); it reports 0 (unknown).
func raiseFDLimit(*slog.Logger, int) uint64 { return 0 }
