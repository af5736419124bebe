package rpc

import (
	"encoding/binary"
	"testing"
)

// This file is a minimal client side of the protocol, written
// independently of the server encoder so tests can check the bytes the
// server produces by decoding them the way a client would.

type testCtx struct {
	id       uint16
	abstract syntaxID
	transfer []syntaxID
}

var (
	srvsvcSyntax = syntaxID{mustUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), 3}
	wkssvcSyntax = syntaxID{mustUUID("6bffd098-a112-3610-9833-46c3f87e345a"), 1}
)

func btfnSyntax(bits uint64) syntaxID {
	var s syntaxID
	copy(s.UUID[:8], btfnPrefix[:])
	binary.LittleEndian.PutUint64(s.UUID[8:], bits)
	s.Version = 1
	return s
}

func putHeader(b []byte, ptype, flags uint8, callID uint32) []byte {
	b = append(b, 5, 0, ptype, flags, 0x10, 0, 0, 0, 0, 0, 0, 0)
	return binary.LittleEndian.AppendUint32(b, callID)
}

func setFragLen(b []byte) []byte {
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

func buildBind(ptype uint8, callID uint32, maxXmit, maxRecv uint16, ctxs ...testCtx) []byte {
	b := putHeader(nil, ptype, 3, callID)
	b = binary.LittleEndian.AppendUint16(b, maxXmit)
	b = binary.LittleEndian.AppendUint16(b, maxRecv)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = append(b, byte(len(ctxs)), 0, 0, 0)
	for _, c := range ctxs {
		b = binary.LittleEndian.AppendUint16(b, c.id)
		b = append(b, byte(len(c.transfer)), 0)
		b = append(b, c.abstract.UUID[:]...)
		b = binary.LittleEndian.AppendUint32(b, c.abstract.Version)
		for _, t := range c.transfer {
			b = append(b, t.UUID[:]...)
			b = binary.LittleEndian.AppendUint32(b, t.Version)
		}
	}
	return setFragLen(b)
}

func buildRequest(callID uint32, ctxID, opnum uint16, flags uint8, stub []byte) []byte {
	b := putHeader(nil, ptypeRequest, flags, callID)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(stub)))
	b = binary.LittleEndian.AppendUint16(b, ctxID)
	b = binary.LittleEndian.AppendUint16(b, opnum)
	b = append(b, stub...)
	return setFragLen(b)
}

// testAck is a decoded bind_ack / alter_context_resp.
type testAck struct {
	ptype            uint8
	maxXmit, maxRecv uint16
	assoc            uint32
	secAddr          string
	results          []ctxResult
}

func parseAck(t *testing.T, p []byte) testAck {
	t.Helper()
	var a testAck
	if len(p) < 26 || int(binary.LittleEndian.Uint16(p[8:])) != len(p) {
		t.Fatalf("ack: bad length %d", len(p))
	}
	a.ptype = p[2]
	a.maxXmit = binary.LittleEndian.Uint16(p[16:])
	a.maxRecv = binary.LittleEndian.Uint16(p[18:])
	a.assoc = binary.LittleEndian.Uint32(p[20:])
	n := int(binary.LittleEndian.Uint16(p[24:]))
	off := 26 + n
	if n > 0 {
		a.secAddr = string(p[26 : 26+n-1])
		if p[26+n-1] != 0 {
			t.Fatalf("sec_addr not NUL-terminated")
		}
	}
	off = (off + 3) &^ 3
	cnt := int(p[off])
	off += 4
	if len(p) != off+24*cnt {
		t.Fatalf("ack: %d results but %d bytes", cnt, len(p)-off)
	}
	for i := 0; i < cnt; i++ {
		var r ctxResult
		r.Result = binary.LittleEndian.Uint16(p[off:])
		r.Reason = binary.LittleEndian.Uint16(p[off+2:])
		copy(r.Transfer.UUID[:], p[off+4:])
		r.Transfer.Version = binary.LittleEndian.Uint32(p[off+20:])
		a.results = append(a.results, r)
		off += 24
	}
	return a
}

// readAll drains every queued PDU.
func readAll(t *testing.T, p *Pipe) [][]byte {
	t.Helper()
	var pdus [][]byte
	for {
		buf := make([]byte, 65536)
		n, more, err := p.Read(buf)
		if err == ErrNoData {
			return pdus
		}
		if err != nil || more {
			t.Fatalf("Read: n=%d more=%v err=%v", n, more, err)
		}
		pdus = append(pdus, buf[:n])
	}
}

// callResult is the reassembled outcome of one call.
type callResult struct {
	stub  []byte
	fault uint32 // non-zero when a fault PDU came back
	frags int
}

// collect reassembles response fragments for callID, checking the
// header fields a strict client checks.
func collect(t *testing.T, pdus [][]byte, callID uint32, maxFrag int) callResult {
	t.Helper()
	var r callResult
	for i, p := range pdus {
		if int(binary.LittleEndian.Uint16(p[8:])) != len(p) {
			t.Fatalf("frag %d: frag_length %d != %d", i, binary.LittleEndian.Uint16(p[8:]), len(p))
		}
		if len(p) > maxFrag {
			t.Fatalf("frag %d: %d bytes > max %d", i, len(p), maxFrag)
		}
		if got := binary.LittleEndian.Uint32(p[12:]); got != callID {
			t.Fatalf("frag %d: call_id %d, want %d", i, got, callID)
		}
		first, last := p[3]&pfcFirstFrag != 0, p[3]&pfcLastFrag != 0
		if first != (i == 0) || last != (i == len(pdus)-1) {
			t.Fatalf("frag %d/%d: flags %#x", i, len(pdus), p[3])
		}
		switch p[2] {
		case ptypeFault:
			if len(p) != 32 {
				t.Fatalf("fault PDU is %d bytes", len(p))
			}
			r.fault = binary.LittleEndian.Uint32(p[24:])
		case ptypeResponse:
			if hint := binary.LittleEndian.Uint32(p[16:]); i == 0 && hint == 0 {
				t.Fatalf("alloc_hint 0")
			}
			r.stub = append(r.stub, p[24:]...)
		default:
			t.Fatalf("frag %d: ptype %d", i, p[2])
		}
	}
	r.frags = len(pdus)
	return r
}

// bindPipe opens name and binds ctx 0 of syntax with NDR20.
func bindPipe(t *testing.T, s *Server, name string, syntax syntaxID) *Pipe {
	t.Helper()
	p, ok := s.OpenPipe(name)
	if !ok {
		t.Fatalf("OpenPipe(%q) failed", name)
	}
	if _, err := p.Write(buildBind(ptypeBind, 1, 4280, 4280, testCtx{0, syntax, []syntaxID{ndr20Syntax}})); err != nil {
		t.Fatal(err)
	}
	pdus := readAll(t, p)
	if len(pdus) != 1 {
		t.Fatalf("bind: %d PDUs", len(pdus))
	}
	if a := parseAck(t, pdus[0]); a.ptype != ptypeBindAck || len(a.results) != 1 || a.results[0].Result != 0 {
		t.Fatalf("bind not accepted: %+v", a)
	}
	return p
}

// call sends one request (unfragmented) and returns the result.
func call(t *testing.T, p *Pipe, callID uint32, opnum uint16, stub []byte) callResult {
	t.Helper()
	if _, err := p.Write(buildRequest(callID, 0, opnum, 3, stub)); err != nil {
		t.Fatal(err)
	}
	return collect(t, readAll(t, p), callID, p.maxXmit)
}

// Client-side NDR encoding of requests.

type cEnc struct{ b []byte }

func (e *cEnc) u32(v uint32) {
	for len(e.b)%4 != 0 {
		e.b = append(e.b, 0)
	}
	e.b = binary.LittleEndian.AppendUint32(e.b, v)
}

func (e *cEnc) str(s string) {
	n := uint32(len(s) + 1)
	e.u32(n)
	e.u32(0)
	e.u32(n)
	for _, c := range s { // ASCII only in tests
		e.b = append(e.b, byte(c), 0)
	}
	e.b = append(e.b, 0, 0)
}

func (e *cEnc) uniqueStr(s string) {
	e.u32(0x00020000)
	e.str(s)
}

// enumRequest is NetrShareEnum as smbclient sends it.
func enumRequest(level uint32, withResume bool, resume uint32) []byte {
	var e cEnc
	e.uniqueStr(`\\127.0.0.1`)
	e.u32(level)
	e.u32(level)
	e.u32(0x00020004) // container pointer
	e.u32(0)          // count
	e.u32(0)          // null array
	e.u32(0xffffffff) // max buffer
	if withResume {
		e.u32(0x00020008)
		e.u32(resume)
	} else {
		e.u32(0)
	}
	return e.b
}

func getInfoRequest(share string, level uint32) []byte {
	var e cEnc
	e.uniqueStr(`\\srv`)
	e.str(share)
	e.u32(level)
	return e.b
}

func levelRequest(level uint32) []byte {
	var e cEnc
	e.uniqueStr(`\\srv`)
	e.u32(level)
	return e.b
}

// cDec is a strict client-side NDR decoder: it checks alignment padding
// is present and that strings have offset 0, matching counts and a NUL.
type cDec struct {
	t   *testing.T
	b   []byte
	off int
}

func (d *cDec) u32() uint32 {
	d.t.Helper()
	d.off = (d.off + 3) &^ 3
	if d.off+4 > len(d.b) {
		d.t.Fatalf("stub too short at %d (len %d)", d.off, len(d.b))
	}
	v := binary.LittleEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

func (d *cDec) ptr() bool { return d.u32() != 0 }

func (d *cDec) str() string {
	d.t.Helper()
	maxc, offset, actual := d.u32(), d.u32(), d.u32()
	if offset != 0 || actual != maxc || actual == 0 {
		d.t.Fatalf("bad string counts max=%d off=%d actual=%d", maxc, offset, actual)
	}
	if d.off+int(actual)*2 > len(d.b) {
		d.t.Fatalf("string runs past stub")
	}
	u := make([]rune, 0, actual)
	for i := 0; i < int(actual); i++ {
		u = append(u, rune(binary.LittleEndian.Uint16(d.b[d.off+2*i:])))
	}
	d.off += int(actual) * 2
	if u[len(u)-1] != 0 {
		d.t.Fatalf("string not NUL-terminated")
	}
	return string(u[:len(u)-1])
}

func (d *cDec) end() {
	d.t.Helper()
	if d.off != len(d.b) {
		d.t.Fatalf("%d trailing stub bytes", len(d.b)-d.off)
	}
}
