package smb1

// DialectNTLM012 is the one SMB1 dialect zerosmb speaks.
const DialectNTLM012 = "NT LM 0.12"

// Capabilities (MS-CIFS 2.2.4.52.2, MS-SMB 2.2.4.5.2.1).
const (
	CapUnicode          uint32 = 0x00000004
	CapLargeFiles       uint32 = 0x00000008
	CapNTSMBs           uint32 = 0x00000010
	CapRPCRemoteAPIs    uint32 = 0x00000020
	CapNTStatus         uint32 = 0x00000040
	CapLevelIIOplocks   uint32 = 0x00000080
	CapLockAndRead      uint32 = 0x00000100
	CapNTFind           uint32 = 0x00000200
	CapInfoLevelPassthr uint32 = 0x00002000
	CapLargeReadX       uint32 = 0x00004000
	CapLargeWriteX      uint32 = 0x00008000
	CapExtendedSecurity uint32 = 0x80000000
)

// Security modes of the NEGOTIATE response.
const (
	SecModeUserSecurity    uint8 = 0x01
	SecModeEncryptPassword uint8 = 0x02
	SecModeSigningEnabled  uint8 = 0x04
	SecModeSigningRequired uint8 = 0x08
)

// DecodeNegotiateRequest returns the dialect strings of a NEGOTIATE
// request (WordCount 0, bytes: 0x02 "name" NUL ...).
func DecodeNegotiateRequest(msg []byte) ([]string, error) {
	b, err := DecodeBlock(msg, HeaderSize)
	if err != nil || len(b.Words) != 0 {
		return nil, ErrMalformed
	}
	var out []string
	p := b.Bytes
	for len(p) > 0 {
		if p[0] != 0x02 || len(out) >= 64 {
			return nil, ErrMalformed
		}
		p = p[1:]
		i := 0
		for i < len(p) && p[i] != 0 {
			i++
		}
		if i == len(p) {
			return nil, ErrMalformed
		}
		out = append(out, string(p[:i]))
		p = p[i+1:]
	}
	return out, nil
}

// NegotiateResponse is the NT LM 0.12 extended-security NEGOTIATE response
// (MS-SMB 2.2.4.5.2).
type NegotiateResponse struct {
	DialectIndex   uint16
	SecurityMode   uint8
	MaxMpxCount    uint16
	MaxNumberVcs   uint16
	MaxBufferSize  uint32
	MaxRawSize     uint32
	SessionKey     uint32
	Capabilities   uint32
	SystemTime     uint64 // FILETIME
	ServerTimeZone int16
	ServerGUID     [16]byte
	SecurityBlob   []byte
}

// Append appends the response block.
func (r *NegotiateResponse) Append(dst []byte) []byte {
	dst, start := BeginBlock(dst)
	dst = le.AppendUint16(dst, r.DialectIndex)
	dst = append(dst, r.SecurityMode)
	dst = le.AppendUint16(dst, r.MaxMpxCount)
	dst = le.AppendUint16(dst, r.MaxNumberVcs)
	dst = le.AppendUint32(dst, r.MaxBufferSize)
	dst = le.AppendUint32(dst, r.MaxRawSize)
	dst = le.AppendUint32(dst, r.SessionKey)
	dst = le.AppendUint32(dst, r.Capabilities)
	dst = le.AppendUint64(dst, r.SystemTime)
	dst = le.AppendUint16(dst, uint16(r.ServerTimeZone))
	dst = append(dst, 0) // ChallengeLength: none with extended security
	dst, bc := EndWords(dst, start)
	dst = append(dst, r.ServerGUID[:]...)
	dst = append(dst, r.SecurityBlob...)
	EndBlock(dst, bc)
	return dst
}

// AppendNegotiateNone appends the NEGOTIATE response that says no offered
// dialect is supported (DialectIndex 0xFFFF).
func AppendNegotiateNone(dst []byte) []byte {
	return append(dst, 1, 0xFF, 0xFF, 0, 0)
}

// SessionSetupRequest is an extended-security SESSION_SETUP_ANDX request
// (MS-SMB 2.2.4.6.1, WordCount 12).
type SessionSetupRequest struct {
	AndX          AndX
	MaxBufferSize uint16
	MaxMpxCount   uint16
	VcNumber      uint16
	SessionKey    uint32
	Capabilities  uint32
	SecurityBlob  []byte
}

// ErrNotExtendedSecurity reports a SESSION_SETUP_ANDX in the
// LM/NTLM/plaintext form (WordCount 10 or 13), which zerosmb refuses.
var ErrNotExtendedSecurity = errorString("smb1: session setup without extended security")

// DecodeSessionSetupRequest decodes the block b of msg.
func DecodeSessionSetupRequest(msg []byte, b *Block) (SessionSetupRequest, error) {
	var r SessionSetupRequest
	if len(b.Words) != 24 {
		if len(b.Words) == 26 || len(b.Words) == 20 {
			return r, ErrNotExtendedSecurity
		}
		return r, ErrMalformed
	}
	a, err := DecodeAndX(b, len(msg))
	if err != nil {
		return r, err
	}
	w := b.Words
	r.AndX = a
	r.MaxBufferSize = le.Uint16(w[4:])
	r.MaxMpxCount = le.Uint16(w[6:])
	r.VcNumber = le.Uint16(w[8:])
	r.SessionKey = le.Uint32(w[10:])
	n := int(le.Uint16(w[14:]))
	r.Capabilities = le.Uint32(w[20:])
	if n > len(b.Bytes) {
		return r, ErrMalformed
	}
	r.SecurityBlob = b.Bytes[:n:n]
	return r, nil
}

// SessionSetupAction bits.
const SessionActionGuest uint16 = 0x0001

// AppendSessionSetupResponse appends an extended-security
// SESSION_SETUP_ANDX response block; base is the header's offset in dst.
func AppendSessionSetupResponse(dst []byte, base int, action uint16, blob []byte, nativeOS, lanman string) []byte {
	dst, start := BeginBlock(dst)
	dst = AppendAndX(dst)
	dst = le.AppendUint16(dst, action)
	dst = le.AppendUint16(dst, uint16(len(blob)))
	dst, bc := EndWords(dst, start)
	dst = append(dst, blob...)
	dst = AppendString(dst, base, nativeOS, true)
	dst = AppendString(dst, base, lanman, true)
	dst = AppendString(dst, base, "", true) // PrimaryDomain
	EndBlock(dst, bc)
	return dst
}

// AppendAndXOnly appends a response block with only an AndX prefix
// (LOGOFF_ANDX) and no bytes.
func AppendAndXOnly(dst []byte) []byte {
	dst, start := BeginBlock(dst)
	dst = AppendAndX(dst)
	dst, bc := EndWords(dst, start)
	EndBlock(dst, bc)
	return dst
}

// TreeConnectRequest is a TREE_CONNECT_ANDX request (MS-CIFS 2.2.4.55.1).
type TreeConnectRequest struct {
	AndX    AndX
	Flags   uint16
	Path    string // \\server\share
	Service string // "A:", "IPC", "?????"
}

// Tree connect flags.
const (
	TreeConnectDisconnectTID    uint16 = 0x0001
	TreeConnectExtendedSig      uint16 = 0x0004
	TreeConnectExtendedResponse uint16 = 0x0008
)

// DecodeTreeConnectRequest decodes the block b of msg.
func DecodeTreeConnectRequest(msg []byte, b *Block, unicode bool) (TreeConnectRequest, error) {
	var r TreeConnectRequest
	a, err := decodeAndXWords(msg, b, 8)
	if err != nil {
		return r, err
	}
	r.AndX = a
	r.Flags = le.Uint16(b.Words[4:])
	pw := int(le.Uint16(b.Words[6:]))
	if pw > len(b.Bytes) {
		return r, ErrMalformed
	}
	path, next, err := String(msg, b.BytesOff+pw, b.End, unicode)
	if err != nil {
		return r, err
	}
	r.Path = path
	svc, _, err := String(msg, next, b.End, false)
	if err != nil {
		return r, err
	}
	r.Service = svc
	return r, nil
}

// Optional support bits of the TREE_CONNECT_ANDX response.
const (
	SupportSearchBits uint16 = 0x0001
	SupportUniqueName uint16 = 0x0010 // SMB_UNIQUE_FILE_NAME
)

// AppendTreeConnectResponse appends the extended TREE_CONNECT_ANDX
// response block (WordCount 7); base is the header's offset in dst.
func AppendTreeConnectResponse(dst []byte, base int, support uint16, maxAccess, guestAccess uint32, service, fs string) []byte {
	dst, start := BeginBlock(dst)
	dst = AppendAndX(dst)
	dst = le.AppendUint16(dst, support)
	dst = le.AppendUint32(dst, maxAccess)
	dst = le.AppendUint32(dst, guestAccess)
	dst, bc := EndWords(dst, start)
	dst = AppendString(dst, base, service, false)
	dst = AppendString(dst, base, fs, true)
	EndBlock(dst, bc)
	return dst
}

// DecodeEchoRequest returns the EchoCount and data of an ECHO request.
func DecodeEchoRequest(b *Block) (count uint16, data []byte, err error) {
	if len(b.Words) != 2 {
		return 0, nil, ErrMalformed
	}
	return le.Uint16(b.Words), b.Bytes, nil
}

// AppendEchoResponse appends one ECHO response block.
func AppendEchoResponse(dst []byte, seq uint16, data []byte) []byte {
	dst, start := BeginBlock(dst)
	dst = le.AppendUint16(dst, seq)
	dst, bc := EndWords(dst, start)
	dst = append(dst, data...)
	EndBlock(dst, bc)
	return dst
}
