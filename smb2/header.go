// Package smb2 holds the SMB2/SMB3 wire format: the 64-byte message header,
// the NetBIOS session framing, command request and response bodies, NTSTATUS
// codes and the FSCC information classes carried by QUERY_INFO, SET_INFO and
// QUERY_DIRECTORY.
//
// Everything here is pure encode/decode over byte slices: no sockets, no
// files, no session state. Decoders take the whole SMB2 message (header
// included) because SMB2 offsets are measured from the start of the header;
// they check bounds once and return ErrMalformed rather than panicking.
// Encoders append to a caller-supplied slice so the server can build a
// response in a pooled buffer.
package smb2

import (
	"encoding/binary"
	"errors"
)

// le is the byte order of every SMB2 field (package-level for the
// decoders that do not declare their own).
var le = binary.LittleEndian

// ErrMalformed reports a message that is too short or whose offsets and
// lengths point outside the message.
var ErrMalformed = errors.New("smb2: malformed message")

// HeaderSize is the size of the SMB2 sync and async header.
const HeaderSize = 64

// Protocol identifiers found in the first four bytes of a message.
const (
	ProtocolSMB2      uint32 = 0x424D53FE // "\xFESMB"
	ProtocolTransform uint32 = 0x424D53FD // "\xFDSMB"
	ProtocolCompress  uint32 = 0x424D53FC // "\xFCSMB"
	ProtocolSMB1      uint32 = 0x424D53FF // "\xFFSMB"
)

// Command is an SMB2 command code.
type Command uint16

// SMB2 command codes (MS-SMB2 2.2.1).
const (
	Negotiate      Command = 0x0000
	SessionSetup   Command = 0x0001
	Logoff         Command = 0x0002
	TreeConnect    Command = 0x0003
	TreeDisconnect Command = 0x0004
	Create         Command = 0x0005
	Close          Command = 0x0006
	Flush          Command = 0x0007
	Read           Command = 0x0008
	Write          Command = 0x0009
	Lock           Command = 0x000A
	Ioctl          Command = 0x000B
	Cancel         Command = 0x000C
	Echo           Command = 0x000D
	QueryDirectory Command = 0x000E
	ChangeNotify   Command = 0x000F
	QueryInfo      Command = 0x0010
	SetInfo        Command = 0x0011
	OplockBreak    Command = 0x0012
)

var commandNames = [...]string{
	"NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT",
	"CREATE", "CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL",
	"ECHO", "QUERY_DIRECTORY", "CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO",
	"OPLOCK_BREAK",
}

// String returns the MS-SMB2 name of the command.
func (c Command) String() string {
	if int(c) < len(commandNames) {
		return commandNames[c]
	}
	return "UNKNOWN"
}

// Header flags (MS-SMB2 2.2.1.2).
const (
	FlagResponse          uint32 = 0x00000001
	FlagAsync             uint32 = 0x00000002
	FlagRelatedOperations uint32 = 0x00000004
	FlagSigned            uint32 = 0x00000008
	FlagPriorityMask      uint32 = 0x00000070
	FlagDFSOperations     uint32 = 0x10000000
	FlagReplayOperation   uint32 = 0x20000000
)

// Header is a decoded SMB2 message header. For async messages AsyncID is
// set and TreeID is zero; for sync messages the reverse.
type Header struct {
	CreditCharge uint16
	Status       Status // ChannelSequence/Reserved in requests
	Command      Command
	Credits      uint16 // CreditRequest in requests, CreditResponse in responses
	Flags        uint32
	NextCommand  uint32
	MessageID    uint64
	AsyncID      uint64
	TreeID       uint32
	SessionID    uint64
	Signature    [16]byte
}

// Header field offsets, for code that patches an encoded header in place.
const (
	OffCreditCharge = 6
	OffStatus       = 8
	OffCommand      = 12
	OffCredits      = 14
	OffFlags        = 16
	OffNextCommand  = 20
	OffMessageID    = 24
	OffAsyncID      = 32
	OffTreeID       = 36
	OffSessionID    = 40
	OffSignature    = 48
)

// DecodeHeader decodes the header at the start of b.
func DecodeHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderSize {
		return h, ErrMalformed
	}
	le := binary.LittleEndian
	if le.Uint32(b[0:]) != ProtocolSMB2 || le.Uint16(b[4:]) != HeaderSize {
		return h, ErrMalformed
	}
	h.CreditCharge = le.Uint16(b[6:])
	h.Status = Status(le.Uint32(b[8:]))
	h.Command = Command(le.Uint16(b[12:]))
	h.Credits = le.Uint16(b[14:])
	h.Flags = le.Uint32(b[16:])
	h.NextCommand = le.Uint32(b[20:])
	h.MessageID = le.Uint64(b[24:])
	if h.Flags&FlagAsync != 0 {
		h.AsyncID = le.Uint64(b[32:])
	} else {
		h.TreeID = le.Uint32(b[36:])
	}
	h.SessionID = le.Uint64(b[40:])
	copy(h.Signature[:], b[48:64])
	return h, nil
}

// Encode writes h into b[:HeaderSize]. b must be at least HeaderSize long.
func (h *Header) Encode(b []byte) {
	_ = b[HeaderSize-1]
	le := binary.LittleEndian
	le.PutUint32(b[0:], ProtocolSMB2)
	le.PutUint16(b[4:], HeaderSize)
	le.PutUint16(b[6:], h.CreditCharge)
	le.PutUint32(b[8:], uint32(h.Status))
	le.PutUint16(b[12:], uint16(h.Command))
	le.PutUint16(b[14:], h.Credits)
	le.PutUint32(b[16:], h.Flags)
	le.PutUint32(b[20:], h.NextCommand)
	le.PutUint64(b[24:], h.MessageID)
	if h.Flags&FlagAsync != 0 {
		le.PutUint64(b[32:], h.AsyncID)
	} else {
		le.PutUint32(b[32:], 0)
		le.PutUint32(b[36:], h.TreeID)
	}
	le.PutUint64(b[40:], h.SessionID)
	copy(b[48:64], h.Signature[:])
}

// AppendHeader appends the encoded header to dst.
func (h *Header) Append(dst []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, HeaderSize)...)
	h.Encode(dst[n:])
	return dst
}

// FrameHeaderSize is the size of the NetBIOS session service header that
// precedes every message on direct TCP (port 445).
const FrameHeaderSize = 4

// MaxFrameLength is the largest length the 24-bit NetBIOS length field can
// carry.
const MaxFrameLength = 1<<24 - 1

// PutFrameHeader writes a direct-TCP frame header for a message of n bytes.
func PutFrameHeader(b []byte, n int) {
	b[0] = 0
	b[1] = byte(n >> 16)
	b[2] = byte(n >> 8)
	b[3] = byte(n)
}

// NetBIOS session service packet types (RFC 1002 4.3) seen on port 139
// and, for keepalives, on direct TCP too.
const (
	NBSessionMessage   = 0x00
	NBSessionRequest   = 0x81
	NBPositiveResponse = 0x82
	NBSessionKeepalive = 0x85
)

// NetBIOSLength is the length field of any NetBIOS session packet header
// b[:4] (17 bits: the low bit of the flags byte and the next two bytes).
func NetBIOSLength(b []byte) int {
	return int(b[1]&1)<<16 | int(b[2])<<8 | int(b[3])
}

// ProtocolID returns the protocol identifier in the first four bytes of
// msg (ProtocolSMB2, ProtocolTransform, ...), 0 when msg is shorter.
func ProtocolID(msg []byte) uint32 {
	if len(msg) < 4 {
		return 0
	}
	return le.Uint32(msg)
}

// LoneCommand returns the command of msg when it is a whole SMB2 header
// that ends its compound (NextCommand 0), without decoding the rest.
func LoneCommand(msg []byte) (Command, bool) {
	if len(msg) < HeaderSize || le.Uint32(msg) != ProtocolSMB2 || le.Uint32(msg[OffNextCommand:]) != 0 {
		return 0, false
	}
	return Command(le.Uint16(msg[OffCommand:])), true
}

// SetNextCommand writes the NextCommand field of the header at msg[0].
func SetNextCommand(msg []byte, next uint32) { le.PutUint32(msg[OffNextCommand:], next) }

// FrameLength decodes a direct-TCP frame header. ok is false when the type
// byte is not a session message (0x00).
func FrameLength(b []byte) (n int, ok bool) {
	if b[0] != 0 {
		return 0, false
	}
	return int(b[1])<<16 | int(b[2])<<8 | int(b[3]), true
}

// FileID is the 16-byte SMB2 file identifier (persistent + volatile).
type FileID struct {
	Persistent uint64
	Volatile   uint64
}

// AnyFileID is the all-ones FileID used by related compound requests to
// mean "the handle from the previous operation".
var AnyFileID = FileID{^uint64(0), ^uint64(0)}

// DecodeFileID decodes a FileID from b[:16].
func DecodeFileID(b []byte) FileID {
	return FileID{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
}

// Put encodes id into b[:16].
func (id FileID) Put(b []byte) {
	binary.LittleEndian.PutUint64(b, id.Persistent)
	binary.LittleEndian.PutUint64(b[8:], id.Volatile)
}

// Dialect revision numbers.
const (
	Dialect202      uint16 = 0x0202
	Dialect210      uint16 = 0x0210
	Dialect300      uint16 = 0x0300
	Dialect302      uint16 = 0x0302
	Dialect311      uint16 = 0x0311
	DialectWildcard uint16 = 0x02FF
)
