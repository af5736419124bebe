package server

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/memfs"
)

// unitConn is a connection wired to an in-memory pipe with one valid
// session and one tree on a memfs share, for calling handlers directly.
type unitConn struct {
	c      *conn
	peer   net.Conn
	sess   *session
	tree   *tree
	frames chan []byte // messages the server wrote (async completions)
	mid    uint64
}

func newUnitConn(t *testing.T) *unitConn {
	t.Helper()
	fsys := memfs.New()
	srv, err := New(Config{Shares: []*Share{{Name: "s", FS: fsys}}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	c := newConn(srv, a)
	c.negotiated = true
	c.dialect = smb2.Dialect302
	c.maxIO = 1 << 20
	s := &session{id: 7, c: c, state: sessionValid, trees: map[uint32]*tree{}}
	tr := &tree{id: 3, sess: s, share: srv.shares["s"], maxAccess: accessReadWrite}
	s.trees[tr.id] = tr
	c.sessions[s.id] = s
	u := &unitConn{c: c, peer: b, sess: s, tree: tr, frames: make(chan []byte, 16)}
	go func() {
		var fh [4]byte
		for {
			if _, err := io.ReadFull(b, fh[:]); err != nil {
				close(u.frames)
				return
			}
			n, _ := smb2.FrameLength(fh[:])
			msg := make([]byte, n)
			if _, err := io.ReadFull(b, msg); err != nil {
				close(u.frames)
				return
			}
			u.frames <- msg
		}
	}()
	t.Cleanup(func() { a.Close(); b.Close() })
	return u
}

// open creates a file on the share and registers an open of it.
func (u *unitConn) open(t *testing.T, name string, access uint32) *open {
	t.Helper()
	f, err := u.tree.share.FS.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	n := u.c.srv.nodes.acquire(u.tree.share, name)
	o := &open{sess: u.sess, tree: u.tree, name: name, file: f, node: n, access: access}
	n.mu.Lock()
	n.opens = append(n.opens, o)
	n.mu.Unlock()
	u.c.addOpen(o)
	return o
}

// req builds a request for cmd with body.
func (u *unitConn) req(cmd smb2.Command, body []byte) *request {
	u.mid++
	h := smb2.Header{Command: cmd, MessageID: u.mid, SessionID: u.sess.id, TreeID: u.tree.id, Credits: 1}
	msg := append(h.Append(nil), body...)
	return &request{hdr: h, msg: msg, sess: u.sess, tree: u.tree, chain: &compoundState{}}
}

// finalStatus waits for an async completion and returns its status.
func (u *unitConn) finalStatus(t *testing.T) smb2.Status {
	t.Helper()
	select {
	case msg, ok := <-u.frames:
		if !ok {
			t.Fatal("connection closed")
		}
		return smb2.Status(binary.LittleEndian.Uint32(msg[smb2.OffStatus:]))
	case <-time.After(5 * time.Second):
		t.Fatal("no async completion")
	}
	return 0
}

// expectNoFrame checks that nothing is written for a short while.
func (u *unitConn) expectNoFrame(t *testing.T) {
	t.Helper()
	select {
	case msg := <-u.frames:
		t.Fatalf("unexpected response, status %#x", binary.LittleEndian.Uint32(msg[smb2.OffStatus:]))
	case <-time.After(50 * time.Millisecond):
	}
}

func lockBody(id smb2.FileID, elems ...smb2.LockElement) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, 48)
	b = le.AppendUint16(b, uint16(len(elems)))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, id.Persistent)
	b = le.AppendUint64(b, id.Volatile)
	for _, e := range elems {
		b = le.AppendUint64(b, e.Offset)
		b = le.AppendUint64(b, e.Length)
		b = le.AppendUint32(b, e.Flags)
		b = le.AppendUint32(b, 0)
	}
	return b
}

const (
	exclLock = smb2.LockFlagExclusiveLock
	exclFI   = smb2.LockFlagExclusiveLock | smb2.LockFlagFailImmediately
	shFI     = smb2.LockFlagSharedLock | smb2.LockFlagFailImmediately
	unlock   = smb2.LockFlagUnlock
)

// lock runs a LOCK request and returns the synchronous response.
func (u *unitConn) lock(o *open, elems ...smb2.LockElement) response {
	return u.c.handleLock(u.req(smb2.Lock, lockBody(o.id, elems...)))
}

func TestLockHandlerSync(t *testing.T) {
	u := newUnitConn(t)
	rw := fileReadData | fileWriteData
	a, b := u.open(t, "f", rw), u.open(t, "f", rw)
	steps := []struct {
		name  string
		o     *open
		elems []smb2.LockElement
		want  smb2.Status
	}{
		{"a locks 0-10", a, []smb2.LockElement{le3(0, 10, exclFI)}, smb2.StatusSuccess},
		{"b conflicts", b, []smb2.LockElement{le3(5, 1, shFI)}, smb2.StatusLockNotGranted},
		{"b multi rolls back", b, []smb2.LockElement{le3(20, 5, exclFI), le3(9, 1, exclFI)}, smb2.StatusLockNotGranted},
		{"b 20-25 free again", b, []smb2.LockElement{le3(20, 5, exclFI)}, smb2.StatusSuccess},
		{"mixed lock then unlock", a, []smb2.LockElement{le3(40, 1, exclFI), le3(0, 10, unlock)}, smb2.StatusInvalidParameter},
		{"bad range", a, []smb2.LockElement{le3(1<<63, 1<<63+1, exclFI)}, smb2.StatusInvalidLockRange},
		{"b unlocks a's range", b, []smb2.LockElement{le3(0, 10, unlock)}, smb2.StatusRangeNotLocked},
		{"a unlocks", a, []smb2.LockElement{le3(0, 10, unlock)}, smb2.StatusSuccess},
		{"b now gets it", b, []smb2.LockElement{le3(5, 1, shFI)}, smb2.StatusSuccess},
	}
	for _, s := range steps {
		if got := u.lock(s.o, s.elems...); got.status != s.want || got.pending != nil {
			t.Errorf("%s: status %v (pending %v), want %v", s.name, got.status, got.pending != nil, s.want)
		}
	}
	// READ/WRITE see the locks: b holds shared 5-6 and exclusive 20-25.
	for _, tt := range []struct {
		o     *open
		off   uint64
		write bool
		want  smb2.Status
	}{
		{a, 20, false, smb2.StatusFileLockConflict},
		{a, 5, true, smb2.StatusFileLockConflict},
		{a, 5, false, smb2.StatusEndOfFile}, // empty file, no conflict
		{b, 20, false, smb2.StatusEndOfFile},
	} {
		var st smb2.Status
		if tt.write {
			_, st = u.c.checkWrite(tt.o, &smb2.WriteRequest{Offset: tt.off, Length: 1})
		} else {
			_, st = checkRead(tt.o, &smb2.ReadRequest{Offset: tt.off, Length: 1}, u.c.maxIO)
		}
		if st != tt.want {
			t.Errorf("io at %d write=%v: %v, want %v", tt.off, tt.write, st, tt.want)
		}
	}
}

func TestLockHandlerBlocking(t *testing.T) {
	u := newUnitConn(t)
	rw := fileReadData | fileWriteData
	a, b := u.open(t, "f", rw), u.open(t, "f", rw)
	if r := u.lock(a, le3(0, 10, exclFI)); r.status != smb2.StatusSuccess {
		t.Fatal(r.status)
	}

	// Granted when a unlocks.
	r := u.lock(b, le3(5, 5, exclLock))
	if r.pending == nil {
		t.Fatalf("blocking lock did not pend: %v", r.status)
	}
	r.pending.interimSent()
	u.expectNoFrame(t)
	if r := u.lock(a, le3(0, 10, unlock)); r.status != smb2.StatusSuccess {
		t.Fatal(r.status)
	}
	if st := u.finalStatus(t); st != smb2.StatusSuccess {
		t.Fatalf("pending lock completed with %v, want success", st)
	}
	if r := u.lock(a, le3(6, 1, shFI)); r.status != smb2.StatusLockNotGranted {
		t.Fatalf("granted blocking lock not held: %v", r.status)
	}

	// Cancelled.
	r = u.lock(a, le3(5, 5, exclLock))
	if r.pending == nil {
		t.Fatal("second blocking lock did not pend")
	}
	r.pending.interimSent()
	r.pending.cancelOp()
	if st := u.finalStatus(t); st != smb2.StatusCancelled {
		t.Fatalf("cancelled lock completed with %v", st)
	}

	// Waiter's handle closed.
	r = u.lock(a, le3(5, 5, exclLock))
	r.pending.interimSent()
	u.c.removeOpen(a)
	u.c.closeOpen(a)
	if st := u.finalStatus(t); st != smb2.StatusRangeNotLocked {
		t.Fatalf("lock pending on a closed handle completed with %v", st)
	}
	// Closing b releases its lock; a later lock by a new open succeeds.
	u.c.removeOpen(b)
	u.c.closeOpen(b)
	c := u.open(t, "f", rw)
	if r := u.lock(c, le3(0, 100, exclFI)); r.status != smb2.StatusSuccess {
		t.Fatalf("lock after all closes: %v", r.status)
	}
}

func TestCheckRead(t *testing.T) {
	u := newUnitConn(t)
	o := u.open(t, "r", fileReadData|fileWriteData)
	if _, err := o.file.WriteAt(make([]byte, 100), 0); err != nil {
		t.Fatal(err)
	}
	wo := u.open(t, "r", fileWriteData)
	tests := []struct {
		name string
		o    *open
		req  smb2.ReadRequest
		n    int64
		st   smb2.Status
	}{
		{"whole", o, smb2.ReadRequest{Length: 100}, 100, smb2.StatusSuccess},
		{"clamped", o, smb2.ReadRequest{Offset: 90, Length: 50}, 10, smb2.StatusSuccess},
		{"min count not met", o, smb2.ReadRequest{Offset: 90, Length: 50, MinimumCount: 11}, 0, smb2.StatusEndOfFile},
		{"at eof", o, smb2.ReadRequest{Offset: 100, Length: 1}, 0, smb2.StatusEndOfFile},
		{"zero length past eof", o, smb2.ReadRequest{Offset: 1000}, 0, smb2.StatusSuccess},
		{"too long", o, smb2.ReadRequest{Length: 1<<20 + 1}, 0, smb2.StatusInvalidParameter},
		{"offset > int64", o, smb2.ReadRequest{Offset: 1 << 63}, 0, smb2.StatusInvalidParameter},
		{"end > int64", o, smb2.ReadRequest{Offset: 1<<63 - 1, Length: 1}, 0, smb2.StatusInvalidParameter},
		{"rdma channel", o, smb2.ReadRequest{Length: 1, Channel: smb2.ChannelRDMAV1}, 0, smb2.StatusInvalidParameter},
		{"no read access", wo, smb2.ReadRequest{Length: 1}, 0, smb2.StatusAccessDenied},
	}
	for _, tt := range tests {
		n, st := checkRead(tt.o, &tt.req, u.c.maxIO)
		if n != tt.n || st != tt.st {
			t.Errorf("%s: %d, %v; want %d, %v", tt.name, n, st, tt.n, tt.st)
		}
	}
	dir := &open{isDir: true, access: fileReadData}
	if _, st := checkRead(dir, &smb2.ReadRequest{Length: 1}, u.c.maxIO); st != smb2.StatusInvalidDeviceRequest {
		t.Errorf("read on directory: %v", st)
	}
}

func TestCheckWrite(t *testing.T) {
	u := newUnitConn(t)
	o := u.open(t, "w", fileReadData|fileWriteData)
	o.file.WriteAt(make([]byte, 50), 0)
	app := u.open(t, "w", fileAppendData)
	ro := u.open(t, "w", fileReadData)
	tests := []struct {
		name string
		o    *open
		req  smb2.WriteRequest
		off  int64
		st   smb2.Status
	}{
		{"plain", o, smb2.WriteRequest{Offset: 7, Length: 3}, 7, smb2.StatusSuccess},
		{"append-only goes to eof", app, smb2.WriteRequest{Offset: 0, Length: 3}, 50, smb2.StatusSuccess},
		{"append-only all-ones offset", app, smb2.WriteRequest{Offset: ^uint64(0), Length: 3}, 50, smb2.StatusSuccess},
		{"all-ones offset with write access", o, smb2.WriteRequest{Offset: ^uint64(0), Length: 3}, 0, smb2.StatusInvalidParameter},
		{"past max file size", o, smb2.WriteRequest{Offset: maxFileSize, Length: 1}, 0, smb2.StatusInvalidParameter},
		{"ends at max file size", o, smb2.WriteRequest{Offset: maxFileSize - 1, Length: 1}, 0, smb2.StatusDiskFull},
		{"zero length at int64 max", o, smb2.WriteRequest{Offset: 1<<63 - 1}, 1<<63 - 1, smb2.StatusSuccess},
		{"no write access", ro, smb2.WriteRequest{Length: 1}, 0, smb2.StatusAccessDenied},
	}
	for _, tt := range tests {
		off, st := u.c.checkWrite(tt.o, &tt.req)
		if st != tt.st || (st == smb2.StatusSuccess && off != tt.off) {
			t.Errorf("%s: %d, %v; want %d, %v", tt.name, off, st, tt.off, tt.st)
		}
	}
	u.tree.share.ReadOnly = true
	if _, st := u.c.checkWrite(o, &smb2.WriteRequest{Length: 1}); st != smb2.StatusAccessDenied {
		t.Errorf("write on read-only share: %v", st)
	}
}

func ioctlBody(ctl uint32, id smb2.FileID, in []byte, maxOut uint32) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, 57)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, ctl)
	b = le.AppendUint64(b, id.Persistent)
	b = le.AppendUint64(b, id.Volatile)
	b = le.AppendUint32(b, smb2.HeaderSize+56) // InputOffset
	b = le.AppendUint32(b, uint32(len(in)))
	b = le.AppendUint32(b, 0) // MaxInputResponse
	b = le.AppendUint32(b, 0) // OutputOffset
	b = le.AppendUint32(b, 0) // OutputCount
	b = le.AppendUint32(b, maxOut)
	b = le.AppendUint32(b, smb2.IoctlFlagIsFsctl)
	b = le.AppendUint32(b, 0)
	return append(b, in...)
}

// ioctlOut extracts the output buffer of an IOCTL response body.
func ioctlOut(t *testing.T, body []byte) []byte {
	t.Helper()
	off := binary.LittleEndian.Uint32(body[32:]) - smb2.HeaderSize
	n := binary.LittleEndian.Uint32(body[36:])
	if int(off+n) > len(body) {
		t.Fatalf("output %d+%d outside body of %d", off, n, len(body))
	}
	return body[off : off+n]
}

func TestValidateNegotiate(t *testing.T) {
	u := newUnitConn(t)
	c := u.c
	c.clientGUID = [16]byte{1, 2, 3}
	c.clientSecMode = smb2.NegotiateSigningEnabled
	c.clientCaps = 0x44
	c.clientDialects = []uint16{smb2.Dialect202, smb2.Dialect210, smb2.Dialect300, smb2.Dialect302}
	c.serverCaps = smb2.CapLargeMTU
	c.serverSecMode = smb2.NegotiateSigningEnabled
	vneg := func(caps uint32, guid [16]byte, mode uint16, dialects ...uint16) []byte {
		b := binary.LittleEndian.AppendUint32(nil, caps)
		b = append(b, guid[:]...)
		b = binary.LittleEndian.AppendUint16(b, mode)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(dialects)))
		for _, d := range dialects {
			b = binary.LittleEndian.AppendUint16(b, d)
		}
		return b
	}
	good := vneg(0x44, c.clientGUID, smb2.NegotiateSigningEnabled, c.clientDialects...)
	resp := c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, good, 24)))
	if resp.status != smb2.StatusSuccess {
		t.Fatalf("matching VALIDATE_NEGOTIATE_INFO: %v", resp.status)
	}
	out := ioctlOut(t, resp.body)
	if len(out) != 24 || binary.LittleEndian.Uint16(out[22:]) != smb2.Dialect302 ||
		binary.LittleEndian.Uint32(out) != smb2.CapLargeMTU || [16]byte(out[4:20]) != c.srv.guid {
		t.Errorf("VALIDATE_NEGOTIATE_INFO response %x", out)
	}
	bad := map[string][]byte{
		"guid":     vneg(0x44, [16]byte{9}, smb2.NegotiateSigningEnabled, c.clientDialects...),
		"caps":     vneg(0x45, c.clientGUID, smb2.NegotiateSigningEnabled, c.clientDialects...),
		"secmode":  vneg(0x44, c.clientGUID, 0, c.clientDialects...),
		"dialects": vneg(0x44, c.clientGUID, smb2.NegotiateSigningEnabled, smb2.Dialect202, smb2.Dialect210),
		"short":    good[:10],
	}
	for name, in := range bad {
		resp := c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, in, 24)))
		if !resp.disconnect {
			t.Errorf("%s mismatch: %v, want disconnect", name, resp.status)
		}
	}
	if r := c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, good, 23))); !r.disconnect {
		t.Errorf("MaxOutputResponse 23: %v, want disconnect", r.status)
	}
	c.dialect = smb2.Dialect311
	if r := c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, good, 24))); !r.disconnect {
		t.Errorf("on 3.1.1: %v, want disconnect", r.status)
	}
}

func TestFileIoctls(t *testing.T) {
	u := newUnitConn(t)
	o := u.open(t, "z", fileReadData|fileWriteData)
	data := make([]byte, 300)
	for i := range data {
		data[i] = 0xAA
	}
	o.file.WriteAt(data, 0)
	rng := func(a, b uint64) []byte {
		return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, a), b)
	}
	call := func(ctl uint32, in []byte, maxOut uint32) response {
		return u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(ctl, o.id, in, maxOut)))
	}
	// Zero 100..200, clipped to the file.
	if r := call(smb2.FsctlSetZeroData, rng(100, 200), 0); r.status != smb2.StatusSuccess {
		t.Fatalf("SET_ZERO_DATA: %v", r.status)
	}
	got := make([]byte, 300)
	o.file.ReadAt(got, 0)
	for i, b := range got {
		if want := byte(0xAA); (i >= 100 && i < 200 && b != 0) || ((i < 100 || i >= 200) && b != want) {
			t.Fatalf("byte %d = %#x after SET_ZERO_DATA", i, b)
		}
	}
	if fi, _ := o.file.Stat(); fi.Size() != 300 {
		t.Errorf("SET_ZERO_DATA changed size to %d", fi.Size())
	}
	r := call(smb2.FsctlQueryAllocatedRanges, rng(10, 1000), 16)
	if out := ioctlOut(t, r.body); r.status != smb2.StatusSuccess || len(out) != 16 ||
		binary.LittleEndian.Uint64(out) != 10 || binary.LittleEndian.Uint64(out[8:]) != 290 {
		t.Errorf("QUERY_ALLOCATED_RANGES: %v %x", r.status, r.body)
	}
	if r := call(smb2.FsctlQueryAllocatedRanges, rng(10, 1000), 8); r.status != smb2.StatusBufferTooSmall {
		t.Errorf("QUERY_ALLOCATED_RANGES with 8-byte output: %v", r.status)
	}
	if r := call(smb2.FsctlGetReparsePoint, nil, 100); r.status != smb2.StatusNotAReparsePoint {
		t.Errorf("GET_REPARSE_POINT: %v", r.status)
	}
	if r := call(0x00090000, nil, 100); r.status != smb2.StatusNotSupported {
		t.Errorf("unknown FSCTL: %v", r.status)
	}
	if r := call(smb2.FsctlSrvEnumerateSnapshots, nil, 16); r.status != smb2.StatusSuccess || len(ioctlOut(t, r.body)) != 16 {
		t.Errorf("ENUMERATE_SNAPSHOTS: %v", r.status)
	}
	body := ioctlBody(smb2.FsctlSetSparse, o.id, nil, 0)
	binary.LittleEndian.PutUint32(body[48:], 0) // not an FSCTL
	if r := u.c.handleIoctl(u.req(smb2.Ioctl, body)); r.status != smb2.StatusNotSupported {
		t.Errorf("non-FSCTL IOCTL: %v", r.status)
	}
	if r := call(smb2.FsctlSetSparse, nil, 0); r.status != smb2.StatusSuccess {
		t.Errorf("SET_SPARSE: %v", r.status)
	}
	if r := call(smb2.FsctlPipeTransceive, nil, 100); r.status != smb2.StatusInvalidDeviceRequest {
		t.Errorf("PIPE_TRANSCEIVE on a file: %v", r.status)
	}
	if r := u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlQueryNetworkInterfaceInfo, o.id, nil, 1000))); r.status != smb2.StatusInvalidParameter {
		t.Errorf("QUERY_NETWORK_INTERFACE_INFO with a FileId: %v", r.status)
	}
}

func TestCopyChunk(t *testing.T) {
	u := newUnitConn(t)
	src := u.open(t, "src", fileReadData)
	dst := u.open(t, "dst", fileReadData|fileWriteData)
	payload := make([]byte, 5000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	src.file.WriteAt(payload, 0)
	r := u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvRequestResumeKey, src.id, nil, 32)))
	if r.status != smb2.StatusSuccess {
		t.Fatalf("REQUEST_RESUME_KEY: %v", r.status)
	}
	key := ioctlOut(t, r.body)[:24]
	copyReq := func(chunks ...[3]uint64) []byte {
		b := append([]byte(nil), key...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(chunks)))
		b = binary.LittleEndian.AppendUint32(b, 0)
		for _, ch := range chunks {
			b = binary.LittleEndian.AppendUint64(b, ch[0])
			b = binary.LittleEndian.AppendUint64(b, ch[1])
			b = binary.LittleEndian.AppendUint32(b, uint32(ch[2]))
			b = binary.LittleEndian.AppendUint32(b, 0)
		}
		return b
	}
	r = u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvCopychunk, dst.id, copyReq([3]uint64{0, 100, 4000}, [3]uint64{4000, 0, 100}), 12)))
	out := ioctlOut(t, r.body)
	if r.status != smb2.StatusSuccess || binary.LittleEndian.Uint32(out) != 2 || binary.LittleEndian.Uint32(out[8:]) != 4100 {
		t.Fatalf("COPYCHUNK: %v %x", r.status, out)
	}
	got := make([]byte, 4100)
	dst.file.ReadAt(got, 0)
	if string(got[100:4100]) != string(payload[:4000]) || string(got[:100]) != string(payload[4000:4100]) {
		t.Error("COPYCHUNK copied the wrong bytes")
	}
	// Past the end of the source.
	r = u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvCopychunk, dst.id, copyReq([3]uint64{4990, 0, 100}), 12)))
	if r.status != smb2.StatusInvalidViewSize {
		t.Errorf("COPYCHUNK past source EOF: %v", r.status)
	}
	// Over the limits: INVALID_PARAMETER with the limits in the body.
	r = u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvCopychunk, dst.id, copyReq([3]uint64{0, 0, 2 << 20}), 12)))
	if out := ioctlOut(t, r.body); r.status != smb2.StatusInvalidParameter || binary.LittleEndian.Uint32(out[4:]) != copyChunkMaxSize {
		t.Errorf("oversized chunk: %v %x", r.status, out)
	}
	// Closing the source invalidates the key.
	u.c.removeOpen(src)
	u.c.closeOpen(src)
	r = u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvCopychunk, dst.id, copyReq([3]uint64{0, 0, 10}), 12)))
	if r.status != smb2.StatusObjectNameNotFound {
		t.Errorf("COPYCHUNK with a stale key: %v", r.status)
	}
}

func TestOplockBreakAck(t *testing.T) {
	u := newUnitConn(t)
	o := u.open(t, "o", fileReadData)
	ack := func(size uint16, id smb2.FileID) smb2.Status {
		b := binary.LittleEndian.AppendUint16(nil, size)
		b = append(b, make([]byte, 6)...)
		b = binary.LittleEndian.AppendUint64(b, id.Persistent)
		b = binary.LittleEndian.AppendUint64(b, id.Volatile)
		if size == 36 {
			b = append(b, make([]byte, 12)...)
		}
		return u.c.handleOplockBreak(u.req(smb2.OplockBreak, b)).status
	}
	if st := ack(24, o.id); st != smb2.StatusInvalidOplockProtocol {
		t.Errorf("oplock ack: %v", st)
	}
	if st := ack(24, smb2.FileID{Persistent: 1, Volatile: 1}); st != smb2.StatusFileClosed {
		t.Errorf("oplock ack on a bad FileId: %v", st)
	}
	if st := ack(36, o.id); st != smb2.StatusObjectNameNotFound {
		t.Errorf("lease ack: %v", st)
	}
}

func FuzzDecodeCopyChunkCopy(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Add(append(append(make([]byte, 24), 1, 0, 0, 0, 0, 0, 0, 0), make([]byte, 24)...))
	f.Add(append(make([]byte, 24), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, chunks, ok := decodeCopyChunkCopy(b)
		if ok && 32+24*len(chunks) > len(b) {
			t.Fatalf("%d chunks decoded from %d bytes", len(chunks), len(b))
		}
	})
}

func readBody(id smb2.FileID, n uint32) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, 49)
	b = append(b, 0, 0)
	b = le.AppendUint32(b, n)
	b = le.AppendUint64(b, 0)
	b = le.AppendUint64(b, id.Persistent)
	b = le.AppendUint64(b, id.Volatile)
	b = append(b, make([]byte, 16)...)
	return append(b, 0)
}

func TestPipeReadPends(t *testing.T) {
	u := newUnitConn(t)
	p, ok := u.c.srv.rpc.OpenPipe("srvsvc")
	if !ok {
		t.Fatal("no srvsvc pipe")
	}
	o := &open{sess: u.sess, tree: u.tree, pipe: p, access: fileReadData | fileWriteData}
	u.c.addOpen(o)
	r := u.c.handleRead(u.req(smb2.Read, readBody(o.id, 1024)))
	if r.pending == nil {
		t.Fatalf("READ on an empty pipe: %v, want pending", r.status)
	}
	r.pending.interimSent()
	if r2 := u.c.handleRead(u.req(smb2.Read, readBody(o.id, 1024))); r2.status != smb2.StatusPipeBusy {
		t.Errorf("second READ: %v, want PIPE_BUSY", r2.status)
	}
	r.pending.cancelOp()
	if st := u.finalStatus(t); st != smb2.StatusCancelled {
		t.Fatalf("cancelled pipe READ: %v", st)
	}
	r = u.c.handleRead(u.req(smb2.Read, readBody(o.id, 1024)))
	r.pending.interimSent()
	if w := u.c.writePipe(o, []byte("not dce/rpc at all, sixteen+ bytes")); w.status == smb2.StatusSuccess {
		t.Error("garbage WRITE to a pipe succeeded")
	}
	u.c.removeOpen(o)
	u.c.closeOpen(o)
	if st := u.finalStatus(t); st != smb2.StatusPipeBroken {
		t.Fatalf("pipe READ after close: %v", st)
	}
}
