package server

import (
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// rawClient3 is rawClient on SMB 3.0.2 (create replay and channel
// sequences are 3.x only).
func rawClient3(t *testing.T, addr string, guid byte) *rawConn {
	t.Helper()
	c := dialRaw(t, addr)
	neg := rawNegotiate(smb2.Dialect302)
	neg[12] = guid
	c.negotiate(neg)
	c.anonLogon()
	c.treeConnect("share")
	return c
}

// dh2q is a DH2Q create context with CreateGuid {g, 0...}.
func dh2q(g byte) smb2.CreateContext {
	b := make([]byte, 32)
	le.PutUint32(b, 60000)
	b[16] = g
	return smb2.CreateContext{Name: smb2.CreateContextDurableRequestV2, Data: b}
}

// replayFlag marks a request SMB2_FLAGS_REPLAY_OPERATION.
func replayFlag(h *smb2.Header) { h.Flags |= smb2.FlagReplayOperation }

// TestCreateReplay: a CREATE with DH2Q replayed with the replay flag gets
// the same open, as created (CreateAction, the oplock asked now, DH2Q only
// for a batch request of a durable open), without touching it; without
// the flag STATUS_DUPLICATE_OBJECTID; a lease the open does not hold is
// refused. Once another command used the open, or it was closed, the
// CreateGuid names a new CREATE. Another client's CreateGuids are its own.
func TestCreateReplay(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient3(t, ts.Addr, 1)
	create := func(c *rawConn, _ string, oplock uint8, g byte, mod func(*smb2.Header), ctxs ...smb2.CreateContext) rawCreated {
		t.Helper()
		return decodeCreated(t, c.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: 3 /* OPEN_IF */, share: shareAll,
			oplock: oplock, ctxs: append(ctxs, dh2q(g))}), mod))
	}
	first := create(a, "first", smb2.OplockLevelBatch, 1, nil)
	if first.status != smb2.StatusSuccess || first.oplock != smb2.OplockLevelBatch {
		t.Fatalf("first CREATE: %v oplock %#x", first.status, first.oplock)
	}
	firstAction := le.Uint32(a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: 3, share: shareAll,
		oplock: smb2.OplockLevelBatch, ctxs: []smb2.CreateContext{dh2q(1)}}), replayFlag).body[4:])
	if firstAction != smb2.FileCreated {
		t.Errorf("replay CreateAction %d, want FILE_CREATED as the first CREATE answered", firstAction)
	}
	rep := create(a, "replay", smb2.OplockLevelBatch, 1, replayFlag)
	if _, durable := rep.context(smb2.CreateContextDurableRequestV2); rep.status != smb2.StatusSuccess || rep.id != first.id ||
		rep.oplock != smb2.OplockLevelBatch || !durable {
		t.Errorf("replay: %v id %v (first %v) oplock %#x durable %v", rep.status, rep.id, first.id, rep.oplock, durable)
	}
	rep = create(a, "replay asking no oplock", smb2.OplockLevelNone, 1, replayFlag)
	if _, durable := rep.context(smb2.CreateContextDurableRequestV2); rep.status != smb2.StatusSuccess || rep.id != first.id ||
		rep.oplock != smb2.OplockLevelNone || durable {
		t.Errorf("replay without oplock: %v id %v oplock %#x durable %v", rep.status, rep.id, rep.oplock, durable)
	}
	if r := create(a, "replay with a lease", smb2.OplockLevelLease, 1, replayFlag, leaseCtx(5, cacheR|cacheH)); r.status != smb2.StatusAccessDenied {
		t.Errorf("replay asking a lease of an oplock open: %v, want ACCESS_DENIED", r.status)
	}
	if r := create(a, "same CreateGuid, no replay flag", smb2.OplockLevelBatch, 1, nil); r.status != smb2.StatusDuplicateObjectID {
		t.Errorf("same CreateGuid without the replay flag: %v, want DUPLICATE_OBJECTID", r.status)
	}
	// Nothing changed: the open still holds its batch oplock (a replay
	// asking none did not lower it), and no break was sent.
	a.expectSilence("no break from replays", 100*time.Millisecond)

	// Another client's CreateGuid 1 is another CREATE: it waits for the
	// break of A's batch oplock (still batch: the replay asking none did
	// not lower it) to level II, acknowledged here.
	b := rawClient3(t, ts.Addr, 2)
	b.write(rawFrame(b.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: 3, share: shareAll,
		ctxs: []smb2.CreateContext{dh2q(1)}}), nil)))
	b.expectMsg("interim", isPending)
	a.expectMsg("break", isBreak)
	a.expectStatus("ack", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelII, first.id), nil, smb2.StatusSuccess)
	if rb := decodeCreated(t, b.expectMsg("B's CREATE", func(r rawResp) bool { return !isPending(r) })); rb.status != smb2.StatusSuccess || rb.id == first.id {
		t.Errorf("other client, same CreateGuid: %v id %v", rb.status, rb.id)
	}

	// A uses its open: the CreateGuid is free, a replay is a new CREATE.
	a.expectStatus("QUERY_INFO", smb2.QueryInfo, rawQueryInfoPosition(first.id), nil, smb2.StatusSuccess)
	again := create(a, "replay after use", smb2.OplockLevelNone, 1, replayFlag)
	if again.status != smb2.StatusSuccess || again.id == first.id {
		t.Errorf("replay after the open was used: %v id %v, want a new open", again.status, again.id)
	}
	a.expectStatus("close", smb2.Close, rawClose(again.id), nil, smb2.StatusSuccess)
	if r := create(a, "after close", smb2.OplockLevelNone, 1, nil); r.status != smb2.StatusSuccess {
		t.Errorf("CreateGuid of a closed open: %v", r.status)
	}
}

// rawQueryInfoPosition is a QUERY_INFO of FilePositionInformation.
func rawQueryInfoPosition(id smb2.FileID) []byte {
	b := make([]byte, 40)
	le.PutUint16(b, 41)
	b[2] = 1  // SMB2_0_INFO_FILE
	b[3] = 14 // FilePositionInformation
	le.PutUint32(b[4:], 8)
	le.PutUint64(b[24:], id.Persistent)
	le.PutUint64(b[32:], id.Volatile)
	return b
}

// TestCreateReplayPending: while a CREATE with DH2Q waits for a break,
// its replays (and a resend without the flag) get FILE_NOT_AVAILABLE;
// once it finished a replay gets its open. A cancelled CREATE leaves its
// CreateGuid free.
func TestCreateReplayPending(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a, b := rawClient3(t, ts.Addr, 1), rawClient3(t, ts.Addr, 2)
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf, share: shareAll,
		oplock: smb2.OplockLevelBatch}), nil))
	if ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("holder: oplock %#x", ra.oplock)
	}
	req := rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll, ctxs: []smb2.CreateContext{dh2q(7)}})
	pendingMID := b.mid
	b.write(rawFrame(b.msg(smb2.Create, req, nil)))
	b.expectMsg("interim", isPending)
	a.expectMsg("break", isBreak)
	b.expectStatus("replay while pending", smb2.Create, req, replayFlag, smb2.StatusFileNotAvailable)
	b.expectStatus("resend while pending", smb2.Create, req, nil, smb2.StatusFileNotAvailable)
	a.expectStatus("ack", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelII, ra.id), nil, smb2.StatusSuccess)
	done := decodeCreated(t, b.expectMsg("pending CREATE", func(r rawResp) bool { return r.hdr.MessageID == pendingMID && !isPending(r) }))
	if done.status != smb2.StatusSuccess {
		t.Fatalf("pending CREATE: %v", done.status)
	}
	if r := decodeCreated(t, b.call(smb2.Create, req, replayFlag)); r.status != smb2.StatusSuccess || r.id != done.id {
		t.Errorf("replay after it finished: %v id %v, want %v", r.status, r.id, done.id)
	}

	// A CREATE cancelled while it waits frees its CreateGuid.
	rx := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "g", disposition: rawDispOverwriteIf,
		oplock: smb2.OplockLevelBatch}), nil))
	if rx.oplock != smb2.OplockLevelBatch {
		t.Fatalf("holder of g: oplock %#x", rx.oplock)
	}
	reqG := rawCreateCtx(rawCreateReq{name: "g", disposition: rawDispOpen, share: shareAll, ctxs: []smb2.CreateContext{dh2q(8)}})
	b.write(rawFrame(b.msg(smb2.Create, reqG, nil)))
	interim := b.expectMsg("interim", isPending)
	a.expectMsg("break of g", isBreak)
	b.write(rawFrame(b.msg(smb2.Cancel, rawEcho(), func(h *smb2.Header) {
		h.Flags |= smb2.FlagAsync
		h.AsyncID = interim.hdr.AsyncID
	})))
	if r := b.expectMsg("cancelled", func(r rawResp) bool { return !isPending(r) }); r.hdr.Status != smb2.StatusCancelled {
		t.Fatalf("cancelled CREATE: %v", r.hdr.Status)
	}
	a.expectStatus("close g's holder", smb2.Close, rawClose(rx.id), nil, smb2.StatusSuccess)
	if r := decodeCreated(t, b.call(smb2.Create, reqG, nil)); r.status != smb2.StatusSuccess {
		t.Errorf("CreateGuid of a cancelled CREATE: %v, want it free", r.status)
	}
}

// TestChannelSequence (MS-SMB2 3.3.5.2.10): on 3.x a WRITE, SET_INFO or
// IOCTL carrying a ChannelSequence older than the open's fails with
// FILE_NOT_AVAILABLE; a newer one (< 0x8000 ahead) becomes the open's;
// other commands pass whatever they carry.
func TestChannelSequence(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient3(t, ts.Addr, 1)
	id, st := a.create("f", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	csn := func(n uint16) func(*smb2.Header) { return func(h *smb2.Header) { h.Status = smb2.Status(n) } }
	a.expectStatus("write csn 0", smb2.Write, rawWrite(id, 0, []byte("a")), csn(0), smb2.StatusSuccess)
	a.expectStatus("write csn 0x8000 (too far ahead)", smb2.Write, rawWrite(id, 0, []byte("b")), csn(0x8000), smb2.StatusFileNotAvailable)
	a.expectStatus("write csn 5", smb2.Write, rawWrite(id, 0, []byte("c")), csn(5), smb2.StatusSuccess)
	a.expectStatus("write csn 4 (older)", smb2.Write, rawWrite(id, 0, []byte("d")), csn(4), smb2.StatusFileNotAvailable)
	a.expectStatus("replayed write csn 4", smb2.Write, rawWrite(id, 0, []byte("d")), func(h *smb2.Header) { csn(4)(h); replayFlag(h) }, smb2.StatusFileNotAvailable)
	a.expectStatus("read csn 4 (older, not refused)", smb2.Read, rawRead(id, 0, 1), csn(4), smb2.StatusSuccess)
	a.expectStatus("write csn 0x8004 (wraps ahead)", smb2.Write, rawWrite(id, 0, []byte("e")), csn(0x8004), smb2.StatusSuccess)
	a.expectStatus("write csn 5 now older", smb2.Write, rawWrite(id, 0, []byte("f")), csn(5), smb2.StatusFileNotAvailable)
	r := a.expectStatus("read", smb2.Read, rawRead(id, 0, 1), csn(0x8004), smb2.StatusSuccess)
	if start := int(r.body[2]) - smb2.HeaderSize; string(r.body[start:start+1]) != "e" {
		t.Errorf("file holds %q, want the last accepted write", r.body[start:start+1])
	}
	// 2.1 has no channel sequence: the field is ignored.
	b := rawClient(t, ts.Addr, 2)
	idb, _ := b.create("g", rawDispOverwriteIf)
	b.expectStatus("2.1 write", smb2.Write, rawWrite(idb, 0, []byte("x")), csn(0x9000), smb2.StatusSuccess)
	b.expectStatus("2.1 write, lower field", smb2.Write, rawWrite(idb, 0, []byte("x")), csn(1), smb2.StatusSuccess)
}

// replayEntries is the size of the server's create replay table.
func replayEntries(ts *testServer) int {
	t := &ts.Srv.nodes
	t.lmu.Lock()
	defer t.lmu.Unlock()
	return len(t.replays)
}

// waitReplayEntries waits up to 5 s for the replay table to hold want.
func waitReplayEntries(t *testing.T, ts *testServer, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for replayEntries(ts) != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := replayEntries(ts); n != want {
		t.Errorf("%s: %d replay entries, want %d", what, n, want)
	}
}

// TestReplayTableBounded: the replay table holds only running CREATEs and
// live opens. Failed CREATEs leave nothing, closing or losing the
// connection removes the entries, and a pending CREATE whose connection
// goes away frees its reservation.
func TestReplayTableBounded(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient3(t, ts.Addr, 1)
	for i := range 200 {
		r := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "missing", disposition: rawDispOpen,
			ctxs: []smb2.CreateContext{dh2q(byte(i))}}), replayFlag))
		if r.status != smb2.StatusObjectNameNotFound {
			t.Fatalf("CREATE of a missing file: %v", r.status)
		}
	}
	waitReplayEntries(t, ts, 0, "after 200 failed CREATEs")
	var ids []smb2.FileID
	for i := range 50 {
		r := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: 3, share: shareAll,
			ctxs: []smb2.CreateContext{dh2q(byte(i))}}), nil))
		if r.status != smb2.StatusSuccess {
			t.Fatalf("open %d: %v", i, r.status)
		}
		ids = append(ids, r.id)
	}
	waitReplayEntries(t, ts, 50, "50 open")
	for _, id := range ids[:25] {
		a.expectStatus("close", smb2.Close, rawClose(id), nil, smb2.StatusSuccess)
	}
	waitReplayEntries(t, ts, 25, "25 closed")
	a.nc.Close()
	waitReplayEntries(t, ts, 0, "connection closed")

	// A CREATE pending on a break, whose connection then goes away.
	h := rawClient3(t, ts.Addr, 2)
	if r := decodeCreated(t, h.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "g", disposition: rawDispOverwriteIf, share: shareAll,
		oplock: smb2.OplockLevelBatch}), nil)); r.oplock != smb2.OplockLevelBatch {
		t.Fatalf("holder: oplock %#x", r.oplock)
	}
	b := rawClient3(t, ts.Addr, 3)
	b.write(rawFrame(b.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "g", disposition: rawDispOpen, share: shareAll,
		ctxs: []smb2.CreateContext{dh2q(9)}}), nil)))
	b.expectMsg("interim", isPending)
	h.expectMsg("break", isBreak)
	waitReplayEntries(t, ts, 1, "pending CREATE")
	b.nc.Close()
	waitReplayEntries(t, ts, 0, "pending CREATE's connection closed")
}
