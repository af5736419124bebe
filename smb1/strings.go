package smb1

import (
	"bytes"

	"github.com/zerosmb/zerosmb/smb2"
)

// String decodes a NUL-terminated string at off in msg (off within
// [lo, hi)): UTF-16LE aligned to an even offset from the header start when
// unicode, else 8-bit (taken as UTF-8, ASCII in practice). It returns the
// string and the offset after its terminator. A missing terminator ends the
// string at hi. ok is false for an invalid UTF-16 name.
func String(msg []byte, off, hi int, unicode bool) (s string, next int, err error) {
	if hi > len(msg) || off > hi || off < 0 {
		return "", 0, ErrMalformed
	}
	if !unicode {
		b := msg[off:hi]
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return string(b[:i]), off + i + 1, nil
		}
		return string(b), hi, nil
	}
	if off%2 != 0 && off < hi {
		off++
	}
	end := off
	for ; end+1 < hi; end += 2 {
		if msg[end] == 0 && msg[end+1] == 0 {
			break
		}
	}
	if end+1 >= hi {
		end = off + (hi-off)&^1
		next = hi
	} else {
		next = end + 2
	}
	str, ok := smb2.DecodeUTF16Name(msg[off:end])
	if !ok {
		return "", 0, ErrBadName
	}
	return str, next, nil
}

// ErrBadName reports a name that is not valid UTF-16.
var ErrBadName = errorString("smb1: invalid UTF-16 name")

type errorString string

func (e errorString) Error() string { return string(e) }

// AppendString appends s NUL-terminated: UTF-16LE padded to an even offset
// from base (the header start) when unicode, else 8-bit.
func AppendString(dst []byte, base int, s string, unicode bool) []byte {
	if !unicode {
		return append(append(dst, s...), 0)
	}
	if (len(dst)-base)%2 != 0 {
		dst = append(dst, 0)
	}
	return append(smb2.AppendUTF16(dst, s), 0, 0)
}

// BufferFormat 0x04 prefixes the path names of the core commands (DELETE,
// RENAME, CREATE_DIRECTORY, DELETE_DIRECTORY, CHECK_DIRECTORY).
const BufferFormatASCII = 0x04

// DecodePathRequest decodes the bytes block of a core command that carries
// one BufferFormat-prefixed path (CREATE_DIRECTORY, DELETE_DIRECTORY,
// CHECK_DIRECTORY, DELETE).
func DecodePathRequest(msg []byte, b *Block, unicode bool) (string, error) {
	name, _, err := formatString(msg, b.BytesOff, b.End, unicode)
	return name, err
}

// formatString decodes a BufferFormat 0x04 string at off.
func formatString(msg []byte, off, hi int, unicode bool) (string, int, error) {
	if off >= hi || msg[off] != BufferFormatASCII {
		return "", 0, ErrMalformed
	}
	return String(msg, off+1, hi, unicode)
}

// DecodeRenameRequest decodes the bytes block of RENAME: old and new names.
func DecodeRenameRequest(msg []byte, b *Block, unicode bool) (oldName, newName string, err error) {
	oldName, next, err := formatString(msg, b.BytesOff, b.End, unicode)
	if err != nil {
		return "", "", err
	}
	newName, _, err = formatString(msg, next, b.End, unicode)
	return oldName, newName, err
}
