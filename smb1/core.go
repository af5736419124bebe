package smb1

// The core (pre-NT) file commands of MS-CIFS 2.2.4 that old clients and
// smbtorture still send: OPEN, CREATE, CREATE_NEW, CREATE_TEMPORARY,
// READ, WRITE, WRITE_AND_CLOSE, SEEK and CLOSE's LastTimeModified. Times
// are UTIMEs (seconds since 1970).

import (
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// Core command codes.
const (
	ComOpen            Command = 0x02
	ComCreate          Command = 0x03
	ComRead            Command = 0x0A
	ComWrite           Command = 0x0B
	ComCreateTemporary Command = 0x0E
	ComCreateNew       Command = 0x0F
	ComSeek            Command = 0x12
	ComWriteAndClose   Command = 0x2C
)

// BufferFormatData prefixes the data of core READ and WRITE.
const BufferFormatData = 0x01

// OpenRequest is a core OPEN request (WordCount 2).
type OpenRequest struct {
	AccessMode       uint16 // DOS access and sharing mode, as OPEN_ANDX's
	SearchAttributes uint16
	Name             string
}

// DecodeOpenRequest decodes the block b of msg.
func DecodeOpenRequest(msg []byte, b *Block, unicode bool) (OpenRequest, error) {
	var r OpenRequest
	if len(b.Words) != 4 {
		return r, ErrMalformed
	}
	r.AccessMode = le.Uint16(b.Words)
	r.SearchAttributes = le.Uint16(b.Words[2:])
	var err error
	r.Name, _, err = formatString(msg, b.BytesOff, b.End, unicode)
	return r, err
}

// AppendOpenResponse appends the core OPEN response block (WordCount 7).
func AppendOpenResponse(dst []byte, fid, attrs uint16, mtime, size uint32, access uint16) []byte {
	dst, start := BeginBlock(dst)
	dst = le.AppendUint16(dst, fid)
	dst = le.AppendUint16(dst, attrs)
	dst = le.AppendUint32(dst, mtime)
	dst = le.AppendUint32(dst, size)
	dst = le.AppendUint16(dst, access)
	dst, bc := EndWords(dst, start)
	EndBlock(dst, bc)
	return dst
}

// CreateRequest is a CREATE, CREATE_NEW or CREATE_TEMPORARY request
// (WordCount 3); for CREATE_TEMPORARY Name is the directory.
type CreateRequest struct {
	FileAttributes uint16
	Time           uint32 // UTIME; 0: not set
	Name           string
}

// DecodeCreateRequest decodes the block b of msg.
func DecodeCreateRequest(msg []byte, b *Block, unicode bool) (CreateRequest, error) {
	var r CreateRequest
	if len(b.Words) != 6 {
		return r, ErrMalformed
	}
	r.FileAttributes = le.Uint16(b.Words)
	r.Time = le.Uint32(b.Words[2:])
	var err error
	r.Name, _, err = formatString(msg, b.BytesOff, b.End, unicode)
	return r, err
}

// AppendFIDResponse appends a response block of one word, a FID (CREATE,
// CREATE_NEW) or a count (WRITE, WRITE_AND_CLOSE).
func AppendFIDResponse(dst []byte, fid uint16) []byte {
	dst, start := BeginBlock(dst)
	dst = le.AppendUint16(dst, fid)
	dst, bc := EndWords(dst, start)
	EndBlock(dst, bc)
	return dst
}

// AppendCreateTemporaryResponse appends the CREATE_TEMPORARY response:
// the FID and the created file's name (8-bit, NUL-terminated, as Windows
// and Samba send it).
func AppendCreateTemporaryResponse(dst []byte, fid uint16, name string) []byte {
	dst, start := BeginBlock(dst)
	dst = le.AppendUint16(dst, fid)
	dst, bc := EndWords(dst, start)
	dst = append(append(dst, name...), 0)
	EndBlock(dst, bc)
	return dst
}

// CoreIORequest is a core READ or WRITE request (WordCount 5), without
// WRITE's data.
type CoreIORequest struct {
	FID       uint16
	Count     uint16
	Offset    uint32
	Remaining uint16
}

// DecodeCoreIORequest decodes the words of READ or WRITE.
func DecodeCoreIORequest(b *Block) (CoreIORequest, error) {
	if len(b.Words) != 10 {
		return CoreIORequest{}, ErrMalformed
	}
	w := b.Words
	return CoreIORequest{FID: le.Uint16(w), Count: le.Uint16(w[2:]), Offset: le.Uint32(w[4:]),
		Remaining: le.Uint16(w[8:])}, nil
}

// DecodeWriteRequest decodes a core WRITE and returns its data (a
// subslice of the bytes block): BufferFormat 0x01, a length equal to
// Count, then the data.
func DecodeWriteRequest(b *Block) (CoreIORequest, []byte, error) {
	r, err := DecodeCoreIORequest(b)
	if err != nil {
		return r, nil, err
	}
	p := b.Bytes
	if len(p) < 3 || p[0] != BufferFormatData {
		return r, nil, ErrMalformed
	}
	n := int(le.Uint16(p[1:]))
	if n != int(r.Count) || n > len(p)-3 {
		return r, nil, ErrMalformed
	}
	return r, p[3 : 3+n : 3+n], nil
}

// AppendReadResponse appends the core READ response block carrying data.
func AppendReadResponse(dst []byte, data []byte) []byte {
	dst, start := BeginBlock(dst)
	dst = le.AppendUint16(dst, uint16(len(data)))
	dst = append(dst, make([]byte, 8)...)
	dst, bc := EndWords(dst, start)
	dst = append(dst, BufferFormatData)
	dst = le.AppendUint16(dst, uint16(len(data)))
	dst = append(dst, data...)
	EndBlock(dst, bc)
	return dst
}

// WriteAndCloseRequest is a WRITE_AND_CLOSE request (WordCount 6 or 12).
type WriteAndCloseRequest struct {
	FID       uint16
	Count     uint16
	Offset    uint32
	LastWrite uint32 // UTIME; 0 or all ones: leave it
}

// DecodeWriteAndCloseRequest decodes the block b and returns the data,
// which follows one pad byte in the bytes block.
func DecodeWriteAndCloseRequest(b *Block) (WriteAndCloseRequest, []byte, error) {
	var r WriteAndCloseRequest
	if len(b.Words) != 12 && len(b.Words) != 24 {
		return r, nil, ErrMalformed
	}
	w := b.Words
	r.FID, r.Count, r.Offset, r.LastWrite = le.Uint16(w), le.Uint16(w[2:]), le.Uint32(w[4:]), le.Uint32(w[8:])
	if int(r.Count) > len(b.Bytes)-1 {
		return r, nil, ErrMalformed
	}
	if r.Count == 0 {
		return r, nil, nil
	}
	return r, b.Bytes[1 : 1+int(r.Count) : 1+int(r.Count)], nil
}

// SeekRequest is a SEEK request (WordCount 4).
type SeekRequest struct {
	FID    uint16
	Mode   uint16 // 0 from the start, 1 from the current position, 2 from the end
	Offset int32
}

// DecodeSeekRequest decodes the words of SEEK.
func DecodeSeekRequest(b *Block) (SeekRequest, error) {
	if len(b.Words) != 8 {
		return SeekRequest{}, ErrMalformed
	}
	w := b.Words
	return SeekRequest{FID: le.Uint16(w), Mode: le.Uint16(w[2:]), Offset: int32(le.Uint32(w[4:]))}, nil
}

// AppendSeekResponse appends the SEEK response block (WordCount 2).
func AppendSeekResponse(dst []byte, off uint32) []byte {
	dst, start := BeginBlock(dst)
	dst = le.AppendUint32(dst, off)
	dst, bc := EndWords(dst, start)
	EndBlock(dst, bc)
	return dst
}

// DecodeCloseRequest returns CLOSE's FID and LastTimeModified (UTIME;
// 0 or all ones: leave it).
func DecodeCloseRequest(b *Block) (fid uint16, mtime uint32, err error) {
	if len(b.Words) != 6 {
		return 0, 0, ErrMalformed
	}
	return le.Uint16(b.Words), le.Uint32(b.Words[2:]), nil
}

// QUERY_INFORMATION2 and SET_INFORMATION2 (getattrE, setattrE): times as
// DOS date and time pairs of an open file.
const (
	ComSetInformation2   Command = 0x22
	ComQueryInformation2 Command = 0x23
)

// AppendQueryInformation2Response appends the QUERY_INFORMATION2
// response block (WordCount 11) from FSCC FileNetworkOpenInformation b
// (creation, last access and last write times, allocation size, end of
// file, attributes).
func AppendQueryInformation2Response(dst []byte, b []byte) ([]byte, error) {
	if len(b) < 52 {
		return dst, ErrMalformed
	}
	dst, start := BeginBlock(dst)
	for _, off := range []int{0, 8, 16} {
		d, t := DOSDateTime(smb2.TimeFromFileTime(le.Uint64(b[off:])))
		dst = le.AppendUint16(le.AppendUint16(dst, d), t)
	}
	dst = le.AppendUint32(dst, sat32(le.Uint64(b[40:])))
	dst = le.AppendUint32(dst, sat32(le.Uint64(b[32:])))
	dst = le.AppendUint16(dst, uint16(le.Uint32(b[48:])&0x37))
	dst, bc := EndWords(dst, start)
	EndBlock(dst, bc)
	return dst, nil
}

// SetInformation2Request is a SET_INFORMATION2 request (WordCount 7); a
// zero date and time leaves that time.
type SetInformation2Request struct {
	FID                             uint16
	Creation, LastAccess, LastWrite uint64 // FILETIMEs, 0: leave
}

// DecodeSetInformation2 decodes the words of SET_INFORMATION2.
func DecodeSetInformation2(b *Block) (SetInformation2Request, error) {
	var r SetInformation2Request
	if len(b.Words) != 14 {
		return r, ErrMalformed
	}
	w := b.Words
	r.FID = le.Uint16(w)
	get := func(off int) uint64 {
		d, t := le.Uint16(w[off:]), le.Uint16(w[off+2:])
		if d == 0 && t == 0 {
			return 0
		}
		return smb2.FileTime(FromDOSDateTime(d, t))
	}
	r.Creation, r.LastAccess, r.LastWrite = get(2), get(6), get(10)
	return r, nil
}

// FromDOSDateTime decodes a DOS date and time (UTC).
func FromDOSDateTime(d, t uint16) time.Time {
	return time.Date(1980+int(d>>9), time.Month(d>>5&15), int(d&31), int(t>>11), int(t>>5&63), int(t&31)*2, 0, time.UTC)
}

// NT_RENAME (MS-CIFS 2.2.4.66): rename, hard link or copy one file.
const ComNTRename Command = 0xA5

// NT_RENAME information levels.
const (
	NTRenameMoveClusterInfo uint16 = 0x0102
	NTRenameSetLinkInfo     uint16 = 0x0103
	NTRenameRenameFile      uint16 = 0x0104
	NTRenameCopyFile        uint16 = 0x0105
)

// NTRenameRequest is an NT_RENAME request (WordCount 4).
type NTRenameRequest struct {
	SearchAttributes uint16
	Level            uint16
	ClusterCount     uint32
	OldName, NewName string
}

// DecodeNTRenameRequest decodes the block b of msg.
func DecodeNTRenameRequest(msg []byte, b *Block, unicode bool) (NTRenameRequest, error) {
	var r NTRenameRequest
	if len(b.Words) != 8 {
		return r, ErrMalformed
	}
	r.SearchAttributes, r.Level, r.ClusterCount = le.Uint16(b.Words), le.Uint16(b.Words[2:]), le.Uint32(b.Words[4:])
	var err error
	r.OldName, r.NewName, err = DecodeRenameRequest(msg, b, unicode)
	return r, err
}
