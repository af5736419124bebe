package server

import (
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// compoundMsgs links msgs into one compound (8-byte aligned, NextCommand
// set); related marks every element after the first related.
func compoundMsgs(related bool, msgs ...[]byte) [][]byte {
	for i := range msgs {
		if i > 0 && related {
			le.PutUint32(msgs[i][smb2.OffFlags:], le.Uint32(msgs[i][smb2.OffFlags:])|smb2.FlagRelatedOperations)
		}
		if i == len(msgs)-1 {
			break
		}
		for len(msgs[i])%8 != 0 {
			msgs[i] = append(msgs[i], 0)
		}
		le.PutUint32(msgs[i][smb2.OffNextCommand:], uint32(len(msgs[i])))
	}
	return msgs
}

// frameMsgs reads one frame and returns all its messages, interim
// responses and notifications included.
func (c *rawConn) frameMsgs(what string) []rawResp {
	c.t.Helper()
	b, err := c.readFrame(5 * time.Second)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	var out []rawResp
	for off := 0; off < len(b); {
		h, err := smb2.DecodeHeader(b[off:])
		if err != nil {
			c.t.Fatalf("%s: bad header at %d: %v", what, off, err)
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
	return out
}

// checkFrame fails unless rs are responses to cmds with statuses sts.
func checkFrame(t *testing.T, what string, rs []rawResp, cmds []smb2.Command, sts []smb2.Status) {
	t.Helper()
	if len(rs) != len(cmds) {
		t.Fatalf("%s: %d messages in the frame, want %d", what, len(rs), len(cmds))
	}
	for i, r := range rs {
		if r.hdr.Command != cmds[i] || r.hdr.Status != sts[i] {
			t.Fatalf("%s: element %d is %s %v, want %s %v", what, i, r.hdr.Command, r.hdr.Status, cmds[i], sts[i])
		}
	}
}

// TestCompoundSplitOwnConnection: a CREATE in the middle of a related
// compound that must wait for a batch oplock held (and acknowledged) over
// its own connection goes async: the responses so far and its interim
// response come first, the read loop takes the acknowledgment, and the
// CREATE's final response comes with the rest of the chain, which runs on
// the new handle.
func TestCompoundSplitOwnConnection(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient(t, ts.Addr, 1)
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf,
		share: shareAll, oplock: smb2.OplockLevelBatch}), nil))
	if ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("oplock %#x", ra.oplock)
	}
	a.expectStatus("write", smb2.Write, rawWrite(ra.id, 0, []byte("0123456789")), nil, smb2.StatusSuccess)
	ms := compoundMsgs(false,
		a.msg(smb2.QueryInfo, rawQueryInfoPosition(ra.id), nil),
		a.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll, access: fileReadData | fileReadAttributes}), nil),
		a.msg(smb2.Read, rawRead(smb2.AnyFileID, 2, 3), func(h *smb2.Header) { h.Flags |= smb2.FlagRelatedOperations }),
		a.msg(smb2.Close, rawClose(smb2.AnyFileID), func(h *smb2.Header) { h.Flags |= smb2.FlagRelatedOperations }))
	a.write(rawFrame(ms...))
	var gotBreak, gotInterim bool
	var interimAsync uint64
	for !gotBreak || !gotInterim {
		rs := a.frameMsgs("before the acknowledgment")
		switch {
		case len(rs) == 1 && isBreak(rs[0]):
			if rs[0].body[2] != smb2.OplockLevelII {
				t.Fatalf("break to %#x, want level II", rs[0].body[2])
			}
			gotBreak = true
		default:
			checkFrame(t, "first part of the compound", rs, []smb2.Command{smb2.QueryInfo, smb2.Create},
				[]smb2.Status{smb2.StatusSuccess, smb2.StatusPending})
			if rs[1].hdr.Flags&smb2.FlagAsync == 0 || rs[1].hdr.AsyncID == 0 {
				t.Fatal("interim response without an AsyncId")
			}
			interimAsync = rs[1].hdr.AsyncID
			gotInterim = true
		}
	}
	a.expectSilence("nothing before the acknowledgment", 300*time.Millisecond)
	a.expectStatus("ack over the same connection", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelII, ra.id), nil, smb2.StatusSuccess)
	rs := a.frameMsgs("rest of the compound")
	checkFrame(t, "rest of the compound", rs, []smb2.Command{smb2.Create, smb2.Read, smb2.Close},
		[]smb2.Status{smb2.StatusSuccess, smb2.StatusSuccess, smb2.StatusSuccess})
	if rs[0].hdr.AsyncID != interimAsync || rs[0].hdr.Flags&smb2.FlagAsync == 0 {
		t.Fatalf("final CREATE response AsyncId %#x, want %#x", rs[0].hdr.AsyncID, interimAsync)
	}
	if got := string(rs[1].body[16 : 16+le.Uint32(rs[1].body[4:])]); got != "234" {
		t.Fatalf("related READ on the new handle read %q", got)
	}
	// The connection goes on normally; the first handle is level II now.
	r := a.expectStatus("read", smb2.Read, rawRead(ra.id, 0, 2), nil, smb2.StatusSuccess)
	if string(r.body[16:]) != "01" {
		t.Fatalf("read %q", r.body[16:])
	}
}

// TestCompoundSplitOtherConnection: the same with the lease held by
// another client, acknowledged over its connection; a related element
// after a CREATE that failed once the break was acknowledged gets the
// CREATE's status.
func TestCompoundSplitOtherConnection(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a, b := rawClient(t, ts.Addr, 1), rawClient(t, ts.Addr, 2)
	rwh := cacheR | cacheW | cacheH
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf,
		share: 3 /* read, write */, oplock: smb2.OplockLevelLease, ctxs: []smb2.CreateContext{leaseCtx(7, rwh)}}), nil))
	if ra.oplock != smb2.OplockLevelLease {
		t.Fatalf("no lease: %#x", ra.oplock)
	}
	// DELETE access conflicts with a's share mode: H is broken first,
	// then the CREATE fails with a sharing violation.
	ms := compoundMsgs(true,
		b.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll, access: accessDelete}), nil),
		b.msg(smb2.QueryInfo, rawQueryInfoPosition(smb2.AnyFileID), nil),
		b.msg(smb2.Close, rawClose(smb2.AnyFileID), nil))
	b.write(rawFrame(ms...))
	checkFrame(t, "interim", b.frameMsgs("interim"), []smb2.Command{smb2.Create}, []smb2.Status{smb2.StatusPending})
	brk := a.expectMsg("lease break", isBreak)
	n, err := smb2.DecodeLeaseBreakNotification(append(make([]byte, smb2.HeaderSize), brk.body...))
	if err != nil || n.NewLeaseState != cacheR|cacheW {
		t.Fatalf("lease break %+v %v", n, err)
	}
	b.expectSilence("nothing before the acknowledgment", 300*time.Millisecond)
	ack := smb2.LeaseBreakAck{LeaseKey: n.LeaseKey, LeaseState: n.NewLeaseState}
	a.expectStatus("ack", smb2.OplockBreak, ack.Append(nil), nil, smb2.StatusSuccess)
	rs := b.frameMsgs("rest of the compound")
	checkFrame(t, "rest of the compound", rs, []smb2.Command{smb2.Create, smb2.QueryInfo, smb2.Close},
		[]smb2.Status{smb2.StatusSharingViolation, smb2.StatusSharingViolation, smb2.StatusSharingViolation})
}

// TestCompoundSplitCancelAndDrop: CANCEL of a split CREATE ends it and
// the rest of its chain with STATUS_CANCELLED; a connection dropped while
// one waits leaves nothing open behind.
func TestCompoundSplitCancelAndDrop(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a, b := rawClient(t, ts.Addr, 1), rawClient(t, ts.Addr, 2)
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf,
		share: shareAll, oplock: smb2.OplockLevelBatch}), nil))
	if ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("oplock %#x", ra.oplock)
	}
	split := func(c *rawConn) rawResp {
		ms := compoundMsgs(true,
			c.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: 0, access: fileReadData}), nil),
			c.msg(smb2.Close, rawClose(smb2.AnyFileID), nil))
		c.write(rawFrame(ms...))
		rs := c.frameMsgs("interim")
		checkFrame(t, "interim", rs, []smb2.Command{smb2.Create}, []smb2.Status{smb2.StatusPending})
		return rs[0]
	}
	interim := split(b)
	a.expectMsg("break", isBreak)
	cancel := b.msg(smb2.Cancel, []byte{4, 0, 0, 0}, func(h *smb2.Header) {
		h.Flags |= smb2.FlagAsync
		h.AsyncID = interim.hdr.AsyncID
		h.MessageID = interim.hdr.MessageID
		h.CreditCharge = 0
	})
	b.mid-- // CANCEL takes no MessageId
	b.write(rawFrame(cancel))
	rs := b.frameMsgs("cancelled")
	checkFrame(t, "cancelled", rs, []smb2.Command{smb2.Create, smb2.Close}, []smb2.Status{smb2.StatusCancelled, smb2.StatusCancelled})

	// Dropped while waiting (a never acknowledges: the break is
	// already in progress, so this waits for the timeout).
	c := rawClient(t, ts.Addr, 3)
	split(c)
	c.nc.Close()
	a.expectStatus("ack", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelNone, ra.id), nil, smb2.StatusSuccess)
	a.expectStatus("close", smb2.Close, rawClose(ra.id), nil, smb2.StatusSuccess)
	time.Sleep(200 * time.Millisecond)
	d := rawClient(t, ts.Addr, 4)
	rd := decodeCreated(t, d.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: 0}), nil))
	if rd.status != smb2.StatusSuccess {
		t.Fatalf("exclusive open after the dropped connection: %v (something was left open)", rd.status)
	}
}

// TestCompoundSplitBounded: a split keeps the rest of its compound until
// the CREATE completes, at most maxSplitHeld bytes per connection; beyond
// that the CREATE fails with STATUS_INTERNAL_ERROR (as Windows fails other
// async elements in the middle of a compound) and nothing waits.
func TestCompoundSplitBounded(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a, b := rawClient(t, ts.Addr, 1), rawClient(t, ts.Addr, 2)
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf,
		share: shareAll, oplock: smb2.OplockLevelBatch}), nil))
	if ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("oplock %#x", ra.oplock)
	}
	big := make([]byte, maxSplitHeld)
	ms := compoundMsgs(true,
		b.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll, access: fileReadData}), nil),
		b.msg(smb2.Write, rawWrite(smb2.AnyFileID, 0, big), nil))
	b.write(rawFrame(ms...))
	rs := b.frameMsgs("refused split")
	if len(rs) != 2 || rs[0].hdr.Command != smb2.Create || rs[0].hdr.Status != smb2.StatusInternalError {
		t.Fatalf("got %d messages, first %s %v; want CREATE STATUS_INTERNAL_ERROR and the WRITE", len(rs), rs[0].hdr.Command, rs[0].hdr.Status)
	}
	a.expectMsg("the break was sent all the same", isBreak)
}
