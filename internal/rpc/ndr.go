package rpc

import (
	"encoding/binary"
	"errors"
	"unicode/utf16"
)

// This file holds the small subset of NDR20 (C706 chapter 14) the
// interfaces here need: little-endian scalars with natural alignment,
// unique pointers as referent ids, and conformant varying UTF-16 strings
// with a terminating NUL. Deferral of embedded pointer referents is the
// caller's job: the encoder only writes what it is told, in order.

// errNDR reports a stub that does not decode.
var errNDR = errors.New("rpc: malformed NDR stub")

// ndrEncoder appends NDR20 data to b. Offsets (for alignment) are
// relative to the start of b, which must be the start of the stub.
type ndrEncoder struct {
	b       []byte
	nextRef uint32
}

func (e *ndrEncoder) align(n int) {
	for len(e.b)%n != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *ndrEncoder) u32(v uint32) {
	e.align(4)
	e.b = binary.LittleEndian.AppendUint32(e.b, v)
}

// ptr writes a unique/full pointer: a fresh non-zero referent id, or 0
// when null. The referent itself is written later by the caller.
func (e *ndrEncoder) ptr(present bool) {
	if !present {
		e.u32(0)
		return
	}
	if e.nextRef == 0 {
		e.nextRef = 0x00020000
	}
	e.u32(e.nextRef)
	e.nextRef += 4
}

// str writes the referent of a [string] wchar_t pointer: max count,
// offset 0, actual count (both counting the NUL), then UTF-16LE units.
func (e *ndrEncoder) str(s string) {
	u := utf16.Encode([]rune(s))
	n := uint32(len(u) + 1)
	e.u32(n)
	e.u32(0)
	e.u32(n)
	for _, c := range u {
		e.b = binary.LittleEndian.AppendUint16(e.b, c)
	}
	e.b = append(e.b, 0, 0)
}

// ndrDecoder reads NDR20 data from b. The first error sticks; reads
// after it return zero values, so callers check err once at the end.
type ndrDecoder struct {
	b   []byte
	off int
	err error
}

func (d *ndrDecoder) fail() {
	if d.err == nil {
		d.err = errNDR
	}
}

func (d *ndrDecoder) align(n int) {
	if r := d.off % n; r != 0 {
		d.off += n - r
	}
	if d.off > len(d.b) {
		d.fail()
		d.off = len(d.b)
	}
}

// next aligns to n and consumes the next n bytes, or fails and returns
// nil when fewer are left.
func (d *ndrDecoder) next(n int) []byte {
	if d.err != nil {
		return nil
	}
	d.align(n)
	if len(d.b)-d.off < n {
		d.fail()
		return nil
	}
	b := d.b[d.off : d.off+n]
	d.off += n
	return b
}

func (d *ndrDecoder) u16() uint16 {
	if b := d.next(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *ndrDecoder) u32() uint32 {
	if b := d.next(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// str reads a conformant varying UTF-16 string (the referent of a
// [string] pointer, or a top-level [string] array). A trailing NUL, if
// present, is dropped.
func (d *ndrDecoder) str() string {
	maxCount := d.u32()
	offset := d.u32()
	actual := d.u32()
	if d.err != nil {
		return ""
	}
	if offset != 0 || actual > maxCount || uint64(actual)*2 > uint64(len(d.b)-d.off) {
		d.fail()
		return ""
	}
	u := make([]uint16, actual)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(d.b[d.off+2*i:])
	}
	d.off += int(actual) * 2
	if len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

// uniqueStr reads a unique pointer to a string and, if it is not null,
// the string. It reports whether the pointer was non-null.
func (d *ndrDecoder) uniqueStr() (string, bool) {
	if d.u32() == 0 {
		return "", false
	}
	return d.str(), d.err == nil
}
