package rpc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

func TestOpenPipeNames(t *testing.T) {
	s := testServer()
	tests := []struct {
		name string
		ok   bool
		pipe string
	}{
		{"srvsvc", true, "srvsvc"},
		{"SRVSVC", true, "srvsvc"},
		{`\PIPE\srvsvc`, true, "srvsvc"},
		{`\pipe\SrvSvc`, true, "srvsvc"},
		{`PIPE\srvsvc`, true, "srvsvc"},
		{"wkssvc", true, "wkssvc"},
		{`\PIPE\wkssvc`, true, "wkssvc"},
		{"lsarpc", true, "lsarpc"},
		{`\PIPE\lsarpc`, true, "lsarpc"},
		{"samr", true, "samr"},
		{`\PIPE\SAMR`, true, "samr"},
		{"netlogon", false, ""},
		{"", false, ""},
		{`\PIPE\`, false, ""},
		{"srvsvcx", false, ""},
	}
	for _, tt := range tests {
		p, ok := s.OpenPipe(tt.name)
		if ok != tt.ok || (ok && p.iface.pipe != tt.pipe) {
			t.Errorf("OpenPipe(%q) = %v, %v", tt.name, p, ok)
		}
	}
}

func TestBindNegotiation(t *testing.T) {
	unknown := syntaxID{mustUUID("12345778-1234-abcd-ef00-0123456789ab"), 0}
	srvsvcV2 := syntaxID{srvsvcSyntax.UUID, 2}
	tests := []struct {
		name string
		ctxs []testCtx
		want []ctxResult
	}{
		{"ndr", []testCtx{{0, srvsvcSyntax, []syntaxID{ndr20Syntax}}},
			[]ctxResult{{0, 0, ndr20Syntax}}},
		{"windows triple", []testCtx{
			{0, srvsvcSyntax, []syntaxID{ndr20Syntax}},
			{1, srvsvcSyntax, []syntaxID{ndr64Syntax}},
			{2, srvsvcSyntax, []syntaxID{btfnSyntax(3)}},
		}, []ctxResult{
			{resultAcceptance, 0, ndr20Syntax},
			{resultProviderRejected, reasonTransferSyntaxNotSupported, syntaxID{}},
			{resultNegotiateAck, 3, syntaxID{}},
		}},
		{"btfn partial bits", []testCtx{{0, srvsvcSyntax, []syntaxID{btfnSyntax(0x6)}}},
			[]ctxResult{{resultNegotiateAck, 2, syntaxID{}}}},
		{"ndr64 then ndr in one context", []testCtx{{0, srvsvcSyntax, []syntaxID{ndr64Syntax, ndr20Syntax}}},
			[]ctxResult{{0, 0, ndr20Syntax}}},
		{"unknown interface", []testCtx{{0, unknown, []syntaxID{ndr20Syntax}}},
			[]ctxResult{{resultProviderRejected, reasonAbstractSyntaxNotSupported, syntaxID{}}}},
		{"wrong pipe interface", []testCtx{{0, wkssvcSyntax, []syntaxID{ndr20Syntax}}},
			[]ctxResult{{resultProviderRejected, reasonAbstractSyntaxNotSupported, syntaxID{}}}},
		{"wrong major version", []testCtx{{0, srvsvcV2, []syntaxID{ndr20Syntax}}},
			[]ctxResult{{resultProviderRejected, reasonAbstractSyntaxNotSupported, syntaxID{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := testServer().OpenPipe("srvsvc")
			if _, err := p.Write(buildBind(ptypeBind, 7, 5840, 2000, tt.ctxs...)); err != nil {
				t.Fatal(err)
			}
			pdus := readAll(t, p)
			if len(pdus) != 1 {
				t.Fatalf("%d PDUs", len(pdus))
			}
			if binary.LittleEndian.Uint32(pdus[0][12:]) != 7 {
				t.Fatal("call_id not echoed")
			}
			a := parseAck(t, pdus[0])
			if a.ptype != ptypeBindAck || a.secAddr != `\PIPE\srvsvc` || a.assoc == 0 {
				t.Fatalf("ack %+v", a)
			}
			if a.maxXmit != 2000 || a.maxRecv != serverMaxFrag {
				t.Fatalf("frag sizes %d/%d", a.maxXmit, a.maxRecv)
			}
			if fmt.Sprint(a.results) != fmt.Sprint(tt.want) {
				t.Fatalf("results\n got %v\nwant %v", a.results, tt.want)
			}
		})
	}
}

func TestBindRejections(t *testing.T) {
	// A bind carrying an auth verifier is refused with bind_nak.
	p, _ := testServer().OpenPipe("srvsvc")
	b := buildBind(ptypeBind, 1, 4280, 4280, testCtx{0, srvsvcSyntax, []syntaxID{ndr20Syntax}})
	b = append(b, 10, 2, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4) // sec_trailer + 4 bytes
	binary.LittleEndian.PutUint16(b[10:], 4)
	setFragLen(b)
	if _, err := p.Write(b); err != nil {
		t.Fatal(err)
	}
	pdus := readAll(t, p)
	if len(pdus) != 1 || pdus[0][2] != ptypeBindNak || len(pdus[0]) != 24 ||
		binary.LittleEndian.Uint16(pdus[0][16:]) != nakReasonAuthTypeNotRecognized {
		t.Fatalf("auth bind: % x", pdus)
	}
	// Requests before a successful bind fault.
	if _, err := p.Write(buildRequest(2, 0, opNetrShareEnum, 3, enumRequest(1, false, 0))); err != nil {
		t.Fatal(err)
	}
	if r := collect(t, readAll(t, p), 2, 4280); r.fault != faultProtoError {
		t.Fatalf("unbound request fault %#x", r.fault)
	}
	// A bind with no contexts gets bind_nak.
	if _, err := p.Write(buildBind(ptypeBind, 3, 4280, 4280)); err != nil {
		t.Fatal(err)
	}
	if pdus := readAll(t, p); len(pdus) != 1 || pdus[0][2] != ptypeBindNak {
		t.Fatalf("empty bind: % x", pdus)
	}
}

func TestAlterContext(t *testing.T) {
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	// Context 1 is unknown until altered in.
	if _, err := p.Write(buildRequest(2, 1, opNetrServerGetInfo, 3, levelRequest(100))); err != nil {
		t.Fatal(err)
	}
	if r := collect(t, readAll(t, p), 2, 4280); r.fault != faultUnknownIf {
		t.Fatalf("fault %#x", r.fault)
	}
	if _, err := p.Write(buildBind(ptypeAlter, 3, 4280, 4280, testCtx{1, srvsvcSyntax, []syntaxID{ndr20Syntax}})); err != nil {
		t.Fatal(err)
	}
	pdus := readAll(t, p)
	a := parseAck(t, pdus[0])
	if a.ptype != ptypeAlterResp || a.secAddr != "" || len(a.results) != 1 || a.results[0].Result != 0 {
		t.Fatalf("alter resp %+v", a)
	}
	if _, err := p.Write(buildRequest(4, 1, opNetrServerGetInfo, 3, levelRequest(100))); err != nil {
		t.Fatal(err)
	}
	if r := collect(t, readAll(t, p), 4, 4280); r.fault != 0 || len(r.stub) == 0 {
		t.Fatalf("fault %#x after alter", r.fault)
	}
}

func manyShares(n int) func() []ShareInfo {
	return func() []ShareInfo {
		s := make([]ShareInfo, n)
		for i := range s {
			s[i] = ShareInfo{Name: fmt.Sprintf("share%04d", i), Comment: fmt.Sprintf("comment for share %d", i)}
		}
		return s
	}
}

func TestResponseFragmentation(t *testing.T) {
	s := &Server{ServerName: "X", Shares: manyShares(300)}
	p, _ := s.OpenPipe("srvsvc")
	p.Write(buildBind(ptypeBind, 1, 4280, 1432, testCtx{0, srvsvcSyntax, []syntaxID{ndr20Syntax}}))
	if a := parseAck(t, readAll(t, p)[0]); a.maxXmit != 1432 {
		t.Fatalf("max_xmit %d", a.maxXmit)
	}
	p.Write(buildRequest(2, 0, opNetrShareEnum, 3, enumRequest(1, true, 0)))
	pdus := readAll(t, p)
	r := collect(t, pdus, 2, 1432)
	if r.frags < 10 {
		t.Fatalf("only %d fragments", r.frags)
	}
	// alloc_hint counts the stub bytes still to come.
	left := uint32(len(r.stub))
	for i, f := range pdus {
		if h := binary.LittleEndian.Uint32(f[16:]); h != left {
			t.Fatalf("frag %d alloc_hint %d want %d", i, h, left)
		}
		left -= uint32(len(f) - 24)
	}
	got, total, werr := decodeShareEnum(t, r.stub, 1, true)
	if len(got) != 300 || total != 300 || werr != 0 || got[299] != "share0299|0x0|comment for share 299||0" {
		t.Fatalf("%d entries, total %d, werr %d, last %q", len(got), total, werr, got[len(got)-1])
	}
}

func TestFragmentedRequest(t *testing.T) {
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	stub := getInfoRequest("data", 1)
	// Three request fragments, the whole stream fed a few bytes at a time.
	var stream []byte
	stream = append(stream, buildRequest(5, 0, opNetrShareGetInfo, pfcFirstFrag, stub[:10])...)
	stream = append(stream, buildRequest(5, 0, opNetrShareGetInfo, 0, stub[10:21])...)
	stream = append(stream, buildRequest(5, 0, opNetrShareGetInfo, pfcLastFrag, stub[21:])...)
	for i := 0; i < len(stream); i += 7 {
		end := min(i+7, len(stream))
		if n, err := p.Write(stream[i:end]); err != nil || n != end-i {
			t.Fatalf("Write: %d %v", n, err)
		}
		if i+7 < len(stream) {
			if _, _, err := p.Read(make([]byte, 100)); err != ErrNoData {
				t.Fatalf("response before last fragment: %v", err)
			}
		}
	}
	r := collect(t, readAll(t, p), 5, 4280)
	d := cDec{t: t, b: r.stub}
	d.u32()
	d.ptr()
	d.ptr()
	d.u32()
	d.ptr()
	if name := d.str(); name != "data" {
		t.Fatalf("name %q", name)
	}
	// A continuation fragment with a different call id is a protocol error.
	p.Write(buildRequest(6, 0, opNetrShareGetInfo, pfcFirstFrag, stub[:10]))
	p.Write(buildRequest(7, 0, opNetrShareGetInfo, pfcLastFrag, stub[10:]))
	if r := collect(t, readAll(t, p), 7, 4280); r.fault != faultProtoError {
		t.Fatalf("mismatched fragment fault %#x", r.fault)
	}
}

func TestReadAndTransact(t *testing.T) {
	s := &Server{Shares: manyShares(3)}
	p, _ := s.OpenPipe("srvsvc")
	bind := buildBind(ptypeBind, 1, 4280, 4280, testCtx{0, srvsvcSyntax, []syntaxID{ndr20Syntax}})
	out, more, err := p.Transact(bind, 10)
	if err != nil || !more || len(out) != 10 {
		t.Fatalf("Transact: %d %v %v", len(out), more, err)
	}
	rest := make([]byte, 4096)
	n, more, err := p.Read(rest)
	if err != nil || more {
		t.Fatalf("Read: %v %v", more, err)
	}
	full := append(out, rest[:n]...)
	if a := parseAck(t, full); a.results[0].Result != 0 {
		t.Fatal("bind rejected")
	}
	if _, _, err := p.Read(rest); err != ErrNoData {
		t.Fatalf("empty pipe: %v", err)
	}
	// Two PDUs in one write come back as two messages.
	two := append(buildRequest(2, 0, opNetrServerGetInfo, 3, levelRequest(100)),
		buildRequest(3, 0, opNetrServerGetInfo, 3, levelRequest(101))...)
	out, more, err = p.Transact(two, 4280)
	if err != nil || more || binary.LittleEndian.Uint32(out[12:]) != 2 {
		t.Fatalf("first message: %v %v", more, err)
	}
	if pdus := readAll(t, p); len(pdus) != 1 || binary.LittleEndian.Uint32(pdus[0][12:]) != 3 {
		t.Fatalf("second message missing")
	}
	// A first fragment alone produces nothing to transact.
	if _, _, err := p.Transact(buildRequest(4, 0, 21, pfcFirstFrag, []byte{0, 0, 0, 0}), 4280); err != ErrNoData {
		t.Fatalf("partial transact: %v", err)
	}
}

func TestLimits(t *testing.T) {
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	chunk := make([]byte, 60000)
	var err error
	flags := uint8(pfcFirstFrag)
	for i := 0; i < 40 && err == nil; i++ {
		_, err = p.Write(buildRequest(9, 0, opNetrShareEnum, flags, chunk))
		flags = 0
	}
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("oversized request: %v", err)
	}
	if _, err := p.Write(buildBind(ptypeBind, 1, 4280, 4280)); err == nil {
		t.Fatal("broken pipe accepted more data")
	}

	// Unread responses are bounded too.
	s := &Server{Shares: manyShares(2000)}
	p = bindPipe(t, s, "srvsvc", srvsvcSyntax)
	req := buildRequest(2, 0, opNetrShareEnum, 3, enumRequest(2, true, 0))
	for i := 0; i < 100 && err == nil; i++ {
		_, err = p.Write(req)
	}
	if !errors.Is(err, ErrLimit) || p.outBytes > maxQueuedOutput+1<<20 {
		t.Fatalf("unbounded queue: %v, %d bytes", err, p.outBytes)
	}

	// Garbage is refused.
	p, _ = s.OpenPipe("srvsvc")
	if _, err := p.Write([]byte("GET / HTTP/1.1\r\n\r\n")); !errors.Is(err, errPDU) {
		t.Fatalf("garbage: %v", err)
	}
}
