package smb2

// DecodeNegotiateResponse decodes a NEGOTIATE response message (header
// included), the client's side of NegotiateResponse.Append. The
// SecurityBuffer and the contexts' Data alias msg. Contexts are decoded
// only for dialect 3.1.1, where NegotiateContextCount counts them.
func DecodeNegotiateResponse(msg []byte) (NegotiateResponse, error) {
	var r NegotiateResponse
	if len(msg) < HeaderSize+64 {
		return r, ErrMalformed
	}
	b := msg[HeaderSize:]
	if le.Uint16(b) != 65 {
		return r, ErrMalformed
	}
	r.SecurityMode = le.Uint16(b[2:])
	r.DialectRevision = le.Uint16(b[4:])
	copy(r.ServerGUID[:], b[8:24])
	r.Capabilities = le.Uint32(b[24:])
	r.MaxTransactSize = le.Uint32(b[28:])
	r.MaxReadSize = le.Uint32(b[32:])
	r.MaxWriteSize = le.Uint32(b[36:])
	r.SystemTime = le.Uint64(b[40:])
	r.ServerStartTime = le.Uint64(b[48:])
	buf, err := bufferAt(msg, uint64(le.Uint16(b[56:])), uint64(le.Uint16(b[58:])))
	if err != nil {
		return r, err
	}
	r.SecurityBuffer = buf
	if r.DialectRevision != Dialect311 {
		return r, nil
	}
	n := int(le.Uint16(b[6:]))
	if n == 0 {
		return r, ErrMalformed // 3.1.1 needs at least the preauth context
	}
	r.Contexts, err = decodeNegotiateContexts(msg, int(le.Uint32(b[60:])), n)
	return r, err
}

// Context returns the data of the first context of type typ, and whether
// there is one.
func (r *NegotiateResponse) Context(typ uint16) ([]byte, bool) {
	for _, c := range r.Contexts {
		if c.Type == typ {
			return c.Data, true
		}
	}
	return nil, false
}
