package smb2

import (
	"encoding/binary"
	"fmt"
)

// Request encoders and response decoders: the client side of the commands
// the SMB1 bridge (package server, smb1*.go) runs through the SMB2
// handlers, so both dialects share one implementation of every file
// operation. Each encoder appends a request body (no header); each is the
// exact inverse of its Decode...Request.

// AppendBody appends h and body: a whole request message for a decoder.
func AppendBody(dst []byte, h *Header, body []byte) []byte {
	return append(h.Append(dst), body...)
}

// Append appends the CREATE request body (no create contexts).
func (r *CreateRequest) Append(dst []byte) []byte {
	le := binary.LittleEndian
	name := AppendUTF16(nil, r.Name)
	start := len(dst)
	dst = le.AppendUint16(dst, createRequestStructureSize)
	dst = append(dst, r.SecurityFlags, r.RequestedOplockLevel)
	dst = le.AppendUint32(dst, r.ImpersonationLevel)
	dst = le.AppendUint64(dst, r.SmbCreateFlags)
	dst = le.AppendUint64(dst, 0) // Reserved
	dst = le.AppendUint32(dst, r.DesiredAccess)
	dst = le.AppendUint32(dst, r.FileAttributes)
	dst = le.AppendUint32(dst, r.ShareAccess)
	dst = le.AppendUint32(dst, r.CreateDisposition)
	dst = le.AppendUint32(dst, r.CreateOptions)
	dst = le.AppendUint16(dst, HeaderSize+createRequestFixedSize)
	dst = le.AppendUint16(dst, uint16(len(name)))
	ctxField := len(dst)
	dst = le.AppendUint64(dst, 0) // CreateContextsOffset, CreateContextsLength
	if len(name) == 0 {
		dst = append(dst, 0)
	}
	dst = append(dst, name...)
	if len(r.CreateContexts) == 0 {
		return dst
	}
	// The contexts start 8-byte aligned; the body follows the 64-byte
	// header, so offsets from the body's start align the same.
	for (len(dst)-start)%8 != 0 {
		dst = append(dst, 0)
	}
	off := len(dst) - start
	dst = AppendCreateContexts(dst, r.CreateContexts)
	le.PutUint32(dst[ctxField:], uint32(HeaderSize+off))
	le.PutUint32(dst[ctxField+4:], uint32(len(dst)-start-off))
	return dst
}

// Append appends the CLOSE request body.
func (r *CloseRequest) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, 24)
	dst = le.AppendUint16(dst, r.Flags)
	dst = le.AppendUint32(dst, 0)
	return appendFileID(dst, r.FileID)
}

// Append appends the FLUSH request body.
func (r *FlushRequest) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, 24)
	dst = append(dst, 0, 0, 0, 0, 0, 0)
	return appendFileID(dst, r.FileID)
}

// Append appends the READ request body (no channel info).
func (r *ReadRequest) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, readRequestStructureSize)
	dst = append(dst, r.Padding, r.Flags)
	dst = le.AppendUint32(dst, r.Length)
	dst = le.AppendUint64(dst, r.Offset)
	dst = appendFileID(dst, r.FileID)
	dst = le.AppendUint32(dst, r.MinimumCount)
	dst = le.AppendUint32(dst, r.Channel)
	dst = le.AppendUint32(dst, r.RemainingBytes)
	dst = le.AppendUint32(dst, 0) // channel info offset, length
	return append(dst, 0)
}

// AppendFixed appends the WriteRequestFixedSize bytes of a WRITE request
// whose Length bytes of data start at DataOffset (no channel info).
func (r *WriteRequest) AppendFixed(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, writeRequestStructureSize)
	dst = le.AppendUint16(dst, r.DataOffset)
	dst = le.AppendUint32(dst, r.Length)
	dst = le.AppendUint64(dst, r.Offset)
	dst = appendFileID(dst, r.FileID)
	dst = le.AppendUint32(dst, r.Channel)
	dst = le.AppendUint32(dst, r.RemainingBytes)
	dst = le.AppendUint32(dst, 0) // channel info offset, length
	return le.AppendUint32(dst, r.Flags)
}

// Append appends the QUERY_DIRECTORY request body.
func (r *QueryDirectoryRequest) Append(dst []byte) []byte {
	le := binary.LittleEndian
	name := AppendUTF16(nil, r.FileName)
	dst = le.AppendUint16(dst, queryDirRequestStructureSize)
	dst = append(dst, r.FileInformationClass, r.Flags)
	dst = le.AppendUint32(dst, r.FileIndex)
	dst = appendFileID(dst, r.FileID)
	dst = le.AppendUint16(dst, HeaderSize+queryDirRequestFixedSize)
	dst = le.AppendUint16(dst, uint16(len(name)))
	dst = le.AppendUint32(dst, r.OutputBufferLength)
	if len(name) == 0 {
		return append(dst, 0)
	}
	return append(dst, name...)
}

// Append appends the QUERY_INFO request body.
func (r *QueryInfoRequest) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, queryInfoStructureSize)
	dst = append(dst, r.InfoType, r.FileInfoClass)
	dst = le.AppendUint32(dst, r.OutputBufferLength)
	off := uint16(0)
	if len(r.InputBuffer) > 0 {
		off = HeaderSize + queryInfoFixedSize
	}
	dst = le.AppendUint16(dst, off)
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint32(dst, uint32(len(r.InputBuffer)))
	dst = le.AppendUint32(dst, r.AdditionalInformation)
	dst = le.AppendUint32(dst, r.Flags)
	dst = appendFileID(dst, r.FileID)
	if len(r.InputBuffer) == 0 {
		return append(dst, 0)
	}
	return append(dst, r.InputBuffer...)
}

// Append appends the SET_INFO request body.
func (r *SetInfoRequest) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, setInfoStructureSize)
	dst = append(dst, r.InfoType, r.FileInfoClass)
	dst = le.AppendUint32(dst, uint32(len(r.Buffer)))
	dst = le.AppendUint16(dst, HeaderSize+setInfoFixedSize)
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint32(dst, r.AdditionalInformation)
	dst = appendFileID(dst, r.FileID)
	if len(r.Buffer) == 0 {
		return append(dst, 0)
	}
	return append(dst, r.Buffer...)
}

// DecodeCreateResponse decodes a CREATE response body (without the header;
// create contexts are not decoded).
func DecodeCreateResponse(body []byte) (CreateResponse, error) {
	var r CreateResponse
	if len(body) < createResponseFixedSize || binary.LittleEndian.Uint16(body) != createResponseStructureSize {
		return r, fmt.Errorf("create response: %w", ErrMalformed)
	}
	le := binary.LittleEndian
	r.OplockLevel, r.Flags = body[2], body[3]
	r.CreateAction = le.Uint32(body[4:])
	r.CreationTime = le.Uint64(body[8:])
	r.LastAccessTime = le.Uint64(body[16:])
	r.LastWriteTime = le.Uint64(body[24:])
	r.ChangeTime = le.Uint64(body[32:])
	r.AllocationSize = le.Uint64(body[40:])
	r.EndOfFile = le.Uint64(body[48:])
	r.FileAttributes = le.Uint32(body[56:])
	r.FileID = DecodeFileID(body[64:])
	return r, nil
}

// DecodeOutputResponse returns the output buffer of a QUERY_DIRECTORY,
// CHANGE_NOTIFY or QUERY_INFO response body (without the header); its
// offset counts from the start of the header, as on the wire.
func DecodeOutputResponse(body []byte) ([]byte, error) {
	if len(body) < outputResponseFixedSize || binary.LittleEndian.Uint16(body) != outputResponseStructureSize {
		return nil, fmt.Errorf("output response: %w", ErrMalformed)
	}
	off := uint64(binary.LittleEndian.Uint16(body[2:]))
	n := uint64(binary.LittleEndian.Uint32(body[4:]))
	if n == 0 {
		return nil, nil
	}
	if off < HeaderSize || off-HeaderSize > uint64(len(body)) || n > uint64(len(body))-(off-HeaderSize) {
		return nil, fmt.Errorf("output response buffer: %w", ErrMalformed)
	}
	return body[off-HeaderSize : off-HeaderSize+n], nil
}

// DecodeWriteResponse returns the Count of a WRITE response body.
func DecodeWriteResponse(body []byte) (uint32, error) {
	if len(body) < 16 || binary.LittleEndian.Uint16(body) != readWriteResponseStructureSize {
		return 0, fmt.Errorf("write response: %w", ErrMalformed)
	}
	return binary.LittleEndian.Uint32(body[4:]), nil
}

// AppendTreeConnectRequest appends a TREE_CONNECT request body for path
// (\\server\share).
func AppendTreeConnectRequest(dst []byte, path string) []byte {
	le := binary.LittleEndian
	p := AppendUTF16(nil, path)
	dst = le.AppendUint16(dst, 9)
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint16(dst, HeaderSize+8)
	dst = le.AppendUint16(dst, uint16(len(p)))
	return append(dst, p...)
}

// DecodeTreeConnectResponse decodes a TREE_CONNECT response body.
func DecodeTreeConnectResponse(body []byte) (TreeConnectResponse, error) {
	le := binary.LittleEndian
	if len(body) < 16 || le.Uint16(body) != 16 {
		return TreeConnectResponse{}, fmt.Errorf("tree connect response: %w", ErrMalformed)
	}
	return TreeConnectResponse{ShareType: body[2], ShareFlags: le.Uint32(body[4:]),
		Capabilities: le.Uint32(body[8:]), MaximalAccess: le.Uint32(body[12:])}, nil
}

// Append appends the LOCK request body.
func (r *LockRequest) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, 48)
	dst = le.AppendUint16(dst, uint16(len(r.Locks)))
	dst = le.AppendUint32(dst, uint32(r.LockSequenceNumber)&0xF|r.LockSequenceIndex<<4)
	dst = appendFileID(dst, r.FileID)
	for _, l := range r.Locks {
		dst = le.AppendUint64(dst, l.Offset)
		dst = le.AppendUint64(dst, l.Length)
		dst = le.AppendUint32(dst, l.Flags)
		dst = le.AppendUint32(dst, 0)
	}
	return dst
}

// Append appends the IOCTL request body with r.Input (no Output buffer).
func (r *IoctlRequest) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, ioctlRequestStructureSize)
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint32(dst, r.CtlCode)
	dst = appendFileID(dst, r.FileID)
	inOff := uint32(0)
	if len(r.Input) > 0 {
		inOff = HeaderSize + ioctlRequestFixedSize
	}
	dst = le.AppendUint32(dst, inOff)
	dst = le.AppendUint32(dst, uint32(len(r.Input)))
	dst = le.AppendUint32(dst, r.MaxInputResponse)
	dst = le.AppendUint32(dst, 0) // OutputOffset
	dst = le.AppendUint32(dst, 0) // OutputCount
	dst = le.AppendUint32(dst, r.MaxOutputResponse)
	dst = le.AppendUint32(dst, r.Flags)
	dst = le.AppendUint32(dst, 0)
	if len(r.Input) == 0 {
		return append(dst, 0)
	}
	return append(dst, r.Input...)
}

// DecodeIoctlOutput returns the Output buffer of an IOCTL response body.
func DecodeIoctlOutput(body []byte) ([]byte, error) {
	le := binary.LittleEndian
	if len(body) < ioctlResponseFixedSize || le.Uint16(body) != ioctlResponseStructureSize {
		return nil, fmt.Errorf("ioctl response: %w", ErrMalformed)
	}
	off, n := uint64(le.Uint32(body[32:])), uint64(le.Uint32(body[36:]))
	if n == 0 {
		return nil, nil
	}
	if off < HeaderSize || off-HeaderSize > uint64(len(body)) || n > uint64(len(body))-(off-HeaderSize) {
		return nil, fmt.Errorf("ioctl response output: %w", ErrMalformed)
	}
	return body[off-HeaderSize : off-HeaderSize+n], nil
}
