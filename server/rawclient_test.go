package server

// The raw SMB2 client and hostile-server harness the bad-input, fuzz and
// limit tests share.

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// A tiny raw SMB2 client for hostile-input tests: it builds requests byte
// by byte so tests can break any field, and reads responses without
// interpreting more than the header.

// logSink is a goroutine-safe log sink tests can inspect.
type logSink struct {
	mu    sync.Mutex
	b     bytes.Buffer
	limit int // bytes kept at most when > 0; later lines are dropped
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if os.Getenv("ZEROSMB_TEST_LOG") == "1" {
		os.Stderr.Write(p)
	}
	if s.limit > 0 && s.b.Len()+len(p) > s.limit {
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hostileServer is a real server whose share lives in base/share next to a
// sentinel file, with its log captured for panic detection.
type hostileServer struct {
	*testServer
	Base     string
	Sentinel string
	Log      *logSink
}

const hostileSentinel = "do not touch"

func startHostile(t testing.TB) *hostileServer {
	t.Helper()
	return startHostileWith(t, nil)
}

// startHostileWith is startHostile with mod applied to the configuration.
func startHostileWith(t testing.TB, mod func(*Config)) *hostileServer {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "share")
	sentinel := filepath.Join(base, "sentinel.txt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sentinel, []byte(hostileSentinel), 0o644); err != nil {
		t.Fatal(err)
	}
	hs := serveGuestLogged(t, dir, slog.LevelDebug, mod, testUser)
	hs.Base, hs.Sentinel = base, sentinel
	return hs
}

// serveGuestLogged runs a server with a guest share "share" on dir (osfs),
// the given users (password testPass), the log captured at level, and
// mod applied to its Config; stopping it checks the log for panics.
func serveGuestLogged(t testing.TB, dir string, level slog.Level, mod func(*Config), users ...string) *hostileServer {
	t.Helper()
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	db := auth.NewUserDB()
	for _, u := range users {
		db.Add(u, testPass)
	}
	lb := &logSink{}
	cfg := Config{
		Shares: []*Share{{Name: "share", FS: fsys, Guest: true, Path: dir}},
		Users:  db,
		Logger: slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: level})),
	}
	if mod != nil {
		mod(&cfg)
	}
	ts := serveConfig(t, cfg, dir)
	hs := &hostileServer{testServer: ts, Log: lb}
	t.Cleanup(func() {
		ts.Stop()
		hs.checkNoPanic(t)
	})
	return hs
}

func (hs *hostileServer) checkNoPanic(t testing.TB) {
	t.Helper()
	if l := hs.Log.String(); strings.Contains(l, "panic serving connection") {
		t.Errorf("server recovered a panic:\n%s", l)
	}
}

// checkOutside verifies nothing next to the share changed.
func (hs *hostileServer) checkOutside(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile(hs.Sentinel)
	if err != nil || string(b) != hostileSentinel {
		t.Errorf("sentinel outside the share changed: %q, %v", b, err)
	}
	ents, err := os.ReadDir(hs.Base)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "sentinel.txt,share" {
		t.Errorf("files appeared outside the share: %v", names)
	}
}

// connCount is the number of connections the server still tracks.
func (hs *hostileServer) connCount() int {
	hs.Srv.mu.Lock()
	defer hs.Srv.mu.Unlock()
	return len(hs.Srv.conns)
}

// waitConns waits until the server tracks at most n connections.
func (hs *hostileServer) waitConns(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for hs.connCount() > n {
		if time.Now().After(deadline) {
			t.Fatalf("server still tracks %d connections, want <= %d", hs.connCount(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawConn is a raw SMB2 client connection.
type rawConn struct {
	t       testing.TB
	nc      net.Conn
	mid     uint64
	sid     uint64
	tid     uint32
	credits int // credits the client believes it holds
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, credits: 1}
}

// msg builds one SMB2 message (no frame header).
func (c *rawConn) msg(cmd smb2.Command, body []byte, mod func(h *smb2.Header)) []byte {
	h := smb2.Header{Command: cmd, Credits: 64, MessageID: c.mid, SessionID: c.sid, TreeID: c.tid, CreditCharge: 1}
	if cmd == smb2.Negotiate {
		h.CreditCharge = 0
	}
	if mod != nil {
		mod(&h)
	}
	c.mid = h.MessageID + uint64(max(h.CreditCharge, 1))
	c.credits -= int(max(h.CreditCharge, 1))
	return append(h.Append(nil), body...)
}

// frame prefixes msgs with a direct-TCP header.
func rawFrame(msgs ...[]byte) []byte {
	b := make([]byte, 4)
	for _, m := range msgs {
		b = append(b, m...)
	}
	smb2.PutFrameHeader(b, len(b)-4)
	return b
}

func (c *rawConn) write(b []byte) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one response frame.
func (c *rawConn) readFrame(d time.Duration) ([]byte, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	var fh [4]byte
	if _, err := io.ReadFull(c.nc, fh[:]); err != nil {
		return nil, err
	}
	n := int(fh[1])<<16 | int(fh[2])<<8 | int(fh[3])
	b := make([]byte, n)
	if _, err := io.ReadFull(c.nc, b); err != nil {
		return nil, err
	}
	return b, nil
}

// rawResp is one response message.
type rawResp struct {
	hdr  smb2.Header
	body []byte
}

// recvAll reads one frame and splits it into messages, skipping interim
// STATUS_PENDING frames.
func (c *rawConn) recvAll() []rawResp {
	c.t.Helper()
	for {
		b, err := c.readFrame(5 * time.Second)
		if err != nil {
			c.t.Fatalf("read response: %v", err)
		}
		var out []rawResp
		for off := 0; off < len(b); {
			h, err := smb2.DecodeHeader(b[off:])
			if err != nil {
				c.t.Fatalf("bad response header at %d: %v", off, err)
			}
			end := len(b)
			if h.NextCommand != 0 {
				end = off + int(h.NextCommand)
			}
			out = append(out, rawResp{hdr: h, body: b[off+smb2.HeaderSize : end]})
			c.credits += int(h.Credits)
			if h.NextCommand == 0 {
				break
			}
			off = end
		}
		if len(out) == 1 && out[0].hdr.Status == smb2.StatusPending {
			continue
		}
		return out
	}
}

func (c *rawConn) recv() rawResp {
	c.t.Helper()
	rs := c.recvAll()
	if len(rs) != 1 {
		c.t.Fatalf("got %d responses in a frame, want 1", len(rs))
	}
	return rs[0]
}

// call sends one request and returns its response.
func (c *rawConn) call(cmd smb2.Command, body []byte, mod func(h *smb2.Header)) rawResp {
	c.t.Helper()
	c.write(rawFrame(c.msg(cmd, body, mod)))
	return c.recv()
}

// expectStatus sends one request and checks the response status.
func (c *rawConn) expectStatus(what string, cmd smb2.Command, body []byte, mod func(h *smb2.Header), want smb2.Status) rawResp {
	c.t.Helper()
	r := c.call(cmd, body, mod)
	if r.hdr.Status != want {
		c.t.Errorf("%s: status %#x, want %#x", what, uint32(r.hdr.Status), uint32(want))
	}
	return r
}

// expectClosed checks that the server closes the connection without
// answering.
func (c *rawConn) expectClosed(what string) {
	c.t.Helper()
	b, err := c.readFrame(3 * time.Second)
	if err == nil {
		st := ""
		if h, err := smb2.DecodeHeader(b); err == nil {
			st = h.Command.String() + " " + h.Status.String()
		}
		c.t.Errorf("%s: got a response (%s), want the connection closed", what, st)
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Errorf("%s: connection still open after 3s", what)
	}
}

// Request bodies.

func rawNegotiate(dialects ...uint16) []byte {
	b := make([]byte, 36)
	le.PutUint16(b, 36)
	le.PutUint16(b[2:], uint16(len(dialects)))
	le.PutUint16(b[4:], smb2.NegotiateSigningEnabled)
	copy(b[12:28], "raw-test-client!")
	for _, d := range dialects {
		b = le.AppendUint16(b, d)
	}
	return b
}

// rawNegotiate311 offers 3.1.1 with a preauth context.
func rawNegotiate311() []byte {
	b := rawNegotiate(smb2.Dialect210, smb2.Dialect311)
	for (smb2.HeaderSize+len(b))%8 != 0 {
		b = append(b, 0)
	}
	le.PutUint32(b[28:], uint32(smb2.HeaderSize+len(b)))
	le.PutUint16(b[32:], 1)
	data := []byte{1, 0, 32, 0, 1, 0}
	data = append(data, make([]byte, 32)...)
	b = le.AppendUint16(b, smb2.PreauthIntegrityCapabilities)
	b = le.AppendUint16(b, uint16(len(data)))
	b = append(b, 0, 0, 0, 0)
	return append(b, data...)
}

func rawSessionSetup(token []byte) []byte {
	b := make([]byte, 24)
	le.PutUint16(b, 25)
	b[3] = byte(smb2.NegotiateSigningEnabled)
	le.PutUint16(b[12:], smb2.HeaderSize+24)
	le.PutUint16(b[14:], uint16(len(token)))
	return append(b, token...)
}

func rawNTLM(typ uint32, size int) []byte {
	b := make([]byte, size)
	copy(b, "NTLMSSP\x00")
	le.PutUint32(b[8:], typ)
	return b
}

func rawTreeConnect(path string) []byte {
	b := make([]byte, 8)
	le.PutUint16(b, 9)
	p := smb2.AppendUTF16(nil, path)
	le.PutUint16(b[4:], smb2.HeaderSize+8)
	le.PutUint16(b[6:], uint16(len(p)))
	return append(b, p...)
}

// rawCreate opens name with GENERIC_ALL and the given disposition.
func rawCreate(name string, disposition uint32) []byte {
	b := make([]byte, 56)
	le.PutUint16(b, 57)
	le.PutUint32(b[4:], 2) // impersonation
	le.PutUint32(b[24:], genericAll)
	le.PutUint32(b[28:], 0x80) // FILE_ATTRIBUTE_NORMAL
	le.PutUint32(b[32:], 7)    // share all
	le.PutUint32(b[36:], disposition)
	n := smb2.AppendUTF16(nil, name)
	le.PutUint16(b[44:], smb2.HeaderSize+56)
	le.PutUint16(b[46:], uint16(len(n)))
	if len(n) == 0 {
		n = []byte{0}
	}
	return append(b, n...)
}

func rawClose(id smb2.FileID) []byte {
	b := make([]byte, 24)
	le.PutUint16(b, 24)
	le.PutUint64(b[8:], id.Persistent)
	le.PutUint64(b[16:], id.Volatile)
	return b
}

func rawRead(id smb2.FileID, off uint64, n uint32) []byte {
	b := make([]byte, 49)
	le.PutUint16(b, 49)
	le.PutUint32(b[4:], n)
	le.PutUint64(b[8:], off)
	le.PutUint64(b[16:], id.Persistent)
	le.PutUint64(b[24:], id.Volatile)
	return b
}

func rawWrite(id smb2.FileID, off uint64, data []byte) []byte {
	b := make([]byte, 48)
	le.PutUint16(b, 49)
	le.PutUint16(b[2:], smb2.HeaderSize+48)
	le.PutUint32(b[4:], uint32(len(data)))
	le.PutUint64(b[8:], off)
	le.PutUint64(b[16:], id.Persistent)
	le.PutUint64(b[24:], id.Volatile)
	return append(b, data...)
}

func rawQueryDir(id smb2.FileID, pattern string, outLen uint32) []byte {
	b := make([]byte, 32)
	le.PutUint16(b, 33)
	b[2] = 0x01 // FileDirectoryInformation
	le.PutUint64(b[8:], id.Persistent)
	le.PutUint64(b[16:], id.Volatile)
	p := smb2.AppendUTF16(nil, pattern)
	le.PutUint16(b[24:], smb2.HeaderSize+32)
	le.PutUint16(b[26:], uint16(len(p)))
	le.PutUint32(b[28:], outLen)
	return append(b, p...)
}

func rawEcho() []byte { return []byte{4, 0, 0, 0} }

// Protocol steps.

func (c *rawConn) negotiate(body []byte) {
	c.t.Helper()
	r := c.call(smb2.Negotiate, body, nil)
	if r.hdr.Status != smb2.StatusSuccess {
		c.t.Fatalf("NEGOTIATE: %v", r.hdr.Status)
	}
}

// anonLogon runs a raw NTLMSSP anonymous SESSION_SETUP.
func (c *rawConn) anonLogon() {
	c.t.Helper()
	neg := rawNTLM(1, 32)
	le.PutUint32(neg[12:], 0x00000001|0x00000200|0x00000800) // unicode, NTLM, anonymous
	r := c.call(smb2.SessionSetup, rawSessionSetup(neg), nil)
	if r.hdr.Status != smb2.StatusMoreProcessingRequired {
		c.t.Fatalf("SESSION_SETUP 1: %v", r.hdr.Status)
	}
	c.sid = r.hdr.SessionID
	am := rawNTLM(3, 88)
	le.PutUint32(am[60:], 0x00000001|0x00000200|0x00000800)
	r = c.call(smb2.SessionSetup, rawSessionSetup(am), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		c.t.Fatalf("SESSION_SETUP 2: %v", r.hdr.Status)
	}
}

func (c *rawConn) treeConnect(share string) {
	c.t.Helper()
	r := c.call(smb2.TreeConnect, rawTreeConnect(`\\127.0.0.1\`+share), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		c.t.Fatalf("TREE_CONNECT: %v", r.hdr.Status)
	}
	c.tid = r.hdr.TreeID
}

// session negotiates 2.1, logs on anonymously and connects to "share".
func (hs *hostileServer) session(t testing.TB) *rawConn {
	t.Helper()
	return rawSession(t, hs.Addr)
}

// rawSession dials addr, negotiates 2.1, logs on anonymously (unsigned)
// and connects to "share", which must allow guests.
func rawSession(t testing.TB, addr string) *rawConn {
	t.Helper()
	c := dialRaw(t, addr)
	c.negotiate(rawNegotiate(smb2.Dialect202, smb2.Dialect210))
	c.anonLogon()
	c.treeConnect("share")
	return c
}

// create opens name and returns the FileId or the failure status.
func (c *rawConn) create(name string, disposition uint32) (smb2.FileID, smb2.Status) {
	c.t.Helper()
	r := c.call(smb2.Create, rawCreate(name, disposition), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		return smb2.FileID{}, r.hdr.Status
	}
	if len(r.body) < 80 {
		c.t.Fatalf("short CREATE response (%d)", len(r.body))
	}
	return smb2.FileID{Persistent: le.Uint64(r.body[64:]), Volatile: le.Uint64(r.body[72:])}, smb2.StatusSuccess
}

// File dispositions.
const (
	rawDispOpen        = 1
	rawDispCreate      = 2
	rawDispOverwriteIf = 5
)

// BenchmarkServerFrame runs the seeds through the fuzz harness: the cost
// of one fuzz execution without the fuzzing engine.
func BenchmarkServerFrame(b *testing.B) {
	fs := newFuzzServer(b)
	seeds := fuzzSeeds()
	for i := 0; b.Loop(); i++ {
		s := seeds[i%len(seeds)]
		fs.run(b, s[0], s[1:])
	}
}
