package vfs

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrNoXattr is returned by XattrFile.Getxattr and Removexattr for an
// attribute the file does not have. It wraps fs.ErrNotExist.
var ErrNoXattr = fmt.Errorf("vfs: no such extended attribute: %w", fs.ErrNotExist)

// ErrXattrUnsupported is returned by XattrFile methods when the file
// system under the file cannot store extended attributes (the server
// then keeps them in memory). It wraps errors.ErrUnsupported.
var ErrXattrUnsupported = fmt.Errorf("vfs: extended attributes not supported: %w", errors.ErrUnsupported)

// XattrFile is implemented by Files that can keep named binary
// attributes next to the data (Linux user extended attributes in osfs).
// The server stores SMB extended attributes (EAs) through it. Names are
// backend-neutral: no namespace prefix such as "user."; each backend
// maps them into a namespace of its own. Values are at most 65535 bytes.
//
// Setxattr and Removexattr fail with an error wrapping ErrReadOnly on a
// read-only share; every method fails with one wrapping
// ErrXattrUnsupported when the file system cannot hold attributes.
type XattrFile interface {
	// Getxattr returns the value of attribute name, or ErrNoXattr.
	Getxattr(name string) ([]byte, error)
	// Setxattr creates or replaces attribute name.
	Setxattr(name string, value []byte) error
	// Listxattr returns the names of the file's attributes, in no
	// particular order.
	Listxattr() ([]string, error)
	// Removexattr deletes attribute name, or fails with ErrNoXattr.
	Removexattr(name string) error
}

// XattrEntry is implemented by directory entries (fs.DirEntry values
// from ReadDir) that can read an attribute of the entry without opening
// it: the server reads each listed file's stored DOS attributes through
// it. Names are those of XattrFile. The entry is not followed if it is a
// symlink; its errors are those of XattrFile.Getxattr.
type XattrEntry interface {
	Getxattr(name string) ([]byte, error)
}
