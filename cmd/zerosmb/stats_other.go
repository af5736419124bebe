//go:build !unix

package main

import "os"

// statsSignals is empty: this system has no SIGUSR1.
func statsSignals() []os.Signal { return nil }

// reloadSignals is empty: this system has no SIGHUP.
func reloadSignals() []os.Signal { return nil }
