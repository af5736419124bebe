// Package rpc implements the server side of connection-oriented DCE/RPC
// (C706 chapter 12, MS-RPCE) as spoken over SMB named pipes, and the few
// procedures of srvsvc (MS-SRVS) and wkssvc (MS-WKST) that clients need
// to list shares and browse a server.
//
// A Pipe is one open pipe instance: the SMB layer feeds it the bytes a
// client writes and hands back the response PDUs it queues, one PDU per
// pipe message. Only the NDR20 transfer syntax and unauthenticated
// binds are supported.
//
// This package knows nothing of SMB itself (sessions, trees, file ids,
// NTSTATUS), sockets or the file system; share data comes from the
// Server.Shares callback.
package rpc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// PDU types (C706 12.6.4.1).
const (
	ptypeRequest     = 0
	ptypeResponse    = 2
	ptypeFault       = 3
	ptypeBind        = 11
	ptypeBindAck     = 12
	ptypeBindNak     = 13
	ptypeAlter       = 14
	ptypeAlterResp   = 15
	ptypeAuth3       = 16
	ptypeShutdown    = 17
	ptypeCoCancel    = 18
	ptypeOrphaned    = 19
	pfcFirstFrag     = 0x01
	pfcLastFrag      = 0x02
	pfcDidNotExecute = 0x20
	pfcObjectUUID    = 0x80
)

// Sizes and limits.
const (
	headerLen       = 16
	requestHdrLen   = 24 // common header + alloc_hint, p_cont_id, opnum
	responseHdrLen  = 24 // common header + alloc_hint, p_cont_id, cancel_count, reserved
	serverMaxFrag   = 4280
	maxFragLen      = 1<<16 - 1 // frag_length is 16 bits
	minFrag         = 1432      // C706: every implementation accepts at least this
	maxRequestStub  = 1 << 20
	maxQueuedOutput = 4 << 20
)

// Fault status codes (C706 appendix E, MS-RPCE 3.1.1.5.5).
const (
	faultOpRangeError = 0x1c010002 // nca_op_rng_error
	faultUnknownIf    = 0x1c010003 // nca_unk_if
	faultProtoError   = 0x1c01000b // nca_proto_error
	faultNDR          = 0x000006f7 // nca_s_fault_ndr (RPC_X_BAD_STUB_DATA)
	faultInvalidTag   = 0x1c000006 // nca_s_fault_invalid_tag: union level in no arm
)

// Presentation context results and reasons (C706 12.6.3.1, MS-RPCE 2.2.2.4).
const (
	resultAcceptance       = 0
	resultProviderRejected = 2
	resultNegotiateAck     = 3

	reasonAbstractSyntaxNotSupported  = 1
	reasonTransferSyntaxNotSupported  = 2
	nakReasonNotSpecified             = 0
	nakReasonProtocolVersionNotSupp   = 4
	nakReasonAuthTypeNotRecognized    = 8
	btfnSecurityContextMultiplexing   = 0x0001
	btfnKeepConnectionOnOrphan        = 0x0002
	btfnSupported                     = btfnSecurityContextMultiplexing | btfnKeepConnectionOnOrphan
	drepLittleEndianASCIIIEEE         = 0x10
	rpcVersion, rpcVersionMinorLatest = 5, 0
)

// syntaxID is a presentation syntax identifier: a UUID in wire order
// (first three fields little-endian) and a version (major in the low
// 16 bits, minor in the high 16 bits, as it appears on the wire).
type syntaxID struct {
	UUID    [16]byte
	Version uint32
}

// mustUUID turns the textual form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
// into wire order. It panics on malformed input; it is used only for
// package-level constants.
func mustUUID(s string) [16]byte {
	var raw [16]byte
	j := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			continue
		}
		if j >= 32 || i+1 >= len(s) {
			panic("rpc: bad uuid " + s)
		}
		hi, lo := unhex(s[i]), unhex(s[i+1])
		if hi < 0 || lo < 0 {
			panic("rpc: bad uuid " + s)
		}
		raw[j/2] = byte(hi<<4 | lo)
		j += 2
		i++
	}
	if j != 32 {
		panic("rpc: bad uuid " + s)
	}
	var w [16]byte
	w[0], w[1], w[2], w[3] = raw[3], raw[2], raw[1], raw[0]
	w[4], w[5] = raw[5], raw[4]
	w[6], w[7] = raw[7], raw[6]
	copy(w[8:], raw[8:])
	return w
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

var (
	// ndr20Syntax is the NDR transfer syntax, version 2.0.
	ndr20Syntax = syntaxID{mustUUID("8a885d04-1ceb-11c9-9fe8-08002b104860"), 2}
	// ndr64Syntax is NDR64 (MS-RPCE 2.2.5), which this package declines.
	ndr64Syntax = syntaxID{mustUUID("71710533-beba-4937-8319-b5dbef9ccc36"), 1}
	// btfnPrefix is the first eight wire bytes of the bind time feature
	// negotiation UUID 6cb71c2c-9812-4540-xxxx-xxxxxxxxxxxx; the last
	// eight bytes carry the feature bitmask (MS-RPCE 3.3.1.5.3).
	btfnPrefix = [8]byte{0x2c, 0x1c, 0xb7, 0x6c, 0x12, 0x98, 0x40, 0x45}
)

// header is the common connection-oriented PDU header (C706 12.6.3.1).
type header struct {
	Type      uint8
	Flags     uint8
	DRep      [4]byte
	FragLen   uint16
	AuthLen   uint16
	CallID    uint32
	VersMinor uint8
}

// errPDU reports bytes that are not a valid PDU; the pipe is unusable
// after it.
var errPDU = errors.New("rpc: malformed PDU")

// parseHeader decodes the common header from b, which must hold at
// least headerLen bytes.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < headerLen {
		return h, fmt.Errorf("%w: short header", errPDU)
	}
	if b[0] != rpcVersion || b[1] > 1 {
		return h, fmt.Errorf("%w: version %d.%d", errPDU, b[0], b[1])
	}
	h.VersMinor = b[1]
	h.Type = b[2]
	h.Flags = b[3]
	copy(h.DRep[:], b[4:8])
	h.FragLen = binary.LittleEndian.Uint16(b[8:])
	h.AuthLen = binary.LittleEndian.Uint16(b[10:])
	h.CallID = binary.LittleEndian.Uint32(b[12:])
	if h.DRep[0]&0xf0 != drepLittleEndianASCIIIEEE {
		// Big-endian peers would need every integer swapped; none exist
		// in practice on SMB, so refuse them outright.
		return h, fmt.Errorf("%w: unsupported data representation %#x", errPDU, h.DRep[0])
	}
	if h.FragLen < headerLen {
		return h, fmt.Errorf("%w: frag_length %d", errPDU, h.FragLen)
	}
	return h, nil
}

// appendHeader appends a common header with a placeholder frag_length;
// finishPDU fills it in.
func appendHeader(b []byte, ptype, flags uint8, callID uint32) []byte {
	b = append(b, rpcVersion, rpcVersionMinorLatest, ptype, flags,
		drepLittleEndianASCIIIEEE, 0, 0, 0,
		0, 0, 0, 0)
	return binary.LittleEndian.AppendUint32(b, callID)
}

// finishPDU writes the frag_length of the PDU that starts at b[start:].
func finishPDU(b []byte, start int) []byte {
	binary.LittleEndian.PutUint16(b[start+8:], uint16(len(b)-start))
	return b
}

// contextElem is one presentation context proposed in a bind or
// alter_context PDU.
type contextElem struct {
	ID       uint16
	Abstract syntaxID
	Transfer []syntaxID
}

// bindBody is the decoded body of a bind or alter_context PDU.
type bindBody struct {
	MaxXmit, MaxRecv uint16
	AssocGroup       uint32
	Contexts         []contextElem
}

// parseBind decodes a bind/alter_context body from the PDU p (header
// included, auth trailer excluded by the caller).
func parseBind(p []byte) (bindBody, error) {
	var bb bindBody
	b := p[headerLen:]
	if len(b) < 12 {
		return bb, fmt.Errorf("%w: short bind", errPDU)
	}
	bb.MaxXmit = binary.LittleEndian.Uint16(b[0:])
	bb.MaxRecv = binary.LittleEndian.Uint16(b[2:])
	bb.AssocGroup = binary.LittleEndian.Uint32(b[4:])
	n := int(b[8])
	off := 12
	bb.Contexts = make([]contextElem, 0, n)
	for i := 0; i < n; i++ {
		if len(b)-off < 24 {
			return bb, fmt.Errorf("%w: short context element", errPDU)
		}
		var c contextElem
		c.ID = binary.LittleEndian.Uint16(b[off:])
		nts := int(b[off+2])
		copy(c.Abstract.UUID[:], b[off+4:off+20])
		c.Abstract.Version = binary.LittleEndian.Uint32(b[off+20:])
		off += 24
		if len(b)-off < 20*nts {
			return bb, fmt.Errorf("%w: short transfer syntax list", errPDU)
		}
		c.Transfer = make([]syntaxID, nts)
		for j := range c.Transfer {
			copy(c.Transfer[j].UUID[:], b[off:off+16])
			c.Transfer[j].Version = binary.LittleEndian.Uint32(b[off+16:])
			off += 20
		}
		bb.Contexts = append(bb.Contexts, c)
	}
	return bb, nil
}

// ctxResult is one entry of the p_result_list in a bind_ack.
type ctxResult struct {
	Result, Reason uint16
	Transfer       syntaxID
}

// appendBindAck appends a bind_ack (or alter_context_resp) PDU.
func appendBindAck(b []byte, ptype uint8, callID uint32, maxXmit, maxRecv uint16,
	assoc uint32, secAddr string, results []ctxResult) []byte {
	start := len(b)
	b = appendHeader(b, ptype, pfcFirstFrag|pfcLastFrag, callID)
	b = binary.LittleEndian.AppendUint16(b, maxXmit)
	b = binary.LittleEndian.AppendUint16(b, maxRecv)
	b = binary.LittleEndian.AppendUint32(b, assoc)
	if secAddr == "" {
		b = binary.LittleEndian.AppendUint16(b, 0)
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(secAddr)+1))
		b = append(b, secAddr...)
		b = append(b, 0)
	}
	for (len(b)-start)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, uint8(len(results)), 0, 0, 0)
	for _, r := range results {
		b = binary.LittleEndian.AppendUint16(b, r.Result)
		b = binary.LittleEndian.AppendUint16(b, r.Reason)
		b = append(b, r.Transfer.UUID[:]...)
		b = binary.LittleEndian.AppendUint32(b, r.Transfer.Version)
	}
	return finishPDU(b, start)
}

// appendBindNak appends a bind_nak PDU listing protocol 5.0 as supported.
func appendBindNak(b []byte, callID uint32, reason uint16) []byte {
	start := len(b)
	b = appendHeader(b, ptypeBindNak, pfcFirstFrag|pfcLastFrag, callID)
	b = binary.LittleEndian.AppendUint16(b, reason)
	b = append(b, 1, rpcVersion, 0, 0, 0, 0) // n_protocols, {5, 0}, pad to 4
	return finishPDU(b, start)
}

// appendFault appends a fault PDU for call callID on context ctxID.
func appendFault(b []byte, callID uint32, ctxID uint16, status uint32, didNotExecute bool) []byte {
	start := len(b)
	flags := uint8(pfcFirstFrag | pfcLastFrag)
	if didNotExecute {
		flags |= pfcDidNotExecute
	}
	b = appendHeader(b, ptypeFault, flags, callID)
	b = binary.LittleEndian.AppendUint32(b, 0) // alloc_hint
	b = binary.LittleEndian.AppendUint16(b, ctxID)
	b = append(b, 0, 0) // cancel_count, reserved
	b = binary.LittleEndian.AppendUint32(b, status)
	b = binary.LittleEndian.AppendUint32(b, 0) // reserved
	return finishPDU(b, start)
}

// appendResponses splits stub into response fragments of at most
// maxFrag bytes each and appends them to out, one PDU per element.
func appendResponses(out [][]byte, callID uint32, ctxID uint16, stub []byte, maxFrag int) [][]byte {
	chunk := (maxFrag - responseHdrLen) &^ 7
	first := true
	for {
		n := len(stub)
		flags := uint8(0)
		if first {
			flags |= pfcFirstFrag
		}
		if n <= chunk {
			flags |= pfcLastFrag
		} else {
			n = chunk
		}
		p := make([]byte, 0, responseHdrLen+n)
		p = appendHeader(p, ptypeResponse, flags, callID)
		p = binary.LittleEndian.AppendUint32(p, uint32(len(stub)))
		p = binary.LittleEndian.AppendUint16(p, ctxID)
		p = append(p, 0, 0)
		p = append(p, stub[:n]...)
		out = append(out, finishPDU(p, 0))
		stub = stub[n:]
		first = false
		if flags&pfcLastFrag != 0 {
			return out
		}
	}
}
