package server

import (
	"os"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// TestCoherenceBreakSequence replays, in raw frames, what the kernel
// client test's coherence check does to the server and pins down every
// message the caching client (A) gets: A writes a file through one open
// under an RWH lease and keeps a second, read-only open on the same
// lease key (the 6.1 client's deferred close plus the reader); B, another
// client without caching, opens the file for writing, writes, closes,
// and creates another file. A must see exactly one break, RWH -> RH
// with the acknowledgment required, when B opens (B's CREATE waits for
// the ack), then RH -> none, acknowledgment required as H was held, when
// B writes (B's WRITE does not wait), and nothing after: not at B's close, not at B's
// other create, not at A's closes — no late or unexpected break that
// could race the client's unmount. Samba 4.17 sends the same
// (ZEROSMB_COHERENCE_PEER=127.0.0.1:PORT points the test at an smbd with
// a guest share named "share").
func TestCoherenceBreakSequence(t *testing.T) {
	addr := os.Getenv("ZEROSMB_COHERENCE_PEER") // e.g. smbd with a guest share "share", to compare
	if addr == "" {
		addr = startServer(t, testOpts{Guest: true}).Addr
	}
	a, b := rawClient(t, addr, 1), rawClient(t, addr, 2)
	rwh := cacheR | cacheW | cacheH
	w := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "coh", disposition: rawDispOverwriteIf,
		share: shareAll, oplock: smb2.OplockLevelLease, ctxs: []smb2.CreateContext{leaseCtx(9, rwh)}}), nil))
	a.expectStatus("A writes", smb2.Write, rawWrite(w.id, 0, []byte("AAAA")), nil, smb2.StatusSuccess)
	rd := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "coh", disposition: rawDispOpen,
		access: fileReadData, share: shareAll, oplock: smb2.OplockLevelLease, ctxs: []smb2.CreateContext{leaseCtx(9, rwh)}}), nil))
	if w.status != smb2.StatusSuccess || rd.status != smb2.StatusSuccess {
		t.Fatalf("A's opens: %v %v", w.status, rd.status)
	}

	b.write(rawFrame(b.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "coh", disposition: rawDispOpen,
		access: fileWriteData | fileReadData, share: shareAll}), nil)))
	brk := a.expectMsg("break on B's open", isBreak)
	n, err := smb2.DecodeLeaseBreakNotification(append(make([]byte, smb2.HeaderSize), brk.body...))
	if err != nil || n.CurrentLeaseState != rwh || n.NewLeaseState != cacheR|cacheH || n.Flags&smb2.LeaseBreakFlagAckRequired == 0 {
		t.Fatalf("first break %+v %v, want RWH -> RH, ack required", n, err)
	}
	b.expectMsg("B's CREATE waits for the ack", isPending)
	ack := smb2.LeaseBreakAck{LeaseKey: n.LeaseKey, LeaseState: cacheR | cacheH}
	a.expectStatus("A acks RH", smb2.OplockBreak, ack.Append(nil), nil, smb2.StatusSuccess)
	rb := decodeCreated(t, b.expectMsg("B's open", func(r rawResp) bool { return r.hdr.Command == smb2.Create && !isPending(r) }))
	if rb.status != smb2.StatusSuccess {
		t.Fatalf("B's open: %v", rb.status)
	}

	b.expectStatus("B writes", smb2.Write, rawWrite(rb.id, 0, []byte("BBBB")), nil, smb2.StatusSuccess)
	brk = a.expectMsg("break on B's write", isBreak)
	n, err = smb2.DecodeLeaseBreakNotification(append(make([]byte, smb2.HeaderSize), brk.body...))
	if err != nil || n.CurrentLeaseState != cacheR|cacheH || n.NewLeaseState != 0 || n.Flags&smb2.LeaseBreakFlagAckRequired == 0 {
		t.Fatalf("second break %+v %v, want RH -> none, ack required (H was held)", n, err)
	}
	ack = smb2.LeaseBreakAck{LeaseKey: n.LeaseKey}
	a.expectStatus("A acks none", smb2.OplockBreak, ack.Append(nil), nil, smb2.StatusSuccess)
	b.expectStatus("B closes", smb2.Close, rawClose(rb.id), nil, smb2.StatusSuccess)
	if _, st := b.create("coh.done", rawDispOverwriteIf); st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	a.expectSilence("after B's close and create", 300*time.Millisecond)
	if r := a.call(smb2.Read, rawRead(rd.id, 0, 4), nil); r.hdr.Status != smb2.StatusSuccess || string(r.body[16:20]) != "BBBB" {
		t.Fatalf("A reads %v %q", r.hdr.Status, r.body)
	}
	a.expectStatus("A closes the reader", smb2.Close, rawClose(rd.id), nil, smb2.StatusSuccess)
	a.expectStatus("A closes the writer", smb2.Close, rawClose(w.id), nil, smb2.StatusSuccess)
	a.expectSilence("after A's closes", 300*time.Millisecond)
}
