package server

import (
	"bytes"
	"io"
	"io/fs"
	"syscall"

	"github.com/zerosmb/zerosmb/smb2"
)

// AFP_AfpInfo streams (layout in smb2/afpinfo.go) behave as on a macOS
// server, which Apple's client relies on and Samba's vfs_fruit copies:
//
//   - the stream exists once a valid AfpInfo was written to it; creating
//     it stores nothing, and reading a created but unwritten one returns
//     a default AfpInfo (signature, version, no backup time, zero
//     FinderInfo);
//   - a READ at an offset up to 60 returns the stream from offset 0
//     (macOS ignores the offset), beyond 60 it is at end of file;
//   - a WRITE must start with "AFP" and be at least 3 bytes (60 when not
//     at offset 0), else STATUS_INVALID_PARAMETER; one of at most 16
//     bytes changes nothing; otherwise the first 60 bytes replace the
//     stream, whose signature and version must be Apple's; a FinderInfo
//     of all zeros removes the stream;
//   - setting the end of file beyond 60 is STATUS_ALLOTTED_SPACE_EXCEEDED,
//     anything else succeeds and changes nothing.
//
// AFP_Resource (the resource fork) is a plain named stream (a sidecar
// file of any size where the backend has the store, else an xattr at
// most the file system's attribute size) except that delete-on-close is
// ignored on it and an empty one does not exist, as on macOS (truncating
// an attribute one to 0 removes it; an empty sidecar one is not listed
// or found); every other stream is a plain named stream. AppleDouble "._" files are
// stored as the client writes them: zerosmb neither converts them into
// streams nor hides them.

// readLimiter is implemented by files whose READ length is not bounded
// by their size (AFP_AfpInfo); checkRead asks it instead.
type readLimiter interface {
	// readLength returns how many of n bytes at off a READ returns (0 is
	// end of file), or false when the size bounds the READ as usual.
	readLength(off, n int64) (int64, bool)
}

func (f *streamFile) readLength(off, n int64) (int64, bool) {
	switch {
	case !f.afp:
		return 0, false
	case off > smb2.AfpInfoSize:
		return 0, true
	}
	return min(n, smb2.AfpInfoSize), true
}

// defaultAfpInfo is what an AFP_AfpInfo stream reads as before it was
// written.
func defaultAfpInfo() []byte {
	ai := smb2.AfpInfo{Signature: smb2.AfpSignature, Version: smb2.AfpVersion, BackupTime: smb2.AAPLDateStart}
	return ai.AppendAfpInfo(nil)
}

// afpRead reads an AFP_AfpInfo stream; called with f.mu held.
func (f *streamFile) afpRead(b []byte, off int64) (int, error) {
	if off > smb2.AfpInfoSize {
		return 0, io.EOF
	}
	data := f.data
	if len(data) == 0 {
		data = defaultAfpInfo()
	}
	n := copy(b, data)
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// afpWrite writes an AFP_AfpInfo stream; called with f.mu held.
func (f *streamFile) afpWrite(b []byte, off int64) (int, error) {
	inval := &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.EINVAL}
	if len(b) < 3 || off != 0 && len(b) < smb2.AfpInfoSize || !bytes.HasPrefix(b, []byte("AFP")) {
		return 0, inval
	}
	if len(b) <= smb2.AfpInfoFinderInfoOffset {
		return len(b), nil
	}
	buf := make([]byte, smb2.AfpInfoSize)
	copy(buf, b)
	ai, ok := smb2.DecodeAfpInfo(buf)
	if ai.EmptyFinderInfo() {
		if err := f.Remove(); err != nil {
			return 0, err
		}
		f.data = nil
		return len(b), nil
	}
	if !ok {
		return 0, inval
	}
	if err := f.store(buf); err != nil {
		return 0, err
	}
	return len(b), nil
}

// afpTruncate sets the end of file of an AFP_AfpInfo stream.
func (f *streamFile) afpTruncate(size int64) error {
	if size > smb2.AfpInfoSize {
		return smb2.StatusAllottedSpaceExceeded
	}
	return nil
}
