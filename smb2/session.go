package smb2

import "encoding/binary"

// SESSION_SETUP request flags and response session flags.
const (
	SessionFlagBinding uint8 = 0x01

	SessionFlagIsGuest     uint16 = 0x0001
	SessionFlagIsNull      uint16 = 0x0002
	SessionFlagEncryptData uint16 = 0x0004
)

// SessionSetupRequest is a decoded SESSION_SETUP request.
type SessionSetupRequest struct {
	Flags             uint8
	SecurityMode      uint8
	Capabilities      uint32
	Channel           uint32
	SecurityBuffer    []byte
	PreviousSessionID uint64
}

// DecodeSessionSetupRequest decodes a SESSION_SETUP request message.
func DecodeSessionSetupRequest(msg []byte) (SessionSetupRequest, error) {
	var r SessionSetupRequest
	if len(msg) < HeaderSize+24 {
		return r, ErrMalformed
	}
	b := msg[HeaderSize:]
	le := binary.LittleEndian
	if le.Uint16(b) != 25 {
		return r, ErrMalformed
	}
	r.Flags = b[2]
	r.SecurityMode = b[3]
	r.Capabilities = le.Uint32(b[4:])
	r.Channel = le.Uint32(b[8:])
	off, n := int(le.Uint16(b[12:])), int(le.Uint16(b[14:]))
	r.PreviousSessionID = le.Uint64(b[16:])
	buf, err := bufferAt(msg, uint64(off), uint64(n))
	if err != nil {
		return r, err
	}
	r.SecurityBuffer = buf
	return r, nil
}

// SessionSetupResponse is a SESSION_SETUP response.
type SessionSetupResponse struct {
	SessionFlags   uint16
	SecurityBuffer []byte
}

// Append appends the response body.
func (r *SessionSetupResponse) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, 9)
	dst = le.AppendUint16(dst, r.SessionFlags)
	dst = le.AppendUint16(dst, HeaderSize+8)
	dst = le.AppendUint16(dst, uint16(len(r.SecurityBuffer)))
	dst = append(dst, r.SecurityBuffer...)
	if len(r.SecurityBuffer) == 0 {
		dst = append(dst, 0)
	}
	return dst
}

// TreeConnectRequest is a decoded TREE_CONNECT request.
type TreeConnectRequest struct {
	Flags uint16
	Path  string // \\server\share
}

// DecodeTreeConnectRequest decodes a TREE_CONNECT request message.
func DecodeTreeConnectRequest(msg []byte) (TreeConnectRequest, error) {
	var r TreeConnectRequest
	if len(msg) < HeaderSize+8 {
		return r, ErrMalformed
	}
	b := msg[HeaderSize:]
	le := binary.LittleEndian
	if le.Uint16(b) != 9 {
		return r, ErrMalformed
	}
	r.Flags = le.Uint16(b[2:])
	buf, err := bufferAt(msg, uint64(le.Uint16(b[4:])), uint64(le.Uint16(b[6:])))
	if err != nil {
		return r, err
	}
	r.Path = DecodeUTF16(buf)
	return r, nil
}

// Share types and flags for TREE_CONNECT responses.
const (
	ShareTypeDisk  uint8 = 0x01
	ShareTypePipe  uint8 = 0x02
	ShareTypePrint uint8 = 0x03

	ShareFlagManualCaching   uint32 = 0x00000000
	ShareFlagNoCaching       uint32 = 0x00000030
	ShareFlagEncryptData     uint32 = 0x00008000
	ShareFlagAccessBasedEnum uint32 = 0x00000800
	ShareCapDFS              uint32 = 0x00000008
	ShareCapContinuousAvail  uint32 = 0x00000010
)

// TreeConnectResponse is a TREE_CONNECT response.
type TreeConnectResponse struct {
	ShareType     uint8
	ShareFlags    uint32
	Capabilities  uint32
	MaximalAccess uint32
}

// Append appends the response body.
func (r *TreeConnectResponse) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, 16)
	dst = append(dst, r.ShareType, 0)
	dst = le.AppendUint32(dst, r.ShareFlags)
	dst = le.AppendUint32(dst, r.Capabilities)
	return le.AppendUint32(dst, r.MaximalAccess)
}

// AppendSimple appends the 4-byte body shared by LOGOFF, TREE_DISCONNECT,
// ECHO and CANCEL (StructureSize 4, Reserved).
func AppendSimple(dst []byte) []byte {
	return append(dst, 4, 0, 0, 0)
}

// CheckSimple validates a 4-byte request body (LOGOFF, TREE_DISCONNECT,
// ECHO, CANCEL).
func CheckSimple(msg []byte) error {
	if len(msg) < HeaderSize+4 || binary.LittleEndian.Uint16(msg[HeaderSize:]) != 4 {
		return ErrMalformed
	}
	return nil
}

// BufferTooSmallData is the ErrorData of a STATUS_BUFFER_TOO_SMALL error
// response: the buffer size the request needs (MS-SMB2 3.3.5.20.3).
func BufferTooSmallData(need uint32) []byte { return le.AppendUint32(nil, need) }

// AppendError appends an ERROR response body with optional error data.
func AppendError(dst []byte, data []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, 9)
	dst = append(dst, 0, 0)
	dst = le.AppendUint32(dst, uint32(len(data)))
	if len(data) == 0 {
		return append(dst, 0)
	}
	return append(dst, data...)
}
