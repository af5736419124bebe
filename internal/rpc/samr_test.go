package rpc

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// samrNames is testNames plus an account list: alice (1000), staff
// (1002, a group) and extra users user0..userN-1 from RID 2000.
type samrNames struct {
	testNames
	extra int
}

func (n samrNames) LookupSID(sid string) (string, string, uint16, bool) {
	if rest, ok := strings.CutPrefix(sid, testDomSID+"-"); ok {
		if r, err := strconv.Atoi(rest); err == nil && r >= 2000 && r < 2000+n.extra {
			return "ZEROSMB", fmt.Sprintf("user%d", r-2000), SidTypeUser, true
		}
	}
	if sid == "S-1-5-32-544" {
		return "BUILTIN", "Administrators", SidTypeAlias, true
	}
	return n.testNames.LookupSID(sid)
}

func (n samrNames) LookupName(name string) (string, string, uint16, bool) {
	if strings.EqualFold(name, "administrators") {
		return "BUILTIN", "S-1-5-32-544", SidTypeAlias, true
	}
	return n.testNames.LookupName(name)
}

func (n samrNames) Accounts(groups bool) []Account {
	if groups {
		return []Account{{"staff", 1002}}
	}
	out := []Account{{"alice", 1000}}
	for i := range n.extra {
		out = append(out, Account{fmt.Sprintf("user%d", i), uint32(2000 + i)})
	}
	return out
}

var samrSyntax = syntaxID{mustUUID("12345778-1234-abcd-ef00-0123456789ac"), 1}

func samrPipe(t *testing.T, extra int) *Pipe {
	t.Helper()
	return bindPipe(t, &Server{ServerName: "ZEROSMB", Names: samrNames{extra: extra}}, `\PIPE\samr`, samrSyntax)
}

// samrOK calls opnum and checks that it answered (no fault) with want
// as the trailing status; it returns the stub.
func samrOK(t *testing.T, p *Pipe, opnum uint16, stub []byte, want uint32) []byte {
	t.Helper()
	r := call(t, p, 7, opnum, stub)
	if r.fault != 0 {
		t.Fatalf("opnum %d: fault %#x", opnum, r.fault)
	}
	if len(r.stub) < 4 {
		t.Fatalf("opnum %d: %d-byte answer", opnum, len(r.stub))
	}
	d := ndrDecoder{b: r.stub, off: len(r.stub) - 4}
	if st := d.u32(); st != want {
		t.Fatalf("opnum %d: status %#x, want %#x", opnum, st, want)
	}
	return r.stub
}

func connect5Stub() []byte {
	e := ndrEncoder{}
	e.ptr(true)
	e.str("\\\\ZEROSMB")
	e.u32(0x2000000)
	e.u32(1)
	e.u32(1)
	e.u32(3)
	e.u32(0)
	return e.b
}

// samrHandles connects and opens the account domain, returning the
// server and domain handles.
func samrHandles(t *testing.T, p *Pipe) (srv, dom []byte) {
	t.Helper()
	out := samrOK(t, p, opSamrConnect5, connect5Stub(), statusOK)
	srv = out[16:36]
	e := ndrEncoder{b: append([]byte(nil), srv...)}
	e.u32(0x2000000)
	e.sid(testDomSID)
	out = samrOK(t, p, opSamrOpenDomain, e.b, statusOK)
	return srv, out[:20]
}

func withHandle(h []byte, f func(e *ndrEncoder)) []byte {
	e := ndrEncoder{b: append([]byte(nil), h...)}
	f(&e)
	return e.b
}

// decodeEnum reads an enumeration answer.
func decodeEnum(t *testing.T, b []byte) (next uint32, list []Account) {
	t.Helper()
	d := ndrDecoder{b: b}
	next = d.u32()
	if d.u32() == 0 {
		t.Fatal("null enumeration buffer")
	}
	n := d.u32()
	if d.u32() != 0 {
		if d.u32() != n {
			t.Fatal("conformance count")
		}
		ptrs := make([]bool, n)
		for i := range list {
			_ = i
		}
		for i := uint32(0); i < n; i++ {
			rid := d.u32()
			d.u16()
			d.u16()
			ptrs[i] = d.u32() != 0
			list = append(list, Account{RID: rid})
		}
		for i := range list {
			if ptrs[i] {
				list[i].Name = d.lsaStringBody()
			}
		}
	}
	if d.u32() != n || d.err != nil {
		t.Fatalf("count returned / decode: %v", d.err)
	}
	return next, list
}

func TestSamrBrowse(t *testing.T) {
	p := samrPipe(t, 0)
	srv, dom := samrHandles(t, p)

	out := samrOK(t, p, opSamrEnumDomains, withHandle(srv, func(e *ndrEncoder) { e.u32(0); e.u32(0xffffffff) }), statusOK)
	if _, l := decodeEnum(t, out); len(l) != 2 || l[0].Name != "ZEROSMB" || l[1].Name != "Builtin" {
		t.Errorf("domains %+v", l)
	}
	lookupDomain := func(name string) []byte {
		return withHandle(srv, func(e *ndrEncoder) { e.lsaString(name); e.lsaStringBody(name) })
	}
	out = samrOK(t, p, opSamrLookupDomain, lookupDomain("zerosmb"), statusOK)
	if d := (ndrDecoder{b: out}); d.u32() == 0 || d.sid() != testDomSID {
		t.Errorf("LookupDomain answer % x", out)
	}
	samrOK(t, p, opSamrLookupDomain, lookupDomain("OTHER"), statusNoSuchDomain)

	out = samrOK(t, p, opSamrEnumUsers, withHandle(dom, func(e *ndrEncoder) { e.u32(0); e.u32(0); e.u32(0xffff) }), statusOK)
	if _, l := decodeEnum(t, out); len(l) != 1 || l[0] != (Account{"alice", 1000}) {
		t.Errorf("users %+v", l)
	}
	out = samrOK(t, p, opSamrEnumGroups, withHandle(dom, func(e *ndrEncoder) { e.u32(0); e.u32(0xffff) }), statusOK)
	if _, l := decodeEnum(t, out); len(l) != 1 || l[0] != (Account{"staff", 1002}) {
		t.Errorf("groups %+v", l)
	}

	names := func(list ...string) []byte {
		return withHandle(dom, func(e *ndrEncoder) {
			e.u32(uint32(len(list)))
			e.u32(1000)
			e.u32(0)
			e.u32(uint32(len(list)))
			for _, n := range list {
				e.lsaString(n)
			}
			for _, n := range list {
				e.lsaStringBody(n)
			}
		})
	}
	out = samrOK(t, p, opSamrLookupNames, names("alice", "nosuch"), statusSomeNotMapped)
	d := ndrDecoder{b: out}
	if d.u32() != 2 || d.u32() == 0 || d.u32() != 2 || d.u32() != 1000 || d.u32() != 0 {
		t.Errorf("LookupNames RIDs % x", out)
	}
	samrOK(t, p, opSamrLookupNames, names("nosuch"), statusNoneMapped)
	samrOK(t, p, opSamrLookupNames, names(), statusOK)
	big := make([]string, 1001)
	samrOK(t, p, opSamrLookupNames, names(big...), statusInvalidParameter)

	rids := func(list ...uint32) []byte {
		return withHandle(dom, func(e *ndrEncoder) {
			e.u32(uint32(len(list)))
			e.u32(1000)
			e.u32(0)
			e.u32(uint32(len(list)))
			for _, r := range list {
				e.u32(r)
			}
		})
	}
	out = samrOK(t, p, opSamrLookupIds, rids(1000, 1002, 5), statusSomeNotMapped)
	d = ndrDecoder{b: out}
	if d.u32() != 3 || d.u32() == 0 || d.u32() != 3 {
		t.Fatalf("LookupIds names % x", out)
	}
	for range 3 {
		d.u16()
		d.u16()
		d.u32()
	}
	if a, b := d.lsaStringBody(), d.lsaStringBody(); a != "alice" || b != "staff" || d.err != nil {
		t.Errorf("LookupIds names %q %q", a, b)
	}

	openUser := func(rid uint32) []byte {
		return withHandle(dom, func(e *ndrEncoder) { e.u32(0x2000000); e.u32(rid) })
	}
	samrOK(t, p, opSamrOpenUser, openUser(1002), statusNoSuchUser) // a group
	samrOK(t, p, opSamrOpenUser, openUser(7), statusNoSuchUser)
	user := samrOK(t, p, opSamrOpenUser, openUser(1000), statusOK)[:20]
	info := func(level uint16) []byte { return withHandle(user, func(e *ndrEncoder) { e.u16(level) }) }
	samrOK(t, p, opSamrQueryUserInfo, info(1), statusInvalidInfoCls)
	out = samrOK(t, p, opSamrQueryUserInfo2, info(21), statusOK)
	d = ndrDecoder{b: out}
	if d.u32() == 0 || d.u16() != 21 {
		t.Fatal("level 21 header")
	}
	d.align(4)
	d.off += 48 // six OLD_LARGE_INTEGERs
	d.u16()
	d.u16()
	if d.u32() == 0 {
		t.Fatal("null UserName")
	}
	d.off = len(out) - 4 - (12 + 2*len("alice")) - 2 // the name body, then padding to 4
	d.align(4)
	if name := d.lsaStringBody(); name != "alice" {
		t.Errorf("UserName %q", name)
	}

	// Handles of the wrong kind, closed handles, unknown handles.
	samrOK(t, p, opSamrEnumUsers, withHandle(srv, func(e *ndrEncoder) { e.u32(0); e.u32(0); e.u32(0) }), statusInvalidHandle)
	samrOK(t, p, opSamrQueryUserInfo, withHandle(dom, func(e *ndrEncoder) { e.u16(21) }), statusInvalidHandle)
	samrOK(t, p, opSamrOpenDomain, withHandle(dom, func(e *ndrEncoder) { e.u32(0); e.sid(testDomSID) }), statusInvalidHandle)
	samrOK(t, p, opSamrCloseHandle, user, statusOK)
	if r := call(t, p, 8, opSamrQueryUserInfo, info(21)); r.fault != faultContextMismatch {
		t.Errorf("closed handle: fault %#x", r.fault)
	}
	if r := call(t, p, 9, 99, dom); r.fault != faultOpRangeError {
		t.Errorf("opnum 99: fault %#x", r.fault)
	}
}

// TestSamrAccess: handles carry the access asked for; a right outside
// the object's mask is refused at open, a call the handle's access does
// not cover is refused.
func TestSamrAccess(t *testing.T) {
	p := samrPipe(t, 0)
	connect := func(mask uint32) []byte {
		e := ndrEncoder{}
		e.ptr(false)
		e.u32(mask)
		return e.b
	}
	samrOK(t, p, opSamrConnect2, connect(0x40), statusAccessDenied)     // not a server right
	samrOK(t, p, opSamrConnect2, connect(0x100000), statusAccessDenied) // SYNCHRONIZE
	srv := samrOK(t, p, opSamrConnect2, connect(0x1), statusOK)[:20]
	samrOK(t, p, opSamrEnumDomains, withHandle(srv, func(e *ndrEncoder) { e.u32(0); e.u32(0) }), statusAccessDenied)
	samrOK(t, p, opSamrOpenDomain, withHandle(srv, func(e *ndrEncoder) { e.u32(0); e.sid(testDomSID) }), statusAccessDenied)
	srv = samrOK(t, p, opSamrConnect2, connect(0x80000000), statusOK)[:20] // GENERIC_READ: enumerate
	samrOK(t, p, opSamrEnumDomains, withHandle(srv, func(e *ndrEncoder) { e.u32(0); e.u32(0) }), statusOK)
	samrOK(t, p, opSamrOpenDomain, withHandle(srv, func(e *ndrEncoder) { e.u32(0); e.sid(testDomSID) }), statusAccessDenied)
	srv = samrOK(t, p, opSamrConnect2, connect(samServerLookup), statusOK)[:20]
	dom := samrOK(t, p, opSamrOpenDomain, withHandle(srv, func(e *ndrEncoder) { e.u32(domainLookup); e.sid(testDomSID) }), statusOK)[:20]
	samrOK(t, p, opSamrEnumUsers, withHandle(dom, func(e *ndrEncoder) { e.u32(0); e.u32(0); e.u32(0) }), statusAccessDenied)
	samrOK(t, p, opSamrOpenDomain, withHandle(srv, func(e *ndrEncoder) { e.u32(0x800); e.sid(testDomSID) }), statusAccessDenied)
	user := samrOK(t, p, opSamrOpenUser, withHandle(dom, func(e *ndrEncoder) { e.u32(0x40); e.u32(1000) }), statusOK)[:20]
	samrOK(t, p, opSamrQueryUserInfo, withHandle(user, func(e *ndrEncoder) { e.u16(21) }), statusAccessDenied)
}

func TestSamrEnumBatches(t *testing.T) {
	p := samrPipe(t, 1200)
	_, dom := samrHandles(t, p)
	var got []Account
	ctx := uint32(0)
	for round := 0; ; round++ {
		r := call(t, p, 10, opSamrEnumUsers, withHandle(dom, func(e *ndrEncoder) { e.u32(ctx); e.u32(0); e.u32(0xffff) }))
		d := ndrDecoder{b: r.stub, off: len(r.stub) - 4}
		st := d.u32()
		next, l := decodeEnum(t, r.stub)
		got = append(got, l...)
		ctx = next
		if st == statusOK {
			break
		}
		if st != statusMoreEntries || round > 5 || len(l) != samrEnumBatch {
			t.Fatalf("round %d: status %#x, %d entries", round, st, len(l))
		}
	}
	if len(got) != 1201 || got[1200].Name != "user1199" {
		t.Fatalf("%d accounts, last %+v", len(got), got[len(got)-1])
	}
}

func TestSamrRefusals(t *testing.T) {
	s := &Server{ServerName: "ZEROSMB", Names: samrNames{}}
	p := bindPipe(t, s, "samr", samrSyntax)
	p.SetAnonymous(true)
	samrOK(t, p, opSamrConnect5, connect5Stub(), statusAccessDenied)
	p = bindPipe(t, s, "samr", samrSyntax)
	e := ndrEncoder{}
	e.ptr(false)
	e.u32(0)
	for i := range maxSamrHandles {
		samrOK(t, p, opSamrConnect2, e.b, statusOK)
		_ = i
	}
	samrOK(t, p, opSamrConnect2, e.b, statusInsufficientResources)
	// Every truncation of a valid stub is a fault or an answer, never a panic.
	p = samrPipe(t, 3)
	srv, dom := samrHandles(t, p)
	full := [][2]any{
		{opSamrConnect5, connect5Stub()},
		{opSamrOpenDomain, withHandle(srv, func(e *ndrEncoder) { e.u32(0); e.sid(testDomSID) })},
		{opSamrLookupNames, withHandle(dom, func(e *ndrEncoder) {
			e.u32(1)
			e.u32(1000)
			e.u32(0)
			e.u32(1)
			e.lsaString("alice")
			e.lsaStringBody("alice")
		})},
		{opSamrLookupIds, withHandle(dom, func(e *ndrEncoder) { e.u32(1); e.u32(1000); e.u32(0); e.u32(1); e.u32(1000) })},
	}
	for _, f := range full {
		op, stub := f[0].(int), f[1].([]byte)
		for n := range len(stub) {
			samrCall(p, uint16(op), stub[:n])
		}
	}
}

// FuzzSamrStubs runs every SAMR opnum on arbitrary stubs, on a pipe
// holding a server, a domain and a user handle whose ids the fuzzer
// can find at the start of the stub.
func FuzzSamrStubs(f *testing.F) {
	f.Add(uint16(opSamrConnect5), connect5Stub())
	h := append([]byte(nil), samrHandlePrefix[:]...)
	f.Add(uint16(opSamrEnumUsers), append(append(h, 2, 0, 0, 0), make([]byte, 12)...))
	f.Add(uint16(opSamrLookupNames), append(append(h, 2, 0, 0, 0), 1, 0, 0, 0, 0xe8, 3, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0))
	f.Add(uint16(opSamrQueryUserInfo), append(append(h, 3, 0, 0, 0), 21, 0))
	f.Fuzz(func(t *testing.T, opnum uint16, stub []byte) {
		p, _ := (&Server{ServerName: "ZEROSMB", Names: samrNames{extra: 2}}).OpenPipe("samr")
		e := ndrEncoder{}
		p.newSamrHandle(&e, samrHandle{kind: samrServer, granted: ^uint32(0)})
		p.newSamrHandle(&e, samrHandle{kind: samrDomain, domain: testDomSID, granted: ^uint32(0)})
		p.newSamrHandle(&e, samrHandle{kind: samrUser, domain: testDomSID, rid: 1000, granted: ^uint32(0)})
		out, fault := samrCall(p, opnum%70, stub)
		if (fault == 0) == (out == nil) {
			t.Fatalf("fault %#x with %d output bytes", fault, len(out))
		}
		if len(p.samrHandles) > maxSamrHandles {
			t.Fatalf("%d handles", len(p.samrHandles))
		}
	})
}
