package smb2

import (
	"encoding/binary"
)

// Security mode bits (NEGOTIATE and SESSION_SETUP).
const (
	NegotiateSigningEnabled  uint16 = 0x0001
	NegotiateSigningRequired uint16 = 0x0002
)

// Global capabilities (MS-SMB2 2.2.3).
const (
	CapDFS               uint32 = 0x00000001
	CapLeasing           uint32 = 0x00000002
	CapLargeMTU          uint32 = 0x00000004
	CapMultiChannel      uint32 = 0x00000008
	CapPersistentHandles uint32 = 0x00000010
	CapDirectoryLeasing  uint32 = 0x00000020
	CapEncryption        uint32 = 0x00000040
)

// Negotiate context types (MS-SMB2 2.2.3.1).
const (
	PreauthIntegrityCapabilities uint16 = 0x0001
	EncryptionCapabilities       uint16 = 0x0002
	CompressionCapabilities      uint16 = 0x0003
	NetnameNegotiateContextID    uint16 = 0x0005
	TransportCapabilities        uint16 = 0x0006
	RDMATransformCapabilities    uint16 = 0x0007
	SigningCapabilities          uint16 = 0x0008
)

// HashSHA512 is the only preauth integrity hash algorithm.
const HashSHA512 uint16 = 0x0001

// NegotiateContext is one negotiate context: its type and raw data.
type NegotiateContext struct {
	Type uint16
	Data []byte
}

// NegotiateRequest is a decoded SMB2 NEGOTIATE request.
type NegotiateRequest struct {
	SecurityMode uint16
	Capabilities uint32
	ClientGUID   [16]byte
	Dialects     []uint16
	Contexts     []NegotiateContext // only when 0x0311 is offered
}

// MaxDialects bounds DialectCount; real clients offer at most a handful.
const maxDialects = 64

// DecodeNegotiateRequest decodes a NEGOTIATE request message.
func DecodeNegotiateRequest(msg []byte) (NegotiateRequest, error) {
	var r NegotiateRequest
	if len(msg) < HeaderSize+36 {
		return r, ErrMalformed
	}
	b := msg[HeaderSize:]
	le := binary.LittleEndian
	if le.Uint16(b) != 36 {
		return r, ErrMalformed
	}
	count := int(le.Uint16(b[2:]))
	if count == 0 || count > maxDialects || len(b) < 36+2*count {
		return r, ErrMalformed
	}
	r.SecurityMode = le.Uint16(b[4:])
	r.Capabilities = le.Uint32(b[8:])
	copy(r.ClientGUID[:], b[12:28])
	r.Dialects = make([]uint16, count)
	has311 := false
	for i := range r.Dialects {
		r.Dialects[i] = le.Uint16(b[36+2*i:])
		has311 = has311 || r.Dialects[i] == Dialect311
	}
	if !has311 {
		return r, nil
	}
	off := int(le.Uint32(b[28:]))
	n := int(le.Uint16(b[32:]))
	ctxs, err := decodeNegotiateContexts(msg, off, n)
	if err != nil {
		return r, err
	}
	r.Contexts = ctxs
	return r, nil
}

func decodeNegotiateContexts(msg []byte, off, n int) ([]NegotiateContext, error) {
	if n == 0 {
		return nil, nil
	}
	if n > 64 || off < HeaderSize || off > len(msg) {
		return nil, ErrMalformed
	}
	le := binary.LittleEndian
	ctxs := make([]NegotiateContext, 0, n)
	for i := 0; i < n; i++ {
		off = (off + 7) &^ 7
		if off+8 > len(msg) {
			return nil, ErrMalformed
		}
		typ := le.Uint16(msg[off:])
		dl := int(le.Uint16(msg[off+2:]))
		if off+8+dl > len(msg) {
			return nil, ErrMalformed
		}
		ctxs = append(ctxs, NegotiateContext{Type: typ, Data: msg[off+8 : off+8+dl]})
		off += 8 + dl
	}
	return ctxs, nil
}

// AppendNegotiateContext appends one context (8-byte aligned relative to
// base, the offset of dst[0] from the start of the SMB2 header).
func AppendNegotiateContext(dst []byte, base int, typ uint16, data []byte) []byte {
	for (base+len(dst))%8 != 0 {
		dst = append(dst, 0)
	}
	dst = le.AppendUint16(dst, typ)
	dst = le.AppendUint16(dst, uint16(len(data)))
	dst = le.AppendUint32(dst, 0)
	return append(dst, data...)
}

// idList decodes a count-prefixed list of uint16 whose count is at
// countOff and items start at itemsOff; an empty list is malformed.
func idList(b []byte, countOff, itemsOff int) ([]uint16, error) {
	if len(b) < itemsOff {
		return nil, ErrMalformed
	}
	n := int(le.Uint16(b[countOff:]))
	if n == 0 || len(b) < itemsOff+2*n {
		return nil, ErrMalformed
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = le.Uint16(b[itemsOff+2*i:])
	}
	return out, nil
}

// appendIDList appends a uint16 count and ids.
func appendIDList(dst []byte, ids []uint16) []byte {
	dst = le.AppendUint16(dst, uint16(len(ids)))
	for _, id := range ids {
		dst = le.AppendUint16(dst, id)
	}
	return dst
}

// PreauthIntegrityCaps is the data of SMB2_PREAUTH_INTEGRITY_CAPABILITIES
// (MS-SMB2 2.2.3.1.1).
type PreauthIntegrityCaps struct {
	HashAlgorithms []uint16
	Salt           []byte // aliases the input; nil when SaltLength overruns it
}

// DecodePreauthIntegrityCaps parses the context data. At least one hash
// algorithm is required.
func DecodePreauthIntegrityCaps(b []byte) (PreauthIntegrityCaps, error) {
	var r PreauthIntegrityCaps
	algs, err := idList(b, 0, 4)
	if err != nil {
		return r, err
	}
	r.HashAlgorithms = algs
	rest := b[4+2*len(algs):]
	if n := int(le.Uint16(b[2:])); n <= len(rest) {
		r.Salt = rest[:n]
	}
	return r, nil
}

// Append appends the context data.
func (r *PreauthIntegrityCaps) Append(dst []byte) []byte {
	dst = le.AppendUint16(dst, uint16(len(r.HashAlgorithms)))
	dst = le.AppendUint16(dst, uint16(len(r.Salt)))
	for _, a := range r.HashAlgorithms {
		dst = le.AppendUint16(dst, a)
	}
	return append(dst, r.Salt...)
}

// DecodeEncryptionCaps parses SMB2_ENCRYPTION_CAPABILITIES data (MS-SMB2
// 2.2.3.1.2): the cipher ids, at least one.
func DecodeEncryptionCaps(b []byte) ([]uint16, error) { return idList(b, 0, 2) }

// AppendEncryptionCaps appends SMB2_ENCRYPTION_CAPABILITIES data.
func AppendEncryptionCaps(dst []byte, ciphers ...uint16) []byte { return appendIDList(dst, ciphers) }

// DecodeSigningCaps parses SMB2_SIGNING_CAPABILITIES data (MS-SMB2
// 2.2.3.1.7): the signing algorithm ids, at least one.
func DecodeSigningCaps(b []byte) ([]uint16, error) { return idList(b, 0, 2) }

// AppendSigningCaps appends SMB2_SIGNING_CAPABILITIES data.
func AppendSigningCaps(dst []byte, algs ...uint16) []byte { return appendIDList(dst, algs) }

// NegotiateResponse is an SMB2 NEGOTIATE response.
type NegotiateResponse struct {
	SecurityMode    uint16
	DialectRevision uint16
	ServerGUID      [16]byte
	Capabilities    uint32
	MaxTransactSize uint32
	MaxReadSize     uint32
	MaxWriteSize    uint32
	SystemTime      uint64
	ServerStartTime uint64
	SecurityBuffer  []byte
	Contexts        []NegotiateContext // 3.1.1 only
}

// Append appends the response body.
func (r *NegotiateResponse) Append(dst []byte) []byte {
	le := binary.LittleEndian
	start := len(dst)
	dst = append(dst, make([]byte, 64)...)
	b := dst[start:]
	le.PutUint16(b[0:], 65)
	le.PutUint16(b[2:], r.SecurityMode)
	le.PutUint16(b[4:], r.DialectRevision)
	le.PutUint16(b[6:], uint16(len(r.Contexts)))
	copy(b[8:24], r.ServerGUID[:])
	le.PutUint32(b[24:], r.Capabilities)
	le.PutUint32(b[28:], r.MaxTransactSize)
	le.PutUint32(b[32:], r.MaxReadSize)
	le.PutUint32(b[36:], r.MaxWriteSize)
	le.PutUint64(b[40:], r.SystemTime)
	le.PutUint64(b[48:], r.ServerStartTime)
	le.PutUint16(b[56:], HeaderSize+64)
	le.PutUint16(b[58:], uint16(len(r.SecurityBuffer)))
	dst = append(dst, r.SecurityBuffer...)
	if len(r.Contexts) > 0 {
		for (len(dst)-start)%8 != 0 {
			dst = append(dst, 0)
		}
		le.PutUint32(dst[start+60:], uint32(HeaderSize+len(dst)-start))
		for _, c := range r.Contexts {
			dst = AppendNegotiateContext(dst, HeaderSize-start, c.Type, c.Data)
		}
	}
	if len(dst)-start == 64 {
		dst = append(dst, 0) // StructureSize 65 implies one buffer byte
	}
	return dst
}

// SMB1 multi-protocol negotiate support.

// SMB1 dialect strings that lead to SMB2.
const (
	SMB1Dialect2002     = "SMB 2.002"
	SMB1DialectWildcard = "SMB 2.???"
)

// SMB1NegotiateDialects parses an SMB1 NEGOTIATE request (the whole SMB1
// message starting at 0xFF 'SMB') and returns its dialect strings. ok is
// false when msg is not an SMB1 NEGOTIATE.
func SMB1NegotiateDialects(msg []byte) (dialects []string, ok bool) {
	// 32-byte SMB1 header, WordCount(1)=0, ByteCount(2), then 0x02 "name\0"...
	if len(msg) < 35 || binary.LittleEndian.Uint32(msg) != ProtocolSMB1 || msg[4] != 0x72 {
		return nil, false
	}
	wc := int(msg[32])
	p := 33 + 2*wc
	if p+2 > len(msg) {
		return nil, false
	}
	bc := int(binary.LittleEndian.Uint16(msg[p:]))
	p += 2
	if p+bc > len(msg) {
		return nil, false
	}
	buf := msg[p : p+bc]
	for len(buf) > 0 && len(dialects) < 64 {
		if buf[0] != 0x02 {
			return dialects, true
		}
		buf = buf[1:]
		end := 0
		for end < len(buf) && buf[end] != 0 {
			end++
		}
		dialects = append(dialects, string(buf[:end]))
		if end == len(buf) {
			break
		}
		buf = buf[end+1:]
	}
	return dialects, true
}
