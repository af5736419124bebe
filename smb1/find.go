package smb1

import "github.com/zerosmb/zerosmb/smb2"

// Directory entry lists (FSCC FILE_*_INFORMATION chained by
// NextEntryOffset), as FIND_FIRST2/FIND_NEXT2 carry them.

// WalkEntries returns the number of entries in list b and the offset of
// the last one, checking each NextEntryOffset moves forward inside b.
func WalkEntries(b []byte) (count, last int, err error) {
	off := 0
	for len(b)-off >= 4 {
		count++
		last = off
		next := int(le.Uint32(b[off:]))
		if next == 0 {
			return count, last, nil
		}
		if next < 4 || next > len(b)-off {
			return 0, 0, ErrMalformed
		}
		off += next
	}
	if count == 0 && len(b) == 0 {
		return 0, 0, nil
	}
	return 0, 0, ErrMalformed
}

// JoinEntries appends list b to list a (a's last entry at aLast), padding
// a to 8 bytes and linking its last entry to b's first.
func JoinEntries(a []byte, aLast int, b []byte) []byte {
	if len(a) == 0 {
		return append(a, b...)
	}
	for len(a)%8 != 0 {
		a = append(a, 0)
	}
	le.PutUint32(a[aLast:], uint32(len(a)-aLast))
	return append(a, b...)
}

// EntryNameOffset is the offset of the file name in an entry of FSCC
// directory class (LastNameOffset of the FIND responses).
func EntryNameOffset(class uint8) int {
	switch class {
	case 1:
		return 64
	case 2:
		return 68
	case 3:
		return 94
	case 12:
		return 12
	case 37:
		return 104
	case 38:
		return 80
	}
	return 0
}

// idBothFixed is the size of a FileIdBothDirectoryInformation entry
// before its name.
const idBothFixed = 104

// DecodeIDBothDirEntries decodes a FileIdBothDirectoryInformation list
// (the class zerosmb lists directories with for SMB1 searches).
func DecodeIDBothDirEntries(b []byte) ([]smb2.DirEntry, error) {
	var out []smb2.DirEntry
	for off := 0; off < len(b); {
		p := b[off:]
		if len(p) < idBothFixed {
			return nil, ErrMalformed
		}
		next, nameLen, shortLen := int(le.Uint32(p)), int(le.Uint32(p[60:])), int(p[68])
		if nameLen > len(p)-idBothFixed || shortLen > 24 || nameLen%2 != 0 {
			return nil, ErrMalformed
		}
		name, ok := smb2.DecodeUTF16Name(p[idBothFixed : idBothFixed+nameLen])
		short, ok2 := smb2.DecodeUTF16Name(p[70 : 70+shortLen&^1])
		if !ok || !ok2 {
			return nil, ErrMalformed
		}
		out = append(out, smb2.DirEntry{FileIndex: le.Uint32(p[4:]), CreationTime: le.Uint64(p[8:]),
			LastAccessTime: le.Uint64(p[16:]), LastWriteTime: le.Uint64(p[24:]), ChangeTime: le.Uint64(p[32:]),
			EndOfFile: le.Uint64(p[40:]), AllocationSize: le.Uint64(p[48:]), FileAttributes: le.Uint32(p[56:]),
			EaSize: le.Uint32(p[64:]), FileID: le.Uint64(p[96:]), Name: name, ShortName: short})
		if next == 0 {
			break
		}
		if next < idBothFixed || next > len(p) {
			return nil, ErrMalformed
		}
		off += next
	}
	return out, nil
}

// Search levels of FIND_FIRST2/FIND_NEXT2 that are not FSCC classes.
const (
	FindInfoStandard uint16 = 0x0001
	FindEASize       uint16 = 0x0002
	FindEAList       uint16 = 0x0003
)

// OS2FindEntry is what an SMB_INFO_STANDARD, SMB_INFO_QUERY_EA_SIZE or
// SMB_INFO_QUERY_EAS_FROM_LIST search entry carries.
type OS2FindEntry struct {
	*smb2.DirEntry
	ResumeKey uint32
	WithKey   bool   // FIND_RETURN_RESUME_KEYS: the key precedes the entry
	EAs       []byte // FindEAList: the entry's FEALIST
}

// AppendOS2FindEntry appends an entry of level (FindInfoStandard,
// FindEASize or FindEAList); base is where the response's data starts in
// dst (UTF-16 names are aligned from there). It returns the new slice and
// the offset of the entry's name from base.
func AppendOS2FindEntry(dst []byte, base int, level uint16, e *OS2FindEntry, unicode bool) ([]byte, int) {
	if e.WithKey {
		dst = le.AppendUint32(dst, e.ResumeKey)
	}
	for _, ft := range []uint64{e.CreationTime, e.LastAccessTime, e.LastWriteTime} {
		d, t := DOSDateTime(smb2.TimeFromFileTime(ft))
		dst = le.AppendUint16(le.AppendUint16(dst, d), t)
	}
	dst = le.AppendUint32(dst, sat32(e.EndOfFile))
	dst = le.AppendUint32(dst, sat32(e.AllocationSize))
	dst = le.AppendUint16(dst, uint16(e.FileAttributes&0x37))
	switch level {
	case FindEASize:
		dst = le.AppendUint32(dst, e.EaSize)
	case FindEAList:
		dst = append(dst, e.EAs...)
	}
	lenAt := len(dst)
	dst = append(dst, 0) // FileNameLength
	if unicode && level == FindInfoStandard && (len(dst)-base)%2 != 0 {
		dst = append(dst, 0)
	}
	nameOff := len(dst) - base
	var n int
	if unicode {
		enc := smb2.AppendUTF16(nil, e.Name)
		n = min(len(enc), 254)
		dst = append(dst, enc[:n]...)
	} else {
		n = min(len(e.Name), 255)
		dst = append(dst, e.Name[:n]...)
	}
	// One terminating zero byte, two for a UTF-16 SMB_INFO_STANDARD name
	// (what Windows and Samba send, and clients step over).
	dst = append(dst, 0)
	if unicode && level == FindInfoStandard {
		dst = append(dst, 0)
	}
	dst[lenAt] = byte(n)
	return dst, nameOff
}
