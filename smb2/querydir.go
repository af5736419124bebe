package smb2

import (
	"encoding/binary"
	"fmt"
)

// QUERY_DIRECTORY flags (MS-SMB2 2.2.33).
const (
	QueryDirRestartScans      uint8 = 0x01
	QueryDirReturnSingleEntry uint8 = 0x02
	QueryDirIndexSpecified    uint8 = 0x04
	QueryDirReopen            uint8 = 0x10
)

// Directory information classes (MS-FSCC 2.4) accepted by
// QUERY_DIRECTORY and encoded by AppendDirEntry.
const (
	FileDirectoryInformation       uint8 = 1
	FileFullDirectoryInformation   uint8 = 2
	FileBothDirectoryInformation   uint8 = 3
	FileNamesInformation           uint8 = 12
	FileIDBothDirectoryInformation uint8 = 37
	FileIDFullDirectoryInformation uint8 = 38
	FileIDExtdDirectoryInformation uint8 = 60
)

const (
	queryDirRequestFixedSize     = 32
	queryDirRequestStructureSize = 33
	outputResponseStructureSize  = 9 // QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO
	outputResponseFixedSize      = 8
	shortNameFieldSize           = 24
)

// QueryDirectoryRequest is a decoded QUERY_DIRECTORY request.
type QueryDirectoryRequest struct {
	FileInformationClass uint8
	Flags                uint8
	FileIndex            uint32
	FileID               FileID
	FileName             string // search pattern
	OutputBufferLength   uint32
}

// DecodeQueryDirectoryRequest decodes a QUERY_DIRECTORY request message.
func DecodeQueryDirectoryRequest(msg []byte) (QueryDirectoryRequest, error) {
	var r QueryDirectoryRequest
	b, err := bodyOf(msg, queryDirRequestFixedSize, queryDirRequestStructureSize)
	if err != nil {
		return r, err
	}
	le := binary.LittleEndian
	r.FileInformationClass = b[2]
	r.Flags = b[3]
	r.FileIndex = le.Uint32(b[4:])
	r.FileID = DecodeFileID(b[8:])
	name, err := bufferAt(msg, uint64(le.Uint16(b[24:])), uint64(le.Uint16(b[26:])))
	if err != nil {
		return r, fmt.Errorf("query directory pattern: %w", err)
	}
	var ok bool
	if r.FileName, ok = DecodeUTF16Name(name); !ok {
		return r, fmt.Errorf("query directory pattern: %w", StatusObjectNameInvalid)
	}
	r.OutputBufferLength = le.Uint32(b[28:])
	return r, nil
}

// AppendOutputResponse appends the body shared by QUERY_DIRECTORY,
// CHANGE_NOTIFY and QUERY_INFO responses: StructureSize 9,
// OutputBufferOffset, OutputBufferLength and the buffer. An empty buffer
// is sent as a single zero pad byte with OutputBufferLength 0; the offset
// still points just after the fixed part.
func AppendOutputResponse(dst []byte, out []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, outputResponseStructureSize)
	dst = le.AppendUint16(dst, HeaderSize+outputResponseFixedSize)
	dst = le.AppendUint32(dst, uint32(len(out)))
	if len(out) == 0 {
		return append(dst, 0)
	}
	return append(dst, out...)
}

// DirEntry is one directory entry for AppendDirEntry. Times are
// FILETIMEs (see FileTime).
type DirEntry struct {
	FileIndex      uint32
	CreationTime   uint64
	LastAccessTime uint64
	LastWriteTime  uint64
	ChangeTime     uint64
	EndOfFile      uint64
	AllocationSize uint64
	FileAttributes uint32
	EaSize         uint32
	FileID         uint64
	ReparseTag     uint32 // FileIdExtdDirectoryInformation only
	Name           string
	ShortName      string // 8.3 name; at most 12 characters are sent
	// Posix and DeviceID are sent by FilePosixInformation (class 100,
	// SMB 3.1.1 POSIX extensions) only; a nil Posix sends zeros and
	// Everyone as owner and group.
	Posix    *PosixInfo
	DeviceID uint32
	// AAPL, when set, replaces EaSize, the short name and Reserved2 of a
	// FileIdBothDirectoryInformation entry with Apple's READDIR_ATTR
	// metadata (see AAPLDirInfo); other classes ignore it.
	AAPL *AAPLDirInfo
}

// DirEntryFixedSize returns the size of class's fixed part (before the
// name), or 0 for a class AppendDirEntry does not know.
func DirEntryFixedSize(class uint8) int {
	switch class {
	case FileDirectoryInformation:
		return 64
	case FileFullDirectoryInformation:
		return 68
	case FileBothDirectoryInformation:
		return 94
	case FileNamesInformation:
		return 12
	case FileIDBothDirectoryInformation:
		return 104
	case FileIDFullDirectoryInformation:
		return 80
	case FileIDExtdDirectoryInformation:
		return 88
	case FilePosixInformation:
		return 8 + FilePosixInfoFixedSize + 4 // without the two SIDs
	}
	return 0
}

// dirEntrySize is the unpadded size of e in class.
func dirEntrySize(class uint8, e *DirEntry) int {
	n := DirEntryFixedSize(class) + UTF16Len(e.Name)
	if class == FilePosixInformation {
		p := e.posix()
		n += len(mustSID(p.Owner)) + len(mustSID(p.Group))
	}
	return n
}

func (e *DirEntry) posix() PosixInfo {
	if e.Posix != nil {
		return *e.Posix
	}
	return PosixInfo{Owner: SIDEveryone, Group: SIDEveryone}
}

// AppendDirEntry appends e encoded in directory information class class,
// NextEntryOffset set to the entry's size rounded up to 8 and the entry
// padded to that size. The last entry of a list must have its
// NextEntryOffset cleared (DirListWriter does this). An unknown class
// appends nothing and returns dst unchanged; check DirEntryFixedSize
// first.
func AppendDirEntry(dst []byte, class uint8, e *DirEntry) []byte {
	fixed := DirEntryFixedSize(class)
	if fixed == 0 {
		return dst
	}
	le := binary.LittleEndian
	start := len(dst)
	if class == FilePosixInformation {
		fi := FileInfo{CreationTime: e.CreationTime, LastAccessTime: e.LastAccessTime, LastWriteTime: e.LastWriteTime,
			ChangeTime: e.ChangeTime, EndOfFile: e.EndOfFile, AllocationSize: e.AllocationSize,
			FileAttributes: e.FileAttributes, IndexNumber: e.FileID}
		dst = AppendFindPosixInfo(dst, &fi, e.posix(), e.DeviceID, e.Name)
		dst = pad8(dst, start)
		le.PutUint32(dst[start:], uint32(len(dst)-start))
		return dst
	}
	nameLen := UTF16Len(e.Name)
	dst = le.AppendUint32(dst, 0) // NextEntryOffset, patched below
	dst = le.AppendUint32(dst, e.FileIndex)
	if class == FileNamesInformation {
		dst = le.AppendUint32(dst, uint32(nameLen))
	} else {
		dst = le.AppendUint64(dst, e.CreationTime)
		dst = le.AppendUint64(dst, e.LastAccessTime)
		dst = le.AppendUint64(dst, e.LastWriteTime)
		dst = le.AppendUint64(dst, e.ChangeTime)
		dst = le.AppendUint64(dst, e.EndOfFile)
		dst = le.AppendUint64(dst, e.AllocationSize)
		dst = le.AppendUint32(dst, e.FileAttributes)
		dst = le.AppendUint32(dst, uint32(nameLen))
	}
	switch class {
	case FileFullDirectoryInformation:
		dst = le.AppendUint32(dst, e.EaSize)
	case FileIDFullDirectoryInformation:
		dst = le.AppendUint32(dst, e.EaSize)
		dst = le.AppendUint32(dst, 0)
		dst = le.AppendUint64(dst, e.FileID)
	case FileIDExtdDirectoryInformation:
		dst = le.AppendUint32(dst, e.EaSize)
		dst = le.AppendUint32(dst, e.ReparseTag)
		dst = le.AppendUint64(dst, e.FileID) // 128-bit FileId, high half zero
		dst = le.AppendUint64(dst, 0)
	case FileIDBothDirectoryInformation:
		if a := e.AAPL; a != nil {
			dst = appendAAPLDirInfo(dst, a)
			dst = le.AppendUint64(dst, e.FileID)
			break
		}
		dst = le.AppendUint32(dst, e.EaSize)
		dst = appendShortName(dst, e.ShortName)
		dst = le.AppendUint16(dst, 0)
		dst = le.AppendUint64(dst, e.FileID)
	case FileBothDirectoryInformation:
		dst = le.AppendUint32(dst, e.EaSize)
		dst = appendShortName(dst, e.ShortName)
	}
	dst = AppendUTF16(dst, e.Name)
	dst = pad8(dst, start)
	le.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

// appendAAPLDirInfo appends EaSize, ShortNameLength, Reserved, ShortName
// and Reserved2 of a READDIR_ATTR entry (layout at AAPLDirInfo).
func appendAAPLDirInfo(dst []byte, a *AAPLDirInfo) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, a.MaxAccess)
	dst = append(dst, shortNameFieldSize, 0)
	dst = le.AppendUint64(dst, a.ResourceForkSize)
	dst = append(dst, a.FinderInfo[:]...)
	return le.AppendUint16(dst, a.UnixMode)
}

// appendShortName appends ShortNameLength, Reserved and the 24-byte
// ShortName field.
func appendShortName(dst []byte, s string) []byte {
	var field [shortNameFieldSize]byte
	enc := AppendUTF16(field[:0], s)
	n := len(enc)
	if n > shortNameFieldSize {
		n = shortNameFieldSize
	}
	dst = append(dst, byte(n), 0)
	var buf [shortNameFieldSize]byte
	copy(buf[:], enc[:n])
	return append(dst, buf[:]...)
}

// DirListWriter builds a QUERY_DIRECTORY output buffer of at most Max
// bytes. Add appends entries while they fit; Bytes returns the buffer with
// the last entry's NextEntryOffset cleared.
type DirListWriter struct {
	Class uint8
	Max   int // OutputBufferLength from the request
	buf   []byte
	last  int // offset of the last entry, -1 if none
	count int
}

// NewDirListWriter returns a writer appending to buf[:0] (which may be a
// pooled buffer) for class, limited to max bytes.
func NewDirListWriter(buf []byte, class uint8, max uint32) *DirListWriter {
	return &DirListWriter{Class: class, Max: int(max), buf: buf[:0], last: -1}
}

// Add appends e and reports whether it fit. On false the writer is
// unchanged; the caller keeps e for the next QUERY_DIRECTORY. The last
// entry need not be padded, so the fit test ignores its trailing
// alignment.
func (w *DirListWriter) Add(e *DirEntry) bool {
	start := len(w.buf)
	unpadded := dirEntrySize(w.Class, e)
	if start+unpadded > w.Max {
		return false
	}
	w.buf = AppendDirEntry(w.buf, w.Class, e)
	w.last = start
	w.count++
	return true
}

// Len returns the number of entries added.
func (w *DirListWriter) Len() int { return w.count }

// Bytes returns the output buffer: the last entry's NextEntryOffset is
// zero and its padding is trimmed if the padding would exceed Max.
func (w *DirListWriter) Bytes() []byte {
	if w.last < 0 {
		return w.buf[:0]
	}
	binary.LittleEndian.PutUint32(w.buf[w.last:], 0)
	if len(w.buf) > w.Max {
		w.buf = w.buf[:w.Max]
	}
	return w.buf
}
