package server

import (
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

func TestOplockBreakAck(t *testing.T) {
	u := newUnitConn(t)
	o := u.open(t, "o", fileReadData)
	ack := func(size uint16, id smb2.FileID) smb2.Status {
		b := le.AppendUint16(nil, size)
		b = append(b, make([]byte, 6)...)
		b = le.AppendUint64(b, id.Persistent)
		b = le.AppendUint64(b, id.Volatile)
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

// Raw-frame tests of the stateful half: break ordering, the break timeout,
// acknowledgment validation, leases and durable disconnect/reclaim.

// rawCreateReq describes a CREATE for rawCreateCtx.
type rawCreateReq struct {
	name        string
	disposition uint32
	access      uint32
	share       uint32
	oplock      uint8
	options     uint32 // CreateOptions
	ctxs        []smb2.CreateContext
}

// rawCreateCtx builds a CREATE request body with an oplock level and
// create contexts.
func rawCreateCtx(q rawCreateReq) []byte {
	if q.access == 0 {
		q.access = genericAll
	}
	b := rawCreate(q.name, q.disposition)
	b[3] = q.oplock
	le.PutUint32(b[24:], q.access)
	le.PutUint32(b[32:], q.share)
	le.PutUint32(b[40:], q.options)
	if len(q.ctxs) == 0 {
		return b
	}
	for (smb2.HeaderSize+len(b))%8 != 0 {
		b = append(b, 0)
	}
	off := smb2.HeaderSize + len(b)
	ctx := smb2.AppendCreateContexts(nil, q.ctxs)
	le.PutUint32(b[48:], uint32(off))
	le.PutUint32(b[52:], uint32(len(ctx)))
	return append(b, ctx...)
}

// rawCreated is a decoded CREATE response.
type rawCreated struct {
	status smb2.Status
	oplock uint8
	id     smb2.FileID
	ctxs   []smb2.CreateContext
}

func decodeCreated(t *testing.T, r rawResp) rawCreated {
	t.Helper()
	out := rawCreated{status: r.hdr.Status}
	if r.hdr.Status != smb2.StatusSuccess {
		return out
	}
	if len(r.body) < 88 {
		t.Fatalf("short CREATE response (%d)", len(r.body))
	}
	out.oplock = r.body[2]
	out.id = smb2.FileID{Persistent: le.Uint64(r.body[64:]), Volatile: le.Uint64(r.body[72:])}
	if off, n := le.Uint32(r.body[80:]), le.Uint32(r.body[84:]); n > 0 {
		start := int(off) - smb2.HeaderSize
		ctxs, err := smb2.DecodeCreateContexts(r.body[start : start+int(n)])
		if err != nil {
			t.Fatalf("CREATE response contexts: %v", err)
		}
		out.ctxs = ctxs
	}
	return out
}

func (r rawCreated) context(name string) ([]byte, bool) {
	for _, c := range r.ctxs {
		if c.Name == name {
			return c.Data, true
		}
	}
	return nil, false
}

// rawMsg reads the next message, interim responses and notifications
// included.
func (c *rawConn) rawMsg(d time.Duration) (rawResp, error) {
	b, err := c.readFrame(d)
	if err != nil {
		return rawResp{}, err
	}
	h, err := smb2.DecodeHeader(b)
	if err != nil {
		c.t.Fatalf("bad header: %v", err)
	}
	c.credits += int(h.Credits)
	return rawResp{hdr: h, body: b[smb2.HeaderSize:]}, nil
}

// expectMsg reads the next message and fails unless it is what want says.
func (c *rawConn) expectMsg(what string, want func(rawResp) bool) rawResp {
	c.t.Helper()
	r, err := c.rawMsg(5 * time.Second)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	if !want(r) {
		c.t.Fatalf("%s: got %s %v mid %#x", what, r.hdr.Command, r.hdr.Status, r.hdr.MessageID)
	}
	return r
}

// expectSilence fails if a message arrives within d.
func (c *rawConn) expectSilence(what string, d time.Duration) {
	c.t.Helper()
	if r, err := c.rawMsg(d); err == nil {
		c.t.Fatalf("%s: unexpected %s %v mid %#x", what, r.hdr.Command, r.hdr.Status, r.hdr.MessageID)
	}
}

func isBreak(r rawResp) bool {
	return r.hdr.Command == smb2.OplockBreak && r.hdr.MessageID == smb2.NotificationMessageID
}

func isPending(r rawResp) bool { return r.hdr.Status == smb2.StatusPending }

// rawClient connects with its own ClientGuid (leases belong to a client).
func rawClient(t *testing.T, addr string, guid byte) *rawConn {
	t.Helper()
	c := dialRaw(t, addr)
	neg := rawNegotiate(smb2.Dialect202, smb2.Dialect210)
	neg[12] = guid
	c.negotiate(neg)
	c.anonLogon()
	c.treeConnect("share")
	return c
}

func leaseCtx(key byte, state uint32) smb2.CreateContext {
	r := smb2.LeaseRequest{LeaseState: state}
	r.LeaseKey[0] = key
	return smb2.CreateContext{Name: smb2.CreateContextRequestLease, Data: r.AppendLease(nil)}
}

const shareAll = 7

func TestOplockBreakOrderAndAck(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a, b := rawClient(t, ts.Addr, 1), rawClient(t, ts.Addr, 2)
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf,
		share: shareAll, oplock: smb2.OplockLevelBatch}), nil))
	if ra.status != smb2.StatusSuccess || ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("first open: %v oplock %#x, want batch", ra.status, ra.oplock)
	}
	// A second open from another client goes async and A sees a break to II.
	b.write(rawFrame(b.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen,
		share: shareAll, oplock: smb2.OplockLevelBatch}), nil)))
	b.expectMsg("interim response", isPending)
	brk := a.expectMsg("break notification", isBreak)
	m, err := smb2.DecodeOplockBreakAck(append(make([]byte, smb2.HeaderSize), brk.body...))
	if err != nil || m.OplockLevel != smb2.OplockLevelII || m.FileID != ra.id || brk.hdr.SessionID != a.sid {
		t.Fatalf("break %+v (session %#x) %v, want level II for %v", m, brk.hdr.SessionID, err, ra.id)
	}
	b.expectSilence("second open before the acknowledgment", 200*time.Millisecond)
	// Acknowledging with a level the break does not allow is refused.
	a.expectStatus("ack to batch", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelBatch, ra.id), nil, smb2.StatusInvalidParameter)
	a.expectStatus("ack of an unknown handle", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelII, smb2.FileID{Persistent: 1, Volatile: 1}), nil, smb2.StatusFileClosed)
	r := a.expectStatus("ack to II", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelII, ra.id), nil, smb2.StatusSuccess)
	if len(r.body) < 3 || r.body[2] != smb2.OplockLevelII {
		t.Fatalf("ack response %x", r.body)
	}
	rb := decodeCreated(t, b.expectMsg("second open after the ack", func(r rawResp) bool { return r.hdr.Command == smb2.Create && !isPending(r) }))
	if rb.status != smb2.StatusSuccess || rb.oplock != smb2.OplockLevelII {
		t.Fatalf("second open: %v oplock %#x, want level II", rb.status, rb.oplock)
	}
	// No break is in progress any more.
	a.expectStatus("second ack", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelII, ra.id), nil, smb2.StatusInvalidOplockProtocol)
	// A write through B breaks both level II oplocks to none, without acks.
	b.expectStatus("write", smb2.Write, rawWrite(rb.id, 0, []byte("x")), nil, smb2.StatusSuccess)
	brk = a.expectMsg("break to none", isBreak)
	if brk.body[2] != smb2.OplockLevelNone {
		t.Fatalf("break level %#x, want none", brk.body[2])
	}
	a.expectStatus("ack of a break to none from II", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelNone, ra.id), nil, smb2.StatusInvalidOplockProtocol)
}

func TestOplockBreakTimeout(t *testing.T) {
	const timeout = 400 * time.Millisecond
	ts := startServer(t, testOpts{Guest: true, BreakTimeout: timeout})
	a, b := rawClient(t, ts.Addr, 1), rawClient(t, ts.Addr, 2)
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf,
		oplock: smb2.OplockLevelBatch}), nil)) // share none: a sharing violation
	if ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("oplock %#x", ra.oplock)
	}
	start := time.Now()
	b.write(rawFrame(b.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll}), nil)))
	b.expectMsg("interim", isPending)
	a.expectMsg("break", isBreak) // never acknowledged
	r := b.expectMsg("final", func(r rawResp) bool { return r.hdr.Command == smb2.Create && !isPending(r) })
	if took := time.Since(start); took < timeout-50*time.Millisecond || took > timeout+2*time.Second {
		t.Errorf("waiting CREATE finished after %v, want about %v", took, timeout)
	}
	// A keeps its open (and its share mode): the second open still conflicts.
	if r.hdr.Status != smb2.StatusSharingViolation {
		t.Errorf("second open: %v, want STATUS_SHARING_VIOLATION after the timeout", r.hdr.Status)
	}
	a.expectStatus("late ack", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelII, ra.id), nil, smb2.StatusInvalidOplockProtocol)
}

func TestLeaseBreakAndAck(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a, b := rawClient(t, ts.Addr, 1), rawClient(t, ts.Addr, 2)
	rwh := cacheR | cacheW | cacheH
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf, share: shareAll,
		oplock: smb2.OplockLevelLease, ctxs: []smb2.CreateContext{leaseCtx(7, rwh)}}), nil))
	lb, ok := ra.context(smb2.CreateContextRequestLease)
	if ra.oplock != smb2.OplockLevelLease || !ok {
		t.Fatalf("no lease granted: %#x", ra.oplock)
	}
	if l, _ := smb2.DecodeLeaseRequest(lb); l.LeaseState != rwh {
		t.Fatalf("lease state %#x, want RWH", l.LeaseState)
	}
	// The same key on another file is refused.
	a.expectStatus("lease key reuse", smb2.Create, rawCreateCtx(rawCreateReq{name: "g", disposition: rawDispOverwriteIf, share: shareAll,
		oplock: smb2.OplockLevelLease, ctxs: []smb2.CreateContext{leaseCtx(7, rwh)}}), nil, smb2.StatusInvalidParameter)
	var key [16]byte
	key[0] = 7
	ack := func(state uint32) []byte {
		a := smb2.LeaseBreakAck{LeaseKey: key, LeaseState: state}
		return a.Append(nil)
	}
	a.expectStatus("ack without a break", smb2.OplockBreak, ack(cacheR), nil, smb2.StatusUnsuccessful)
	var other [16]byte
	other[0] = 8
	unknown := smb2.LeaseBreakAck{LeaseKey: other}
	a.expectStatus("ack of an unknown lease", smb2.OplockBreak, unknown.Append(nil), nil, smb2.StatusObjectNameNotFound)
	// Another client's open breaks W: RWH -> RH.
	b.write(rawFrame(b.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll}), nil)))
	b.expectMsg("interim", isPending)
	brk := a.expectMsg("lease break", isBreak)
	n, err := smb2.DecodeLeaseBreakNotification(append(make([]byte, smb2.HeaderSize), brk.body...))
	if err != nil || n.LeaseKey != key || n.CurrentLeaseState != rwh || n.NewLeaseState != cacheR|cacheH ||
		n.Flags&smb2.LeaseBreakFlagAckRequired == 0 || brk.hdr.SessionID != 0 {
		t.Fatalf("lease break %+v %v", n, err)
	}
	a.expectStatus("ack keeping W", smb2.OplockBreak, ack(rwh), nil, smb2.StatusRequestNotAccepted)
	r := a.expectStatus("ack to RH", smb2.OplockBreak, ack(cacheR|cacheH), nil, smb2.StatusSuccess)
	if got, err := smb2.DecodeLeaseBreakAck(append(make([]byte, smb2.HeaderSize), r.body...)); err != nil || got.LeaseState != cacheR|cacheH {
		t.Fatalf("ack response %+v %v", got, err)
	}
	if rb := decodeCreated(t, b.expectMsg("open after ack", func(r rawResp) bool { return !isPending(r) })); rb.status != smb2.StatusSuccess {
		t.Fatalf("second open: %v", rb.status)
	}
}

func TestDurableDisconnectReclaim(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient(t, ts.Addr, 1)
	var guid [16]byte
	guid[0] = 0x42
	dh2q := make([]byte, 32)
	le.PutUint32(dh2q, 60000)
	copy(dh2q[16:], guid[:])
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf,
		oplock: smb2.OplockLevelBatch, ctxs: []smb2.CreateContext{{Name: smb2.CreateContextDurableRequestV2, Data: dh2q}}}), nil))
	if _, ok := ra.context(smb2.CreateContextDurableRequestV2); !ok || ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("durable handle not granted (oplock %#x)", ra.oplock)
	}
	a.expectStatus("write", smb2.Write, rawWrite(ra.id, 0, []byte("hello")), nil, smb2.StatusSuccess)
	a.nc.Close() // the connection drops; the open survives

	b := rawClient(t, ts.Addr, 2)
	// The disconnected open still holds its share mode (share none): a
	// plain open conflicts... and needs a break nobody can acknowledge,
	// so the server would purge it. Reclaim first instead.
	dh2c := func(g [16]byte) smb2.CreateContext {
		d := make([]byte, 36)
		le.PutUint64(d, ra.id.Persistent)
		le.PutUint64(d[8:], ra.id.Volatile)
		copy(d[16:], g[:])
		return smb2.CreateContext{Name: smb2.CreateContextDurableReconnectV2, Data: d}
	}
	time.Sleep(100 * time.Millisecond)
	var wrong [16]byte
	wrong[0] = 0x43
	b.expectStatus("reclaim with a wrong CreateGuid", smb2.Create, rawCreateCtx(rawCreateReq{name: "f", ctxs: []smb2.CreateContext{dh2c(wrong)}}),
		nil, smb2.StatusObjectNameNotFound)
	b.expectStatus("DH2C with DH2Q", smb2.Create, rawCreateCtx(rawCreateReq{name: "f", ctxs: []smb2.CreateContext{dh2c(guid),
		{Name: smb2.CreateContextDurableRequestV2, Data: dh2q}}}), nil, smb2.StatusInvalidParameter)
	if m := ts.Srv.Metrics(); m.DurableOpens != 1 || m.DurableReclaims != 0 {
		t.Fatalf("metrics before the reclaim: %d durable, %d reclaims; want 1, 0", m.DurableOpens, m.DurableReclaims)
	}
	for deadline := time.Now().Add(3 * time.Second); ts.Srv.Metrics().DisconnectedOpens != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("DisconnectedOpens = %d after the drop, want 1", ts.Srv.Metrics().DisconnectedOpens)
		}
	}
	// The server notices the dropped connection asynchronously: retry
	// while the open is still attached to it.
	var rb rawCreated
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rb = decodeCreated(t, b.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", ctxs: []smb2.CreateContext{dh2c(guid)}}), nil))
		if rb.status != smb2.StatusObjectNameNotFound || time.Now().After(deadline) {
			break
		}
	}
	if rb.status != smb2.StatusSuccess || rb.id != ra.id || rb.oplock != smb2.OplockLevelBatch {
		t.Fatalf("reclaim: %v id %v oplock %#x, want the old handle with its batch oplock", rb.status, rb.id, rb.oplock)
	}
	if m := ts.Srv.Metrics(); m.DisconnectedOpens != 0 || m.DurableReclaims != 1 || m.DurableOpens != 1 {
		t.Fatalf("metrics after the reclaim: %d durable, %d disconnected, %d reclaims; want 1, 0, 1",
			m.DurableOpens, m.DisconnectedOpens, m.DurableReclaims)
	}
	r := b.expectStatus("read through the reclaimed handle", smb2.Read, rawRead(rb.id, 0, 5), nil, smb2.StatusSuccess)
	if string(r.body[16:]) != "hello" {
		t.Fatalf("read %q", r.body[16:])
	}
	b.expectStatus("second reclaim of a connected open", smb2.Create, rawCreateCtx(rawCreateReq{name: "f", ctxs: []smb2.CreateContext{dh2c(guid)}}),
		nil, smb2.StatusObjectNameNotFound)
	b.expectStatus("close", smb2.Close, rawClose(rb.id), nil, smb2.StatusSuccess)
}

func TestDurablePurgedAndScavenged(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient(t, ts.Addr, 1)
	dh2q := make([]byte, 32)
	le.PutUint32(dh2q, 300) // 300 ms
	dh2q[16] = 1
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf,
		oplock: smb2.OplockLevelBatch, ctxs: []smb2.CreateContext{{Name: smb2.CreateContextDurableRequestV2, Data: dh2q}}}), nil))
	if _, ok := ra.context(smb2.CreateContextDurableRequestV2); !ok {
		t.Fatal("durable handle not granted")
	}
	a.nc.Close()
	time.Sleep(800 * time.Millisecond) // past the durable timeout: scavenged
	b := rawClient(t, ts.Addr, 2)
	d := make([]byte, 36)
	le.PutUint64(d, ra.id.Persistent)
	le.PutUint64(d[8:], ra.id.Volatile)
	d[16] = 1
	b.expectStatus("reclaim after the timeout", smb2.Create, rawCreateCtx(rawCreateReq{name: "f",
		ctxs: []smb2.CreateContext{{Name: smb2.CreateContextDurableReconnectV2, Data: d}}}), nil, smb2.StatusObjectNameNotFound)
	// Nothing is left holding the file (its share mode was "none").
	if _, st := b.create("f", rawDispOpen); st != smb2.StatusSuccess {
		t.Fatalf("open after scavenging: %v", st)
	}

	// A disconnected durable open that another open needs broken is purged
	// at once instead of stalling that open for the break timeout.
	c := rawClient(t, ts.Addr, 3)
	le.PutUint32(dh2q, 60000)
	rc := decodeCreated(t, c.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "g", disposition: rawDispOverwriteIf,
		oplock: smb2.OplockLevelBatch, ctxs: []smb2.CreateContext{{Name: smb2.CreateContextDurableRequestV2, Data: dh2q}}}), nil))
	if _, ok := rc.context(smb2.CreateContextDurableRequestV2); !ok {
		t.Fatal("durable handle not granted")
	}
	c.nc.Close()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if _, st := b.create("g", rawDispOpen); st != smb2.StatusSuccess {
		t.Fatalf("open of a file held by a disconnected durable open: %v", st)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("open took %v: the disconnected holder was not purged", took)
	}
}

// TestDurableV1ReconnectWithQueries reclaims a durable v1 open the way
// the Linux kernel client asks: DHnC with its lease (RqLs) and a QFid
// query; the answer carries the lease and the QFid response. Another
// context beside them still fails the reconnect with
// OBJECT_NAME_NOT_FOUND, as on Samba.
func TestDurableV1ReconnectWithQueries(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient(t, ts.Addr, 7)
	rwh := uint32(smb2.LeaseReadCaching | smb2.LeaseWriteCaching | smb2.LeaseHandleCaching)
	qfid := smb2.CreateContext{Name: smb2.CreateContextQueryOnDiskID}
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "k", disposition: rawDispOverwriteIf,
		oplock: smb2.OplockLevelLease, ctxs: []smb2.CreateContext{leaseCtx(9, rwh),
			{Name: smb2.CreateContextDurableRequest, Data: make([]byte, 16)}, qfid}}), nil))
	if _, ok := ra.context(smb2.CreateContextDurableRequest); !ok || ra.status != smb2.StatusSuccess {
		t.Fatalf("durable v1 open: %v, durable granted %v", ra.status, ok)
	}
	a.nc.Close()
	for deadline := time.Now().Add(3 * time.Second); ts.Srv.Metrics().DisconnectedOpens != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the durable open was not kept after the drop")
		}
	}
	b := rawClient(t, ts.Addr, 7) // the same ClientGuid, as the lease needs
	dhnc := make([]byte, 16)
	le.PutUint64(dhnc, ra.id.Persistent)
	le.PutUint64(dhnc[8:], ra.id.Volatile)
	reconnect := func(extra ...smb2.CreateContext) rawCreated {
		ctxs := append([]smb2.CreateContext{leaseCtx(9, rwh), {Name: smb2.CreateContextDurableReconnect, Data: dhnc}}, extra...)
		return decodeCreated(t, b.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "k", oplock: smb2.OplockLevelLease, ctxs: ctxs}), nil))
	}
	if r := reconnect(qfid, smb2.CreateContext{Name: "ZZZZ", Data: make([]byte, 4)}); r.status != smb2.StatusObjectNameNotFound {
		t.Fatalf("reconnect with an unknown context: %v, want OBJECT_NAME_NOT_FOUND", r.status)
	}
	rb := reconnect(qfid)
	if rb.status != smb2.StatusSuccess || rb.id != ra.id || rb.oplock != smb2.OplockLevelLease {
		t.Fatalf("reconnect as the kernel client asks: %v id %v oplock %#x, want the old handle with its lease", rb.status, rb.id, rb.oplock)
	}
	if _, ok := rb.context(smb2.CreateContextQueryOnDiskID); !ok {
		t.Error("no QFid response to the reconnect")
	}
	if _, ok := rb.context(smb2.CreateContextRequestLease); !ok {
		t.Error("no lease response to the reconnect")
	}
	if m := ts.Srv.Metrics(); m.DurableReclaims != 1 {
		t.Errorf("DurableReclaims = %d, want 1", m.DurableReclaims)
	}
}
