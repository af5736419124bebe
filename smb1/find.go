package smb1

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
