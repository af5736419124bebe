// Package smb1 holds the byte layouts of the SMB1 (CIFS, dialect
// "NT LM 0.12") messages zerosmb answers when SMB1 is enabled: the 32-byte
// header, the parameter-words/bytes blocks, AndX chaining, and the request
// and response bodies of the commands the server implements (MS-CIFS,
// MS-SMB).
//
// Like package smb2 it is pure encode/decode over byte slices: decoders
// take the whole SMB1 message (header included, as SMB1 offsets count from
// the start of the header), check every bound and return ErrMalformed
// rather than panicking; encoders append to a caller-supplied slice.
package smb1

import (
	"encoding/binary"
	"errors"
)

var le = binary.LittleEndian

// ErrMalformed reports a message that is too short, whose counts lie or
// whose offsets point outside the message or backwards.
var ErrMalformed = errors.New("smb1: malformed message")

// HeaderSize is the size of the SMB1 header.
const HeaderSize = 32

// Protocol is the first four bytes of every SMB1 message, "\xFFSMB".
const Protocol uint32 = 0x424D53FF

// Command is an SMB1 command code.
type Command uint8

// SMB1 command codes (MS-CIFS 2.2.2.1).
const (
	ComCreateDirectory Command = 0x00
	ComDeleteDirectory Command = 0x01
	ComClose           Command = 0x04
	ComFlush           Command = 0x05
	ComDelete          Command = 0x06
	ComRename          Command = 0x07
	ComCheckDirectory  Command = 0x10
	ComLockingAndX     Command = 0x24
	ComEcho            Command = 0x2B
	ComReadAndX        Command = 0x2E
	ComWriteAndX       Command = 0x2F
	ComTransaction2    Command = 0x32
	ComTransaction2Sec Command = 0x33
	ComFindClose2      Command = 0x34
	ComTreeDisconnect  Command = 0x71
	ComNegotiate       Command = 0x72
	ComSessionSetupX   Command = 0x73
	ComLogoffAndX      Command = 0x74
	ComTreeConnectAndX Command = 0x75
	ComNTCreateAndX    Command = 0xA2
	ComNTCancel        Command = 0xA4
	ComNoAndX          Command = 0xFF // AndXCommand: end of the chain
)

// Header flags (MS-CIFS 2.2.3.1).
const (
	FlagsCaseInsensitive uint8 = 0x08
	FlagsCanonicalPaths  uint8 = 0x10
	FlagsReply           uint8 = 0x80
)

// Header Flags2 bits.
const (
	Flags2LongNames   uint16 = 0x0001
	Flags2SecuritySig uint16 = 0x0004
	Flags2IsLongName  uint16 = 0x0040
	Flags2ExtendedSec uint16 = 0x0800
	Flags2DFS         uint16 = 0x1000
	// Flags2ReadPermitExecute: a READ_ANDX may read a file opened for
	// execution only (MS-SMB 2.2.3.1).
	Flags2ReadPermitExecute uint16 = 0x2000
	Flags2NTStatus          uint16 = 0x4000
	Flags2Unicode           uint16 = 0x8000
	Flags2ReplyDefaults            = Flags2LongNames | Flags2IsLongName | Flags2ExtendedSec | Flags2NTStatus | Flags2Unicode
)

// Header is the SMB1 header (MS-CIFS 2.2.3.1).
type Header struct {
	Command   Command
	Status    uint32 // NTSTATUS (Flags2NTStatus)
	Flags     uint8
	Flags2    uint16
	PIDHigh   uint16
	Signature [8]byte
	TID       uint16
	PIDLow    uint16
	UID       uint16
	MID       uint16
}

// DecodeHeader decodes the header of msg.
func DecodeHeader(msg []byte) (Header, error) {
	var h Header
	if len(msg) < HeaderSize || le.Uint32(msg) != Protocol {
		return h, ErrMalformed
	}
	h.Command = Command(msg[4])
	h.Status = le.Uint32(msg[5:])
	h.Flags = msg[9]
	h.Flags2 = le.Uint16(msg[10:])
	h.PIDHigh = le.Uint16(msg[12:])
	copy(h.Signature[:], msg[14:22])
	h.TID = le.Uint16(msg[24:])
	h.PIDLow = le.Uint16(msg[26:])
	h.UID = le.Uint16(msg[28:])
	h.MID = le.Uint16(msg[30:])
	return h, nil
}

// Append appends the 32-byte header.
func (h *Header) Append(dst []byte) []byte {
	dst = le.AppendUint32(dst, Protocol)
	dst = append(dst, byte(h.Command))
	dst = le.AppendUint32(dst, h.Status)
	dst = append(dst, h.Flags)
	dst = le.AppendUint16(dst, h.Flags2)
	dst = le.AppendUint16(dst, h.PIDHigh)
	dst = append(dst, h.Signature[:]...)
	dst = le.AppendUint16(dst, 0) // Reserved
	dst = le.AppendUint16(dst, h.TID)
	dst = le.AppendUint16(dst, h.PIDLow)
	dst = le.AppendUint16(dst, h.UID)
	return le.AppendUint16(dst, h.MID)
}

// Unicode reports whether the message's strings are UTF-16.
func (h *Header) Unicode() bool { return h.Flags2&Flags2Unicode != 0 }

// Block is one command's parameter block (WordCount words) and data block
// (ByteCount bytes) inside a message.
type Block struct {
	Start    int    // offset of WordCount in the message
	Words    []byte // 2*WordCount bytes
	Bytes    []byte
	BytesOff int // offset of Bytes in the message
	End      int // offset just past Bytes
}

// DecodeBlock decodes the block whose WordCount is at off in msg.
func DecodeBlock(msg []byte, off int) (Block, error) {
	var b Block
	if off < HeaderSize || off >= len(msg) {
		return b, ErrMalformed
	}
	wc := int(msg[off])
	p := off + 1
	if len(msg)-p < 2*wc+2 {
		return b, ErrMalformed // the word count lies
	}
	b.Start = off
	b.Words = msg[p : p+2*wc : p+2*wc]
	p += 2 * wc
	bc := int(le.Uint16(msg[p:]))
	p += 2
	if len(msg)-p < bc {
		return b, ErrMalformed // the byte count lies
	}
	b.Bytes = msg[p : p+bc : p+bc]
	b.BytesOff = p
	b.End = p + bc
	return b, nil
}

// WordCount returns the number of parameter words.
func (b *Block) WordCount() int { return len(b.Words) / 2 }

// AndX is the AndX prefix of a chainable command's parameter words.
type AndX struct {
	Command Command
	Offset  uint16 // of the next block's WordCount, from the header start
}

// MaxChain bounds the number of commands in one AndX chain.
const MaxChain = 8

// decodeAndXWords checks that block b of msg has one of the word-block
// sizes (in bytes) a request allows and decodes its AndX header.
func decodeAndXWords(msg []byte, b *Block, sizes ...int) (AndX, error) {
	for _, n := range sizes {
		if len(b.Words) == n {
			return DecodeAndX(b, len(msg))
		}
	}
	return AndX{}, ErrMalformed
}

// DecodeAndX returns the AndX prefix of b and checks that the next block,
// if any, lies after b and inside a message of msgLen bytes: offsets never
// point backwards, so a chain cannot loop.
func DecodeAndX(b *Block, msgLen int) (AndX, error) {
	if len(b.Words) < 4 {
		return AndX{}, ErrMalformed
	}
	a := AndX{Command: Command(b.Words[0]), Offset: le.Uint16(b.Words[2:])}
	if a.Command != ComNoAndX && (int(a.Offset) < b.End || int(a.Offset) >= msgLen) {
		return a, ErrMalformed
	}
	return a, nil
}

// AppendAndX appends an AndX prefix for a block that ends the chain.
func AppendAndX(dst []byte) []byte {
	return append(dst, byte(ComNoAndX), 0, 0, 0)
}

// SetAndX points the AndX prefix of the block whose WordCount is at start
// in msg at a next command at off.
func SetAndX(msg []byte, start int, cmd Command, off int) {
	msg[start+1] = byte(cmd)
	le.PutUint16(msg[start+3:], uint16(off))
}

// BeginBlock appends a WordCount placeholder and returns its offset; words
// follow, then EndWords.
func BeginBlock(dst []byte) ([]byte, int) {
	return append(dst, 0), len(dst)
}

// EndWords sets the WordCount of the block at start from what follows it
// and appends the ByteCount placeholder; it returns the new slice and the
// ByteCount offset for EndBlock.
func EndWords(dst []byte, start int) ([]byte, int) {
	dst[start] = byte((len(dst) - start - 1) / 2)
	return append(dst, 0, 0), len(dst)
}

// EndBlock sets the ByteCount at bcOff from what follows it.
func EndBlock(dst []byte, bcOff int) {
	n := len(dst) - bcOff - 2
	if n > 0xFFFF {
		n = 0xFFFF // a large READ_ANDX: DataLength(High) gives the size
	}
	le.PutUint16(dst[bcOff:], uint16(n))
}

// AppendEmptyBlock appends WordCount 0 and ByteCount 0: the body of an
// error response and of commands that answer nothing.
func AppendEmptyBlock(dst []byte) []byte { return append(dst, 0, 0, 0) }
