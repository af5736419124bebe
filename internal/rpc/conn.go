package rpc

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// handleBind answers a bind or alter_context PDU.
func (p *Pipe) handleBind(pdu []byte, h header) {
	alter := h.Type == ptypeAlter
	if h.AuthLen != 0 {
		// Only unauthenticated binds: the SMB session already
		// authenticated the client.
		if alter {
			p.queue(appendFault(nil, h.CallID, 0, faultProtoError, true))
		} else {
			p.queue(appendBindNak(nil, h.CallID, nakReasonAuthTypeNotRecognized))
		}
		return
	}
	if alter && !p.bound {
		p.queue(appendFault(nil, h.CallID, 0, faultProtoError, true))
		return
	}
	bb, err := parseBind(pdu)
	if err != nil || len(bb.Contexts) == 0 {
		if alter {
			p.queue(appendFault(nil, h.CallID, 0, faultProtoError, true))
		} else {
			p.queue(appendBindNak(nil, h.CallID, nakReasonNotSpecified))
		}
		return
	}
	if !alter {
		p.bound = true
		p.contexts = make(map[uint16]bool, len(bb.Contexts))
		p.maxXmit = min(max(int(bb.MaxRecv), minFrag), serverMaxFrag)
		p.assoc = bb.AssocGroup
		if p.assoc == 0 {
			p.assoc = assocGroups.Add(1)&0xffff | 0x10000
		}
	}
	results := make([]ctxResult, len(bb.Contexts))
	for i, c := range bb.Contexts {
		results[i] = p.negotiate(c)
	}
	if alter {
		p.queue(appendBindAck(nil, ptypeAlterResp, h.CallID, uint16(p.maxXmit),
			serverMaxFrag, p.assoc, "", results))
		return
	}
	p.queue(appendBindAck(nil, ptypeBindAck, h.CallID, uint16(p.maxXmit),
		serverMaxFrag, p.assoc, `\PIPE\`+p.iface.pipe, results))
}

// negotiate decides one presentation context, recording it when
// accepted.
func (p *Pipe) negotiate(c contextElem) ctxResult {
	for _, ts := range c.Transfer {
		if bytes.Equal(ts.UUID[:8], btfnPrefix[:]) {
			// Bind time feature negotiation (MS-RPCE 3.3.1.5.3): the
			// requested bitmask rides in the last eight bytes.
			want := binary.LittleEndian.Uint64(ts.UUID[8:])
			return ctxResult{Result: resultNegotiateAck, Reason: uint16(want & btfnSupported)}
		}
	}
	want := p.iface.syntax
	if c.Abstract.UUID != want.UUID || c.Abstract.Version&0xffff != want.Version&0xffff {
		return ctxResult{Result: resultProviderRejected, Reason: reasonAbstractSyntaxNotSupported}
	}
	for _, ts := range c.Transfer {
		if ts == ndr20Syntax {
			p.contexts[c.ID] = true
			return ctxResult{Result: resultAcceptance, Transfer: ndr20Syntax}
		}
	}
	return ctxResult{Result: resultProviderRejected, Reason: reasonTransferSyntaxNotSupported}
}

// handleRequest reassembles request fragments and runs the call once the
// last one arrives.
func (p *Pipe) handleRequest(pdu []byte, h header) error {
	hdr := requestHdrLen
	if h.Flags&pfcObjectUUID != 0 {
		hdr += 16
	}
	if len(pdu) < hdr || h.AuthLen != 0 || !p.bound {
		// Too short to be a request, or carrying an auth verifier no
		// bind negotiated, or arriving before any bind.
		p.reqActive, p.reqStub = false, nil
		p.queue(appendFault(nil, h.CallID, 0, faultProtoError, true))
		return nil
	}
	ctxID := binary.LittleEndian.Uint16(pdu[20:])
	opnum := binary.LittleEndian.Uint16(pdu[22:])
	stub := pdu[hdr:]
	if h.Flags&pfcFirstFrag != 0 {
		p.reqActive = true
		p.reqCallID, p.reqCtx, p.reqOpnum = h.CallID, ctxID, opnum
		p.reqStub = p.reqStub[:0]
	} else if !p.reqActive || p.reqCallID != h.CallID {
		p.reqActive, p.reqStub = false, nil
		p.queue(appendFault(nil, h.CallID, ctxID, faultProtoError, true))
		return nil
	}
	if len(p.reqStub)+len(stub) > maxRequestStub {
		return fmt.Errorf("%w: request stub above %d bytes", ErrLimit, maxRequestStub)
	}
	p.reqStub = append(p.reqStub, stub...)
	if h.Flags&pfcLastFrag == 0 {
		return nil
	}
	p.reqActive = false
	if !p.contexts[p.reqCtx] {
		p.queue(appendFault(nil, p.reqCallID, p.reqCtx, faultUnknownIf, true))
		return nil
	}
	var out []byte
	var status uint32
	if p.iface.callPipe != nil {
		out, status = p.iface.callPipe(p, p.reqOpnum, p.reqStub)
	} else {
		out, status = p.iface.call(p.srv, p.anon, p.reqOpnum, p.reqStub)
	}
	if cap(p.reqStub) > 64<<10 {
		p.reqStub = nil // do not pin a large buffer for the pipe's lifetime
	}
	if status != 0 {
		p.queue(appendFault(nil, p.reqCallID, p.reqCtx, status, true))
		return nil
	}
	for _, r := range appendResponses(nil, p.reqCallID, p.reqCtx, out, p.maxXmit) {
		p.queue(r)
	}
	return nil
}
