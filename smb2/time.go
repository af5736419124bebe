package smb2

import (
	"encoding/binary"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// fileTimeEpochDelta is the number of 100ns intervals between
// 1601-01-01 and 1970-01-01.
const fileTimeEpochDelta = 116444736000000000

// FileTime converts t to a Windows FILETIME: 100-nanosecond intervals
// since 1601-01-01 UTC. The zero time.Time maps to 0 ("no time").
// Times before 1601 are clamped to 1.
func FileTime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	// Split seconds and nanoseconds so dates far from 1970 do not
	// overflow UnixNano.
	v := t.Unix()*1e7 + int64(t.Nanosecond()/100) + fileTimeEpochDelta
	if v <= 0 {
		return 1
	}
	return uint64(v)
}

// TimeFromFileTime converts a Windows FILETIME to a time.Time in UTC.
// 0 maps to the zero time.Time.
func TimeFromFileTime(v uint64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	if v > 1<<63-1 {
		v = 1<<63 - 1
	}
	d := int64(v) - fileTimeEpochDelta
	return time.Unix(d/1e7, (d%1e7)*100).UTC()
}

// DecodeUTF16 decodes little-endian UTF-16 bytes into a Go string. An odd
// trailing byte is ignored; unpaired surrogates become U+FFFD.
func DecodeUTF16(b []byte) string {
	// Fast path for ASCII, the common case for file names.
	ascii := true
	for i := 0; i+1 < len(b); i += 2 {
		if b[i+1] != 0 || b[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		s := make([]byte, len(b)/2)
		for i := range s {
			s[i] = b[2*i]
		}
		return string(s)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// DecodeUTF16Name decodes a file name, stream name or search pattern
// sent by a client. Unlike DecodeUTF16 it refuses an odd length and
// unpaired surrogates (ok false): decoding them to U+FFFD would let
// different names alias one file, so the caller answers
// STATUS_OBJECT_NAME_INVALID, as Samba does.
func DecodeUTF16Name(b []byte) (string, bool) {
	if len(b)%2 != 0 {
		return "", false
	}
	for i := 0; i+1 < len(b); i += 2 {
		u := uint16(b[i]) | uint16(b[i+1])<<8
		switch {
		case u < 0xD800 || u > 0xDFFF:
		case u <= 0xDBFF && i+3 < len(b) && b[i+3]&0xFC == 0xDC:
			i += 2 // a high surrogate followed by a low one
		default:
			return "", false
		}
	}
	return DecodeUTF16(b), true
}

// AppendUTF16 appends s encoded as little-endian UTF-16 (no terminator).
func AppendUTF16(dst []byte, s string) []byte {
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			dst = append(dst, byte(r1), byte(r1>>8), byte(r2), byte(r2>>8))
			continue
		}
		dst = append(dst, byte(r), byte(r>>8))
	}
	return dst
}

// UTF16Len returns the number of bytes AppendUTF16 would append for s.
func UTF16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			n += 4
		} else {
			n += 2
		}
	}
	return n
}

// bodyOf checks that msg holds a header plus at least fixed body bytes
// and that the body starts with the StructureSize want. It returns the
// body (msg after the header).
func bodyOf(msg []byte, fixed int, want uint16) ([]byte, error) {
	if len(msg) < HeaderSize+fixed {
		return nil, ErrMalformed
	}
	b := msg[HeaderSize:]
	if binary.LittleEndian.Uint16(b) != want {
		return nil, ErrMalformed
	}
	return b, nil
}

// bufferAt returns msg[off:off+n], where off is measured from the start
// of the SMB2 header, after checking bounds. n == 0 yields nil whatever
// off is, as clients often send a zero offset with an empty buffer.
func bufferAt(msg []byte, off, n uint64) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if off < HeaderSize || off > uint64(len(msg)) || n > uint64(len(msg))-off {
		return nil, ErrMalformed
	}
	return msg[off : off+n], nil
}

// pad8 appends zero bytes to dst until len(dst)-base is a multiple of 8.
func pad8(dst []byte, base int) []byte {
	for (len(dst)-base)%8 != 0 {
		dst = append(dst, 0)
	}
	return dst
}
