package osfs

import (
	"fmt"
	"strconv"
	"strings"
)

// The sidecar store keeps what does not fit, or should not live, in a
// file's extended attributes: named streams and large security
// descriptors (vfs.Streamer, implemented on Linux in sidecar_linux.go).
//
// Layout, under the share root (directories 0700, files 0600, owned by
// the server's own identity even when the caller's thread runs with a
// user's fsuid: see asServer):
//
//	.zerosmb/files/ID[:2]/ID/streams/NAME   one file per named stream
//	.zerosmb/files/ID[:2]/ID/meta/NAME      metadata blobs ("ntacl")
//	.zerosmb/files/ID[:2]/ID/meta/.tmp-*    a blob being replaced
//
// ID is 32 hex digits: 16 random bytes kept in the base file's extended
// attribute user.zerosmb.sidecar, set (XATTR_CREATE) when the file gets
// its first sidecar stream or blob. Keying by an attribute of the inode,
// not by its name or number, means hard links share one store, renames
// move nothing, and inode reuse cannot hand one file's streams to
// another: a file deleted outside the server takes its ID with it, and
// the file that later gets the same inode number starts without an ID.
// (What is left behind is an orphaned directory, not a wrong answer.)
// A copy made outside the server that preserves user.* attributes (cp
// -a, rsync -X) carries the ID and so shares the original's streams;
// copy through SMB, or strip user.zerosmb.sidecar, to separate them.
//
// NAME is the stream name with '%' written %25 and the names "." and
// ".." written %2E and %2E%2E. Each stream is its own file, so a write
// torn by a crash can only damage that stream. Removing a file's last
// name through the FS (Remove, or a Rename that replaces it) removes its
// sidecar directory.
//
// No client path reaches MetaDir: every path with a component equal to
// it, ignoring case and at any depth, fails with vfs.ErrReservedName
// (so no CREATE, rename, link or delete names it), such entries are left
// out of listings, and Symlink refuses a target with such a component.
// A path can then only resolve into the metadata directory through a
// symlink made outside the server (the share's local users are trusted
// not to plant one): a lookup of the directory's name needs that name
// in the path or in a link's target.

// MetaDir is the name of the hidden metadata directory at the share root.
const MetaDir = ".zerosmb"

// reserved reports whether the clean path p has a component naming the
// metadata directory.
func reserved(p string) bool {
	for p != "" {
		var c string
		c, p, _ = strings.Cut(p, "/")
		if strings.EqualFold(c, MetaDir) {
			return true
		}
	}
	return false
}

// reservedTarget reports whether the symlink target t (slash-separated,
// relative or absolute) has a component naming the metadata directory.
func reservedTarget(t string) bool {
	return reserved(strings.ReplaceAll(t, "\\", "/"))
}

// escapeStream is the on-disk file name of stream name.
func escapeStream(name string) string {
	switch name {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return strings.ReplaceAll(name, "%", "%25")
}

// unescapeStream reverses escapeStream.
func unescapeStream(file string) (string, error) {
	if !strings.Contains(file, "%") {
		return file, nil
	}
	var b strings.Builder
	for i := 0; i < len(file); i++ {
		if file[i] != '%' {
			b.WriteByte(file[i])
			continue
		}
		if i+2 >= len(file) {
			return "", fmt.Errorf("osfs: bad sidecar stream file name %q", file)
		}
		v, err := strconv.ParseUint(file[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("osfs: bad sidecar stream file name %q: %w", file, err)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}
