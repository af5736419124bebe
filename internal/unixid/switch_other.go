//go:build !linux

package unixid

import (
	"errors"
	"fmt"
	"runtime"
)

// Supported fails: only Linux has per-thread file system credentials.
func Supported() error {
	return fmt.Errorf("unix identities need Linux (per-thread fsuid), not %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// Do fails without running fn (see Supported).
func (c *Cred) Do(fn func() error) error { return Supported() }
