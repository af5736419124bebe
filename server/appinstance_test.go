package server

import (
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// appCtx is an SMB2_CREATE_APP_INSTANCE_ID create context for {g, 0...}.
func appCtx(g byte) smb2.CreateContext {
	return smb2.CreateContext{Name: smb2.CreateContextAppInstanceID, Data: smb2.AppendAppInstanceID(nil, [16]byte{g})}
}

// appVersionCtx is an SMB2_CREATE_APP_INSTANCE_VERSION create context.
func appVersionCtx(high, low uint64) smb2.CreateContext {
	return smb2.CreateContext{Name: smb2.CreateContextAppInstanceVersion, Data: smb2.AppInstanceVersion{High: high, Low: low}.Append(nil)}
}

// rawClient311 is rawClient on SMB 3.1.1 with its own ClientGuid.
func rawClient311(t *testing.T, addr string, guid byte) *rawConn {
	t.Helper()
	c := dialRaw(t, addr)
	neg := rawNegotiate311()
	neg[12] = guid
	c.negotiate(neg)
	c.anonLogon()
	c.treeConnect("share")
	return c
}

const rawDispOpenIf = 3

// appOpen opens name with a batch oplock, share none, DH2Q with
// CreateGuid cg and the extra contexts.
func appOpen(t *testing.T, c *rawConn, name string, cg byte, ctxs ...smb2.CreateContext) rawCreated {
	t.Helper()
	return decodeCreated(t, c.call(smb2.Create, rawCreateCtx(rawCreateReq{name: name, disposition: rawDispOpenIf,
		oplock: smb2.OplockLevelBatch, ctxs: append([]smb2.CreateContext{dh2q(cg)}, ctxs...)}), nil))
}

// TestAppInstanceTakeover: a durable v2 open made for an AppInstanceId is
// closed, without a break, when another client opens the same file for the
// same AppInstanceId (MS-SMB2 3.3.5.9.13), connected or disconnected; the
// same client, or another AppInstanceId, takes nothing over.
func TestAppInstanceTakeover(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient3(t, ts.Addr, 1)
	ra := appOpen(t, a, "f", 1, appCtx(7))
	if ra.status != smb2.StatusSuccess || ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("first open: %v oplock %#x", ra.status, ra.oplock)
	}
	b := rawClient3(t, ts.Addr, 2)
	rb := appOpen(t, b, "f", 2, appCtx(7))
	if rb.status != smb2.StatusSuccess || rb.oplock != smb2.OplockLevelBatch {
		t.Fatalf("takeover: %v oplock %#x", rb.status, rb.oplock)
	}
	if _, ok := rb.context(smb2.CreateContextDurableRequestV2); !ok {
		t.Fatal("takeover open not durable")
	}
	a.expectSilence("no break for the open taken over", 300*time.Millisecond)
	a.expectStatus("close of the open taken over", smb2.Close, rawClose(ra.id), nil, smb2.StatusFileClosed)

	// Another AppInstanceId takes nothing over: b's batch oplock is
	// broken and the share mode (none) refuses the open.
	a.write(rawFrame(a.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpenIf,
		oplock: smb2.OplockLevelBatch, ctxs: []smb2.CreateContext{dh2q(3), appCtx(8)}}), nil)))
	br := b.expectMsg("break", isBreak)
	b.expectStatus("ack", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, br.body[2], rb.id), nil, smb2.StatusSuccess)
	if rc := decodeCreated(t, a.recv()); rc.status != smb2.StatusSharingViolation {
		t.Fatalf("open for another app instance: %v", rc.status)
	}

	// A disconnected durable open is taken over too.
	c := rawClient3(t, ts.Addr, 3)
	rc := appOpen(t, c, "g", 4, appCtx(9))
	if _, ok := rc.context(smb2.CreateContextDurableRequestV2); !ok {
		t.Fatalf("durable open: %v", rc.status)
	}
	c.nc.Close()
	time.Sleep(100 * time.Millisecond)
	d := rawClient3(t, ts.Addr, 4)
	start := time.Now()
	if rd := appOpen(t, d, "g", 5, appCtx(9)); rd.status != smb2.StatusSuccess || rd.oplock != smb2.OplockLevelBatch {
		t.Fatalf("takeover of a disconnected open: %v oplock %#x", rd.status, rd.oplock)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("takeover took %v", took)
	}
	dh2c := le.AppendUint64(nil, rc.id.Persistent)
	dh2c = le.AppendUint64(dh2c, rc.id.Volatile)
	dh2c = append(dh2c, 4)
	dh2c = append(dh2c, make([]byte, 19)...)
	c2 := rawClient3(t, ts.Addr, 3)
	c2.expectStatus("reclaim of the open taken over", smb2.Create, rawCreateCtx(rawCreateReq{name: "g",
		ctxs: []smb2.CreateContext{{Name: smb2.CreateContextDurableReconnectV2, Data: dh2c}}}), nil, smb2.StatusObjectNameNotFound)
}

// TestAppInstanceVersion: on 3.1.1 an open whose app instance version is
// not older than the new one's is kept and the new CREATE fails with
// STATUS_FILE_FORCED_CLOSED; a newer version takes it over.
func TestAppInstanceVersion(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient311(t, ts.Addr, 1)
	ra := appOpen(t, a, "v", 1, appCtx(5), appVersionCtx(2, 5))
	if ra.status != smb2.StatusSuccess {
		t.Fatalf("first open: %v", ra.status)
	}
	b := rawClient311(t, ts.Addr, 2)
	for _, v := range [][2]uint64{{2, 5}, {2, 4}, {1, 9}} {
		if rb := appOpen(t, b, "v", 2, appCtx(5), appVersionCtx(v[0], v[1])); rb.status != smb2.StatusFileForcedClosed {
			t.Fatalf("version %v against 2.5: %v", v, rb.status)
		}
	}
	bad := smb2.CreateContext{Name: smb2.CreateContextAppInstanceID, Data: make([]byte, 20)}
	b.expectStatus("StructureSize 0", smb2.Create, rawCreateCtx(rawCreateReq{name: "v", disposition: rawDispOpenIf,
		ctxs: []smb2.CreateContext{dh2q(3), bad}}), nil, smb2.StatusInvalidParameter)
	if rb := appOpen(t, b, "v", 4, appCtx(5), appVersionCtx(2, 6)); rb.status != smb2.StatusSuccess || rb.oplock != smb2.OplockLevelBatch {
		t.Fatalf("newer version: %v oplock %#x", rb.status, rb.oplock)
	}
	a.expectStatus("close of the open taken over", smb2.Close, rawClose(ra.id), nil, smb2.StatusFileClosed)
}
