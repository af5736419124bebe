package smb1

import (
	"strings"

	"github.com/zerosmb/zerosmb/smb2"
)

// The core directory search of MS-CIFS 2.2.4.58-2.2.4.61: SEARCH, FIND,
// FIND_UNIQUE and FIND_CLOSE, with 21-byte resume keys and fixed 43-byte
// entries carrying 8.3 names.

// Core search commands.
const (
	ComSearch     Command = 0x81
	ComFind       Command = 0x82
	ComFindUnique Command = 0x83
	ComFindClose  Command = 0x84
)

// Sizes of the core search structures.
const (
	ResumeKeySize   = 21
	SearchEntrySize = 43
)

// BufferFormatVariable prefixes resume keys and search results.
const BufferFormatVariable = 0x05

// SearchRequest is a SEARCH, FIND, FIND_UNIQUE or FIND_CLOSE request.
type SearchRequest struct {
	MaxCount         uint16
	SearchAttributes uint16
	Pattern          string
	ResumeKey        []byte // ResumeKeySize bytes, or nil for a new search
}

// DecodeSearchRequest decodes the block b of msg: the words MaxCount and
// SearchAttributes, then a pattern (BufferFormat 0x04) and a resume key
// (BufferFormat 0x05, a 16-bit length of 0 or 21).
func DecodeSearchRequest(msg []byte, b *Block, unicode bool) (SearchRequest, error) {
	var r SearchRequest
	if len(b.Words) != 4 {
		return r, ErrMalformed
	}
	r.MaxCount, r.SearchAttributes = le.Uint16(b.Words), le.Uint16(b.Words[2:])
	var next int
	var err error
	if r.Pattern, next, err = formatString(msg, b.BytesOff, b.End, unicode); err != nil {
		return r, err
	}
	if next+3 > b.End || msg[next] != BufferFormatVariable {
		return r, ErrMalformed
	}
	switch n := int(le.Uint16(msg[next+1:])); {
	case n == 0:
	case n == ResumeKeySize && next+3+n <= b.End:
		r.ResumeKey = msg[next+3 : next+3+n : next+3+n]
	default:
		return r, ErrMalformed
	}
	return r, nil
}

// SearchEntry is one entry of a core search response.
type SearchEntry struct {
	ResumeKey [ResumeKeySize]byte
	Attrs     uint8
	LastWrite uint64 // FILETIME
	Size      uint32
	Name      string // at most 12 characters (an 8.3 name) are sent
}

// AppendSearchEntry appends e (43 bytes).
func AppendSearchEntry(dst []byte, e *SearchEntry) []byte {
	dst = append(dst, e.ResumeKey[:]...)
	dst = append(dst, e.Attrs)
	d, t := DOSDateTime(smb2.TimeFromFileTime(e.LastWrite))
	dst = le.AppendUint16(le.AppendUint16(dst, t), d)
	dst = le.AppendUint32(dst, e.Size)
	var name [13]byte
	copy(name[:12], e.Name)
	return append(dst, name[:]...)
}

// AppendSearchResponse appends the response block for count entries
// already encoded in entries.
func AppendSearchResponse(dst []byte, count uint16, entries []byte) []byte {
	dst, start := BeginBlock(dst)
	dst = le.AppendUint16(dst, count)
	dst, bc := EndWords(dst, start)
	dst = append(dst, BufferFormatVariable)
	dst = le.AppendUint16(dst, uint16(len(entries)))
	dst = append(dst, entries...)
	EndBlock(dst, bc)
	return dst
}

// Is83 reports whether name is a valid 8.3 name as it stands (at most 8
// characters, optionally a dot and at most 3 more, no characters 8.3
// names exclude); "." and ".." are.
func Is83(name string) bool {
	if name == "." || name == ".." {
		return true
	}
	base, ext, dot := strings.Cut(name, ".")
	if base == "" || len(base) > 8 || len(ext) > 3 || (dot && ext == "") || strings.Contains(ext, ".") {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7F || strings.ContainsRune(`"*+,/:;<=>?[\]|`, c) {
			return false
		}
	}
	return true
}

// AttrsMatch reports whether an entry with attributes attrs is found by
// a search with search attributes search (MS-CIFS 2.2.1.2.4): hidden,
// system and directory entries only when search includes the bit, and
// with the "must have" bits of search's high byte, only entries that
// have them all.
func AttrsMatch(attrs uint32, search uint16) bool {
	const inclusive = 0x02 | 0x04 | 0x10
	if uint16(attrs)&inclusive&^search != 0 {
		return false
	}
	must := uint32(search>>8) & 0x37
	return attrs&must == must
}
