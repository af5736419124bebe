package smb2

import (
	"encoding/binary"
	"fmt"
)

// Application instance create contexts (MS-SMB2 2.2.13.2.13, 2.2.13.2.15):
// a clustered application names its opens so that a new instance of it,
// on another client, can take its files over (3.3.5.9.13).
const (
	// CreateContextAppInstanceID is SMB2_CREATE_APP_INSTANCE_ID's tag.
	CreateContextAppInstanceID = "\x45\xBC\xA6\x6A\xEF\xA7\xF7\x4A\x90\x08\xFA\x46\x2E\x14\x4D\x74"
	// CreateContextAppInstanceVersion is SMB2_CREATE_APP_INSTANCE_VERSION's tag.
	CreateContextAppInstanceVersion = "\xB9\x82\xD0\xB7\x3B\x56\x07\x4F\xA0\x7B\x52\x4A\x81\x16\xA0\x10"

	appInstanceIDSize      = 20
	appInstanceVersionSize = 24
)

// DecodeAppInstanceID decodes SMB2_CREATE_APP_INSTANCE_ID's data:
// StructureSize (20), Reserved, AppInstanceId. Any other StructureSize or
// a short buffer is an error.
func DecodeAppInstanceID(b []byte) ([16]byte, error) {
	var id [16]byte
	if len(b) < appInstanceIDSize || binary.LittleEndian.Uint16(b) != appInstanceIDSize {
		return id, fmt.Errorf("smb2: SMB2_CREATE_APP_INSTANCE_ID: %w", ErrMalformed)
	}
	copy(id[:], b[4:20])
	return id, nil
}

// AppendAppInstanceID encodes SMB2_CREATE_APP_INSTANCE_ID's data.
func AppendAppInstanceID(dst []byte, id [16]byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, appInstanceIDSize)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	return append(dst, id[:]...)
}

// AppInstanceVersion is SMB2_CREATE_APP_INSTANCE_VERSION's version
// (3.1.1 only), compared High first.
type AppInstanceVersion struct {
	High, Low uint64
}

// DecodeAppInstanceVersion decodes SMB2_CREATE_APP_INSTANCE_VERSION's
// data: StructureSize (24), Reserved, Padding, High, Low.
func DecodeAppInstanceVersion(b []byte) (AppInstanceVersion, error) {
	if len(b) < appInstanceVersionSize || binary.LittleEndian.Uint16(b) != appInstanceVersionSize {
		return AppInstanceVersion{}, fmt.Errorf("smb2: SMB2_CREATE_APP_INSTANCE_VERSION: %w", ErrMalformed)
	}
	return AppInstanceVersion{High: binary.LittleEndian.Uint64(b[8:]), Low: binary.LittleEndian.Uint64(b[16:])}, nil
}

// Append encodes v as SMB2_CREATE_APP_INSTANCE_VERSION's data.
func (v AppInstanceVersion) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, appInstanceVersionSize)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, v.High)
	return binary.LittleEndian.AppendUint64(dst, v.Low)
}
