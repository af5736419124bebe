//go:build !linux

package osfs

import (
	"io/fs"

	"github.com/zerosmb/zerosmb/vfs"
)

var _ vfs.XattrFile = (*File)(nil)

func (f *File) unsupported(op string) error {
	return &fs.PathError{Op: op, Path: f.name, Err: vfs.ErrXattrUnsupported}
}

// Getxattr is not supported on this platform.
func (f *File) Getxattr(string) ([]byte, error) { return nil, f.unsupported("getxattr") }

// Setxattr is not supported on this platform.
func (f *File) Setxattr(string, []byte) error { return f.unsupported("setxattr") }

// Removexattr is not supported on this platform.
func (f *File) Removexattr(string) error { return f.unsupported("removexattr") }

// Listxattr is not supported on this platform.
func (f *File) Listxattr() ([]string, error) { return nil, f.unsupported("listxattr") }

var _ vfs.XattrEntry = dirEntry{}

// Getxattr is not supported on this platform (the server then does not
// open each listed entry to look).
func (d dirEntry) Getxattr(string) ([]byte, error) {
	return nil, &fs.PathError{Op: "getxattr", Path: d.path, Err: vfs.ErrXattrUnsupported}
}
