package smb2

import (
	"encoding/binary"
	"errors"
)

// Symbolic links as reparse points: the REPARSE_DATA_BUFFER of
// IO_REPARSE_TAG_SYMLINK (MS-FSCC 2.1.2.4) that FSCTL_GET_REPARSE_POINT
// returns and FSCTL_SET_REPARSE_POINT takes, and the Symbolic Link Error
// Response (MS-SMB2 2.2.2.2.1) that goes with STATUS_STOPPED_ON_SYMLINK
// on a CREATE whose path names a symlink.

const (
	// IOReparseTagSymlink is IO_REPARSE_TAG_SYMLINK (MS-FSCC 2.1.2.1).
	IOReparseTagSymlink uint32 = 0xA000000C
	// SymlinkFlagRelative marks a substitute name relative to the link's
	// directory (SYMLINK_FLAG_RELATIVE).
	SymlinkFlagRelative uint32 = 0x00000001
	// symLinkErrorTag is the SymLinkErrorTag of the error response
	// ("SYML" little-endian).
	symLinkErrorTag uint32 = 0x4C4D5953
	// symlinkReparseFixed is the size of the symlink REPARSE_DATA_BUFFER
	// before its PathBuffer: tag, data length, reserved, four name
	// offsets/lengths and Flags.
	symlinkReparseFixed = 20
	// symlinkErrorFixed is the size of the error response before its
	// PathBuffer.
	symlinkErrorFixed = 28
)

// ErrReparse reports a malformed or unsupported reparse buffer.
var ErrReparse = errors.New("smb2: malformed symlink reparse buffer")

// Symlink is the content of a symbolic link reparse point. Names use
// backslashes, as on the wire; Relative is SYMLINK_FLAG_RELATIVE.
type Symlink struct {
	SubstituteName string
	PrintName      string
	Relative       bool
}

// flags is the Flags field of s.
func (s *Symlink) flags() uint32 {
	if s.Relative {
		return SymlinkFlagRelative
	}
	return 0
}

// appendNames appends the four name offsets/lengths (relative to the
// PathBuffer: substitute name first, then print name), Flags, and the
// PathBuffer.
func (s *Symlink) appendNames(dst []byte) []byte {
	sub, pr := AppendUTF16(nil, s.SubstituteName), AppendUTF16(nil, s.PrintName)
	le := binary.LittleEndian
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint16(dst, uint16(len(sub)))
	dst = le.AppendUint16(dst, uint16(len(sub)))
	dst = le.AppendUint16(dst, uint16(len(pr)))
	dst = le.AppendUint32(dst, s.flags())
	dst = append(dst, sub...)
	return append(dst, pr...)
}

// namesLen is the number of bytes appendNames appends after Flags.
func (s *Symlink) namesLen() int { return UTF16Len(s.SubstituteName) + UTF16Len(s.PrintName) }

// MaxSymlinkName is the longest substitute or print name, in UTF-16
// bytes, the encoders accept (the fields are 16 bits, and the whole
// reparse buffer must stay under MAXIMUM_REPARSE_DATA_BUFFER_SIZE, 16 KiB).
const MaxSymlinkName = 8 << 10

// Valid reports whether s fits the wire format (names of at most
// MaxSymlinkName bytes each, a non-empty substitute name).
func (s *Symlink) Valid() bool {
	return s.SubstituteName != "" && UTF16Len(s.SubstituteName) <= MaxSymlinkName &&
		UTF16Len(s.PrintName) <= MaxSymlinkName
}

// AppendSymlinkReparse appends the REPARSE_DATA_BUFFER of s
// (FSCTL_GET_REPARSE_POINT output). s must be Valid.
func AppendSymlinkReparse(dst []byte, s Symlink) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, IOReparseTagSymlink)
	dst = le.AppendUint16(dst, uint16(12+s.namesLen())) // ReparseDataLength: after Reserved
	dst = le.AppendUint16(dst, 0)
	return s.appendNames(dst)
}

// ReparseTag returns the tag of a REPARSE_DATA_BUFFER (FSCTL_SET_REPARSE_POINT
// input), so that a caller can refuse tags it does not handle.
func ReparseTag(b []byte) (uint32, error) {
	if len(b) < 8 {
		return 0, ErrReparse
	}
	return binary.LittleEndian.Uint32(b), nil
}

// DecodeSymlinkReparse parses an IO_REPARSE_TAG_SYMLINK REPARSE_DATA_BUFFER.
func DecodeSymlinkReparse(b []byte) (Symlink, error) {
	var s Symlink
	if len(b) < symlinkReparseFixed {
		return s, ErrReparse
	}
	le := binary.LittleEndian
	if le.Uint32(b) != IOReparseTagSymlink {
		return s, ErrReparse
	}
	dataLen := int(le.Uint16(b[4:]))
	if dataLen < 12 || 8+dataLen > len(b) {
		return s, ErrReparse
	}
	return decodeSymlinkNames(b[8:8+dataLen], 0)
}

// decodeSymlinkNames parses the name offsets/lengths, Flags and
// PathBuffer at b[at:] (b ends where the buffer ends).
func decodeSymlinkNames(b []byte, at int) (Symlink, error) {
	var s Symlink
	le := binary.LittleEndian
	if len(b) < at+12 {
		return s, ErrReparse
	}
	subOff, subLen := int(le.Uint16(b[at:])), int(le.Uint16(b[at+2:]))
	prOff, prLen := int(le.Uint16(b[at+4:])), int(le.Uint16(b[at+6:]))
	flags := le.Uint32(b[at+8:])
	path := b[at+12:]
	if subOff+subLen > len(path) || prOff+prLen > len(path) || subLen == 0 {
		return s, ErrReparse
	}
	var ok bool
	if s.SubstituteName, ok = DecodeUTF16Name(path[subOff : subOff+subLen]); !ok {
		return s, ErrReparse
	}
	if s.PrintName, ok = DecodeUTF16Name(path[prOff : prOff+prLen]); !ok {
		return s, ErrReparse
	}
	s.Relative = flags&SymlinkFlagRelative != 0
	return s, nil
}

// AppendSymlinkError appends the Symbolic Link Error Response
// (MS-SMB2 2.2.2.2.1), the ErrorData of STATUS_STOPPED_ON_SYMLINK.
// unparsed is the byte length (UTF-16) of the part of the CREATE's path
// after the symlink's component, with its leading backslash. s must be
// Valid.
func AppendSymlinkError(dst []byte, s Symlink, unparsed uint16) []byte {
	le := binary.LittleEndian
	n := s.namesLen()
	dst = le.AppendUint32(dst, uint32(symlinkErrorFixed-4+n)) // SymLinkLength: after itself
	dst = le.AppendUint32(dst, symLinkErrorTag)
	dst = le.AppendUint32(dst, IOReparseTagSymlink)
	dst = le.AppendUint16(dst, uint16(12+n)) // ReparseDataLength, as in the reparse buffer
	dst = le.AppendUint16(dst, unparsed)
	return s.appendNames(dst)
}

// DecodeSymlinkError parses a Symbolic Link Error Response (as a client
// would) and returns it with its UnparsedPathLength.
func DecodeSymlinkError(b []byte) (Symlink, uint16, error) {
	if len(b) < symlinkErrorFixed {
		return Symlink{}, 0, ErrReparse
	}
	le := binary.LittleEndian
	n := int(le.Uint32(b))
	if n < symlinkErrorFixed-4 || n > len(b)-4 || le.Uint32(b[4:]) != symLinkErrorTag ||
		le.Uint32(b[8:]) != IOReparseTagSymlink {
		return Symlink{}, 0, ErrReparse
	}
	s, err := decodeSymlinkNames(b[:4+n], 16)
	return s, le.Uint16(b[14:]), err
}
