package rpc

import (
	"fmt"
	"testing"
)

func testServer() *Server {
	return &Server{
		ServerName: "ZEROSMB",
		Comment:    "zerosmb server",
		Shares: func() []ShareInfo {
			return []ShareInfo{
				{Name: "data", Type: STypeDiskTree, Comment: "Data share", Path: `C:\srv\data`},
				{Name: "empty", Type: STypeDiskTree, Comment: "", Path: "/srv/empty"},
				{Name: "IPC$", Type: STypeIPC | STypeSpecial, Comment: "IPC Service"},
			}
		},
	}
}

// decodeShareEnum decodes a NetrShareEnum response the way Samba's
// generated parser does and returns the entries as name|type|comment|extra.
func decodeShareEnum(t *testing.T, stub []byte, level uint32, withResume bool) ([]string, uint32, uint32) {
	t.Helper()
	d := cDec{t: t, b: stub}
	if got := d.u32(); got != level {
		t.Fatalf("level %d, want %d", got, level)
	}
	if got := d.u32(); got != level {
		t.Fatalf("discriminant %d, want %d", got, level)
	}
	var entries []string
	if shareUnionArm(level) && d.ptr() {
		count := d.u32()
		if d.ptr() {
			if mc := d.u32(); mc != count {
				t.Fatalf("conformance %d != count %d", mc, count)
			}
			type ent struct {
				name, comment, path bool
				typ, extra          uint32
				s                   string
			}
			es := make([]ent, count)
			for i := range es {
				es[i].name = d.ptr()
				if level == 0 {
					continue
				}
				es[i].typ = d.u32()
				es[i].comment = d.ptr()
				switch level {
				case 501:
					es[i].extra = d.u32()
				case 2, 502:
					d.u32()
					es[i].extra = d.u32() // max uses
					d.u32()
					es[i].path = d.ptr()
					if d.ptr() {
						t.Fatalf("password pointer set")
					}
					if level == 502 {
						if d.u32() != 0 || d.ptr() {
							t.Fatalf("security descriptor present")
						}
					}
				}
			}
			for i := range es {
				var name, comment, path string
				if es[i].name {
					name = d.str()
				}
				if es[i].comment {
					comment = d.str()
				}
				if es[i].path {
					path = d.str()
				}
				entries = append(entries, fmt.Sprintf("%s|%#x|%s|%s|%d", name, es[i].typ, comment, path, es[i].extra))
			}
		}
	}
	total := d.u32()
	if withResume {
		if !d.ptr() {
			t.Fatalf("resume handle pointer dropped")
		}
		d.u32()
	} else if d.ptr() {
		t.Fatalf("resume handle pointer appeared")
	}
	werr := d.u32()
	d.end()
	return entries, total, werr
}

func TestShareEnum(t *testing.T) {
	tests := []struct {
		level  uint32
		resume bool
		want   []string
	}{
		{1, true, []string{
			"data|0x0|Data share||0",
			"empty|0x0|||0",
			"IPC$|0x80000003|IPC Service||0",
		}},
		{0, false, []string{"data|0x0|||0", "empty|0x0|||0", "IPC$|0x0|||0"}},
		{2, true, []string{
			`data|0x0|Data share|C:\srv\data|4294967295`,
			"empty|0x0||/srv/empty|4294967295",
			"IPC$|0x80000003|IPC Service||4294967295",
		}},
		{501, true, []string{"data|0x0|Data share||0", "empty|0x0|||0", "IPC$|0x80000003|IPC Service||0"}},
		{502, true, []string{
			`data|0x0|Data share|C:\srv\data|4294967295`,
			"empty|0x0||/srv/empty|4294967295",
			"IPC$|0x80000003|IPC Service||4294967295",
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.level), func(t *testing.T) {
			p := bindPipe(t, testServer(), `\PIPE\srvsvc`, srvsvcSyntax)
			r := call(t, p, 2, opNetrShareEnum, enumRequest(tt.level, tt.resume, 0))
			if r.fault != 0 {
				t.Fatalf("fault %#x", r.fault)
			}
			got, total, werr := decodeShareEnum(t, r.stub, tt.level, tt.resume)
			if werr != 0 || total != uint32(len(tt.want)) {
				t.Fatalf("werr %d total %d", werr, total)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("entries\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestShareEnumResumeAndBadLevel(t *testing.T) {
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	r := call(t, p, 2, opNetrShareEnum, enumRequest(1, true, 2))
	got, total, _ := decodeShareEnum(t, r.stub, 1, true)
	if len(got) != 1 || total != 1 || got[0] != "IPC$|0x80000003|IPC Service||0" {
		t.Fatalf("resume 2: %q total %d", got, total)
	}
	// A level that is a union arm but not served: null arm, invalid level.
	r = call(t, p, 3, opNetrShareEnum, enumRequest(1005, true, 0))
	got, total, werr := decodeShareEnum(t, r.stub, 1005, true)
	if len(got) != 0 || total != 0 || werr != werrInvalidLevel {
		t.Fatalf("level 1005: %q total %d werr %d", got, total, werr)
	}
	// NetrShareEnumSticky has no level 501.
	r = call(t, p, 4, opNetrShareEnumSticky, enumRequest(501, false, 0))
	if _, _, werr := decodeShareEnum(t, r.stub, 501, false); werr != werrInvalidLevel {
		t.Fatalf("sticky 501: werr %d", werr)
	}
	r = call(t, p, 5, opNetrShareEnumSticky, enumRequest(2, false, 0))
	if got, _, werr := decodeShareEnum(t, r.stub, 2, false); werr != 0 || len(got) != 3 {
		t.Fatalf("sticky 2: werr %d, %q", werr, got)
	}
	// A level in no union arm cannot be marshalled at all.
	if r = call(t, p, 6, opNetrShareEnum, enumRequest(7, true, 0)); r.fault != faultInvalidTag {
		t.Fatalf("level 7: fault %#x", r.fault)
	}
}

func TestShareEnumEmptyAndNilShares(t *testing.T) {
	p := bindPipe(t, &Server{}, "srvsvc", srvsvcSyntax)
	r := call(t, p, 2, opNetrShareEnum, enumRequest(1, false, 0))
	got, total, werr := decodeShareEnum(t, r.stub, 1, false)
	if len(got) != 0 || total != 0 || werr != 0 {
		t.Fatalf("%q %d %d", got, total, werr)
	}
}

func TestShareEnumWithClientArray(t *testing.T) {
	// A client may send a non-null (usually empty) array in the container.
	var e cEnc
	e.u32(0) // null server name
	e.u32(1)
	e.u32(1)
	e.u32(0x20000)
	e.u32(1)       // count
	e.u32(0x20004) // array
	e.u32(1)       // conformance
	e.u32(0x20008) // name
	e.u32(0)
	e.u32(0) // null comment
	e.str("x")
	e.u32(1024)
	e.u32(0)
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	r := call(t, p, 2, opNetrShareEnum, e.b)
	if r.fault != 0 {
		t.Fatalf("fault %#x", r.fault)
	}
	if got, _, _ := decodeShareEnum(t, r.stub, 1, false); len(got) != 3 {
		t.Fatalf("got %q", got)
	}
}

func TestShareGetInfo(t *testing.T) {
	tests := []struct {
		share string
		level uint32
		want  string // decoded fields
		werr  uint32
	}{
		{"DATA", 1, "data|0x0|Data share", 0},
		{"data", 0, "data", 0},
		{"ipc$", 2, `IPC$|0x80000003|IPC Service|4294967295|`, 0},
		{"data", 2, `data|0x0|Data share|4294967295|C:\srv\data`, 0},
		{"data", 501, "data|0x0|Data share|0", 0},
		{"data", 502, `data|0x0|Data share|4294967295|C:\srv\data`, 0},
		{"data", 1005, "0", 0},
		{"data", 1004, "Data share", 0},
		{"nope", 1, "", werrNetNameNotFound},
		{"data", 1007, "", werrInvalidLevel},
	}
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	for i, tt := range tests {
		r := call(t, p, uint32(10+i), opNetrShareGetInfo, getInfoRequest(tt.share, tt.level))
		if r.fault != 0 {
			t.Fatalf("%v: fault %#x", tt, r.fault)
		}
		d := cDec{t: t, b: r.stub}
		if d.u32() != tt.level {
			t.Fatalf("%v: discriminant", tt)
		}
		var got string
		if d.ptr() {
			switch tt.level {
			case 0:
				d.ptr()
				got = d.str()
			case 1, 501:
				d.ptr()
				typ := d.u32()
				d.ptr()
				extra := ""
				if tt.level == 501 {
					extra = fmt.Sprintf("|%d", d.u32())
				}
				got = fmt.Sprintf("%s|%#x|%s%s", d.str(), typ, d.str(), extra)
			case 2, 502:
				d.ptr()
				typ := d.u32()
				d.ptr()
				d.u32()
				maxUses := d.u32()
				d.u32()
				d.ptr()
				d.ptr()
				if tt.level == 502 {
					d.u32()
					d.ptr()
				}
				got = fmt.Sprintf("%s|%#x|%s|%d|%s", d.str(), typ, d.str(), maxUses, d.str())
			case 1004:
				d.ptr()
				got = d.str()
			case 1005:
				got = fmt.Sprint(d.u32())
			}
		}
		if werr := d.u32(); werr != tt.werr || got != tt.want {
			t.Errorf("%v: got %q werr %d", tt, got, werr)
		}
		d.end()
	}
}

func TestServerGetInfo(t *testing.T) {
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	for _, level := range []uint32{100, 101, 102} {
		r := call(t, p, level, opNetrServerGetInfo, levelRequest(level))
		d := cDec{t: t, b: r.stub}
		if d.u32() != level || !d.ptr() || d.u32() != platformIDNT || !d.ptr() {
			t.Fatalf("level %d: bad header", level)
		}
		if level >= 101 {
			if d.u32() != versionMajor || d.u32() != versionMinor || d.u32()&3 != 3 || !d.ptr() {
				t.Fatalf("level %d: bad 101 fields", level)
			}
		}
		if level == 102 {
			for i := 0; i < 6; i++ {
				d.u32()
			}
			d.ptr()
		}
		if name := d.str(); name != "ZEROSMB" {
			t.Fatalf("name %q", name)
		}
		if level >= 101 {
			if c := d.str(); c != "zerosmb server" {
				t.Fatalf("comment %q", c)
			}
		}
		if level == 102 {
			d.str()
		}
		if d.u32() != 0 {
			t.Fatalf("werr")
		}
		d.end()
	}
	r := call(t, p, 9, opNetrServerGetInfo, levelRequest(502))
	d := cDec{t: t, b: r.stub}
	if d.u32() != 502 || d.ptr() || d.u32() != werrInvalidLevel {
		t.Fatal("level 502 not refused")
	}
	d.end()
	if r := call(t, p, 10, opNetrServerGetInfo, levelRequest(7)); r.fault != faultInvalidTag {
		t.Fatalf("level 7: fault %#x", r.fault)
	}
}

func TestWkstaGetInfo(t *testing.T) {
	p := bindPipe(t, &Server{ServerName: "BOX"}, `\pipe\WKSSVC`, wkssvcSyntax)
	r := call(t, p, 2, opNetrWkstaGetInfo, levelRequest(100))
	d := cDec{t: t, b: r.stub}
	if d.u32() != 100 || !d.ptr() || d.u32() != platformIDNT || !d.ptr() || !d.ptr() {
		t.Fatal("bad fixed part")
	}
	d.u32()
	d.u32()
	if n, g := d.str(), d.str(); n != "BOX" || g != "WORKGROUP" {
		t.Fatalf("%q %q", n, g)
	}
	if d.u32() != 0 {
		t.Fatal("werr")
	}
	d.end()
	if r := call(t, p, 3, 5, levelRequest(100)); r.fault != faultOpRangeError {
		t.Fatalf("wkssvc opnum 5: fault %#x", r.fault)
	}
}

func TestBadOpnumAndStub(t *testing.T) {
	p := bindPipe(t, testServer(), "srvsvc", srvsvcSyntax)
	r := call(t, p, 2, 54, nil)
	if r.fault != faultOpRangeError || r.stub != nil {
		t.Fatalf("fault %#x", r.fault)
	}
	r = call(t, p, 3, opNetrShareEnum, []byte{1, 2})
	if r.fault != faultNDR {
		t.Fatalf("truncated stub: fault %#x", r.fault)
	}
	// The pipe keeps working after faults.
	r = call(t, p, 4, opNetrShareEnum, enumRequest(1, true, 0))
	if r.fault != 0 {
		t.Fatalf("fault %#x after recovery", r.fault)
	}
}
