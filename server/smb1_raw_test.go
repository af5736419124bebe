package server

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// A raw SMB1 client on rawConn for hostile-input tests: it builds every
// message byte by byte so tests can break any field.

// s1Conn is a raw SMB1 connection (after s1Session: logged on, tree
// connected to "share").
type s1Conn struct {
	*rawConn
	uid, tid, mid uint16
	// noLevelII: login leaves CAP_LEVEL_II_OPLOCKS out of its
	// SESSION_SETUP_ANDX capabilities.
	noLevelII bool
}

// s1Msg builds a request: header, then one block of words and data.
func (c *s1Conn) s1Msg(cmd smb1.Command, words, data []byte) []byte {
	c.mid++
	h := smb1.Header{Command: cmd, Flags2: smb1.Flags2Unicode | smb1.Flags2NTStatus | smb1.Flags2ExtendedSec,
		UID: c.uid, TID: c.tid, MID: c.mid}
	return s1Block(h.Append(nil), words, data)
}

// s1Block appends a block.
func s1Block(b, words, data []byte) []byte {
	b = append(b, byte(len(words)/2))
	b = append(b, words...)
	b = le.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// s1Resp is one SMB1 response.
type s1Resp struct {
	hdr smb1.Header
	msg []byte
	blk smb1.Block
}

// s1Call sends msg in a frame and reads the response.
func (c *s1Conn) s1Call(msg []byte) s1Resp {
	c.t.Helper()
	c.write(rawFrame(msg))
	return c.s1Recv()
}

func (c *s1Conn) s1Recv() s1Resp {
	c.t.Helper()
	b, err := c.readFrame(5 * time.Second)
	if err != nil {
		c.t.Fatalf("SMB1 response: %v", err)
	}
	h, err := smb1.DecodeHeader(b)
	if err != nil || h.Flags&smb1.FlagsReply == 0 {
		c.t.Fatalf("not an SMB1 reply: % x", b[:min(len(b), 40)])
	}
	blk, _ := smb1.DecodeBlock(b, smb1.HeaderSize)
	return s1Resp{hdr: h, msg: b, blk: blk}
}

// expect sends msg and checks the response status.
func (c *s1Conn) expect(what string, msg []byte, want smb2.Status) s1Resp {
	c.t.Helper()
	r := c.s1Call(msg)
	if smb2.Status(r.hdr.Status) != want {
		c.t.Errorf("%s: status %v, want %v", what, smb2.Status(r.hdr.Status), want)
	}
	return r
}

func s1Negotiate(dialects ...string) []byte { return smb1Msg(byte(smb1.ComNegotiate), dialects...) }

// sessionWords builds extended-security SESSION_SETUP_ANDX words for a
// blob of n bytes.
func sessionWords(n int) []byte {
	w := make([]byte, 24)
	w[0] = byte(smb1.ComNoAndX)
	le.PutUint16(w[4:], 16644)
	le.PutUint16(w[6:], 2)
	le.PutUint16(w[14:], uint16(n))
	le.PutUint32(w[20:], smb1.CapExtendedSecurity|smb1.CapUnicode|smb1.CapNTStatus|smb1.CapLevelIIOplocks)
	return w
}

// treeConnectMsg builds TREE_CONNECT_ANDX for \\host\share.
func (c *s1Conn) treeConnectMsg(share, service string) []byte {
	words := []byte{byte(smb1.ComNoAndX), 0, 0, 0, 8, 0, 1, 0}
	data := []byte{0} // password: one NUL; the path follows at an even offset
	if (smb1.HeaderSize+1+len(words)+2+len(data))%2 != 0 {
		data = append(data, 0)
	}
	data = append(smb2.AppendUTF16(data, `\\127.0.0.1\`+share), 0, 0)
	return c.s1Msg(smb1.ComTreeConnectAndX, words, append(data, service+"\x00"...))
}

// s1Session dials addr, negotiates NT LM 0.12, logs on anonymously (raw
// NTLMSSP) and connects to "share".
func s1Session(t testing.TB, addr string) *s1Conn {
	t.Helper()
	c := &s1Conn{rawConn: dialRaw(t, addr)}
	c.login()
	return c
}

// login negotiates, logs on anonymously and connects to "share".
func (c *s1Conn) login() {
	t := c.t
	t.Helper()
	r := c.s1Call(s1Negotiate("PC NETWORK PROGRAM 1.0", smb1.DialectNTLM012))
	if r.hdr.Status != 0 || len(r.blk.Words) != 34 || le.Uint16(r.blk.Words) != 1 {
		t.Fatalf("NEGOTIATE: status %#x, words % x", r.hdr.Status, r.blk.Words)
	}
	if caps := le.Uint32(r.blk.Words[19:]); caps&smb1.CapExtendedSecurity == 0 || caps&smb1.CapLargeWriteX == 0 {
		t.Fatalf("capabilities %#x", caps)
	}
	neg := rawNTLM(1, 32)
	le.PutUint32(neg[12:], 0x00000001|0x00000200|0x00000800)
	sw := func(n int) []byte {
		w := sessionWords(n)
		if c.noLevelII {
			le.PutUint32(w[20:], le.Uint32(w[20:])&^smb1.CapLevelIIOplocks)
		}
		return w
	}
	r = c.s1Call(c.s1Msg(smb1.ComSessionSetupX, sw(len(neg)), neg))
	if smb2.Status(r.hdr.Status) != smb2.StatusMoreProcessingRequired || r.hdr.UID == 0 {
		t.Fatalf("SESSION_SETUP 1: %v uid %d", smb2.Status(r.hdr.Status), r.hdr.UID)
	}
	c.uid = r.hdr.UID
	am := rawNTLM(3, 88)
	le.PutUint32(am[60:], 0x00000001|0x00000200|0x00000800)
	r = c.s1Call(c.s1Msg(smb1.ComSessionSetupX, sw(len(am)), am))
	if r.hdr.Status != 0 {
		t.Fatalf("SESSION_SETUP 2: %v", smb2.Status(r.hdr.Status))
	}
	r = c.s1Call(c.treeConnectMsg("share", "?????"))
	if r.hdr.Status != 0 || r.hdr.TID == 0 {
		t.Fatalf("TREE_CONNECT: %v", smb2.Status(r.hdr.Status))
	}
	c.tid = r.hdr.TID
}

// ntCreateMsg builds NT_CREATE_ANDX for name.
func (c *s1Conn) ntCreateMsg(name string, access, share, disp uint32) []byte {
	w := make([]byte, 48)
	w[0] = byte(smb1.ComNoAndX)
	n := append(smb2.AppendUTF16(nil, name), 0, 0)
	le.PutUint16(w[5:], uint16(len(n)))
	le.PutUint32(w[15:], access)
	le.PutUint32(w[31:], share)
	le.PutUint32(w[35:], disp)
	return c.s1Msg(smb1.ComNTCreateAndX, w, append([]byte{0}, n...)) // pad to an even offset
}

// writeMsg builds WRITE_ANDX of data at off.
func (c *s1Conn) writeMsg(fid uint16, off uint32, data []byte) []byte {
	w := make([]byte, 28)
	w[0] = byte(smb1.ComNoAndX)
	le.PutUint16(w[4:], fid)
	le.PutUint32(w[6:], off)
	le.PutUint16(w[18:], uint16(len(data)>>16))
	le.PutUint16(w[20:], uint16(len(data)))
	le.PutUint16(w[22:], smb1.WriteAndXFixedSize+1)
	return c.s1Msg(smb1.ComWriteAndX, w, append([]byte{0}, data...))
}

func startSMB1Hostile(t *testing.T) *hostileServer {
	return startHostileWith(t, func(cfg *Config) { cfg.SMB1 = true; cfg.RecvfileMin = 65536 })
}

// TestSMB1Negotiate: without Config.SMB1 an NT LM 0.12-only NEGOTIATE is
// refused (TestBadInputNegotiate) and a multi-protocol one bridges to SMB2;
// with it, NT LM 0.12 is answered in SMB1 and SMB2 still wins when offered.
func TestSMB1Negotiate(t *testing.T) {
	for _, on := range []bool{false, true} {
		hs := startHostileWith(t, func(cfg *Config) { cfg.SMB1 = on })
		c := dialRaw(t, hs.Addr)
		c.write(rawFrame(s1Negotiate(smb1.DialectNTLM012, "SMB 2.002")))
		b, err := c.readFrame(3 * time.Second)
		if err != nil || smb2.ProtocolID(b) != smb2.ProtocolSMB2 {
			t.Errorf("SMB1=%v: multi-protocol NEGOTIATE got % x, %v; want an SMB2 response", on, b[:min(len(b), 8)], err)
		}
		c = dialRaw(t, hs.Addr)
		c.write(rawFrame(s1Negotiate(smb1.DialectNTLM012)))
		if !on {
			c.expectClosed("NT LM 0.12 without SMB1")
			continue
		}
		b, err = c.readFrame(3 * time.Second)
		if err != nil || smb2.ProtocolID(b) != smb2.ProtocolSMB1 || b[smb1.HeaderSize] != 17 {
			t.Errorf("NT LM 0.12 with SMB1: % x, %v", b[:min(len(b), 40)], err)
		}
	}
}

// TestSMB1BadInput sends malformed SMB1 requests on a logged-on
// connection: each gets its NTSTATUS or closes the connection, never a
// panic, and a bystander SMB2 client keeps working.
func TestSMB1BadInput(t *testing.T) {
	hs := startSMB1Hostile(t)
	other := &otherClient{fs: dialGo(t, hs.testServer)}
	echo := func(c *s1Conn) []byte { return c.s1Msg(smb1.ComEcho, []byte{1, 0}, []byte("ping")) }
	cases := []struct {
		name string
		run  func(t *testing.T, c *s1Conn)
	}{
		{"echo answers and the session works", func(t *testing.T, c *s1Conn) {
			r := c.expect("echo", echo(c), 0)
			if string(r.blk.Bytes) != "ping" {
				t.Errorf("echo data %q", r.blk.Bytes)
			}
			c.write(rawFrame(c.s1Msg(smb1.ComEcho, []byte{3, 0}, []byte("x"))))
			for i := 1; i <= 3; i++ {
				if r := c.s1Recv(); le.Uint16(r.blk.Words) != uint16(i) {
					t.Errorf("echo response %d has sequence %d", i, le.Uint16(r.blk.Words))
				}
			}
		}},
		{"word count lies", func(t *testing.T, c *s1Conn) {
			m := c.ntCreateMsg("a.txt", 0x80, 7, 1)
			m[smb1.HeaderSize] = 100
			c.expect("word count", m, smb2.StatusInvalidParameter)
		}},
		{"byte count lies", func(t *testing.T, c *s1Conn) {
			m := c.ntCreateMsg("a.txt", 0x80, 7, 1)
			le.PutUint16(m[smb1.HeaderSize+1+48:], 5000)
			c.expect("byte count", m, smb2.StatusInvalidParameter)
		}},
		{"truncated words", func(t *testing.T, c *s1Conn) {
			m := c.ntCreateMsg("a.txt", 0x80, 7, 1)
			c.expect("truncated", m[:smb1.HeaderSize+20], smb2.StatusInvalidParameter)
		}},
		{"AndX offset backwards (loop)", func(t *testing.T, c *s1Conn) {
			m := c.ntCreateMsg("a.txt", 0x80, 7, 1)
			m[smb1.HeaderSize+1] = byte(smb1.ComNTCreateAndX)
			le.PutUint16(m[smb1.HeaderSize+3:], smb1.HeaderSize) // points at itself
			c.expect("AndX loop", m, smb2.StatusInvalidParameter)
		}},
		{"AndX offset past the frame", func(t *testing.T, c *s1Conn) {
			m := c.ntCreateMsg("a.txt", 0x80, 7, 1)
			m[smb1.HeaderSize+1] = byte(smb1.ComCheckDirectory)
			le.PutUint16(m[smb1.HeaderSize+3:], 0xFFF0)
			c.expect("AndX past the end", m, smb2.StatusInvalidParameter)
		}},
		{"AndX chain too long", func(t *testing.T, c *s1Conn) {
			var m []byte
			for i := 0; i < smb1.MaxChain+1; i++ {
				tc := c.treeConnectMsg("share", "?????")
				if i == 0 {
					m = tc
					continue
				}
				blk := tc[smb1.HeaderSize:]
				if len(m)%2 != 0 {
					m = append(m, 0) // keep the path's UTF-16 aligned
				}
				m[smb1.HeaderSize+1] = byte(smb1.ComTreeConnectAndX)
				prev := smb1.HeaderSize
				for { // link the last block of the chain
					next := int(le.Uint16(m[prev+3:]))
					if m[prev+1] == byte(smb1.ComNoAndX) || next == 0 {
						break
					}
					prev = next
				}
				m[prev+1] = byte(smb1.ComTreeConnectAndX)
				le.PutUint16(m[prev+3:], uint16(len(m)))
				m = append(m, blk...)
			}
			c.write(rawFrame(m))
			c.expectClosed("AndX chain of 9")
		}},
		{"unknown command", func(t *testing.T, c *s1Conn) {
			c.expect("command 0x99", c.s1Msg(0x99, nil, nil), smb2.StatusNotImplemented)
		}},
		{"unknown UID and TID", func(t *testing.T, c *s1Conn) {
			m := c.ntCreateMsg("a.txt", 0x80, 7, 1)
			le.PutUint16(m[28:], c.uid+100)
			// ERRSRV:ERRbaduid as a DOS error (class, reserved, code) with
			// SMB_FLAGS2_NT_STATUS clear, as Windows and Samba.
			if r := c.expect("bad UID", m, 0x005B0002); r.hdr.Flags2&smb1.Flags2NTStatus != 0 {
				t.Errorf("bad UID: DOS error sent with Flags2 NT_STATUS set")
			}
			m = c.ntCreateMsg("a.txt", 0x80, 7, 1)
			le.PutUint16(m[24:], c.tid+100)
			c.expect("bad TID", m, smb2.StatusNetworkNameDeleted)
		}},
		{"LM/NTLM session setup refused", func(t *testing.T, c *s1Conn) {
			w := make([]byte, 26)
			w[0] = byte(smb1.ComNoAndX)
			m := c.s1Msg(smb1.ComSessionSetupX, w, []byte("password\x00"))
			le.PutUint16(m[28:], 0)
			c.expect("13-word session setup", m, smb2.StatusLogonFailure)
		}},
		{"TRANS2 offsets outside the frame", func(t *testing.T, c *s1Conn) {
			w := make([]byte, 30)
			le.PutUint16(w[0:], 6)
			le.PutUint16(w[4:], 10)
			le.PutUint16(w[6:], 4096)
			le.PutUint16(w[18:], 6)
			le.PutUint16(w[20:], 0x7000) // ParameterOffset
			w[26] = 1
			le.PutUint16(w[28:], smb1.Trans2QueryPathInfo)
			c.expect("params outside", c.s1Msg(smb1.ComTransaction2, w, make([]byte, 6)), smb2.StatusInvalidParameter)
			le.PutUint16(w[0:], 600) // TotalParameterCount: secondaries would follow
			le.PutUint16(w[20:], smb1.HeaderSize+1+30+2)
			// The interim response; a secondary of another MID matches no
			// waiting primary and closes the connection.
			c.expect("needs secondaries", c.s1Msg(smb1.ComTransaction2, w, make([]byte, 6)), smb2.StatusSuccess)
			c.write(rawFrame(c.s1Msg(smb1.ComTransaction2Sec, make([]byte, 18), nil)))
			c.expectClosed("TRANS2 secondary")
		}},
		{"core WRITE, SEARCH and NT_TRANSACT that lie", func(t *testing.T, c *s1Conn) {
			// WRITE: Count 65535 with no data (smbtorture's bad-write).
			c.expect("WRITE count", c.s1Msg(smb1.ComWrite, []byte{1, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0}, []byte{1, 0xFF, 0xFF}),
				smb2.StatusInvalidParameter)
			// SEARCH: a resume key of 5 bytes.
			c.expect("SEARCH key", c.s1Msg(smb1.ComSearch, []byte{1, 0, 0, 0}, []byte{4, 0, 0, 5, 5, 0, 1, 2, 3, 4, 5}),
				smb2.StatusInvalidParameter)
			// NT_TRANSACT: parameters outside the frame; CREATE whose
			// security descriptor length runs past its data.
			w := make([]byte, 38)
			le.PutUint32(w[3:], 60)
			le.PutUint32(w[19:], 60)
			le.PutUint32(w[23:], 0x7000)
			le.PutUint16(w[36:], smb1.NTTransCreate)
			c.expect("NT_TRANSACT params outside", c.s1Msg(smb1.ComNTTransact, w, make([]byte, 8)), smb2.StatusInvalidParameter)
			p := make([]byte, 60)
			le.PutUint32(p[36:], 1000) // SecurityDescriptorLength
			le.PutUint32(w[23:], uint32(smb1.HeaderSize+1+38+2))
			c.expect("NT_TRANSACT_CREATE SD length", c.s1Msg(smb1.ComNTTransact, w, p), smb2.StatusInvalidParameter)
		}},
		{"WRITE_ANDX data outside the frame", func(t *testing.T, c *s1Conn) {
			m := c.writeMsg(1, 0, []byte("data"))
			le.PutUint16(m[smb1.HeaderSize+1+22:], 4000)
			c.expect("data offset", m, smb2.StatusInvalidParameter)
		}},
		{"refused spliced WRITE_ANDX is drained", func(t *testing.T, c *s1Conn) {
			// 128 KiB to a FID that does not exist: the header-split path
			// refuses it and must drain the payload to stay in step.
			c.expect("bad FID", c.writeMsg(0x4242, 0, make([]byte, 128<<10)), smb2.StatusInvalidHandle)
			c.expect("echo after", echo(c), 0)
		}},
		{"SMB2 frame on an SMB1 connection", func(t *testing.T, c *s1Conn) {
			c.write(rawFrame(c.rawConn.msg(smb2.Echo, rawEcho(), nil)))
			c.expectClosed("SMB2 after SMB1")
		}},
		{"second NEGOTIATE", func(t *testing.T, c *s1Conn) {
			c.write(rawFrame(s1Negotiate(smb1.DialectNTLM012)))
			c.expectClosed("second SMB1 NEGOTIATE")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := s1Session(t, hs.Addr)
			c.rawConn.t = t
			tc.run(t, c)
			other.check(t)
			hs.checkOutside(t)
			hs.checkNoPanic(t)
		})
	}
}

// TestSMB1SharesStateWithSMB2: an SMB1 open and an SMB2 open of the same
// file meet in one open table: share modes conflict both ways, and data
// written over SMB1 (spliced, 128 KiB) reads back over SMB2.
func TestSMB1SharesStateWithSMB2(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	r := c.expect("create", c.ntCreateMsg(`\shared.bin`, 0x0012019F, 0, 5 /* overwrite_if */), 0)
	fid := le.Uint16(r.blk.Words[5:])
	data := make([]byte, 128<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	r = c.expect("write", c.writeMsg(fid, 0, data), 0)
	if n := uint32(le.Uint16(r.blk.Words[4:])) | uint32(le.Uint16(r.blk.Words[8:]))<<16; n != uint32(len(data)) {
		t.Fatalf("WRITE_ANDX count %d", n)
	}
	if st := hs.Srv.DataStats(); st.WriteSplitBytes < uint64(len(data)) {
		t.Errorf("WriteSplitBytes %d: the 128 KiB WRITE_ANDX was not header-split", st.WriteSplitBytes)
	}
	fs := dialGo(t, hs.testServer)
	if f, err := fs.Open("shared.bin"); err == nil || !strings.Contains(err.Error(), "share access") {
		if f != nil {
			f.Close()
		}
		t.Errorf("SMB2 open of a file SMB1 holds with share none: %v, want a sharing violation", err)
	}
	c.expect("close", c.s1Msg(smb1.ComClose, []byte{byte(fid), byte(fid >> 8), 0, 0, 0, 0}, nil), 0)
	got, err := fs.ReadFile("shared.bin")
	if err != nil || string(got) != string(data) {
		t.Fatalf("SMB2 read back: %d bytes, %v", len(got), err)
	}
	onDisk, _ := os.ReadFile(filepath.Join(hs.Dir, "shared.bin"))
	if len(onDisk) != len(data) {
		t.Errorf("on disk %d bytes", len(onDisk))
	}
}

// smb1FuzzSeeds are FuzzServerFrame inputs for mode 2 (after the SMB1
// prelude: UID 1, TID 1; the first NT_CREATE_ANDX gets FID 1).
func smb1FuzzSeeds(mode func(frames ...[]byte) []byte) [][]byte {
	c := &s1Conn{uid: 1, tid: 1}
	find := append([]byte{0x16, 0, 0, 1, 6, 0, 4, 1, 0, 0, 0, 0}, append(smb2.AppendUTF16(nil, `\*`), 0, 0)...)
	qpath := append([]byte{0x07, 0x01, 0, 0, 0, 0}, append(smb2.AppendUTF16(nil, `\f.txt`), 0, 0)...)
	path := func(name string) []byte { return append(append([]byte{4}, smb2.AppendUTF16(nil, name)...), 0, 0) }
	return [][]byte{
		mode(rawFrame(c.s1Msg(smb1.ComEcho, []byte{1, 0}, []byte("x")))),
		mode(rawFrame(c.ntCreateMsg(`\f.txt`, 0x0012019F, 7, 5)),
			rawFrame(c.writeMsg(1, 0, []byte("hello fuzz"))),
			rawFrame(c.s1Msg(smb1.ComReadAndX, []byte{0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0}, nil)),
			rawFrame(c.trans2Msg(smb1.Trans2QueryPathInfo, qpath)),
			rawFrame(c.s1Msg(smb1.ComClose, []byte{1, 0, 0, 0, 0, 0}, nil))),
		mode(rawFrame(c.trans2Msg(smb1.Trans2FindFirst2, find)),
			rawFrame(c.s1Msg(smb1.ComCreateDirectory, nil, path(`\d`))),
			rawFrame(c.s1Msg(smb1.ComCheckDirectory, nil, path(`\d`))),
			rawFrame(c.s1Msg(smb1.ComDeleteDirectory, nil, path(`\d`))),
			rawFrame(c.trans2Msg(smb1.Trans2QueryFSInfo, []byte{0x03, 0x01}))),
		// The core commands and the core SEARCH (smb1core.go, smb1search.go).
		mode(rawFrame(c.s1Msg(smb1.ComCreateNew, []byte{0, 0, 0, 0, 0, 0}, path(`\c.txt`))),
			rawFrame(c.s1Msg(smb1.ComWrite, []byte{1, 0, 3, 0, 0, 0, 0, 0, 0, 0}, []byte{1, 3, 0, 'a', 'b', 'c'})),
			rawFrame(c.s1Msg(smb1.ComRead, []byte{1, 0, 10, 0, 0, 0, 0, 0, 0, 0}, nil)),
			rawFrame(c.s1Msg(smb1.ComSeek, []byte{1, 0, 2, 0, 0, 0, 0, 0}, nil)),
			rawFrame(c.s1Msg(smb1.ComClose, []byte{1, 0, 0, 0, 0, 0}, nil)),
			rawFrame(c.s1Msg(smb1.ComSearch, []byte{10, 0, 0x16, 0}, append(path(`\*`), 5, 0, 0)))),
	}
}

// trans2Msg builds a TRANS2 request with params (no data).
func (c *s1Conn) trans2Msg(sub uint16, params []byte) []byte {
	w := make([]byte, 30)
	le.PutUint16(w[0:], uint16(len(params)))
	le.PutUint16(w[4:], 10)
	le.PutUint16(w[6:], 16384)
	le.PutUint16(w[18:], uint16(len(params)))
	po := smb1.HeaderSize + 1 + 30 + 2 + 1 // one pad byte: params start even
	le.PutUint16(w[20:], uint16(po))
	le.PutUint16(w[24:], uint16(po+len(params)))
	w[26] = 1
	le.PutUint16(w[28:], sub)
	return c.s1Msg(smb1.ComTransaction2, w, append([]byte{0}, params...))
}

// TestSMB1FuzzSeeds checks the SMB1 seeds of FuzzServerFrame are valid
// requests, so fuzzing starts deep in the SMB1 handlers.
func TestSMB1FuzzSeeds(t *testing.T) {
	hs := startSMB1Hostile(t)
	for i, seed := range smb1FuzzSeeds(func(frames ...[]byte) []byte { return append([]byte{2}, bytes.Join(frames, nil)...) }) {
		c := s1Session(t, hs.Addr)
		if c.uid != 1 || c.tid != 1 {
			t.Fatalf("prelude gave UID %d TID %d, seeds assume 1 and 1", c.uid, c.tid)
		}
		for data := seed[1:]; len(data) > 0; {
			n := int(data[1])<<16 | int(data[2])<<8 | int(data[3])
			c.write(data[:4+n])
			data = data[4+n:]
			if r := c.s1Recv(); r.hdr.Status != 0 {
				t.Errorf("seed %d: command %#x: %v", i, r.hdr.Command, smb2.Status(r.hdr.Status))
			}
		}
	}
}

// lockingMsg builds LOCKING_ANDX with one 32-bit range to lock (or unlock).
func (c *s1Conn) lockingMsg(fid uint16, off, n uint32, unlock bool) []byte {
	w := make([]byte, 16)
	w[0] = byte(smb1.ComNoAndX)
	le.PutUint16(w[4:], fid)
	if unlock {
		le.PutUint16(w[12:], 1)
	} else {
		le.PutUint16(w[14:], 1)
	}
	rng := make([]byte, 10)
	le.PutUint32(rng[2:], off)
	le.PutUint32(rng[6:], n)
	return c.s1Msg(smb1.ComLockingAndX, w, rng)
}

// TestSMB1LocksShareTheSMB2Table: a LOCKING_ANDX range conflicts with an
// SMB2 LOCK on the same file and SMB2 I/O in it; after the SMB1 unlock the
// SMB2 lock succeeds, and the SMB2 lock then blocks SMB1.
func TestSMB1LocksShareTheSMB2Table(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	r := c.expect("create", c.ntCreateMsg(`\locked.bin`, 0x0012019F, 7, 5), 0)
	fid := le.Uint16(r.blk.Words[5:])
	c.expect("write", c.writeMsg(fid, 0, make([]byte, 100)), 0)
	c.expect("lock 0-10", c.lockingMsg(fid, 0, 10, false), 0)
	c.expect("lock again", c.lockingMsg(fid, 5, 10, false), smb2.StatusLockNotGranted)

	s2 := hs.session(t)
	id, st := s2.create("locked.bin", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("SMB2 create: %v", st)
	}
	s2.expectStatus("SMB2 lock over the SMB1 range", smb2.Lock, fuzzLock(id, 0, 4, 2|0x10), nil, smb2.StatusLockNotGranted)
	c.expect("unlock", c.lockingMsg(fid, 0, 10, true), 0)
	s2.expectStatus("SMB2 lock after the unlock", smb2.Lock, fuzzLock(id, 0, 4, 2|0x10), nil, smb2.StatusSuccess)
	c.expect("SMB1 lock over the SMB2 range", c.lockingMsg(fid, 2, 1, false), smb2.StatusLockNotGranted)
	c.expect("unlock not held", c.lockingMsg(fid, 50, 1, true), smb2.StatusRangeNotLocked)
}

// TestSMB1ChainedLogonTreeConnect: SESSION_SETUP_ANDX chained with
// TREE_CONNECT_ANDX (as Windows XP sends them) is answered with both
// responses linked by AndX, the tree connect's strings aligned from the
// header, and the new UID and TID usable at once.
func TestSMB1ChainedLogonTreeConnect(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := &s1Conn{rawConn: dialRaw(t, hs.Addr)}
	c.s1Call(s1Negotiate(smb1.DialectNTLM012))
	neg := rawNTLM(1, 32)
	le.PutUint32(neg[12:], 0x00000001|0x00000200|0x00000800)
	r := c.s1Call(c.s1Msg(smb1.ComSessionSetupX, sessionWords(len(neg)), neg))
	c.uid = r.hdr.UID
	am := rawNTLM(3, 88)
	le.PutUint32(am[60:], 0x00000001|0x00000200|0x00000800)
	m := c.s1Msg(smb1.ComSessionSetupX, sessionWords(len(am)), am)
	if len(m)%2 != 0 {
		m = append(m, 0)
	}
	tc := c.treeConnectMsg("share", "?????")[smb1.HeaderSize:]
	m[smb1.HeaderSize+1] = byte(smb1.ComTreeConnectAndX)
	le.PutUint16(m[smb1.HeaderSize+3:], uint16(len(m)))
	r = c.s1Call(append(m, tc...))
	if r.hdr.Status != 0 || r.hdr.TID == 0 || r.hdr.UID != c.uid {
		t.Fatalf("chained logon: status %v UID %d TID %d", smb2.Status(r.hdr.Status), r.hdr.UID, r.hdr.TID)
	}
	a, err := smb1.DecodeAndX(&r.blk, len(r.msg))
	if err != nil || a.Command != smb1.ComTreeConnectAndX {
		t.Fatalf("first block's AndX: %+v %v", a, err)
	}
	b, err := smb1.DecodeBlock(r.msg, int(a.Offset))
	if err != nil || len(b.Words) != 14 {
		t.Fatalf("tree connect block: %+v %v", b, err)
	}
	svc, next, err := smb1.String(r.msg, b.BytesOff, b.End, false)
	if err != nil || svc != "A:" {
		t.Fatalf("service %q %v", svc, err)
	}
	if fs, _, err := smb1.String(r.msg, next, b.End, true); err != nil || fs != "NTFS" {
		t.Errorf("native file system %q %v (a misaligned string decodes wrong)", fs, err)
	}
	c.tid = r.hdr.TID
	c.expect("create on the chained tree", c.ntCreateMsg(`\chained.txt`, 0x0012019F, 7, 5), 0)
}
