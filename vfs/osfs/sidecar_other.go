//go:build !linux

package osfs

// sidecarCleanup runs op: there is no sidecar store on this platform.
func (fsys *FS) sidecarCleanup(_ string, op func() error) error { return op() }
