package smb1

import "github.com/zerosmb/zerosmb/smb2"

// OS/2-style extended attribute lists of TRANS2 (MS-CIFS 2.2.1.2): the
// FEALIST (names and values) of TRANS2_OPEN2, TRANS2_CREATE_DIRECTORY and
// the EA query levels, and the GEALIST (names) of
// SMB_INFO_QUERY_EAS_FROM_LIST. Both start with SizeOfListInBytes, which
// counts itself.

// TRANS2 subcommands and information levels with EAs.
const (
	Trans2Open2 uint16 = 0x0000

	InfoQueryEASize      uint16 = 0x0002 // SMB_INFO_QUERY_EA_SIZE
	InfoQueryEAsFromList uint16 = 0x0003 // SMB_INFO_QUERY_EAS_FROM_LIST
	InfoQueryAllEAs      uint16 = 0x0004 // SMB_INFO_QUERY_ALL_EAS
	InfoSetEA            uint16 = 0x0002 // SMB_INFO_SET_EA (SET_*_INFORMATION)
)

// MaxEAs bounds the entries of one EA list.
const MaxEAs = 1024

// DecodeFEAList decodes an FEALIST. An empty block or one holding only
// SizeOfListInBytes (4) is an empty list.
func DecodeFEAList(b []byte) ([]smb2.FullEA, error) {
	if len(b) < 4 {
		if len(b) == 0 {
			return nil, nil
		}
		return nil, ErrMalformed
	}
	size := le.Uint32(b)
	if size < 4 || uint64(size) > uint64(len(b)) {
		return nil, ErrMalformed
	}
	var eas []smb2.FullEA
	for p := b[4:size]; len(p) > 0; {
		if len(p) < 4 || len(eas) == MaxEAs {
			return nil, ErrMalformed
		}
		nameLen, valLen := int(p[1]), int(le.Uint16(p[2:]))
		n := 4 + nameLen + 1 + valLen
		if n > len(p) || p[4+nameLen] != 0 {
			return nil, ErrMalformed
		}
		eas = append(eas, smb2.FullEA{Flags: p[0], Name: string(p[4 : 4+nameLen]),
			Value: p[5+nameLen : n : n]})
		p = p[n:]
	}
	return eas, nil
}

// AppendFEAList appends eas as an FEALIST.
func AppendFEAList(dst []byte, eas []smb2.FullEA) []byte {
	start := len(dst)
	dst = le.AppendUint32(dst, 0)
	for _, e := range eas {
		dst = append(dst, e.Flags, byte(len(e.Name)))
		dst = le.AppendUint16(dst, uint16(len(e.Value)))
		dst = append(append(append(dst, e.Name...), 0), e.Value...)
	}
	le.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

// FEAListSize is the size of AppendFEAList(nil, eas).
func FEAListSize(eas []smb2.FullEA) int {
	n := 4
	for _, e := range eas {
		n += 5 + len(e.Name) + len(e.Value)
	}
	return n
}

// DecodeGEAList decodes a GEALIST into EA names.
func DecodeGEAList(b []byte) ([]string, error) {
	if len(b) < 4 {
		return nil, ErrMalformed
	}
	size := le.Uint32(b)
	if size < 4 || uint64(size) > uint64(len(b)) {
		return nil, ErrMalformed
	}
	var names []string
	for p := b[4:size]; len(p) > 0; {
		if len(names) == MaxEAs {
			return nil, ErrMalformed
		}
		n := int(p[0])
		if 1+n > len(p) {
			return nil, ErrMalformed
		}
		names = append(names, string(p[1:1+n]))
		p = p[1+n:]
		if len(p) > 0 && p[0] == 0 {
			p = p[1:] // the optional terminator
		}
	}
	return names, nil
}

// AppendFullEAChain appends eas as a FILE_FULL_EA_INFORMATION chain (what
// SMB2's ExtA create context and SET_INFO take).
func AppendFullEAChain(dst []byte, eas []smb2.FullEA) []byte {
	for i, e := range eas {
		dst = smb2.AppendFullEA(dst, e, i == len(eas)-1)
	}
	return dst
}

// AppendGetEAChain appends names as a FILE_GET_EA_INFORMATION chain (the
// input of an SMB2 QUERY_INFO FileFullEaInformation for some EAs).
func AppendGetEAChain(dst []byte, names []string) []byte {
	for i, n := range names {
		start := len(dst)
		dst = le.AppendUint32(dst, 0)
		dst = append(append(append(dst, byte(len(n))), n...), 0)
		if i < len(names)-1 {
			for (len(dst)-start)%4 != 0 {
				dst = append(dst, 0)
			}
			le.PutUint32(dst[start:], uint32(len(dst)-start))
		}
	}
	return dst
}

// Open2Request is the parameter block of TRANS2_OPEN2 (MS-CIFS
// 2.2.6.1.1); its data is an FEALIST.
type Open2Request struct {
	Flags      uint16
	AccessMode uint16
	FileAttrs  uint16
	Time       uint32 // CreationTime, a UTIME
	OpenMode   uint16
	AllocSize  uint32
	Name       string
}

// DecodeOpen2 decodes TRANS2_OPEN2 parameters.
func DecodeOpen2(p []byte, unicode bool) (Open2Request, error) {
	var r Open2Request
	if len(p) < 29 {
		return r, ErrMalformed
	}
	r.Flags, r.AccessMode = le.Uint16(p), le.Uint16(p[2:])
	r.FileAttrs, r.Time = le.Uint16(p[6:]), le.Uint32(p[8:])
	r.OpenMode, r.AllocSize = le.Uint16(p[12:]), le.Uint32(p[14:])
	var err error
	r.Name, _, err = String(p, 28, len(p), unicode)
	return r, err
}

// Open2Response is the TRANS2_OPEN2 response parameters (30 bytes).
type Open2Response struct {
	FID          uint16
	FileAttrs    uint16
	CreationTime uint32 // a DOS date and time (SMB_DATE, SMB_TIME)
	FileDataSize uint32
	AccessMode   uint16
	ActionTaken  uint16
}

// Append appends the parameters.
func (r *Open2Response) Append(dst []byte) []byte {
	dst = le.AppendUint16(dst, r.FID)
	dst = le.AppendUint16(dst, r.FileAttrs)
	dst = le.AppendUint32(dst, r.CreationTime)
	dst = le.AppendUint32(dst, r.FileDataSize)
	dst = le.AppendUint16(dst, r.AccessMode)
	dst = le.AppendUint16(dst, 0) // ResourceType: disk
	dst = le.AppendUint16(dst, 0) // NMPipeStatus
	dst = le.AppendUint16(dst, r.ActionTaken)
	return append(dst, make([]byte, 10)...) // Reserved, EA error offset, EA length
}

// DecodeCreateDirectory decodes TRANS2_CREATE_DIRECTORY parameters: 4
// reserved bytes, the directory name.
func DecodeCreateDirectory(p []byte, unicode bool) (string, error) {
	if len(p) < 5 {
		return "", ErrMalformed
	}
	s, _, err := String(p, 4, len(p), unicode)
	return s, err
}
