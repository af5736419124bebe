//go:build !linux

package main

import "os"

// echoOff is not implemented on this system: the password is echoed.
func echoOff(f *os.File) (restore func(), ok bool) { return func() {}, false }
