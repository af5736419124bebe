package smb1

// TRANS2 subcommands (MS-CIFS 2.2.6).
const (
	Trans2FindFirst2      uint16 = 0x0001
	Trans2FindNext2       uint16 = 0x0002
	Trans2QueryFSInfo     uint16 = 0x0003
	Trans2QueryPathInfo   uint16 = 0x0005
	Trans2SetPathInfo     uint16 = 0x0006
	Trans2QueryFileInfo   uint16 = 0x0007
	Trans2SetFileInfo     uint16 = 0x0008
	Trans2CreateDirectory uint16 = 0x000D
)

// Trans2Request is a primary TRANS2 request (MS-CIFS 2.2.4.46.1) whose
// parameters and data all came in this message.
type Trans2Request struct {
	MaxParameterCount uint16
	MaxDataCount      uint16
	Flags             uint16
	Setup             []uint16
	Params            []byte
	Data              []byte
}

// ErrSecondaryNeeded reports a TRANS2 request whose parameters or data
// do not all fit in the primary message (secondary requests would follow),
// which zerosmb does not accept.
var ErrSecondaryNeeded = errorString("smb1: TRANS2 needs secondary requests")

// DecodeTrans2Request decodes the block b of msg. Parameter and data
// offsets must lie inside the bytes block.
func DecodeTrans2Request(msg []byte, b *Block) (Trans2Request, error) {
	var r Trans2Request
	w := b.Words
	if len(w) < 28 {
		return r, ErrMalformed
	}
	setupCount := int(w[26])
	if len(w) != 28+2*setupCount || setupCount == 0 {
		return r, ErrMalformed
	}
	totalParams, totalData := le.Uint16(w[0:]), le.Uint16(w[2:])
	r.MaxParameterCount = le.Uint16(w[4:])
	r.MaxDataCount = le.Uint16(w[6:])
	r.Flags = le.Uint16(w[10:])
	pc, po := int(le.Uint16(w[18:])), int(le.Uint16(w[20:]))
	dc, do := int(le.Uint16(w[22:])), int(le.Uint16(w[24:]))
	for i := 0; i < setupCount; i++ {
		r.Setup = append(r.Setup, le.Uint16(w[28+2*i:]))
	}
	var err error
	if r.Params, err = section(msg, b, po, pc); err != nil {
		return r, err
	}
	if r.Data, err = section(msg, b, do, dc); err != nil {
		return r, err
	}
	if int(totalParams) != pc || int(totalData) != dc {
		return r, ErrSecondaryNeeded
	}
	return r, nil
}

// section returns msg[off:off+n] after checking it lies in b's bytes.
func section(msg []byte, b *Block, off, n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if off < b.BytesOff || off > b.End || n > b.End-off {
		return nil, ErrMalformed
	}
	return msg[off : off+n : off+n], nil
}

// AppendTrans2Response appends a TRANS2 response block carrying params and
// data whole (no further response messages); base is the header's offset
// in dst. Parameters and data are 4-byte aligned from the header.
func AppendTrans2Response(dst []byte, base int, params, data []byte) []byte {
	dst, start := BeginBlock(dst)
	// WordCount 10: fixed words, then bytes: pad, params, pad, data.
	wordsEnd := len(dst) + 20 + 2 - base
	po := (wordsEnd + 3) &^ 3
	do := (po + len(params) + 3) &^ 3
	if len(data) == 0 {
		do = po + len(params)
	}
	dst = le.AppendUint16(dst, uint16(len(params)))
	dst = le.AppendUint16(dst, uint16(len(data)))
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint16(dst, uint16(len(params)))
	dst = le.AppendUint16(dst, uint16(po))
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint16(dst, uint16(len(data)))
	dst = le.AppendUint16(dst, uint16(do))
	dst = le.AppendUint16(dst, 0)
	dst = append(dst, 0, 0) // SetupCount, Reserved
	return endTransResponse(dst, start, base, po, do, params, data)
}

// endTransResponse ends the words of a TRANS2 or NT_TRANSACT response
// begun at start and appends its bytes: params at offset po and data at
// offset do from base (the message start), zero-padded up to each.
func endTransResponse(dst []byte, start, base, po, do int, params, data []byte) []byte {
	dst, bc := EndWords(dst, start)
	for len(dst)-base < po {
		dst = append(dst, 0)
	}
	dst = append(dst, params...)
	for len(dst)-base < do {
		dst = append(dst, 0)
	}
	dst = append(dst, data...)
	EndBlock(dst, bc)
	return dst
}

// Trans2ResponseOverhead bounds what AppendTrans2Response adds to params
// and data, header included.
const Trans2ResponseOverhead = HeaderSize + 1 + 20 + 2 + 8

// FindFirst2Request is the parameter block of TRANS2_FIND_FIRST2.
type FindFirst2Request struct {
	SearchAttributes uint16
	SearchCount      uint16
	Flags            uint16
	InfoLevel        uint16
	Pattern          string
}

// Find flags.
const (
	FindCloseAfterRequest uint16 = 0x0001
	FindCloseAtEOS        uint16 = 0x0002
	FindReturnResumeKeys  uint16 = 0x0004
	FindContinueFromLast  uint16 = 0x0008
)

// DecodeFindFirst2 decodes FIND_FIRST2 parameters.
func DecodeFindFirst2(p []byte, unicode bool) (FindFirst2Request, error) {
	var r FindFirst2Request
	if len(p) < 12 {
		return r, ErrMalformed
	}
	r.SearchAttributes = le.Uint16(p)
	r.SearchCount = le.Uint16(p[2:])
	r.Flags = le.Uint16(p[4:])
	r.InfoLevel = le.Uint16(p[6:])
	var err error
	r.Pattern, err = paramString(p[12:], unicode)
	return r, err
}

// FindNext2Request is the parameter block of TRANS2_FIND_NEXT2.
type FindNext2Request struct {
	SID         uint16
	SearchCount uint16
	InfoLevel   uint16
	ResumeKey   uint32
	Flags       uint16
	Name        string
}

// DecodeFindNext2 decodes FIND_NEXT2 parameters.
func DecodeFindNext2(p []byte, unicode bool) (FindNext2Request, error) {
	var r FindNext2Request
	if len(p) < 12 {
		return r, ErrMalformed
	}
	r.SID = le.Uint16(p)
	r.SearchCount = le.Uint16(p[2:])
	r.InfoLevel = le.Uint16(p[4:])
	r.ResumeKey = le.Uint32(p[6:])
	r.Flags = le.Uint16(p[10:])
	var err error
	r.Name, err = paramString(p[12:], unicode)
	return r, err
}

// paramString decodes a NUL-terminated string that fills the rest of a
// TRANS2 parameter block (which the requests align themselves).
func paramString(p []byte, unicode bool) (string, error) {
	s, _, err := String(p, 0, len(p), unicode)
	return s, err
}

// AppendFindFirst2Params appends the FIND_FIRST2 response parameters.
func AppendFindFirst2Params(dst []byte, sid, count uint16, eos bool, lastName uint16) []byte {
	dst = le.AppendUint16(dst, sid)
	return AppendFindNext2Params(dst, count, eos, lastName)
}

// AppendFindNext2Params appends the FIND_NEXT2 response parameters.
func AppendFindNext2Params(dst []byte, count uint16, eos bool, lastName uint16) []byte {
	dst = le.AppendUint16(dst, count)
	e := uint16(0)
	if eos {
		e = 1
	}
	dst = le.AppendUint16(dst, e)
	dst = le.AppendUint16(dst, 0) // EaErrorOffset
	return le.AppendUint16(dst, lastName)
}

// PathInfoRequest is the parameter block of QUERY_PATH_INFORMATION and
// SET_PATH_INFORMATION.
type PathInfoRequest struct {
	InfoLevel uint16
	Name      string
}

// DecodePathInfo decodes it.
func DecodePathInfo(p []byte, unicode bool) (PathInfoRequest, error) {
	var r PathInfoRequest
	if len(p) < 6 {
		return r, ErrMalformed
	}
	r.InfoLevel = le.Uint16(p)
	var err error
	r.Name, err = paramString(p[6:], unicode)
	return r, err
}

// FileInfoRequest is the parameter block of QUERY_FILE_INFORMATION and
// SET_FILE_INFORMATION.
type FileInfoRequest struct {
	FID       uint16
	InfoLevel uint16
}

// DecodeFileInfo decodes it.
func DecodeFileInfo(p []byte) (FileInfoRequest, error) {
	if len(p) < 4 {
		return FileInfoRequest{}, ErrMalformed
	}
	return FileInfoRequest{FID: le.Uint16(p), InfoLevel: le.Uint16(p[2:])}, nil
}

// DecodeFSInfo returns the information level of QUERY_FS_INFORMATION.
func DecodeFSInfo(p []byte) (uint16, error) {
	if len(p) < 2 {
		return 0, ErrMalformed
	}
	return le.Uint16(p), nil
}

// TRANS (SMB_COM_TRANSACTION) on named pipes (MS-CIFS 2.2.5).
const (
	ComTransaction Command = 0x25
	// TransTransactNmPipe writes a message to a pipe and reads the reply
	// (Setup: subcommand, FID).
	TransTransactNmPipe uint16 = 0x0026
)

// DecodeTransRequest decodes a primary TRANS request: the words and the
// parameter/data bounds are those of TRANS2 (the pipe name before them is
// not needed: the FID in Setup[1] names the pipe).
func DecodeTransRequest(msg []byte, b *Block) (Trans2Request, error) {
	return DecodeTrans2Request(msg, b)
}
