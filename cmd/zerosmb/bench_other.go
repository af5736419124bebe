//go:build !linux

package main

import (
	"fmt"
	"os"
)

// cmdBench is Linux-only: it measures CPU through /proc and compares with
// the sendfile/splice floor.
func cmdBench(args []string) int {
	fmt.Fprintln(os.Stderr, "zerosmb bench: only available on Linux")
	return 2
}
