//go:build !linux

// Command guest is the workload of the kernel-client test; it only runs
// inside the Linux guest (see test/kclient).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "guest: Linux only")
	os.Exit(2)
}
