//go:build !unix

package osfs

import "os"

// openExtra adds nothing where FIFOs cannot block an open.
const openExtra = 0

func setBlocking(*os.File) error { return nil }
