package server

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// Signed and sealed READ/WRITE through the real request path: a conn
// whose socket is a scripted in-memory net.Conn (pipeConn) holding one
// request frame at a time, read exactly as readLoop's plain path does
// (4-byte header, then readFrame), on an osfs share, so a WRITE ends in
// pwrite and a READ starts with pread. The "client" side only signs or
// seals into reused buffers (no allocations), so -benchmem's allocs/op
// are the server's per request.
//
//	go test ./server -run XXX -bench 'Signed|Sealed' -benchmem

// pipeConn is a net.Conn that serves the bytes in in to Read and hands
// every Write to out.
type pipeConn struct {
	in  bytes.Reader
	out func([]byte)
}

func (p *pipeConn) Read(b []byte) (int, error)       { return p.in.Read(b) }
func (p *pipeConn) Write(b []byte) (int, error)      { p.out(b); return len(b), nil }
func (p *pipeConn) Close() error                     { return nil }
func (p *pipeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (p *pipeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (p *pipeConn) SetDeadline(time.Time) error      { return nil }
func (p *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (p *pipeConn) SetWriteDeadline(time.Time) error { return nil }

// ioBench is one logged-on 3.1.1 connection with an open of data.bin.
type ioBench struct {
	c      *conn
	pc     *pipeConn
	sess   *session
	fid    smb2.FileID
	mid    uint64
	signer *sign.Signer // the client's (same key as the server's)
	seal   *sign.Sealer // client → server (the server's opener key)
	open   *sign.Sealer // server → client (the server's sealer key)
	frame  []byte       // request frame being built (reused)
	resp   []byte       // last response frame (reused)
	dir    string
	fh     [4]byte // as readLoop's, allocated once per connection
}

// newIOBench sets up the connection; cipher 0 means signed (AES-GMAC),
// otherwise sealed with that cipher.
func newIOBench(tb testing.TB, cipher sign.Cipher, fileSize int) *ioBench {
	tb.Helper()
	dir := tb.TempDir()
	data := make([]byte, fileSize)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(dir, "data.bin"), data, 0o644); err != nil {
		tb.Fatal(err)
	}
	fsys, err := osfs.New(dir, false)
	if err != nil {
		tb.Fatal(err)
	}
	users := auth.NewUserDB()
	users.Add("u", "pw")
	srv, err := New(Config{Shares: []*Share{{Name: "s", FS: fsys}}, Users: users, Logger: testLogger(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	b := &ioBench{dir: dir}
	b.pc = &pipeConn{out: func(p []byte) { b.resp = append(b.resp, p...) }}
	c := newConn(srv, b.pc)
	c.negotiated, c.authed = true, true
	c.dialect = smb2.Dialect311
	c.maxIO = 8 << 20
	c.credits.high = maxCredits
	key := func() []byte { k := make([]byte, 32); rand.Read(k); return k }
	s := &session{id: 7, c: c, state: sessionValid, trees: map[uint32]*tree{}, user: "u"}
	s.sids = srv.tokenSIDs(s)
	sk := key()[:16]
	s.signer, _ = sign.NewSigner(sign.AESGMAC, sk)
	b.signer, _ = sign.NewSigner(sign.AESGMAC, sk)
	s.signingRequired = true
	if cipher != 0 {
		ek, dk := key()[:cipher.KeySize()], key()[:cipher.KeySize()]
		s.sealer, _ = sign.NewSealer(cipher, ek)
		s.opener, _ = sign.NewSealer(cipher, dk)
		b.open, _ = sign.NewSealer(cipher, ek)
		b.seal, _ = sign.NewSealer(cipher, dk)
		s.encryptData = true
	}
	tr := &tree{id: 3, sess: s, share: srv.shareTable().byName["s"]}
	if st := srv.treeAccess(tr); st != smb2.StatusSuccess {
		tb.Fatalf("treeAccess: %v", st)
	}
	s.trees[tr.id] = tr
	c.sessions[s.id] = s
	f, err := fsys.OpenFile("data.bin", os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	n := srv.nodes.acquire(tr.share, "data.bin")
	o := &open{sess: s, tree: tr, name: "data.bin", file: f, node: n, access: fileReadData | fileWriteData}
	n.mu.Lock()
	n.opens = append(n.opens, o)
	n.mu.Unlock()
	b.fid = c.addOpen(o)
	b.c, b.sess = c, s
	return b
}

// request builds the frame for one request (body after the 64-byte
// header), signed or sealed, into b.frame.
func (b *ioBench) request(cmd smb2.Command, body, payload []byte) {
	charge := uint16(max(1, (len(payload)+int(readLen(cmd, body))+65535)/65536))
	h := smb2.Header{Command: cmd, MessageID: b.mid, SessionID: b.sess.id, TreeID: 3,
		Credits: charge, CreditCharge: charge}
	b.mid += uint64(charge)
	msgLen := smb2.HeaderSize + len(body) + len(payload)
	b.frame = b.frame[:0]
	if b.seal == nil {
		h.Flags = smb2.FlagSigned
		b.frame = append(b.frame, 0, 0, 0, 0)
		b.frame = h.Append(b.frame)
		b.frame = append(b.frame, body...)
		b.frame = append(b.frame, payload...)
		b.signer.Sign(b.frame[4:])
	} else {
		// Plaintext goes after the room for frame and transform header
		// in a scratch region, then is sealed in front of it.
		need := 2 * (4 + sign.TransformHeaderSize + msgLen + 16)
		if cap(b.frame) < need {
			b.frame = make([]byte, 0, need)
		}
		plain := b.frame[need/2 : need/2]
		plain = h.Append(plain)
		plain = append(plain, body...)
		plain = append(plain, payload...)
		b.frame = b.frame[:4]
		b.frame = b.seal.Seal(b.frame, b.sess.id, plain)
	}
	smb2.PutFrameHeader(b.frame, len(b.frame)-4)
	b.pc.in.Reset(b.frame)
}

// readLen is a READ request's Length (0 for other commands).
func readLen(cmd smb2.Command, body []byte) uint32 {
	if cmd != smb2.Read {
		return 0
	}
	return binary.LittleEndian.Uint32(body[4:])
}

// roundTrip sends b.frame the way readLoop reads it and returns the
// response message (decrypted if sealed, signature checked).
func (b *ioBench) roundTrip(tb testing.TB, check bool) []byte {
	b.resp = b.resp[:0]
	if _, err := io.ReadFull(b.pc, b.fh[:]); err != nil {
		tb.Fatal(err)
	}
	if err := b.c.readFrame(b.fh); err != nil {
		tb.Fatalf("readFrame: %v", err)
	}
	if !check {
		return nil
	}
	if len(b.resp) < 4 {
		tb.Fatal("no response")
	}
	msg := b.resp[4:]
	if n, _ := smb2.FrameLength(b.resp); n != len(msg) {
		tb.Fatalf("frame length %d, have %d", n, len(msg))
	}
	if b.open != nil {
		plain, _, err := b.open.Open(nil, msg)
		if err != nil {
			tb.Fatalf("response does not decrypt: %v", err)
		}
		return plain
	}
	if !b.signer.Verify(msg) {
		tb.Fatal("response signature does not verify")
	}
	return msg
}

func writeBodyAt(fid smb2.FileID, off uint64, n int) []byte {
	le := binary.LittleEndian
	w := make([]byte, 48)
	le.PutUint16(w, 49)
	le.PutUint16(w[2:], smb2.HeaderSize+48)
	le.PutUint32(w[4:], uint32(n))
	le.PutUint64(w[8:], off)
	fid.Put(w[16:])
	return w
}

func readBodyAt(fid smb2.FileID, off uint64, n int) []byte {
	le := binary.LittleEndian
	r := make([]byte, 49)
	le.PutUint16(r, 49)
	le.PutUint32(r[4:], uint32(n))
	le.PutUint64(r[8:], off)
	fid.Put(r[16:])
	return r
}

var ioBenchCiphers = []struct {
	name string
	c    sign.Cipher
}{
	{"GMAC", 0}, {"AES-128-GCM", sign.AES128GCM}, {"AES-256-GCM", sign.AES256GCM},
	{"AES-128-CCM", sign.AES128CCM}, {"AES-256-CCM", sign.AES256CCM},
}

// TestSignedSealedIOPath checks what the benchmarks measure: odd sizes
// through the signed and every sealed path land in the file and come back
// byte for byte, every response verifying.
func TestSignedSealedIOPath(t *testing.T) {
	for _, ci := range ioBenchCiphers {
		t.Run(ci.name, func(t *testing.T) {
			b := newIOBench(t, ci.c, 0)
			for _, n := range []int{1, 4095, 65537, 1<<20 + 3, 8<<20 - 4096} {
				payload := make([]byte, n)
				rand.Read(payload)
				off := uint64(n % 4099)
				b.request(smb2.Write, writeBodyAt(b.fid, off, n), payload)
				msg := b.roundTrip(t, true)
				if st := smb2.Status(binary.LittleEndian.Uint32(msg[smb2.OffStatus:])); st != smb2.StatusSuccess {
					t.Fatalf("WRITE %d: %v", n, st)
				}
				disk, _ := os.ReadFile(filepath.Join(b.dir, "data.bin"))
				if !bytes.Equal(disk[off:off+uint64(n)], payload) {
					t.Fatalf("WRITE %d: file differs", n)
				}
				b.request(smb2.Read, readBodyAt(b.fid, off, n), nil)
				msg = b.roundTrip(t, true)
				if st := smb2.Status(binary.LittleEndian.Uint32(msg[smb2.OffStatus:])); st != smb2.StatusSuccess {
					t.Fatalf("READ %d: %v", n, st)
				}
				if got := msg[smb2.HeaderSize+16:]; !bytes.Equal(got, payload) {
					t.Fatalf("READ %d: %d bytes back, payload differs", n, len(got))
				}
			}
		})
	}
}

func BenchmarkSignedSealedWrite(b *testing.B) {
	for _, ci := range ioBenchCiphers {
		for _, size := range []int{1 << 20, 8 << 20} {
			b.Run(ci.name+"/"+sizeName(size), func(b *testing.B) {
				x := newIOBench(b, ci.c, size)
				payload := make([]byte, size)
				rand.Read(payload)
				body := writeBodyAt(x.fid, 0, size)
				x.request(smb2.Write, body, payload) // warm the pools
				x.roundTrip(b, true)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					x.request(smb2.Write, body, payload)
					b.StartTimer()
					x.roundTrip(b, false)
				}
			})
		}
	}
}

func BenchmarkSignedSealedRead(b *testing.B) {
	for _, ci := range ioBenchCiphers {
		for _, size := range []int{1 << 20, 8 << 20} {
			b.Run(ci.name+"/"+sizeName(size), func(b *testing.B) {
				x := newIOBench(b, ci.c, size)
				body := readBodyAt(x.fid, 0, size)
				x.request(smb2.Read, body, nil)
				x.roundTrip(b, true)
				x.resp = make([]byte, 0, size+4096)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					x.request(smb2.Read, body, nil)
					b.StartTimer()
					x.roundTrip(b, false)
				}
			})
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return string(rune('0'+n>>20)) + "MiB"
	}
	return "small"
}
