package rpc

import (
	"testing"
)

// FuzzPipeWrite feeds arbitrary bytes to a bound and an unbound pipe.
// It must never panic, and memory held by the pipe must stay bounded.
func FuzzPipeWrite(f *testing.F) {
	bind := buildBind(ptypeBind, 1, 4280, 4280,
		testCtx{0, srvsvcSyntax, []syntaxID{ndr20Syntax}},
		testCtx{1, srvsvcSyntax, []syntaxID{ndr64Syntax}},
		testCtx{2, srvsvcSyntax, []syntaxID{btfnSyntax(3)}})
	f.Add(bind, 5)
	f.Add(buildRequest(2, 0, opNetrShareEnum, 3, enumRequest(1, true, 0)), 0)
	f.Add(buildRequest(3, 0, opNetrShareGetInfo, 3, getInfoRequest("data", 2)), 30)
	f.Add(buildRequest(4, 0, opNetrServerGetInfo, 3, levelRequest(102)), 1)
	f.Add(buildRequest(5, 0, opNetrShareEnum, pfcFirstFrag, enumRequest(2, false, 0)[:12]), 17)
	f.Add(buildBind(ptypeAlter, 6, 1, 1, testCtx{1, wkssvcSyntax, []syntaxID{ndr20Syntax}}), 3)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		s := testServer()
		for _, prebind := range []bool{false, true} {
			p, _ := s.OpenPipe("srvsvc")
			if prebind {
				if _, err := p.Write(bind); err != nil {
					t.Fatal(err)
				}
			}
			if split < 0 || split > len(data) {
				split = len(data) / 2
			}
			p.Write(data[:split])
			p.Write(data[split:])
			if len(p.in) >= 1<<16 || len(p.reqStub) > maxRequestStub || p.outBytes > maxQueuedOutput+1<<20 {
				t.Fatalf("unbounded state: in %d stub %d out %d", len(p.in), len(p.reqStub), p.outBytes)
			}
			buf := make([]byte, 1000)
			for i := 0; i < 10000; i++ {
				if _, _, err := p.Read(buf); err != nil {
					break
				}
			}
			p.Transact(data, 100)
		}
	})
}

// FuzzStubs runs every served procedure on arbitrary stub bytes.
func FuzzStubs(f *testing.F) {
	f.Add(uint16(opNetrShareEnum), enumRequest(1, true, 0))
	f.Add(uint16(opNetrShareEnum), enumRequest(501, false, 0))
	f.Add(uint16(opNetrShareGetInfo), getInfoRequest("IPC$", 1005))
	f.Add(uint16(opNetrServerGetInfo), levelRequest(101))
	f.Fuzz(func(t *testing.T, opnum uint16, stub []byte) {
		s := testServer()
		out, status := srvsvcCall(s, opnum&1 == 0, opnum, stub)
		if (status == 0) == (out == nil) {
			t.Fatalf("status %#x with %d output bytes", status, len(out))
		}
		wkssvcCall(s, false, opnum, stub)
	})
}
