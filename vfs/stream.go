package vfs

import (
	"fmt"
	"io/fs"
)

// ErrReservedName reports a path inside a backend's own metadata
// directory (osfs: ".zerosmb" at the share root), which no client path
// may reach. It wraps fs.ErrPermission.
var ErrReservedName = fmt.Errorf("vfs: name reserved for server metadata: %w", fs.ErrPermission)

// StreamInfo describes one named stream kept by a Streamer.
type StreamInfo struct {
	Name           string // as created (the server matches case-insensitively)
	Size           int64
	AllocationSize int64
}

// Streamer is implemented by Files whose backend keeps named streams
// (alternate data streams) and large metadata in files of their own,
// outside extended attributes: osfs's sidecar store on Linux. A stream
// opened through it is a full File with its own descriptor (random
// access, truncation, allocation, zero-copy I/O); its Stat reports the
// stream's size and allocation with the base file's times, id, link
// count and owner. Streams belong to the file, not to its name: hard
// links share them and renames keep them. The backend drops a file's
// streams and metadata when its last name is removed through the FS.
//
// Names are exact (case-sensitive) and are at most 255 bytes of
// characters the caller has validated; a missing stream or metadata
// blob fails with an error wrapping fs.ErrNotExist. Mutating methods
// fail with one wrapping ErrReadOnly on a read-only share.
type Streamer interface {
	// OpenStream opens (os.O_CREATE: creates) the named stream with
	// the os.O_* flag.
	OpenStream(name string, flag int) (File, error)
	// Streams lists the file's streams, in no particular order.
	Streams() ([]StreamInfo, error)
	// RemoveStream deletes the named stream; opens of it keep working
	// on the deleted data.
	RemoveStream(name string) error
	// ReadMeta returns the metadata blob name of the file (a security
	// descriptor too large for an extended attribute).
	ReadMeta(name string) ([]byte, error)
	// WriteMeta replaces the metadata blob name atomically: a reader
	// sees the old value or the new one, also after a crash.
	WriteMeta(name string, data []byte) error
	// RemoveMeta deletes the metadata blob name.
	RemoveMeta(name string) error
}
