package smb2

import "encoding/binary"

// CloseFlagPostqueryAttrib asks the server to return the file's
// attributes in the CLOSE response.
const CloseFlagPostqueryAttrib uint16 = 0x0001

// CloseRequest is a decoded CLOSE request (MS-SMB2 2.2.15).
type CloseRequest struct {
	Flags  uint16
	FileID FileID
}

// DecodeCloseRequest decodes a CLOSE request message.
func DecodeCloseRequest(msg []byte) (CloseRequest, error) {
	var r CloseRequest
	b, err := bodyOf(msg, 24, 24)
	if err != nil {
		return r, err
	}
	r.Flags = binary.LittleEndian.Uint16(b[2:])
	r.FileID = DecodeFileID(b[8:])
	return r, nil
}

// CloseResponse is a CLOSE response (MS-SMB2 2.2.16). The attribute
// fields are meaningful only when Flags has CloseFlagPostqueryAttrib;
// otherwise the server sends zeros.
type CloseResponse struct {
	Flags          uint16
	CreationTime   uint64
	LastAccessTime uint64
	LastWriteTime  uint64
	ChangeTime     uint64
	AllocationSize uint64
	EndOfFile      uint64
	FileAttributes uint32
}

// Append appends the 60-byte response body.
func (r *CloseResponse) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, 60)
	dst = le.AppendUint16(dst, r.Flags)
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint64(dst, r.CreationTime)
	dst = le.AppendUint64(dst, r.LastAccessTime)
	dst = le.AppendUint64(dst, r.LastWriteTime)
	dst = le.AppendUint64(dst, r.ChangeTime)
	dst = le.AppendUint64(dst, r.AllocationSize)
	dst = le.AppendUint64(dst, r.EndOfFile)
	return le.AppendUint32(dst, r.FileAttributes)
}

// FlushRequest is a decoded FLUSH request (MS-SMB2 2.2.17).
type FlushRequest struct {
	FileID FileID
}

// DecodeFlushRequest decodes a FLUSH request message.
func DecodeFlushRequest(msg []byte) (FlushRequest, error) {
	b, err := bodyOf(msg, 24, 24)
	if err != nil {
		return FlushRequest{}, err
	}
	return FlushRequest{FileID: DecodeFileID(b[8:])}, nil
}

// AppendFlushResponse appends the 4-byte FLUSH response body.
func AppendFlushResponse(dst []byte) []byte {
	return append(dst, 4, 0, 0, 0)
}
