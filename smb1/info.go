package smb1

import (
	"strings"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// Information levels of TRANS2 (MS-CIFS 2.2.2.3) and their FSCC classes.
const (
	InfoPassthrough uint16 = 1000 // level-1000 is an FSCC class

	// FIND_FIRST2 / FIND_NEXT2.
	FindFileDirectoryInfo     uint16 = 0x0101
	FindFileFullDirectoryInfo uint16 = 0x0102
	FindFileNamesInfo         uint16 = 0x0103
	FindFileBothDirectoryInfo uint16 = 0x0104
	FindFileIDFullDirInfo     uint16 = 0x0105
	FindFileIDBothDirInfo     uint16 = 0x0106

	// QUERY_PATH_INFORMATION / QUERY_FILE_INFORMATION.
	InfoStandard             uint16 = 0x0001 // DOS dates and times
	QueryFileBasicInfo       uint16 = 0x0101
	QueryFileStandardInfo    uint16 = 0x0102
	QueryFileEAInfo          uint16 = 0x0103
	QueryFileNameInfo        uint16 = 0x0104
	QueryFileAllInfo         uint16 = 0x0107
	QueryFileAltNameInfo     uint16 = 0x0108
	QueryFileStreamInfo      uint16 = 0x0109
	QueryFileCompressionInfo uint16 = 0x010B
	// QueryPassthroughAllInfo is the pass-through FileAllInformation
	// level. Over SMB1 Windows and Samba answer it in the SMB1
	// QueryFileAllInfo layout, not FSCC's (smbtorture's client parses
	// it so), so it is converted like QueryFileAllInfo.
	QueryPassthroughAllInfo uint16 = InfoPassthrough + classAll

	// SET_PATH_INFORMATION / SET_FILE_INFORMATION.
	SetFileBasicInfo       uint16 = 0x0101
	SetFileDispositionInfo uint16 = 0x0102
	SetFileAllocationInfo  uint16 = 0x0103
	SetFileEndOfFileInfo   uint16 = 0x0104

	// QUERY_FS_INFORMATION.
	InfoAllocation       uint16 = 0x0001
	InfoVolume           uint16 = 0x0002
	QueryFSVolumeInfo    uint16 = 0x0102
	QueryFSSizeInfo      uint16 = 0x0103
	QueryFSDeviceInfo    uint16 = 0x0104
	QueryFSAttributeInfo uint16 = 0x0105
)

// FSCC classes used below (MS-FSCC 2.4, 2.5).
const (
	classBasic       = 4
	classStandard    = 5
	classEA          = 7
	className        = 9
	classDisposition = 13
	classAll         = 18
	classAllocation  = 19
	classEndOfFile   = 20
	classAltName     = 21
	classStream      = 22
	classCompression = 28
	classNetworkOpen = 34

	fsVolume    = 1
	fsSize      = 3
	fsDevice    = 4
	fsAttribute = 5
)

// FindClass maps a FIND information level to its FSCC directory class.
func FindClass(level uint16) (uint8, bool) {
	switch level {
	case FindFileDirectoryInfo:
		return 1, true
	case FindFileFullDirectoryInfo:
		return 2, true
	case FindFileNamesInfo:
		return 12, true
	case FindFileBothDirectoryInfo:
		return 3, true
	case FindFileIDFullDirInfo:
		return 38, true
	case FindFileIDBothDirInfo:
		return 37, true
	}
	return 0, false
}

// QueryClass maps a QUERY_*_INFORMATION level to the FSCC class to query;
// ConvertQuery turns that class's bytes into the level's layout.
func QueryClass(level uint16) (uint8, bool) {
	if level > InfoPassthrough && level-InfoPassthrough < 256 {
		return uint8(level - InfoPassthrough), true
	}
	switch level {
	case InfoStandard:
		return classNetworkOpen, true
	case QueryFileBasicInfo:
		return classBasic, true
	case QueryFileStandardInfo:
		return classStandard, true
	case QueryFileEAInfo:
		return classEA, true
	case QueryFileNameInfo:
		return className, true
	case QueryFileAllInfo:
		return classAll, true
	case QueryFileAltNameInfo:
		return classAltName, true
	case QueryFileStreamInfo:
		return classStream, true
	case QueryFileCompressionInfo:
		return classCompression, true
	}
	return 0, false
}

// ConvertQuery turns the FSCC bytes b of class QueryClass(level) into
// level's layout.
func ConvertQuery(level uint16, b []byte) ([]byte, error) {
	switch level {
	case InfoStandard:
		// FileNetworkOpenInformation: Creation, LastAccess, LastWrite,
		// Change (FILETIMEs), AllocationSize, EndOfFile, Attributes ->
		// DOS date/time pairs, 32-bit sizes, 16-bit attributes.
		if len(b) < 52 {
			return nil, ErrMalformed
		}
		var out []byte
		for _, off := range []int{0, 8, 16} {
			d, t := DOSDateTime(smb2.TimeFromFileTime(le.Uint64(b[off:])))
			out = le.AppendUint16(le.AppendUint16(out, d), t)
		}
		out = le.AppendUint32(out, sat32(le.Uint64(b[40:])))
		out = le.AppendUint32(out, sat32(le.Uint64(b[32:])))
		return le.AppendUint16(out, uint16(le.Uint32(b[48:])&0x37)), nil
	case QueryFileBasicInfo:
		if len(b) < 36 {
			return nil, ErrMalformed
		}
		return b[:36], nil // no trailing Reserved
	case QueryFileAllInfo, QueryPassthroughAllInfo:
		// FileAllInformation: Basic(40) Standard(24) Internal(8) EA(4)
		// Access(4) Position(8) Mode(4) Alignment(4) Name(4+n). The SMB1
		// level keeps Basic, Standard, EA and Name.
		if len(b) < 100 {
			return nil, ErrMalformed
		}
		out := make([]byte, 0, 72+len(b)-96)
		out = append(out, b[:64]...)
		out = append(out, b[72:76]...)
		return append(out, b[96:]...), nil
	}
	return b, nil
}

// SetClass maps a SET_*_INFORMATION level to its FSCC class (the layouts
// are the same).
func SetClass(level uint16) (uint8, bool) {
	if level > InfoPassthrough && level-InfoPassthrough < 256 {
		return uint8(level - InfoPassthrough), true
	}
	switch level {
	case SetFileBasicInfo:
		return classBasic, true
	case SetFileDispositionInfo:
		return classDisposition, true
	case SetFileAllocationInfo:
		return classAllocation, true
	case SetFileEndOfFileInfo:
		return classEndOfFile, true
	}
	return 0, false
}

// FSClass maps a QUERY_FS_INFORMATION level to its FSCC class.
func FSClass(level uint16) (uint8, bool) {
	if level > InfoPassthrough && level-InfoPassthrough < 256 {
		return uint8(level - InfoPassthrough), true
	}
	switch level {
	case InfoAllocation:
		return fsSize, true
	case InfoVolume, QueryFSVolumeInfo:
		return fsVolume, true
	case QueryFSSizeInfo:
		return fsSize, true
	case QueryFSDeviceInfo:
		return fsDevice, true
	case QueryFSAttributeInfo:
		return fsAttribute, true
	}
	return 0, false
}

// ConvertFS turns FSCC file system information b of class FSClass(level)
// into level's layout.
func ConvertFS(level uint16, b []byte) ([]byte, error) {
	switch level {
	case InfoAllocation:
		// FileFsSizeInformation: Total(8) Avail(8) SectorsPerUnit(4)
		// BytesPerSector(4) -> idFileSystem, cSectorUnit, cUnit,
		// cUnitAvail (32-bit, saturated), cbSector (16-bit).
		if len(b) < 24 {
			return nil, ErrMalformed
		}
		out := le.AppendUint32(nil, 0)
		out = le.AppendUint32(out, le.Uint32(b[16:]))
		out = le.AppendUint32(out, sat32(le.Uint64(b)))
		out = le.AppendUint32(out, sat32(le.Uint64(b[8:])))
		return le.AppendUint16(out, uint16(min(le.Uint32(b[20:]), 0xFFFF))), nil
	case InfoVolume:
		// FileFsVolumeInformation: CreationTime(8) SerialNumber(4)
		// LabelLength(4) SupportsObjects(1) Reserved(1) Label ->
		// ulVsn, cch, label (8-bit, no terminator needed).
		if len(b) < 18 {
			return nil, ErrMalformed
		}
		n := int(le.Uint32(b[12:]))
		if n > len(b)-18 {
			return nil, ErrMalformed
		}
		label := b[18 : 18+n]
		out := le.AppendUint32(nil, le.Uint32(b[8:]))
		var ascii []byte
		for i := 0; i+1 < len(label) && len(ascii) < 255; i += 2 {
			ascii = append(ascii, label[i])
		}
		out = append(out, byte(len(ascii)))
		return append(out, ascii...), nil
	}
	return b, nil
}

// DOSDateTime encodes t (UTC) as a DOS date and time (2-second
// resolution, 1980 to 2107; outside that range the nearest end).
func DOSDateTime(t time.Time) (date, tm uint16) {
	if t.IsZero() || t.Year() < 1980 {
		return 0x21, 0 // 1980-01-01 00:00:00
	}
	if t.Year() > 2107 {
		return 127<<9 | 12<<5 | 31, 23<<11 | 59<<5 | 29
	}
	date = uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	tm = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	return date, tm
}

func sat32(v uint64) uint32 {
	if v > 0xFFFFFFFF {
		return 0xFFFFFFFF
	}
	return uint32(v)
}

// RenameToSMB2 turns an SMB1 pass-through FILE_RENAME_INFORMATION (the
// TYPE_1 layout, MS-FSCC 2.4.42.1: ReplaceIfExists, 3 reserved bytes, a
// 32-bit RootDirectory, FileNameLength, a UTF-16 FileName) into the SMB2
// TYPE_2 layout with FileName made a path from the share root: SMB1 names
// the new name within the file's directory dir (a share-relative path,
// "" for the root). A RootDirectory is refused with
// STATUS_INVALID_PARAMETER and a name with a path separator with
// STATUS_NOT_SUPPORTED, as Samba does.
func RenameToSMB2(b []byte, dir string) ([]byte, error) {
	if len(b) < 12 {
		return nil, smb2.StatusInfoLengthMismatch
	}
	n := uint64(le.Uint32(b[8:]))
	if n > uint64(len(b)-12) || n%2 != 0 {
		return nil, smb2.StatusInvalidParameter
	}
	if le.Uint32(b[4:]) != 0 {
		return nil, smb2.StatusInvalidParameter
	}
	name, ok := smb2.DecodeUTF16Name(b[12 : 12+n])
	if !ok || name == "" {
		return nil, smb2.StatusObjectNameInvalid
	}
	if strings.ContainsAny(name, `\/`) {
		return nil, smb2.StatusNotSupported
	}
	if dir != "" {
		name = dir + `\` + name
	}
	out := make([]byte, 20, 20+2*len(name))
	out[0] = b[0]
	out = smb2.AppendUTF16(out, name)
	le.PutUint32(out[16:], uint32(len(out)-20))
	return out, nil
}
