package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// otherClient is a well-behaved go-smb2 client connected for the whole
// test; check proves its session survived whatever the raw client did.
type otherClient struct {
	fs *gosmb2.Share
	n  int
}

func (o *otherClient) check(t *testing.T) {
	t.Helper()
	o.n++
	name := fmt.Sprintf("other-%d.txt", o.n)
	want := []byte(strings.Repeat("still alive ", o.n))
	if err := o.fs.WriteFile(name, want, 0o644); err != nil {
		t.Fatalf("other client write: %v", err)
	}
	got, err := o.fs.ReadFile(name)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("other client read: %q, %v", got, err)
	}
}

// hostileCase runs one hostile client per subtest against a shared server
// and checks after each that the bystander still works, nothing outside
// the share changed, and no panic was recovered.
func hostileCases(t *testing.T, cases []struct {
	name string
	run  func(t *testing.T, hs *hostileServer)
}) {
	hs := startHostile(t)
	other := &otherClient{fs: dialGo(t, hs.testServer)}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, hs)
			other.check(t)
			hs.checkOutside(t)
			hs.checkNoPanic(t)
		})
	}
	hs.waitConns(t, 1) // every hostile connection is gone; the bystander stays
}

type hostileCase = struct {
	name string
	run  func(t *testing.T, hs *hostileServer)
}

func TestBadInputFraming(t *testing.T) {
	hostileCases(t, []hostileCase{
		{"length 0 is ignored", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.write([]byte{0, 0, 0, 0})
			c.negotiate(rawNegotiate(smb2.Dialect210))
		}},
		{"length 1", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.write([]byte{0, 0, 0, 1, 0xfe})
			c.expectClosed("1-byte frame")
		}},
		{"length 63", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			b := rawFrame(c.msg(smb2.Negotiate, nil, nil))
			b = b[:len(b)-1]
			smb2.PutFrameHeader(b, 63)
			c.write(b)
			c.expectClosed("63-byte frame")
		}},
		{"length 16MiB-1 without body", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.write([]byte{0, 0xff, 0xff, 0xff})
			start := time.Now()
			c.expectClosed("oversized frame")
			if time.Since(start) > time.Second {
				t.Errorf("oversized frame closed after %v; want at once", time.Since(start))
			}
		}},
		{"oversized after negotiate", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.write([]byte{0, 0xff, 0xff, 0xff})
			c.expectClosed("oversized frame")
		}},
		{"truncated frame then peer closes", func(t *testing.T, hs *hostileServer) {
			before := hs.connCount()
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.write([]byte{0, 0, 0x10, 0})
			c.write(make([]byte, 100))
			time.Sleep(20 * time.Millisecond)
			c.nc.Close()
			hs.waitConns(t, before)
		}},
		{"netbios session request answered", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			req := []byte{0x81, 0, 0, 68}
			req = append(req, bytes.Repeat([]byte{0x20}, 68)...)
			c.write(req)
			b := make([]byte, 4)
			c.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, err := io.ReadFull(c.nc, b); err != nil || b[0] != 0x82 {
				t.Fatalf("session request: %x, %v", b, err)
			}
			c.negotiate(rawNegotiate(smb2.Dialect210))
		}},
		{"netbios keepalive with body", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.write([]byte{0x85, 0, 0, 0})
			c.write([]byte{0x85, 0, 0, 3, 1, 2, 3})
			c.negotiate(rawNegotiate(smb2.Dialect210))
		}},
	})
}

func TestBadInputNetBIOSTypes(t *testing.T) {
	var cases []hostileCase
	for _, typ := range []byte{0x01, 0x82, 0x83, 0x84, 0x86, 0xfe, 0xff} {
		cases = append(cases, hostileCase{fmt.Sprintf("type %#x", typ), func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.write([]byte{typ, 0, 0, 4, 1, 2, 3, 4})
			c.expectClosed("bad NetBIOS type")
		}})
	}
	hostileCases(t, cases)
}

// smb1Msg builds an SMB1 request with command cmd and the given dialects.
func smb1Msg(cmd byte, dialects ...string) []byte {
	b := make([]byte, 32)
	copy(b, "\xffSMB")
	b[4] = cmd
	var data []byte
	for _, d := range dialects {
		data = append(data, 2)
		data = append(data, d...)
		data = append(data, 0)
	}
	b = append(b, 0) // WordCount
	b = le.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func TestBadInputNegotiate(t *testing.T) {
	hostileCases(t, []hostileCase{
		{"SMB1 echo", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.write(rawFrame(smb1Msg(0x2b)))
			c.expectClosed("SMB1 non-negotiate")
		}},
		{"SMB1 negotiate without SMB2", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.write(rawFrame(smb1Msg(0x72, "NT LM 0.12")))
			c.expectClosed("SMB1-only negotiate")
		}},
		{"second SMB1 negotiate", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.write(rawFrame(smb1Msg(0x72, "NT LM 0.12", "SMB 2.???")))
			if _, err := c.readFrame(3 * time.Second); err != nil {
				t.Fatal(err)
			}
			c.write(rawFrame(smb1Msg(0x72, "NT LM 0.12", "SMB 2.???")))
			c.expectClosed("second SMB1 negotiate")
		}},
		{"second NEGOTIATE", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.write(rawFrame(c.msg(smb2.Negotiate, rawNegotiate(smb2.Dialect210), nil)))
			c.expectClosed("second NEGOTIATE")
		}},
		{"request before NEGOTIATE", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.write(rawFrame(c.msg(smb2.Echo, rawEcho(), nil)))
			c.expectClosed("ECHO before NEGOTIATE")
		}},
		{"DialectCount 0", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.expectStatus("DialectCount 0", smb2.Negotiate, rawNegotiate(), nil, smb2.StatusInvalidParameter)
		}},
		{"DialectCount huge", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			b := rawNegotiate(smb2.Dialect210)
			le.PutUint16(b[2:], 0xffff)
			c.expectStatus("DialectCount 65535", smb2.Negotiate, b, nil, smb2.StatusInvalidParameter)
		}},
		{"no common dialect", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.expectStatus("no common dialect", smb2.Negotiate, rawNegotiate(0x0100, 0x0222, 0x0399), nil, smb2.StatusNotSupported)
			// The connection is still unnegotiated and may try again.
			c.negotiate(rawNegotiate(smb2.Dialect210))
		}},
		{"3.1.1 context offset past the end", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			b := rawNegotiate311()
			le.PutUint32(b[28:], 0x10000)
			c.expectStatus("context offset", smb2.Negotiate, b, nil, smb2.StatusInvalidParameter)
		}},
		{"3.1.1 context offset inside header", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			b := rawNegotiate311()
			le.PutUint32(b[28:], 8)
			c.expectStatus("context offset", smb2.Negotiate, b, nil, smb2.StatusInvalidParameter)
		}},
		{"3.1.1 context data length past the end", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			b := rawNegotiate311()
			le.PutUint16(b[int(le.Uint32(b[28:]))-smb2.HeaderSize+2:], 0xfff0)
			c.expectStatus("context length", smb2.Negotiate, b, nil, smb2.StatusInvalidParameter)
		}},
		{"3.1.1 context count huge", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			b := rawNegotiate311()
			le.PutUint16(b[32:], 0xffff)
			c.expectStatus("context count", smb2.Negotiate, b, nil, smb2.StatusInvalidParameter)
		}},
		{"3.1.1 without preauth context", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			b := rawNegotiate311()
			le.PutUint16(b[32:], 0)
			c.expectStatus("no preauth", smb2.Negotiate, b, nil, smb2.StatusInvalidParameter)
		}},
		{"3.1.1 valid", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate311())
		}},
	})
}

func TestBadInputCompound(t *testing.T) {
	echoes := func(c *rawConn, n int) [][]byte {
		var ms [][]byte
		for range n {
			m := c.msg(smb2.Echo, append(rawEcho(), 0, 0, 0, 0), nil)
			ms = append(ms, m)
		}
		for i := range ms[:n-1] {
			le.PutUint32(ms[i][smb2.OffNextCommand:], uint32(len(ms[i])))
		}
		return ms
	}
	hostileCases(t, []hostileCase{
		{"64 elements answered", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.call(smb2.Echo, rawEcho(), nil) // collect more credits
			c.write(rawFrame(echoes(c, 64)...))
			if rs := c.recvAll(); len(rs) != 64 {
				t.Fatalf("got %d responses, want 64", len(rs))
			}
		}},
		{"65 elements", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.call(smb2.Echo, rawEcho(), nil)
			c.write(rawFrame(echoes(c, 65)...))
			c.expectClosed("65-element compound")
		}},
		{"NextCommand not 8-aligned", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			ms := echoes(c, 2)
			ms[0] = ms[0][:len(ms[0])-1]
			le.PutUint32(ms[0][smb2.OffNextCommand:], uint32(len(ms[0])))
			c.write(rawFrame(ms...))
			c.expectClosed("unaligned NextCommand")
		}},
		{"NextCommand past the frame", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			ms := echoes(c, 2)
			le.PutUint32(ms[0][smb2.OffNextCommand:], 4096)
			c.write(rawFrame(ms...))
			c.expectClosed("NextCommand past the frame")
		}},
		{"NextCommand inside the header", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			ms := echoes(c, 2)
			le.PutUint32(ms[0][smb2.OffNextCommand:], 8)
			c.write(rawFrame(ms...))
			c.expectClosed("NextCommand 8")
		}},
		{"trailing garbage after last element", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			// A lone message with junk after its body: the junk belongs to
			// the message (NextCommand 0), so it is simply answered.
			c.write(rawFrame(c.msg(smb2.Echo, append(rawEcho(), 1, 2, 3, 4, 5, 6, 7), nil)))
			if r := c.recv(); r.hdr.Status != smb2.StatusSuccess {
				t.Fatalf("ECHO with trailing bytes: %v", r.hdr.Status)
			}
		}},
	})
}

func TestBadInputCredits(t *testing.T) {
	hostileCases(t, []hostileCase{
		{"MessageId reuse", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.call(smb2.Echo, rawEcho(), nil)
			c.write(rawFrame(c.msg(smb2.Echo, rawEcho(), func(h *smb2.Header) { h.MessageID = 1 })))
			c.expectClosed("reused MessageId")
		}},
		{"MessageId beyond granted credits", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.write(rawFrame(c.msg(smb2.Echo, rawEcho(), func(h *smb2.Header) { h.MessageID = 1 << 20 })))
			c.expectClosed("MessageId beyond the window")
		}},
		{"MessageId 0xFFFFFFFFFFFFFFFF", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.write(rawFrame(c.msg(smb2.Echo, rawEcho(), func(h *smb2.Header) { h.MessageID = ^uint64(0) })))
			c.expectClosed("MessageId all ones")
		}},
		{"CreditCharge larger than granted", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.write(rawFrame(c.msg(smb2.Echo, rawEcho(), func(h *smb2.Header) { h.CreditCharge = 10000 })))
			c.expectClosed("CreditCharge 10000")
		}},
		{"CreditCharge 0 for a 1 MiB READ", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			id, st := c.create("credit.bin", rawDispOverwriteIf)
			if st != smb2.StatusSuccess {
				t.Fatal(st)
			}
			c.expectStatus("1 MiB READ, charge 0", smb2.Read, rawRead(id, 0, 1<<20),
				func(h *smb2.Header) { h.CreditCharge = 0 }, smb2.StatusInvalidParameter)
			c.expectStatus("1 MiB READ, charge 15", smb2.Read, rawRead(id, 0, 1<<20),
				func(h *smb2.Header) { h.CreditCharge = 15 }, smb2.StatusInvalidParameter)
			// The connection is still in sync.
			c.expectStatus("1 MiB READ, charge 16", smb2.Read, rawRead(id, 0, 1<<20),
				func(h *smb2.Header) { h.CreditCharge = 16 }, smb2.StatusEndOfFile)
		}},
		{"65535 credits requested repeatedly", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			for i := range 50 {
				c.call(smb2.Echo, rawEcho(), func(h *smb2.Header) { h.Credits = 0xffff })
				if c.credits > maxCredits {
					t.Fatalf("after %d requests the client holds %d credits (> %d)", i+1, c.credits, maxCredits)
				}
			}
			if c.credits < maxCredits/2 {
				t.Errorf("client holds only %d credits; the grant looks broken", c.credits)
			}
		}},
	})
}

func TestBadInputIdentifiers(t *testing.T) {
	bogusID := smb2.FileID{Persistent: 0x1234, Volatile: 0x5678}
	hostileCases(t, []hostileCase{
		{"bogus SessionId", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.sid = 0xdeadbeef
			c.expectStatus("TREE_CONNECT", smb2.TreeConnect, rawTreeConnect(`\\x\share`), nil, smb2.StatusUserSessionDeleted)
			c.expectStatus("SESSION_SETUP", smb2.SessionSetup, rawSessionSetup(rawNTLM(1, 32)), nil, smb2.StatusUserSessionDeleted)
			c.expectStatus("LOGOFF", smb2.Logoff, rawEcho(), nil, smb2.StatusUserSessionDeleted)
		}},
		{"another session's id after logoff", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			c.expectStatus("LOGOFF", smb2.Logoff, rawEcho(), nil, smb2.StatusSuccess)
			c.expectStatus("CREATE after LOGOFF", smb2.Create, rawCreate("x", rawDispOpen), nil, smb2.StatusUserSessionDeleted)
		}},
		{"bogus TreeId", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			c.tid = 0x7777
			c.expectStatus("CREATE", smb2.Create, rawCreate("x", rawDispOpen), nil, smb2.StatusNetworkNameDeleted)
		}},
		{"bogus FileId", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			c.expectStatus("READ", smb2.Read, rawRead(bogusID, 0, 10), nil, smb2.StatusFileClosed)
			c.expectStatus("WRITE", smb2.Write, rawWrite(bogusID, 0, []byte("x")), nil, smb2.StatusFileClosed)
			c.expectStatus("CLOSE", smb2.Close, rawClose(bogusID), nil, smb2.StatusFileClosed)
			c.expectStatus("QUERY_DIRECTORY", smb2.QueryDirectory, rawQueryDir(bogusID, "*", 4096), nil, smb2.StatusFileClosed)
			c.expectStatus("CLOSE AnyFileID", smb2.Close, rawClose(smb2.AnyFileID), nil, smb2.StatusFileClosed)
		}},
		{"FileId of a closed file", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			id, st := c.create("closed.txt", rawDispOverwriteIf)
			if st != smb2.StatusSuccess {
				t.Fatal(st)
			}
			c.expectStatus("CLOSE", smb2.Close, rawClose(id), nil, smb2.StatusSuccess)
			c.expectStatus("READ after CLOSE", smb2.Read, rawRead(id, 0, 10), nil, smb2.StatusFileClosed)
			c.expectStatus("CLOSE twice", smb2.Close, rawClose(id), nil, smb2.StatusFileClosed)
		}},
		{"unknown command 0x0013", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			c.write(rawFrame(c.msg(0x0013, rawEcho(), nil)))
			c.expectClosed("command 0x13")
		}},
		{"unknown command 0xFFFF", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			c.write(rawFrame(c.msg(0xffff, rawEcho(), nil)))
			c.expectClosed("command 0xFFFF")
		}},
		{"client sends a response", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			c.write(rawFrame(c.msg(smb2.Echo, rawEcho(), func(h *smb2.Header) { h.Flags |= smb2.FlagResponse })))
			c.expectClosed("response flag")
		}},
	})
}

func TestBadInputStructureSize(t *testing.T) {
	hostileCases(t, []hostileCase{
		{"NEGOTIATE", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			b := rawNegotiate(smb2.Dialect210)
			le.PutUint16(b, 35)
			c.expectStatus("NEGOTIATE", smb2.Negotiate, b, nil, smb2.StatusInvalidParameter)
		}},
		{"SESSION_SETUP", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			b := rawSessionSetup(rawNTLM(1, 32))
			le.PutUint16(b, 24)
			c.expectStatus("SESSION_SETUP", smb2.SessionSetup, b, nil, smb2.StatusInvalidParameter)
		}},
		{"every command after logon", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			for cmd := smb2.Command(smb2.Logoff); cmd <= smb2.OplockBreak; cmd++ {
				if cmd == smb2.Cancel {
					continue // never answered
				}
				for _, size := range []uint16{0, 1, 0xffff} {
					body := make([]byte, 128)
					le.PutUint16(body, size)
					c.expectStatus(fmt.Sprintf("%v StructureSize %d", cmd, size), cmd, body, nil, smb2.StatusInvalidParameter)
				}
				// Body shorter than the fixed part, right StructureSize.
				good := map[smb2.Command]uint16{smb2.Create: 57, smb2.Close: 24, smb2.Flush: 24, smb2.Read: 49,
					smb2.Write: 49, smb2.Lock: 48, smb2.Ioctl: 57, smb2.QueryDirectory: 33, smb2.ChangeNotify: 32,
					smb2.QueryInfo: 41, smb2.SetInfo: 33, smb2.TreeConnect: 9, smb2.OplockBreak: 24}
				if s, ok := good[cmd]; ok {
					c.expectStatus(fmt.Sprintf("%v truncated body", cmd), cmd, le.AppendUint16(nil, s), nil, smb2.StatusInvalidParameter)
				}
			}
			// The session survived all of that.
			c.expectStatus("ECHO", smb2.Echo, rawEcho(), nil, smb2.StatusSuccess)
			if _, st := c.create("after.txt", rawDispOverwriteIf); st != smb2.StatusSuccess {
				t.Errorf("CREATE after bad requests: %v", st)
			}
		}},
		{"header StructureSize", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			m := c.msg(smb2.Echo, rawEcho(), nil)
			le.PutUint16(m[4:], 65)
			c.write(rawFrame(m))
			c.expectClosed("header StructureSize 65")
		}},
	})
}

func TestBadInputBuffers(t *testing.T) {
	hostileCases(t, []hostileCase{
		{"SESSION_SETUP buffer outside the message", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			for _, tc := range []struct{ off, n uint16 }{{0xfff0, 32}, {88, 0xffff}, {10, 32}, {0xffff, 0xffff}} {
				b := rawSessionSetup(rawNTLM(1, 32))
				le.PutUint16(b[12:], tc.off)
				le.PutUint16(b[14:], tc.n)
				c.expectStatus(fmt.Sprintf("offset %d length %d", tc.off, tc.n), smb2.SessionSetup, b, nil, smb2.StatusInvalidParameter)
			}
			c.anonLogon() // no half-made session got in the way
		}},
		{"SESSION_SETUP garbage token", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.expectStatus("garbage", smb2.SessionSetup, rawSessionSetup([]byte("\x60\xff\xff\xff\xffjunk")), nil, smb2.StatusLogonFailure)
			c.anonLogon()
		}},
		{"TREE_CONNECT path outside", func(t *testing.T, hs *hostileServer) {
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
			c.anonLogon()
			b := rawTreeConnect(`\\x\share`)
			le.PutUint16(b[4:], 0xfff0)
			c.expectStatus("TREE_CONNECT", smb2.TreeConnect, b, nil, smb2.StatusInvalidParameter)
		}},
		{"WRITE data outside the message", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			id, st := c.create("w.bin", rawDispOverwriteIf)
			if st != smb2.StatusSuccess {
				t.Fatal(st)
			}
			for _, tc := range []struct {
				off uint16
				n   uint32
			}{{0xfff0, 4}, {112, 5000}, {0, 4}, {64, 4}, {112, 0xffffffff}} {
				b := rawWrite(id, 0, []byte("data"))
				le.PutUint16(b[2:], tc.off)
				le.PutUint32(b[4:], tc.n)
				charge := uint16(max(1, (uint64(tc.n)+65535)/65536))
				c.expectStatus(fmt.Sprintf("DataOffset %d Length %d", tc.off, tc.n), smb2.Write, b,
					func(h *smb2.Header) { h.CreditCharge = min(charge, 64) }, smb2.StatusInvalidParameter)
			}
			c.expectStatus("WRITE at offset 2^63", smb2.Write, rawWrite(id, 1<<63, []byte("x")), nil, smb2.StatusInvalidParameter)
			if fi, err := os.Stat(filepath.Join(hs.Dir, "w.bin")); err != nil || fi.Size() != 0 {
				t.Errorf("file changed by rejected WRITEs: %v, %v", fi.Size(), err)
			}
		}},
		{"READ larger than MaxReadSize", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			id, st := c.create("r.bin", rawDispOverwriteIf)
			if st != smb2.StatusSuccess {
				t.Fatal(st)
			}
			n := hs.Srv.cfg.MaxIOSize + 1
			c.expectStatus("READ MaxReadSize+1", smb2.Read, rawRead(id, 0, n),
				func(h *smb2.Header) { h.CreditCharge = uint16((n + 65535) / 65536) }, smb2.StatusInvalidParameter)
			c.expectStatus("READ at offset 2^63", smb2.Read, rawRead(id, 1<<63, 1), nil, smb2.StatusInvalidParameter)
		}},
		{"QUERY_DIRECTORY OutputBufferLength 0", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			id, st := c.create("", rawDispOpen)
			if st != smb2.StatusSuccess {
				t.Fatal(st)
			}
			c.expectStatus("OutputBufferLength 0", smb2.QueryDirectory, rawQueryDir(id, "*", 0), nil, smb2.StatusInfoLengthMismatch)
			b := rawQueryDir(id, "*", 4096)
			le.PutUint16(b[24:], 0xfff0)
			c.expectStatus("FileNameOffset outside", smb2.QueryDirectory, b, nil, smb2.StatusInvalidParameter)
		}},
	})
}

func TestBadInputPaths(t *testing.T) {
	long := strings.Repeat("a", 16384) // 32 KiB of UTF-16
	hostileCases(t, []hostileCase{
		{"names that try to leave the share", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			passwd, _ := os.Stat("/etc/passwd")
			for _, name := range []string{
				`..\sentinel.txt`, `..\..\sentinel.txt`, `a\..\..\sentinel.txt`, `\..\sentinel.txt`,
				`..`, `.\..\escape.txt`, `../escape.txt`, `x/../../escape.txt`,
				`\etc\passwd`, `\\?\C:\escape.txt`, `C:\escape.txt`, `C:escape.txt`, `a:stream`,
				`sentinel.txt:$DATA`, "nul\x00byte", "\x00", long, long + `\x`, `..\` + long,
				`*`, `a?b`, `a<b`, `a"b`, `a|b`,
			} {
				for _, disp := range []uint32{rawDispOpen, rawDispOverwriteIf} {
					id, st := c.create(name, disp)
					if st == smb2.StatusSuccess {
						// Allowed only if it landed inside the share.
						c.call(smb2.Close, rawClose(id), nil)
						if disp == rawDispOpen {
							t.Errorf("open %q succeeded", name)
						}
					}
				}
			}
			if fi, _ := os.Stat("/etc/passwd"); passwd != nil && (fi == nil || !fi.ModTime().Equal(passwd.ModTime()) || fi.Size() != passwd.Size()) {
				t.Errorf("/etc/passwd changed")
			}
			filepath.WalkDir(hs.Base, func(p string, d os.DirEntry, err error) error {
				// "C:escape.txt" is the stream escape.txt of the file C,
				// kept in the share's sidecar store: inside the share.
				inStore := strings.Contains(p, string(filepath.Separator)+osfs.MetaDir+string(filepath.Separator))
				if err == nil && strings.Contains(p, "escape") && !inStore {
					t.Errorf("found %s", p)
				}
				return nil
			})
		}},
		{"NameLength odd and past the end", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			b := rawCreate("abc", rawDispOverwriteIf)
			le.PutUint16(b[46:], 5)
			c.expectStatus("odd NameLength", smb2.Create, b, nil, smb2.StatusInvalidParameter)
			b = rawCreate("abc", rawDispOverwriteIf)
			le.PutUint16(b[46:], 0xfffe)
			c.expectStatus("NameLength past the end", smb2.Create, b, nil, smb2.StatusInvalidParameter)
		}},
	})
}

func TestBadInputSlowClients(t *testing.T) {
	hostileCases(t, []hostileCase{
		{"two bytes then silence", func(t *testing.T, hs *hostileServer) {
			var cs []*rawConn
			for range 8 {
				c := dialRaw(t, hs.Addr)
				c.write([]byte{0, 0})
				cs = append(cs, c)
			}
			// Others are served while these stall (checked after this
			// function); a fresh client negotiates at once.
			c := dialRaw(t, hs.Addr)
			c.negotiate(rawNegotiate(smb2.Dialect210))
		}},
		{"header then partial body", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			m := c.msg(smb2.Echo, rawEcho(), nil)
			f := rawFrame(m)
			c.write(f[:len(f)-3])
			d := dialRaw(t, hs.Addr)
			d.negotiate(rawNegotiate(smb2.Dialect210))
			c.write(f[len(f)-3:])
			if r := c.recv(); r.hdr.Status != smb2.StatusSuccess {
				t.Fatalf("ECHO after a stall: %v", r.hdr.Status)
			}
		}},
	})
}

func TestBadInputOpenLimit(t *testing.T) {
	hostileCases(t, []hostileCase{
		{"opens per connection are capped", func(t *testing.T, hs *hostileServer) {
			c := hs.session(t)
			r := c.call(smb2.TreeConnect, rawTreeConnect(`\\x\IPC$`), nil)
			if r.hdr.Status != smb2.StatusSuccess {
				t.Fatal(r.hdr.Status)
			}
			c.tid = r.hdr.TreeID
			// Pipe opens hold no file descriptors; 64 per compound.
			var last smb2.FileID
			for opened := 0; opened < maxOpensPerConn; {
				c.call(smb2.Echo, rawEcho(), nil) // top up credits
				var ms [][]byte
				for range min(64, maxOpensPerConn-opened) {
					ms = append(ms, c.msg(smb2.Create, rawCreate("srvsvc", rawDispOpen), nil))
				}
				for i := range ms[:len(ms)-1] {
					for len(ms[i])%8 != 0 {
						ms[i] = append(ms[i], 0)
					}
					le.PutUint32(ms[i][smb2.OffNextCommand:], uint32(len(ms[i])))
				}
				c.write(rawFrame(ms...))
				for _, r := range c.recvAll() {
					if r.hdr.Status != smb2.StatusSuccess {
						t.Fatalf("CREATE #%d: %v", opened, r.hdr.Status)
					}
					last = smb2.FileID{Persistent: le.Uint64(r.body[64:]), Volatile: le.Uint64(r.body[72:])}
					opened++
				}
			}
			c.expectStatus("one open too many", smb2.Create, rawCreate("srvsvc", rawDispOpen), nil, smb2.StatusInsufficientResources)
			if !strings.Contains(hs.Log.String(), "per-connection limit reached") {
				t.Error("limit not logged")
			}
			c.expectStatus("CLOSE", smb2.Close, rawClose(last), nil, smb2.StatusSuccess)
			if _, st := c.create("srvsvc", rawDispOpen); st != smb2.StatusSuccess {
				t.Errorf("CREATE after a CLOSE: %v", st)
			}
		}},
	})
}

func TestCheckLimitsAsync(t *testing.T) {
	hs := startHostile(t)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := newConn(hs.Srv, a)
	for i := range maxAsyncPerConn {
		c.async[uint64(i)] = &asyncOp{}
	}
	for _, cmd := range []smb2.Command{smb2.Lock, smb2.ChangeNotify, smb2.Read} {
		if st := c.checkLimits(cmd); st != smb2.StatusInsufficientResources {
			t.Errorf("%v with a full async table: %v", cmd, st)
		}
	}
	for _, cmd := range []smb2.Command{smb2.Close, smb2.Cancel, smb2.Create, smb2.Write} {
		if st := c.checkLimits(cmd); st != smb2.StatusSuccess {
			t.Errorf("%v with a full async table: %v", cmd, st)
		}
	}
	delete(c.async, 0)
	if st := c.checkLimits(smb2.Lock); st != smb2.StatusSuccess {
		t.Errorf("LOCK below the bound: %v", st)
	}
}
