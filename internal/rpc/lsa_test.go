package rpc

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

const testDomSID = "S-1-5-21-1-2-3"

// testNames knows alice (1000), staff (1002) and Everyone.
type testNames struct{}

func (testNames) Domain() (string, string) { return "ZEROSMB", testDomSID }

func (testNames) LookupSID(sid string) (string, string, uint16, bool) {
	switch sid {
	case testDomSID + "-1000":
		return "ZEROSMB", "alice", SidTypeUser, true
	case testDomSID + "-1002":
		return "ZEROSMB", "staff", SidTypeGroup, true
	case "S-1-1-0":
		return "", "Everyone", SidTypeWellKnownGroup, true
	}
	return "", "", 0, false
}

func (n testNames) LookupName(name string) (string, string, uint16, bool) {
	name = strings.TrimPrefix(strings.ToLower(name), `zerosmb\`)
	switch name {
	case "alice":
		return "ZEROSMB", testDomSID + "-1000", SidTypeUser, true
	case "everyone":
		return "", "S-1-1-0", SidTypeWellKnownGroup, true
	}
	return "", "", 0, false
}

var lsaSyntax = syntaxID{mustUUID("12345778-1234-abcd-ef00-0123456789ab"), 0}

// lsaPipe binds lsarpc and opens a policy handle (lsaPolicyHandle, the
// first one a pipe hands out).
func lsaPipe(t *testing.T) *Pipe {
	p := bindPipe(t, &Server{ServerName: "ZEROSMB", Names: testNames{}}, `\PIPE\lsarpc`, lsaSyntax)
	if r := call(t, p, 100, opLsarOpenPolicy2, make([]byte, 40)); r.fault != 0 || string(r.stub[:20]) != string(lsaPolicyHandle[:]) {
		t.Fatalf("OpenPolicy2: %+v", r)
	}
	return p
}

// lookupSidsStub builds LsarLookupSids(2) input for sids.
func lookupSidsStub(sids []string, claim uint32) []byte {
	e := ndrEncoder{}
	e.b = append(e.b, lsaPolicyHandle[:]...)
	e.u32(claim)
	e.ptr(true)
	e.u32(uint32(len(sids)))
	for range sids {
		e.ptr(true)
	}
	for _, s := range sids {
		e.sid(s)
	}
	e.u32(0) // names.count
	e.ptr(false)
	e.u16(1) // level
	e.u32(0) // count
	return e.b
}

type lookedUp struct {
	domains []string
	kinds   []uint16
	names   []string
	index   []uint32
	count   uint32
	status  uint32
}

func decodeDomains(t *testing.T, d *ndrDecoder, r *lookedUp) {
	if d.u32() == 0 {
		return
	}
	n := d.u32()
	p := d.u32()
	d.u32() // max_size
	if p == 0 {
		return
	}
	if d.u32() != n {
		t.Fatal("domain conformance")
	}
	type dom struct{ name, sid bool }
	doms := make([]dom, n)
	for i := range doms {
		d.align(4)
		d.u16()
		d.u16()
		doms[i].name = d.u32() != 0
		doms[i].sid = d.u32() != 0
	}
	for _, x := range doms {
		name := ""
		if x.name {
			name = d.lsaStringBody()
		}
		if x.sid {
			name += "=" + d.sid()
		}
		r.domains = append(r.domains, name)
	}
}

func decodeLookupSids(t *testing.T, stub []byte, two bool) lookedUp {
	t.Helper()
	d := ndrDecoder{b: stub}
	var r lookedUp
	decodeDomains(t, &d, &r)
	n := d.u32()
	hasPtrs := make([]bool, 0)
	if d.u32() != 0 {
		if d.u32() != n {
			t.Fatal("names conformance")
		}
		for i := uint32(0); i < n; i++ {
			r.kinds = append(r.kinds, d.u16())
			d.align(4)
			d.u16()
			d.u16()
			hasPtrs = append(hasPtrs, d.u32() != 0)
			r.index = append(r.index, d.u32())
			if two {
				d.u32()
			}
		}
		for _, p := range hasPtrs {
			if p {
				r.names = append(r.names, d.lsaStringBody())
			} else {
				r.names = append(r.names, "")
			}
		}
	}
	r.count, r.status = d.u32(), d.u32()
	if d.err != nil || d.off != len(stub) {
		t.Fatalf("response does not decode: %v, %d of %d bytes", d.err, d.off, len(stub))
	}
	return r
}

func TestLsaOpenPolicyAndQueryInfo(t *testing.T) {
	p := lsaPipe(t)
	r := call(t, p, 2, opLsarOpenPolicy2, make([]byte, 40))
	second := [20]byte(r.stub[:20])
	if r.fault != 0 || len(r.stub) != 24 || binary.LittleEndian.Uint32(r.stub[20:]) != 0 || second == lsaPolicyHandle {
		t.Fatalf("second OpenPolicy2: %+v", r)
	}
	// Close works once; a closed or unknown handle is a context mismatch.
	if r := call(t, p, 2, opLsarClose, second[:]); r.fault != 0 {
		t.Errorf("Close: fault %#x", r.fault)
	}
	if r := call(t, p, 2, opLsarClose, second[:]); r.fault != faultContextMismatch {
		t.Errorf("second Close: fault %#x", r.fault)
	}
	e := ndrEncoder{b: append([]byte(nil), lsaPolicyHandle[:]...)}
	e.u16(5)
	r = call(t, p, 3, opLsarQueryInformationPolicy, e.b)
	d := ndrDecoder{b: r.stub}
	if d.u32() == 0 || d.u16() != 5 {
		t.Fatalf("QueryInformationPolicy: %x", r.stub)
	}
	d.align(4)
	d.u16()
	d.u16()
	d.u32()
	d.u32()
	name, sid := d.lsaStringBody(), d.sid()
	if st := d.u32(); name != "ZEROSMB" || sid != testDomSID || st != 0 || d.err != nil {
		t.Errorf("account domain %q %q status %#x err %v", name, sid, st, d.err)
	}
	// Anonymous pipes get no policy handle.
	ap := bindPipe(t, &Server{ServerName: "ZEROSMB", Names: testNames{}}, `\PIPE\lsarpc`, lsaSyntax)
	ap.SetAnonymous(true)
	if r := call(t, ap, 2, opLsarOpenPolicy2, make([]byte, 40)); binary.LittleEndian.Uint32(r.stub[20:]) != statusAccessDenied {
		t.Errorf("anonymous OpenPolicy2: %x", r.stub)
	}
}

func TestLsaLookupSids(t *testing.T) {
	p := lsaPipe(t)
	sids := []string{testDomSID + "-1000", "S-1-5-21-9-9-9-7", "S-1-1-0", testDomSID + "-1002"}
	for _, op := range []uint16{opLsarLookupSids, opLsarLookupSids2} {
		r := call(t, p, 4, op, lookupSidsStub(sids, uint32(len(sids))))
		if r.fault != 0 {
			t.Fatalf("opnum %d: fault %#x", op, r.fault)
		}
		got := decodeLookupSids(t, r.stub, op != opLsarLookupSids)
		if got.status != statusSomeNotMapped || got.count != 3 {
			t.Errorf("opnum %d: status %#x count %d", op, got.status, got.count)
		}
		if fmt.Sprint(got.kinds) != "[1 8 5 2]" || got.names[0] != "alice" || got.names[2] != "Everyone" || got.names[3] != "staff" {
			t.Errorf("opnum %d: kinds %v names %q", op, got.kinds, got.names)
		}
		if got.index[1] != 0xFFFFFFFF || got.domains[got.index[0]] != "ZEROSMB="+testDomSID || got.index[0] != got.index[3] {
			t.Errorf("opnum %d: index %v domains %q", op, got.index, got.domains)
		}
	}
}

func TestLsaLookupSidsBadInput(t *testing.T) {
	p := lsaPipe(t)
	// Thousands of SIDs: answered in full, within the pipe's bounds.
	many := make([]string, 5000)
	for i := range many {
		many[i] = fmt.Sprintf("%s-%d", testDomSID, 5000+i)
	}
	many[0] = testDomSID + "-1000"
	r := callFragmented(t, p, 5, opLsarLookupSids2, lookupSidsStub(many, uint32(len(many))))
	if got := decodeLookupSids(t, r.stub, true); got.count != 1 || got.status != statusSomeNotMapped || len(got.names) != 5000 {
		t.Errorf("5000 SIDs: count %d status %#x names %d", got.count, got.status, len(got.names))
	}
	// More than the protocol allows: STATUS_INVALID_PARAMETER, nothing read.
	r = call(t, p, 6, opLsarLookupSids, lookupSidsStub([]string{"S-1-1-0"}, maxLookupSids+1))
	if got := decodeLookupSids(t, r.stub, false); got.status != statusInvalidParameter {
		t.Errorf("too many SIDs: %#x", got.status)
	}
	// Truncated, lying conformance, bad SID revision: NDR faults.
	good := lookupSidsStub([]string{"S-1-1-0"}, 1)
	bad := append([]byte(nil), good...)
	bad[40] = 7 // SID revision (handle, count, pointer, conformance, pointer, SID conformance)
	for name, stub := range map[string][]byte{"truncated": good[:30], "bad sid": bad, "empty": nil} {
		if r := call(t, p, 7, opLsarLookupSids, stub); r.fault != faultNDR {
			t.Errorf("%s: fault %#x", name, r.fault)
		}
	}
	// A handle this pipe did not open.
	zero := append(make([]byte, 20), good[20:]...)
	if r := call(t, p, 8, opLsarLookupSids, zero); r.fault != faultContextMismatch {
		t.Errorf("unknown handle: fault %#x", r.fault)
	}
}

func TestLsaLookupNames(t *testing.T) {
	p := lsaPipe(t)
	names := []string{`ZEROSMB\alice`, "nobody", "Everyone"}
	for _, op := range []uint16{opLsarLookupSids3, opLsarLookupNames4} {
		if r := call(t, p, 11, op, lookupSidsStub([]string{"S-1-1-0"}, 1)[20:]); r.fault != statusAccessDenied {
			t.Errorf("opnum %d over a named pipe: fault %#x, want ACCESS_DENIED", op, r.fault)
		}
	}
	for _, op := range []uint16{opLsarLookupNames, opLsarLookupNames2, opLsarLookupNames3} {
		e := ndrEncoder{}
		if op != opLsarLookupNames4 {
			e.b = append(e.b, lsaPolicyHandle[:]...)
		}
		e.u32(uint32(len(names)))
		e.u32(uint32(len(names)))
		for _, n := range names {
			e.lsaString(n)
		}
		for _, n := range names {
			e.lsaStringBody(n)
		}
		e.u32(0)
		e.ptr(false)
		e.u16(1)
		e.u32(0)
		r := call(t, p, 9, op, e.b)
		if r.fault != 0 {
			t.Fatalf("opnum %d: fault %#x", op, r.fault)
		}
		d := ndrDecoder{b: r.stub}
		var lu lookedUp
		decodeDomains(t, &d, &lu)
		n := d.u32()
		d.u32()
		d.u32()
		var sids []string
		var hasSid []bool
		for i := uint32(0); i < n; i++ {
			lu.kinds = append(lu.kinds, d.u16())
			three := op == opLsarLookupNames3 || op == opLsarLookupNames4
			if three {
				hasSid = append(hasSid, d.u32() != 0)
			} else {
				sids = append(sids, fmt.Sprint(d.u32()))
			}
			d.u32()
			if op != opLsarLookupNames {
				d.u32()
			}
		}
		for _, h := range hasSid {
			if h {
				sids = append(sids, d.sid())
			}
		}
		lu.count, lu.status = d.u32(), d.u32()
		if d.err != nil || d.off != len(r.stub) || lu.count != 2 || lu.status != statusSomeNotMapped || fmt.Sprint(lu.kinds) != "[1 8 5]" {
			t.Errorf("opnum %d: %+v sids %v err %v", op, lu, sids, d.err)
		}
		if len(sids) == 0 || (sids[0] != "1000" && sids[0] != testDomSID+"-1000") {
			t.Errorf("opnum %d: alice's SID/RID %v", op, sids)
		}
	}
	// More than 1000 names.
	e := ndrEncoder{b: append([]byte(nil), lsaPolicyHandle[:]...)}
	e.u32(maxLookupNames + 1)
	r := call(t, p, 10, opLsarLookupNames, e.b)
	d := ndrDecoder{b: r.stub}
	d.u32()
	d.u32()
	d.u32()
	d.u32()
	if st := d.u32(); st != statusInvalidParameter {
		t.Errorf("1001 names: %#x", st)
	}
}

// callFragmented sends a request stub in 4000-byte fragments.
func callFragmented(t *testing.T, p *Pipe, callID uint32, opnum uint16, stub []byte) callResult {
	t.Helper()
	for off := 0; off < len(stub); off += 4000 {
		end := min(off+4000, len(stub))
		var flags uint8
		if off == 0 {
			flags |= pfcFirstFrag
		}
		if end == len(stub) {
			flags |= pfcLastFrag
		}
		if _, err := p.Write(buildRequest(callID, 0, opnum, flags, stub[off:end])); err != nil {
			t.Fatal(err)
		}
	}
	return collect(t, readAll(t, p), callID, p.maxXmit)
}
