package vfs

import (
	"fmt"
	"io/fs"
	"strings"
)

// Errors shared by the implementations. Each wraps the io/fs error the
// server already maps, so errors.Is(err, fs.ErrInvalid) (or
// fs.ErrPermission) keeps working; the server may test for the more
// specific value to pick a better status.
var (
	// ErrInvalidName reports a path that is not acceptable as a share
	// path: it contains NUL, a backslash or ':' (stream syntax), is
	// absolute, or has a ".." component. It wraps fs.ErrInvalid.
	ErrInvalidName = fmt.Errorf("vfs: invalid path name: %w", fs.ErrInvalid)
	// ErrOutsideShare reports a path that resolves (through a symlink)
	// to a location outside the share. It wraps fs.ErrPermission.
	ErrOutsideShare = fmt.Errorf("vfs: path leads outside the share: %w", fs.ErrPermission)
	// ErrReadOnly reports a mutating call on a read-only share. It wraps
	// fs.ErrPermission.
	ErrReadOnly = fmt.Errorf("vfs: share is read-only: %w", fs.ErrPermission)
)

// ErrShareRoot reports an operation that cannot apply to the share root
// (removing or renaming it). It wraps fs.ErrInvalid.
var ErrShareRoot = fmt.Errorf("vfs: not permitted on the share root: %w", fs.ErrInvalid)

// CleanPath validates a share-relative, slash-separated path and returns
// it in canonical form: no empty or "." components, no leading or trailing
// slash, and "." for the share root ("" and "." both name the root).
//
// It fails with an error wrapping ErrInvalidName (and so fs.ErrInvalid)
// when the name contains NUL, a backslash or ':' (alternate data stream
// syntax, not supported), starts with '/', or has a ".." component.
// Windows clients resolve ".." before sending a path, so refusing it
// outright costs nothing and leaves no lexical escape to get wrong.
//
// CleanPath does not touch the file system: symlinks are the
// implementation's business.
func CleanPath(name string) (string, error) {
	if name == "" || name == "." {
		return ".", nil
	}
	if name[0] == '/' {
		return "", ErrInvalidName
	}
	clean := true // already canonical: returned without allocating
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) {
			switch name[i] {
			case 0, '\\', ':':
				return "", ErrInvalidName
			case '/':
			default:
				continue
			}
		}
		switch name[start:i] {
		case "..":
			return "", ErrInvalidName
		case "", ".":
			clean = false
		}
		start = i + 1
	}
	if clean {
		return name, nil
	}
	parts := strings.Split(name, "/")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && p != "." {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return ".", nil
	}
	return strings.Join(out, "/"), nil
}
