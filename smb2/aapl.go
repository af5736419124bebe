package smb2

import (
	"encoding/binary"
	"unicode/utf16"
)

// Apple's SMB2 extensions ("AAPL" create context), as Apple's SMB client
// (the smb_2.h header of Apple's open-source smb package) and Samba's
// vfs_fruit use them. A client sends an AAPL context with a server query
// on one CREATE of a connection; the answer says which extensions the
// server offers, and READDIR_ATTR, once granted, changes the meaning of
// some FileIdBothDirectoryInformation fields for the rest of the
// connection (see AAPLDirInfo).

// CreateContextAAPL is the tag of Apple's create context.
const CreateContextAAPL = "AAPL"

// AAPL command codes.
const (
	AAPLServerQuery uint32 = 1
	AAPLResolveID   uint32 = 2
)

// AAPL server query request and reply bitmap bits: which parts of the
// answer are asked for (and present).
const (
	AAPLServerCaps uint64 = 1
	AAPLVolumeCaps uint64 = 2
	AAPLModelInfo  uint64 = 4
)

// AAPL client and server capability bits.
const (
	AAPLSupportsReadDirAttr uint64 = 1 // QUERY_DIRECTORY entries carry Mac metadata
	AAPLSupportsOSXCopyfile uint64 = 2 // COPYCHUNK copies streams and metadata too
	AAPLUnixBased           uint64 = 4 // UNIX modes in READDIR_ATTR entries
	AAPLSupportsNFSACE      uint64 = 8 // NFS ACEs carry modes in security descriptors
)

// AAPL volume capability bits.
const (
	AAPLSupportResolveID uint64 = 1 // the resolve-ID command works
	AAPLCaseSensitive    uint64 = 2 // names are case-sensitive
	AAPLFullSync         uint64 = 4 // FLUSH is F_FULLFSYNC (data on stable storage)
)

// aaplQuerySize is the size of a server query: Command (4), Reserved (4),
// RequestBitmap (8), ClientCapabilities (8).
const aaplQuerySize = 24

// AAPLMaxModelLen bounds the model string of a reply (in UTF-16 code
// units); longer models are cut.
const AAPLMaxModelLen = 64

// AAPLQuery is a decoded AAPL server query.
type AAPLQuery struct {
	Command    uint32
	Bitmap     uint64 // AAPLServerCaps | AAPLVolumeCaps | AAPLModelInfo
	ClientCaps uint64 // AAPLSupports... bits the client understands
}

// DecodeAAPLQuery decodes the data of an AAPL create context request. It
// must be exactly 24 bytes (Apple's client and Samba's vfs_fruit agree;
// anything else is ErrMalformed). The command is not checked here.
func DecodeAAPLQuery(b []byte) (AAPLQuery, error) {
	if len(b) != aaplQuerySize {
		return AAPLQuery{}, ErrMalformed
	}
	le := binary.LittleEndian
	return AAPLQuery{Command: le.Uint32(b), Bitmap: le.Uint64(b[8:]), ClientCaps: le.Uint64(b[16:])}, nil
}

// AppendAAPLQuery appends q as the data of an AAPL create context request.
func (q *AAPLQuery) AppendAAPLQuery(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, q.Command)
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint64(dst, q.Bitmap)
	return le.AppendUint64(dst, q.ClientCaps)
}

// AAPLReply is the answer to a server query. Only the parts named in
// Bitmap are encoded, in this order: ServerCaps, VolumeCaps, Model.
type AAPLReply struct {
	Bitmap     uint64
	ServerCaps uint64
	VolumeCaps uint64
	Model      string
}

// AppendAAPLReply appends r as the data of an AAPL create context
// response: Command (server query), Reserved, ReplyBitmap, then
// ServerCaps (8), VolumeCaps (8), and for the model Reserved (4),
// ModelStringLength in bytes (4) and the UTF-16LE model without a
// terminator, each only when its Bitmap bit is set.
func (r *AAPLReply) AppendAAPLReply(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, AAPLServerQuery)
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint64(dst, r.Bitmap)
	if r.Bitmap&AAPLServerCaps != 0 {
		dst = le.AppendUint64(dst, r.ServerCaps)
	}
	if r.Bitmap&AAPLVolumeCaps != 0 {
		dst = le.AppendUint64(dst, r.VolumeCaps)
	}
	if r.Bitmap&AAPLModelInfo != 0 {
		u := utf16.Encode([]rune(r.Model))
		if len(u) > AAPLMaxModelLen {
			u = u[:AAPLMaxModelLen]
		}
		dst = le.AppendUint32(dst, 0)
		dst = le.AppendUint32(dst, uint32(2*len(u)))
		for _, c := range u {
			dst = le.AppendUint16(dst, c)
		}
	}
	return dst
}

// DecodeAAPLReply decodes the data of an AAPL create context response (a
// client's view; the server's tests use it).
func DecodeAAPLReply(b []byte) (AAPLReply, error) {
	var r AAPLReply
	if len(b) < 16 || binary.LittleEndian.Uint32(b) != AAPLServerQuery {
		return r, ErrMalformed
	}
	le := binary.LittleEndian
	r.Bitmap = le.Uint64(b[8:])
	b = b[16:]
	for _, bit := range []uint64{AAPLServerCaps, AAPLVolumeCaps} {
		if r.Bitmap&bit == 0 {
			continue
		}
		if len(b) < 8 {
			return r, ErrMalformed
		}
		if bit == AAPLServerCaps {
			r.ServerCaps = le.Uint64(b)
		} else {
			r.VolumeCaps = le.Uint64(b)
		}
		b = b[8:]
	}
	if r.Bitmap&AAPLModelInfo != 0 {
		if len(b) < 8 {
			return r, ErrMalformed
		}
		n := le.Uint32(b[4:])
		if n%2 != 0 || uint64(n) > uint64(len(b)-8) {
			return r, ErrMalformed
		}
		r.Model = DecodeUTF16(b[8 : 8+n])
	}
	return r, nil
}

// AAPLDirInfo is the Mac metadata a READDIR_ATTR FileIdBothDirectoryInformation
// entry carries instead of EaSize, the short name and Reserved2:
//
//	EaSize           MaxAccess (the caller's maximal access)
//	ShortNameLength  24 (Apple's client sends and expects 24)
//	ShortName[0:8]   ResourceForkSize (little-endian)
//	ShortName[8:24]  compressed FinderInfo: type (4), creator (4, files
//	                 only), Finder flags (2), extended flags (2), date
//	                 added (4, big-endian seconds since 2000-01-01 UTC)
//	Reserved2        UNIX mode (low 16 bits), only when AAPLUnixBased
//	                 was offered; zero otherwise
type AAPLDirInfo struct {
	MaxAccess        uint32
	ResourceForkSize uint64
	FinderInfo       [16]byte
	UnixMode         uint16
}

// AAPLDateStart is the date-added value of a file with no date ("before
// the epoch": 0x80000000, as AppleDouble's invalid date).
const AAPLDateStart uint32 = 0x80000000

// AAPLDateDelta is the number of seconds between the Unix epoch and
// Apple's 2000-01-01 epoch.
const AAPLDateDelta = 946684800

// CompressFinderInfo builds the 16-byte compressed FinderInfo of a
// READDIR_ATTR entry from the 32-byte FinderInfo of an AFP_AfpInfo stream
// (nil when the file has none) and the date added in Apple's epoch. Type
// and creator are kept for regular files only.
func CompressFinderInfo(finder []byte, regular bool, dateAdded uint32) [16]byte {
	var c [16]byte
	if len(finder) >= 32 {
		if regular {
			copy(c[0:8], finder[0:8])
		}
		copy(c[8:10], finder[8:10])
		copy(c[10:12], finder[24:26])
	}
	binary.BigEndian.PutUint32(c[12:], dateAdded)
	return c
}
