package smb2

import (
	"encoding/binary"
	"fmt"
)

// DOSAttrib is the per-file record zerosmb keeps for what a POSIX file
// system has no place for: the DOS attribute bits a client set and the
// creation time it set. It is not an SMB wire structure; the server
// stores it in an extended attribute of the file (so hard links share
// it and it survives restarts). Its stored form, version 1, is 14 bytes:
//
//	offset 0  Version (1)
//	offset 1  Flags: bit 0 Attributes is valid, bit 1 CreationTime is valid
//	offset 2  Attributes (uint32, little-endian)
//	offset 6  CreationTime (FILETIME, uint64, little-endian)
//
// Bits of Flags other than those two are reserved and must be zero; a
// field whose flag is clear must be zero.
type DOSAttrib struct {
	// Attributes holds FILE_ATTRIBUTE_* bits, valid when HasAttributes.
	Attributes    uint32
	HasAttributes bool
	// CreationTime is a FILETIME set by a client; 0 means none.
	CreationTime uint64
}

const (
	dosAttribVersion  = 1
	dosAttribSize     = 14
	dosAttribHasAttrs = 1 << 0
	dosAttribHasBtime = 1 << 1
)

// IsZero reports whether d records nothing (no stored form is needed).
func (d DOSAttrib) IsZero() bool { return !d.HasAttributes && d.CreationTime == 0 }

// Append appends the stored form (version 1) of d to b. Attributes is
// written as 0 unless HasAttributes.
func (d DOSAttrib) Append(b []byte) []byte {
	var flags byte
	attrs := uint32(0)
	if d.HasAttributes {
		flags |= dosAttribHasAttrs
		attrs = d.Attributes
	}
	if d.CreationTime != 0 {
		flags |= dosAttribHasBtime
	}
	b = append(b, dosAttribVersion, flags)
	b = binary.LittleEndian.AppendUint32(b, attrs)
	return binary.LittleEndian.AppendUint64(b, d.CreationTime)
}

// DecodeDOSAttrib decodes a stored DOSAttrib. A value of another length
// or version, with reserved flag bits set, or with a field present that
// its flag says is absent, is ErrMalformed: callers treat it as no
// record at all.
func DecodeDOSAttrib(b []byte) (DOSAttrib, error) {
	if len(b) != dosAttribSize || b[0] != dosAttribVersion || b[1]&^(dosAttribHasAttrs|dosAttribHasBtime) != 0 {
		return DOSAttrib{}, fmt.Errorf("smb2: DOS attribute record: %w", ErrMalformed)
	}
	d := DOSAttrib{
		Attributes:    binary.LittleEndian.Uint32(b[2:]),
		HasAttributes: b[1]&dosAttribHasAttrs != 0,
		CreationTime:  binary.LittleEndian.Uint64(b[6:]),
	}
	if !d.HasAttributes && d.Attributes != 0 || (b[1]&dosAttribHasBtime != 0) != (d.CreationTime != 0) {
		return DOSAttrib{}, fmt.Errorf("smb2: DOS attribute record: %w", ErrMalformed)
	}
	return d, nil
}
