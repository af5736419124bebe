package smb1

// Secondary TRANS and TRANS2 requests (MS-CIFS 2.2.4.34, 2.2.4.47): the
// rest of a transaction's parameters and data when they did not fit the
// primary request. (NT_TRANSACT's are decoded by DecodeNTTransSecondary.)

// ComTransactionSec is SMB_COM_TRANSACTION_SECONDARY.
const ComTransactionSec Command = 0x26

// Trans2Part returns the part of a transaction a primary TRANS or TRANS2
// request carries (its words were checked by DecodeTrans2Request): the
// totals and the sections r holds.
func Trans2Part(b *Block, r *Trans2Request) TransPart {
	return TransPart{TotalParams: uint32(le.Uint16(b.Words)), TotalData: uint32(le.Uint16(b.Words[2:])),
		Params: r.Params, Data: r.Data}
}

// DecodeTransSecondary decodes a TRANS secondary (WordCount 8) or, with
// trans2, a TRANS2 secondary (WordCount 9: a FID word follows).
func DecodeTransSecondary(msg []byte, b *Block, trans2 bool) (TransPart, error) {
	var p TransPart
	w := b.Words
	if want := 16 + 2*btoi(trans2); len(w) != want {
		return p, ErrMalformed
	}
	p.TotalParams, p.TotalData = uint32(le.Uint16(w)), uint32(le.Uint16(w[2:]))
	pc, po, pd := int(le.Uint16(w[4:])), int(le.Uint16(w[6:])), le.Uint16(w[8:])
	dc, do, dd := int(le.Uint16(w[10:])), int(le.Uint16(w[12:])), le.Uint16(w[14:])
	var err error
	if p.Params, err = section(msg, b, po, pc); err != nil {
		return p, err
	}
	if p.Data, err = section(msg, b, do, dc); err != nil {
		return p, err
	}
	p.ParamDisp, p.DataDisp = uint32(pd), uint32(dd)
	return p, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
