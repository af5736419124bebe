package smb1

// NT_TRANSACT (MS-CIFS 2.2.4.62): the transaction with 32-bit counts that
// carries NT_TRANSACT_CREATE, IOCTL, SET/QUERY_SECURITY_DESC,
// NOTIFY_CHANGE and RENAME.

// NT_TRANSACT command codes.
const (
	ComNTTransact    Command = 0xA0
	ComNTTransactSec Command = 0xA1
)

// NT_TRANSACT subcommands (the Function field).
const (
	NTTransCreate            uint16 = 1
	NTTransIoctl             uint16 = 2
	NTTransSetSecurityDesc   uint16 = 3
	NTTransNotifyChange      uint16 = 4
	NTTransRename            uint16 = 5
	NTTransQuerySecurityDesc uint16 = 6
)

// NTTransRequest is an NT_TRANSACT request whose parameters and data are
// complete (in the primary request, or reassembled from secondaries).
type NTTransRequest struct {
	MaxSetupCount     uint8
	MaxParameterCount uint32
	MaxDataCount      uint32
	Function          uint16
	Setup             []byte
	Params            []byte
	Data              []byte
}

// TransPart is the piece of a transaction's parameters and data one
// message carries: the totals announced, this message's sections and
// where they go (displacements, 0 in a primary request).
type TransPart struct {
	TotalParams, TotalData uint32
	Params, Data           []byte
	ParamDisp, DataDisp    uint32
}

// Complete reports whether p alone holds all the parameters and data.
func (p *TransPart) Complete() bool {
	return p.ParamDisp == 0 && p.DataDisp == 0 &&
		int64(len(p.Params)) == int64(p.TotalParams) && int64(len(p.Data)) == int64(p.TotalData)
}

// DecodeNTTransRequest decodes a primary NT_TRANSACT request (WordCount
// 19 + SetupCount). The sections must lie in the bytes block; the
// request and the part it carries are returned, the request's Params and
// Data set only when the part is complete.
func DecodeNTTransRequest(msg []byte, b *Block) (NTTransRequest, TransPart, error) {
	var r NTTransRequest
	var p TransPart
	w := b.Words
	if len(w) < 38 {
		return r, p, ErrMalformed
	}
	setupCount := int(w[35])
	if len(w) != 38+2*setupCount {
		return r, p, ErrMalformed
	}
	r.MaxSetupCount = w[0]
	p.TotalParams, p.TotalData = le.Uint32(w[3:]), le.Uint32(w[7:])
	r.MaxParameterCount, r.MaxDataCount = le.Uint32(w[11:]), le.Uint32(w[15:])
	pc, po := le.Uint32(w[19:]), le.Uint32(w[23:])
	dc, do := le.Uint32(w[27:]), le.Uint32(w[31:])
	r.Function = le.Uint16(w[36:])
	r.Setup = w[38 : 38+2*setupCount : 38+2*setupCount]
	var err error
	if p.Params, err = section32(msg, b, po, pc); err != nil {
		return r, p, err
	}
	if p.Data, err = section32(msg, b, do, dc); err != nil {
		return r, p, err
	}
	if p.Complete() {
		r.Params, r.Data = p.Params, p.Data
	}
	return r, p, nil
}

// DecodeNTTransSecondary decodes an NT_TRANSACT_SECONDARY request
// (WordCount 18).
func DecodeNTTransSecondary(msg []byte, b *Block) (TransPart, error) {
	var p TransPart
	w := b.Words
	if len(w) != 36 {
		return p, ErrMalformed
	}
	p.TotalParams, p.TotalData = le.Uint32(w[3:]), le.Uint32(w[7:])
	pc, po, pd := le.Uint32(w[11:]), le.Uint32(w[15:]), le.Uint32(w[19:])
	dc, do, dd := le.Uint32(w[23:]), le.Uint32(w[27:]), le.Uint32(w[31:])
	var err error
	if p.Params, err = section32(msg, b, po, pc); err != nil {
		return p, err
	}
	if p.Data, err = section32(msg, b, do, dc); err != nil {
		return p, err
	}
	p.ParamDisp, p.DataDisp = pd, dd
	return p, nil
}

// section32 is section with 32-bit offset and count.
func section32(msg []byte, b *Block, off, n uint32) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if off > uint32(b.End) || n > uint32(b.End) {
		return nil, ErrMalformed
	}
	return section(msg, b, int(off), int(n))
}

// AppendNTTransResponse appends an NT_TRANSACT response block carrying
// setup words, params and data whole; base is the header's offset in
// dst. Parameters and data are 4-byte aligned from the header.
func AppendNTTransResponse(dst []byte, base int, setup []uint16, params, data []byte) []byte {
	dst, start := BeginBlock(dst)
	wordsEnd := len(dst) + 36 + 2*len(setup) + 2 - base
	po := (wordsEnd + 3) &^ 3
	do := (po + len(params) + 3) &^ 3
	if len(data) == 0 {
		do = po + len(params)
	}
	dst = append(dst, 0, 0, 0) // Reserved1
	dst = le.AppendUint32(dst, uint32(len(params)))
	dst = le.AppendUint32(dst, uint32(len(data)))
	dst = le.AppendUint32(dst, uint32(len(params)))
	dst = le.AppendUint32(dst, uint32(po))
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint32(dst, uint32(len(data)))
	dst = le.AppendUint32(dst, uint32(do))
	dst = le.AppendUint32(dst, 0)
	dst = append(dst, byte(len(setup)))
	for _, s := range setup {
		dst = le.AppendUint16(dst, s)
	}
	return endTransResponse(dst, start, base, po, do, params, data)
}

// NTTransCreateRequest is the parameter block of NT_TRANSACT_CREATE
// (MS-CIFS 2.2.7.1.1) with the security descriptor and extended
// attributes of its data block.
type NTTransCreateRequest struct {
	NTCreateRequest
	SecurityDescriptor []byte
	ExtendedAttributes []byte // FILE_FULL_EA_INFORMATION list
}

// ntTransCreateFixed is the size of NT_TRANSACT_CREATE's parameters
// before the name.
const ntTransCreateFixed = 53

// DecodeNTTransCreate decodes NT_TRANSACT_CREATE's parameters and data.
// The name follows the fixed fields, UTF-16 aligned to an even offset in
// the parameters; NameLength bytes of it count.
func DecodeNTTransCreate(params, data []byte, unicode bool) (NTTransCreateRequest, error) {
	var r NTTransCreateRequest
	p := params
	if len(p) < ntTransCreateFixed {
		return r, ErrMalformed
	}
	r.Flags = le.Uint32(p)
	r.RootDirectoryFID = le.Uint32(p[4:])
	r.DesiredAccess = le.Uint32(p[8:])
	r.AllocationSize = le.Uint64(p[12:])
	r.ExtFileAttributes = le.Uint32(p[20:])
	r.ShareAccess = le.Uint32(p[24:])
	r.CreateDisposition = le.Uint32(p[28:])
	r.CreateOptions = le.Uint32(p[32:])
	sdLen, eaLen, nameLen := le.Uint32(p[36:]), le.Uint32(p[40:]), le.Uint32(p[44:])
	r.ImpersonationLevel = le.Uint32(p[48:])
	r.SecurityFlags = p[52]
	start := ntTransCreateFixed
	if unicode {
		start++
	}
	hi := len(p)
	if start > hi {
		start = hi
	}
	if nameLen < uint32(hi-start) {
		hi = start + int(nameLen)
	}
	var err error
	if r.Name, _, err = String(p, start, hi, unicode); err != nil {
		return r, err
	}
	if uint64(sdLen)+uint64(eaLen) > uint64(len(data)) {
		return r, ErrMalformed
	}
	if sdLen > 0 {
		r.SecurityDescriptor = data[:sdLen:sdLen]
	}
	if eaLen > 0 {
		// The EA list starts 4-byte aligned after the descriptor.
		off := (sdLen + 3) &^ 3
		if uint64(off)+uint64(eaLen) > uint64(len(data)) {
			off = sdLen
		}
		r.ExtendedAttributes = data[off : off+eaLen : off+eaLen]
	}
	return r, nil
}

// AppendNTTransCreateParams appends the NT_TRANSACT_CREATE response
// parameters (69 bytes): the NT_CREATE_ANDX response fields with an
// EAErrorOffset after CreateAction.
func AppendNTTransCreateParams(dst []byte, r *NTCreateResponse) []byte {
	dst = append(dst, r.OplockLevel, 0)
	dst = le.AppendUint16(dst, r.FID)
	dst = le.AppendUint32(dst, r.CreateAction)
	dst = le.AppendUint32(dst, 0) // EAErrorOffset
	return r.appendInfo(dst)
}

// NTTransIoctlSetup is the setup of NT_TRANSACT_IOCTL (4 words).
type NTTransIoctlSetup struct {
	FunctionCode uint32
	FID          uint16
	IsFsctl      bool
	IsFlags      uint8
}

// DecodeNTTransIoctlSetup decodes it.
func DecodeNTTransIoctlSetup(setup []byte) (NTTransIoctlSetup, error) {
	if len(setup) != 8 {
		return NTTransIoctlSetup{}, ErrMalformed
	}
	return NTTransIoctlSetup{FunctionCode: le.Uint32(setup), FID: le.Uint16(setup[4:]),
		IsFsctl: setup[6] != 0, IsFlags: setup[7]}, nil
}

// DecodeNTTransSecDesc decodes the parameters of QUERY_SECURITY_DESC and
// SET_SECURITY_DESC: FID, a reserved word, SecurityInformation.
func DecodeNTTransSecDesc(params []byte) (fid uint16, secInfo uint32, err error) {
	if len(params) < 8 {
		return 0, 0, ErrMalformed
	}
	return le.Uint16(params), le.Uint32(params[4:]), nil
}

// DecodeNTTransRename decodes the parameters of NT_TRANSACT_RENAME: FID,
// RenameFlags, then the new name (aligned in the parameters).
func DecodeNTTransRename(params []byte, unicode bool) (fid, flags uint16, name string, err error) {
	if len(params) < 4 {
		return 0, 0, "", ErrMalformed
	}
	name, _, err = String(params, 4, len(params), unicode)
	return le.Uint16(params), le.Uint16(params[2:]), name, err
}
