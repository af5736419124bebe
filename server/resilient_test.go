package server

import (
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// resiliencyBody is an IOCTL FSCTL_LMR_REQUEST_RESILIENCY asking timeout
// milliseconds.
func resiliencyBody(id smb2.FileID, timeout uint32) []byte {
	return ioctlBody(smb2.FsctlLMRRequestResiliency, id, smb2.NetworkResiliencyRequest{Timeout: timeout}.Append(nil), 0)
}

// seqLockBody is a LOCK of one range with LockSequence seq (bucket<<4 |
// number).
func seqLockBody(id smb2.FileID, seq uint32, e smb2.LockElement) []byte {
	b := lockBody(id, e)
	le.PutUint32(b[4:], seq)
	return b
}

// dhnc is a DHnC create context for id.
func dhnc(id smb2.FileID) smb2.CreateContext {
	d := le.AppendUint64(nil, id.Persistent)
	d = le.AppendUint64(d, id.Volatile)
	return smb2.CreateContext{Name: smb2.CreateContextDurableReconnect, Data: d}
}

// reclaimDHnC retries a DHnC reconnect until the server has noticed the
// dropped connection (it does so asynchronously).
func reclaimDHnC(t *testing.T, c *rawConn, name string, id smb2.FileID) rawCreated {
	t.Helper()
	var r rawCreated
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r = decodeCreated(t, c.call(smb2.Create, rawCreateCtx(rawCreateReq{name: name, ctxs: []smb2.CreateContext{dhnc(id)}}), nil))
		if r.status != smb2.StatusObjectNameNotFound || time.Now().After(deadline) {
			return r
		}
	}
}

// TestResilientHandle: FSCTL_LMR_REQUEST_RESILIENCY's checks (2.0.2,
// short input, a timeout above the maximum); a resilient open without any
// caching survives its connection with its share mode, lock and data, is
// reclaimed with DHnC, and replays LOCKs by their sequence numbers; a
// reclaim after the timeout finds nothing and nothing is left holding the
// file.
func TestResilientHandle(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})

	old := dialRaw(t, ts.Addr)
	old.negotiate(rawNegotiate(smb2.Dialect202))
	old.anonLogon()
	old.treeConnect("share")
	id, st := old.create("f202", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatalf("create: %v", st)
	}
	old.expectStatus("resiliency on 2.0.2", smb2.Ioctl, resiliencyBody(id, 1000), nil, smb2.StatusInvalidDeviceRequest)

	a := rawClient(t, ts.Addr, 1)
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOverwriteIf}), nil))
	if ra.status != smb2.StatusSuccess {
		t.Fatalf("create: %v", ra.status)
	}
	a.expectStatus("short input", smb2.Ioctl, ioctlBody(smb2.FsctlLMRRequestResiliency, ra.id, []byte{1, 2, 3, 4}, 0), nil, smb2.StatusInvalidParameter)
	a.expectStatus("timeout above the maximum", smb2.Ioctl, resiliencyBody(ra.id, 301000), nil, smb2.StatusInvalidParameter)
	r := a.expectStatus("resiliency", smb2.Ioctl, resiliencyBody(ra.id, 60000), nil, smb2.StatusSuccess)
	if got := ioctlOut(t, r.body); len(got) != 0 {
		t.Fatalf("resiliency answered %d output bytes", len(got))
	}

	lk := smb2.LockElement{Offset: 100, Length: 100, Flags: exclFI}
	a.expectStatus("lock bucket 1 seq 1", smb2.Lock, seqLockBody(ra.id, 0x11, lk), nil, smb2.StatusSuccess)
	a.expectStatus("replayed lock", smb2.Lock, seqLockBody(ra.id, 0x11, lk), nil, smb2.StatusSuccess)
	a.expectStatus("lock bucket 2 seq 1", smb2.Lock, seqLockBody(ra.id, 0x21, lk), nil, smb2.StatusLockNotGranted)
	a.expectStatus("bucket 0 is not checked", smb2.Lock, seqLockBody(ra.id, 0x01, lk), nil, smb2.StatusLockNotGranted)
	a.expectStatus("write", smb2.Write, rawWrite(ra.id, 0, []byte("hello")), nil, smb2.StatusSuccess)
	a.nc.Close() // the connection drops; the open survives, no caching needed

	b := rawClient(t, ts.Addr, 2)
	time.Sleep(100 * time.Millisecond)
	if _, st := b.create("f", rawDispOpen); st != smb2.StatusSharingViolation {
		t.Fatalf("open of a file a disconnected resilient open holds (share none): %v", st)
	}
	rb := reclaimDHnC(t, b, "f", ra.id)
	if rb.status != smb2.StatusSuccess || rb.id != ra.id {
		t.Fatalf("reclaim: %v id %v, want the old handle", rb.status, rb.id)
	}
	r = b.expectStatus("read through the reclaimed handle", smb2.Read, rawRead(rb.id, 0, 5), nil, smb2.StatusSuccess)
	if string(r.body[16:]) != "hello" {
		t.Fatalf("read %q", r.body[16:])
	}
	b.expectStatus("lock replayed after the reconnect", smb2.Lock, seqLockBody(rb.id, 0x11, lk), nil, smb2.StatusSuccess)
	b.expectStatus("the lock was kept", smb2.Lock, seqLockBody(rb.id, 0x13, lk), nil, smb2.StatusLockNotGranted)
	b.expectStatus("a failed request invalidates its bucket", smb2.Lock, seqLockBody(rb.id, 0x11, lk), nil, smb2.StatusLockNotGranted)
	unl := smb2.LockElement{Offset: 100, Length: 100, Flags: unlock}
	b.expectStatus("unlock", smb2.Lock, seqLockBody(rb.id, 0x14, unl), nil, smb2.StatusSuccess)
	b.expectStatus("replayed unlock", smb2.Lock, seqLockBody(rb.id, 0x14, unl), nil, smb2.StatusSuccess)
	b.expectStatus("unlock again", smb2.Lock, seqLockBody(rb.id, 0x15, unl), nil, smb2.StatusRangeNotLocked)

	// A short timeout: scavenged once it passes.
	b.expectStatus("resiliency 300 ms", smb2.Ioctl, resiliencyBody(rb.id, 300), nil, smb2.StatusSuccess)
	b.nc.Close()
	time.Sleep(800 * time.Millisecond)
	c := rawClient(t, ts.Addr, 3)
	c.expectStatus("reclaim after the timeout", smb2.Create, rawCreateCtx(rawCreateReq{name: "f", ctxs: []smb2.CreateContext{dhnc(ra.id)}}),
		nil, smb2.StatusObjectNameNotFound)
	if _, st := c.create("f", rawDispOpen); st != smb2.StatusSuccess {
		t.Fatalf("open after scavenging: %v", st)
	}
}

// TestResilientBreak: a disconnected resilient open holding a batch oplock
// is not purged when another open needs its oplock broken (unlike a
// durable one): it loses the oplock at once, the other open does not wait
// for the break timeout, and the resilient open is still reclaimed.
func TestResilientBreak(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient(t, ts.Addr, 1)
	ra := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "g", disposition: rawDispOverwriteIf,
		share: shareAll, oplock: smb2.OplockLevelBatch}), nil))
	if ra.status != smb2.StatusSuccess || ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("create: %v oplock %#x", ra.status, ra.oplock)
	}
	a.expectStatus("resiliency", smb2.Ioctl, resiliencyBody(ra.id, 0), nil, smb2.StatusSuccess)
	a.nc.Close()
	b := rawClient(t, ts.Addr, 2)
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	rb := decodeCreated(t, b.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "g", share: shareAll}), nil))
	if rb.status != smb2.StatusSuccess {
		t.Fatalf("second open: %v", rb.status)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("second open took %v", took)
	}
	b.expectStatus("close", smb2.Close, rawClose(rb.id), nil, smb2.StatusSuccess)
	c := rawClient(t, ts.Addr, 3)
	rc := reclaimDHnC(t, c, "g", ra.id)
	if rc.status != smb2.StatusSuccess || rc.id != ra.id || rc.oplock != smb2.OplockLevelNone {
		t.Fatalf("reclaim: %v id %v oplock %#x, want the old handle without its oplock", rc.status, rc.id, rc.oplock)
	}
	c.expectStatus("close", smb2.Close, rawClose(rc.id), nil, smb2.StatusSuccess)
}

// TestDurablePerSessionCap: a session gets at most
// Config.MaxDurableOpensPerSession durable or resilient handles (beyond
// it: no durable context, STATUS_INSUFFICIENT_RESOURCES for resiliency);
// closing one frees its place, and another session has its own.
func TestDurablePerSessionCap(t *testing.T) {
	hs := startHostileWith(t, func(c *Config) { c.MaxDurableOpensPerSession = 2 })
	a := rawClient(t, hs.Addr, 1)
	durable := func(c *rawConn, name string) rawCreated {
		return decodeCreated(t, c.call(smb2.Create, rawCreateCtx(rawCreateReq{name: name, disposition: rawDispOverwriteIf,
			oplock: smb2.OplockLevelBatch, ctxs: []smb2.CreateContext{{Name: smb2.CreateContextDurableRequest, Data: make([]byte, 16)}}}), nil))
	}
	granted := func(r rawCreated) bool { _, ok := r.context(smb2.CreateContextDurableRequest); return ok }
	r1, r2 := durable(a, "d1"), durable(a, "d2")
	if !granted(r1) || !granted(r2) {
		t.Fatal("durable handles below the cap not granted")
	}
	if r3 := durable(a, "d3"); r3.status != smb2.StatusSuccess || granted(r3) {
		t.Fatalf("third durable open: %v, durable %v (want opened, not durable)", r3.status, granted(r3))
	}
	plain, st := a.create("p", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	a.expectStatus("resiliency beyond the cap", smb2.Ioctl, resiliencyBody(plain, 1000), nil, smb2.StatusInsufficientResources)
	a.expectStatus("resiliency of a handle already durable", smb2.Ioctl, resiliencyBody(r1.id, 1000), nil, smb2.StatusSuccess)
	a.expectStatus("close", smb2.Close, rawClose(r2.id), nil, smb2.StatusSuccess)
	a.expectStatus("resiliency after a close", smb2.Ioctl, resiliencyBody(plain, 1000), nil, smb2.StatusSuccess)
	b := rawClient(t, hs.Addr, 2)
	if r := durable(b, "e1"); !granted(r) {
		t.Fatal("another session's durable open not granted")
	}
}
