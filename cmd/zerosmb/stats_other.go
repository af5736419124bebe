//go:build !unix

package main

import "os"

// statsSignals is empty: this system has no SIGUSR1.
func statsSignals() []os.Signal { return nil }
