package main

import (
	"fmt"
	"os"
)

// cmdBench is replaced by the benchmark driver (bench.go) when present.
var cmdBench = func(args []string) int {
	fmt.Fprintln(os.Stderr, "zerosmb bench: not built in; see bench/README.md")
	return 2
}
