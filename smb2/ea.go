package smb2

import "strings"

// EAFlagNeedEA is FILE_NEED_EA, the only FILE_FULL_EA_INFORMATION flag
// (MS-FSCC 2.4.15).
const EAFlagNeedEA = 0x80

// FullEA is one FILE_FULL_EA_INFORMATION entry (MS-FSCC 2.4.15).
type FullEA struct {
	Name  string
	Flags uint8
	Value []byte
}

// ValidEAName reports whether s may name an EA: 1..254 bytes of printable
// ASCII without the characters Windows forbids in EA names.
func ValidEAName(s string) bool {
	if len(s) == 0 || len(s) > 254 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x20 || ch > 0x7e || strings.IndexByte(`"*+,/:;<=>?[\]|`, ch) >= 0 {
			return false
		}
	}
	return true
}

// eaNextValid checks an entry's NextEntryOffset against its size and the
// bytes left.
func eaNextValid(next uint32, size, left int) bool {
	return next == 0 || (next%4 == 0 && uint64(next) >= uint64(size) && uint64(next) <= uint64(left))
}

// DecodeFullEA parses a chain of FILE_FULL_EA_INFORMATION entries. A
// malformed chain fails with STATUS_EA_LIST_INCONSISTENT, a bad name with
// STATUS_INVALID_EA_NAME. Values alias b; names are as sent.
func DecodeFullEA(b []byte) ([]FullEA, Status) {
	var out []FullEA
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, StatusEAListInconsistent
		}
		next := le.Uint32(b)
		flags, nameLen, valLen := b[4], int(b[5]), int(le.Uint16(b[6:]))
		size := 8 + nameLen + 1 + valLen
		if size > len(b) || b[8+nameLen] != 0 || flags&^EAFlagNeedEA != 0 {
			return nil, StatusEAListInconsistent
		}
		if !eaNextValid(next, size, len(b)) {
			return nil, StatusEAListInconsistent
		}
		name := string(b[8 : 8+nameLen])
		if !ValidEAName(name) {
			return nil, StatusInvalidEAName
		}
		out = append(out, FullEA{Name: name, Flags: flags, Value: b[9+nameLen : size]})
		if next == 0 {
			break
		}
		b = b[next:]
	}
	return out, StatusSuccess
}

// FullEASize is the size of e as a FILE_FULL_EA_INFORMATION entry,
// without padding.
func FullEASize(e FullEA) int { return 8 + len(e.Name) + 1 + len(e.Value) }

// AppendFullEA appends one FILE_FULL_EA_INFORMATION entry; last says it
// ends the chain, otherwise it is padded to a multiple of 4 bytes.
func AppendFullEA(dst []byte, e FullEA, last bool) []byte {
	size := FullEASize(e)
	next := 0
	if !last {
		next = (size + 3) &^ 3
	}
	dst = le.AppendUint32(dst, uint32(next))
	dst = append(dst, e.Flags, byte(len(e.Name)))
	dst = le.AppendUint16(dst, uint16(len(e.Value)))
	dst = append(dst, e.Name...)
	dst = append(dst, 0)
	dst = append(dst, e.Value...)
	for j := size; j < next; j++ {
		dst = append(dst, 0)
	}
	return dst
}

// DecodeGetEA parses a FILE_GET_EA_INFORMATION chain (MS-FSCC 2.4.15.1)
// into names as sent.
func DecodeGetEA(b []byte) ([]string, Status) {
	var names []string
	for len(b) > 0 {
		if len(b) < 5 {
			return nil, StatusEAListInconsistent
		}
		next, nameLen := le.Uint32(b), int(b[4])
		size := 5 + nameLen + 1
		if size > len(b) || b[5+nameLen] != 0 {
			return nil, StatusEAListInconsistent
		}
		if !eaNextValid(next, size, len(b)) {
			return nil, StatusEAListInconsistent
		}
		name := string(b[5 : 5+nameLen])
		if !ValidEAName(name) {
			return nil, StatusInvalidEAName
		}
		names = append(names, name)
		if next == 0 {
			break
		}
		b = b[next:]
	}
	return names, StatusSuccess
}
