package rpc

import (
	"testing"
	"time"
)

func TestShareCheck(t *testing.T) {
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	tests := []struct {
		device   string
		typ, err uint32
	}{
		{`c:\SRV\data`, STypeDiskTree, 0},
		{"/srv/empty", STypeDiskTree, 0},
		{"", STypeIPC | STypeSpecial, 0}, // IPC$ has no path
		{"/elsewhere", 0, werrDeviceNotShared},
	}
	for i, tt := range tests {
		var e cEnc
		e.uniqueStr(`\\srv`)
		e.str(tt.device)
		r := call(t, p, uint32(i+2), opNetrShareCheck, e.b)
		d := cDec{t: t, b: r.stub}
		if typ, werr := d.u32(), d.u32(); typ != tt.typ || werr != tt.err {
			t.Errorf("%q: type %#x werr %d", tt.device, typ, werr)
		}
		d.end()
	}
}

func TestRemoteTOD(t *testing.T) {
	when := time.Date(2024, time.February, 29, 13, 14, 15, 160e6, time.UTC)
	var e cEnc
	e.uniqueStr(`\\srv`)
	out, status := remoteTOD(e.b, when)
	if status != 0 {
		t.Fatalf("fault %#x", status)
	}
	d := cDec{t: t, b: out}
	if !d.ptr() {
		t.Fatal("null TIME_OF_DAY_INFO")
	}
	var f [12]uint32
	for i := range f {
		f[i] = d.u32()
	}
	want := [12]uint32{uint32(when.Unix()), uint32(when.UnixMilli()), 13, 14, 15, 16, 0, 310, 29, 2, 2024, 4}
	if f != want {
		t.Fatalf("got %v\nwant %v", f, want)
	}
	if d.u32() != 0 {
		t.Fatal("werr")
	}
	d.end()
}

func TestEmptyEnums(t *testing.T) {
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	tests := []struct {
		opnum uint16
		nStrs int
		level uint32
		fault uint32
	}{
		{12, 3, 10, 0},  // NetrSessionEnum
		{12, 3, 502, 0}, // NetrSessionEnum
		{8, 2, 1, 0},    // NetrConnectionEnum
		{9, 3, 3, 0},    // NetrFileEnum
		{26, 1, 0, 0},   // NetrServerTransportEnum
		{0, 1, 1, 0},    // NetrCharDevEnum
		{3, 2, 0, 0},    // NetrCharDevQEnum
		{12, 3, 7, faultInvalidTag},
	}
	for i, tt := range tests {
		var e cEnc
		e.uniqueStr(`\\srv`)
		for j := 1; j < tt.nStrs; j++ {
			e.u32(0) // null filter
		}
		e.u32(tt.level)
		e.u32(tt.level)
		e.u32(0x20004)
		e.u32(0)
		e.u32(0)
		e.u32(0xffffffff)
		e.u32(0x20008)
		e.u32(0)
		r := call(t, p, uint32(i+2), tt.opnum, e.b)
		if r.fault != tt.fault {
			t.Fatalf("opnum %d level %d: fault %#x", tt.opnum, tt.level, r.fault)
		}
		if r.fault != 0 {
			continue
		}
		d := cDec{t: t, b: r.stub}
		if d.u32() != tt.level || d.u32() != tt.level || !d.ptr() || d.u32() != 0 || d.ptr() {
			t.Fatalf("opnum %d: bad container", tt.opnum)
		}
		if d.u32() != 0 || !d.ptr() || d.u32() != 0 || d.u32() != 0 {
			t.Fatalf("opnum %d: bad tail", tt.opnum)
		}
		d.end()
	}
}

func TestDiskEnum(t *testing.T) {
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	for i, level := range []uint32{0, 1} {
		var e cEnc
		e.u32(0) // null server name
		e.u32(0)
		e.u32(0)
		e.u32(level)
		e.u32(0xffffffff)
		e.u32(0x20000)
		e.u32(0)
		r := call(t, p, uint32(i+2), opNetrServerDiskEnum, e.b)
		d := cDec{t: t, b: r.stub}
		if d.u32() != 0 || d.ptr() || d.u32() != 0 || !d.ptr() || d.u32() != 0 {
			t.Fatalf("level %d: bad output", level)
		}
		want := uint32(0)
		if level != 0 {
			want = werrInvalidLevel
		}
		if werr := d.u32(); werr != want {
			t.Fatalf("level %d: werr %d", level, werr)
		}
		d.end()
	}
}

func TestAnonymousLevels(t *testing.T) {
	p, _ := testServer().OpenPipe("srvsvc")
	p.SetAnonymous(true)
	p.Write(buildBind(ptypeBind, 1, 4280, 4280, testCtx{0, srvsvcSyntax, []syntaxID{ndr20Syntax}}))
	readAll(t, p)
	enum := map[uint32]uint32{0: 0, 1: 0, 2: werrAccessDenied, 501: werrAccessDenied, 502: werrAccessDenied}
	for level, want := range enum {
		r := call(t, p, 2, opNetrShareEnum, enumRequest(level, true, 0))
		got, _, werr := decodeShareEnum(t, r.stub, level, true)
		if werr != want || (want == 0) != (len(got) == 3) {
			t.Errorf("enum level %d: werr %d, %d entries", level, werr, len(got))
		}
	}
	get := map[uint32]uint32{0: 0, 1: 0, 2: werrAccessDenied, 501: 0, 502: werrAccessDenied, 1005: 0}
	for level, want := range get {
		r := call(t, p, 3, opNetrShareGetInfo, getInfoRequest("data", level))
		d := cDec{t: t, b: r.stub}
		d.u32()
		if d.ptr() != (want == 0) {
			t.Errorf("getinfo level %d: pointer mismatch", level)
		}
		if want != 0 {
			if werr := d.u32(); werr != want {
				t.Errorf("getinfo level %d: werr %d", level, werr)
			}
			d.end()
		}
	}
}

func TestWkstaLevels(t *testing.T) {
	p := bindPipe(t, &Server{Workgroup: "HOME"}, "wkssvc", wkssvcSyntax)
	for i, level := range []uint32{101, 102} {
		r := call(t, p, uint32(i+2), opNetrWkstaGetInfo, levelRequest(level))
		d := cDec{t: t, b: r.stub}
		if d.u32() != level || !d.ptr() || d.u32() != platformIDNT || !d.ptr() || !d.ptr() {
			t.Fatalf("level %d: bad fixed part", level)
		}
		d.u32()
		d.u32()
		if !d.ptr() {
			t.Fatalf("level %d: no lan root", level)
		}
		if level == 102 {
			d.u32()
		}
		if n, g, root := d.str(), d.str(), d.str(); n != "ZEROSMB" || g != "HOME" || root != `C:\` {
			t.Fatalf("level %d: %q %q %q", level, n, g, root)
		}
		if d.u32() != 0 {
			t.Fatal("werr")
		}
		d.end()
	}
	r := call(t, p, 9, opNetrWkstaGetInfo, levelRequest(502))
	d := cDec{t: t, b: r.stub}
	if d.u32() != 502 || d.ptr() || d.u32() != werrInvalidLevel {
		t.Fatal("level 502 not refused with a null arm")
	}
	d.end()
	if r := call(t, p, 10, opNetrWkstaGetInfo, levelRequest(7)); r.fault != faultInvalidTag {
		t.Fatalf("level 7: fault %#x", r.fault)
	}
}
