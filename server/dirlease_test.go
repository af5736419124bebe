package server

import (
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// Raw-frame tests of directory leases (dirlease.go) and of the unlink
// handle-caching break.

// rawClient3Caps is rawClient3 on SMB 3.0 that also reports the
// server's NEGOTIATE capabilities.
func rawClient3Caps(t *testing.T, addr string, guid byte) (*rawConn, uint32) {
	t.Helper()
	c := dialRaw(t, addr)
	neg := rawNegotiate(smb2.Dialect300)
	neg[12] = guid
	r := c.call(smb2.Negotiate, neg, nil)
	if r.hdr.Status != smb2.StatusSuccess || len(r.body) < 28 {
		t.Fatalf("NEGOTIATE 3.0: %v", r.hdr.Status)
	}
	caps := le.Uint32(r.body[24:])
	c.anonLogon()
	c.treeConnect("share")
	return c, caps
}

// leaseV2Ctx is a v2 lease request for key with state and, when parent
// is non-zero, that ParentLeaseKey.
func leaseV2Ctx(key byte, state uint32, parent byte) smb2.CreateContext {
	r := smb2.LeaseRequest{LeaseState: state, V2: true}
	r.LeaseKey[0] = key
	if parent != 0 {
		r.ParentLeaseKey[0] = parent
		r.LeaseFlags = smb2.LeaseFlagParentLeaseKeySet
	}
	return smb2.CreateContext{Name: smb2.CreateContextRequestLease, Data: r.AppendLease(nil)}
}

// openLeased opens (creating) name with a lease context and returns the
// result and the granted lease (ok false: no lease context answered).
func openLeased(t *testing.T, c *rawConn, name string, opts uint32, ctx smb2.CreateContext) (rawCreated, smb2.LeaseRequest, bool) {
	t.Helper()
	var access uint32
	if opts&smb2.FileDirectoryFile != 0 {
		access = dirReadAccess // a directory listing's open (it shares with renames inside)
	}
	r := decodeCreated(t, c.call(smb2.Create, rawCreateCtx(rawCreateReq{name: name, disposition: rawDispOpenIf, access: access,
		share: shareAll, oplock: smb2.OplockLevelLease, options: opts, ctxs: []smb2.CreateContext{ctx}}), nil))
	if r.status != smb2.StatusSuccess {
		t.Fatalf("open %s: %v", name, r.status)
	}
	b, ok := r.context(smb2.CreateContextRequestLease)
	if !ok {
		return r, smb2.LeaseRequest{}, false
	}
	l, err := smb2.DecodeLeaseRequest(b)
	if err != nil {
		t.Fatalf("lease context of %s: %v", name, err)
	}
	return r, l, true
}

// dirReadAccess is FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE.
const dirReadAccess = fileReadData | fileReadAttributes | synchronize

func leaseKey(b byte) (k [16]byte) { k[0] = b; return k }

func leaseAck(key byte, state uint32) []byte {
	a := smb2.LeaseBreakAck{LeaseKey: leaseKey(key), LeaseState: state}
	return a.Append(nil)
}

func decodeLeaseBreak(t *testing.T, r rawResp) smb2.LeaseBreakNotification {
	t.Helper()
	n, err := smb2.DecodeLeaseBreakNotification(append(make([]byte, smb2.HeaderSize), r.body...))
	if err != nil {
		t.Fatalf("lease break: %v", err)
	}
	return n
}

func TestDirLeaseGrant(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a, caps := rawClient3Caps(t, ts.Addr, 1)
	if caps&smb2.CapDirectoryLeasing == 0 {
		t.Fatalf("3.0 capabilities %#x: no SMB2_GLOBAL_CAP_DIRECTORY_LEASING", caps)
	}
	rwh := cacheR | cacheW | cacheH
	for _, c := range []struct {
		key        byte
		ask, grant uint32
	}{{1, rwh, cacheR | cacheH}, {2, cacheR | cacheW, cacheR}, {3, cacheR, cacheR}, {4, cacheR | cacheH, cacheR | cacheH}, {5, cacheH, 0}} {
		r, l, ok := openLeased(t, a, "d", smb2.FileDirectoryFile, leaseV2Ctx(c.key, c.ask, 0))
		if !ok || r.oplock != smb2.OplockLevelLease || l.LeaseState != c.grant || !l.V2 {
			t.Errorf("directory lease %#x asked: oplock %#x lease %+v (%v), want %#x", c.ask, r.oplock, l, ok, c.grant)
		}
		if c.grant != 0 && l.Epoch != 1 {
			t.Errorf("directory lease %#x: epoch %d, want 1", c.ask, l.Epoch)
		}
		a.expectStatus("close", smb2.Close, rawClose(r.id), nil, smb2.StatusSuccess)
	}
	// Oplocks are never granted on directories.
	r := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "d", disposition: rawDispOpen,
		share: shareAll, oplock: smb2.OplockLevelBatch, options: smb2.FileDirectoryFile}), nil))
	if r.status != smb2.StatusSuccess || r.oplock != smb2.OplockLevelNone {
		t.Errorf("batch oplock on a directory: %v %#x, want none", r.status, r.oplock)
	}
	// SMB 2.1: no directory leasing capability, no lease on a directory.
	old := rawClient(t, ts.Addr, 2)
	r, _, ok := openLeased(t, old, "d", smb2.FileDirectoryFile, leaseCtx(9, rwh))
	if ok || r.oplock != smb2.OplockLevelNone {
		t.Errorf("2.1 lease on a directory: oplock %#x, lease context %v; want none", r.oplock, ok)
	}
	// Files keep their leases (RWH), W included.
	if _, l, ok := openLeased(t, a, "d/f", 0, leaseV2Ctx(10, rwh, 1)); !ok || l.LeaseState != rwh ||
		l.LeaseFlags&smb2.LeaseFlagParentLeaseKeySet == 0 || l.ParentLeaseKey != leaseKey(1) {
		t.Errorf("file lease with a parent key: %+v", l)
	}
}

func TestDirLeaseOff(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, NoDirectoryLeases: true})
	a, caps := rawClient3Caps(t, ts.Addr, 1)
	if caps&smb2.CapDirectoryLeasing != 0 || caps&smb2.CapLeasing == 0 {
		t.Fatalf("capabilities %#x with NoDirectoryLeases", caps)
	}
	if r, _, ok := openLeased(t, a, "d", smb2.FileDirectoryFile, leaseV2Ctx(1, cacheR|cacheH, 0)); ok || r.oplock != smb2.OplockLevelNone {
		t.Errorf("directory lease with NoDirectoryLeases: oplock %#x, lease context %v", r.oplock, ok)
	}
}

// TestDirLeaseParentKey checks the parent-key rules: a change inside the
// directory by an open naming the lease's key as its parent breaks
// nothing, whatever the client; any other change breaks RH to none, with
// an acknowledgment due that the change does not wait for.
func TestDirLeaseParentKey(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient3(t, ts.Addr, 1)
	b := rawClient3(t, ts.Addr, 2)
	_, l, _ := openLeased(t, a, "d", smb2.FileDirectoryFile, leaseV2Ctx(1, cacheR|cacheH, 0))
	if l.LeaseState != cacheR|cacheH {
		t.Fatalf("directory lease %+v", l)
	}
	// Own changes (parent key 1), from A and from B: no break.
	ra, _, _ := openLeased(t, a, "d/own", 0, leaseV2Ctx(2, cacheR|cacheW|cacheH, 1))
	a.expectStatus("write (own)", smb2.Write, rawWrite(ra.id, 0, []byte("x")), nil, smb2.StatusSuccess)
	a.expectStatus("close (own)", smb2.Close, rawClose(ra.id), nil, smb2.StatusSuccess)
	openLeased(t, b, "d/own2", 0, leaseV2Ctx(3, cacheR, 1))
	a.expectSilence("changes by the lease's own key", 300*time.Millisecond)

	// Another key creates an entry: RH -> none, ack required, epoch 2;
	// B's CREATE is answered without waiting for A.
	rb, _, _ := openLeased(t, b, "d/x", 0, leaseV2Ctx(4, cacheR, 9))
	n := decodeLeaseBreak(t, a.expectMsg("directory lease break", isBreak))
	if n.LeaseKey != leaseKey(1) || n.CurrentLeaseState != cacheR|cacheH || n.NewLeaseState != 0 ||
		n.Flags&smb2.LeaseBreakFlagAckRequired == 0 || n.NewEpoch != 2 {
		t.Fatalf("break %+v, want RH -> none, ack required, epoch 2", n)
	}
	// Ack validation: more than the break allows, then the right one,
	// then one too many.
	a.expectStatus("ack keeping R", smb2.OplockBreak, leaseAck(1, cacheR), nil, smb2.StatusRequestNotAccepted)
	a.expectStatus("ack to none", smb2.OplockBreak, leaseAck(1, 0), nil, smb2.StatusSuccess)
	a.expectStatus("second ack", smb2.OplockBreak, leaseAck(1, 0), nil, smb2.StatusUnsuccessful)

	// A re-opens the directory with its key: back to RH, epoch 3.
	if _, l, _ := openLeased(t, a, "d", smb2.FileDirectoryFile, leaseV2Ctx(1, cacheR|cacheH, 0)); l.LeaseState != cacheR|cacheH || l.Epoch != 3 {
		t.Fatalf("re-armed directory lease %+v, want RH epoch 3", l)
	}
	// A size change by another key breaks again; B is not held up.
	eof := le.AppendUint64(nil, 10)
	b.expectStatus("set EOF", smb2.SetInfo, rawSetInfo(rb.id, smb2.InfoFile, smb2.FileEndOfFileInformation, eof), nil, smb2.StatusSuccess)
	n = decodeLeaseBreak(t, a.expectMsg("break on set EOF", isBreak))
	if n.NewLeaseState != 0 || n.NewEpoch != 4 {
		t.Fatalf("break %+v, want none, epoch 4", n)
	}
	// Not acknowledged yet: further changes send nothing more.
	b.expectStatus("close", smb2.Close, rawClose(rb.id), nil, smb2.StatusSuccess)
	if _, st := b.create("d/y", rawDispOverwriteIf); st != smb2.StatusSuccess {
		t.Fatalf("create d/y: %v", st)
	}
	a.expectSilence("changes while the break is in progress", 200*time.Millisecond)
	// Nor does an open of the directory wait for that break.
	r := decodeCreated(t, b.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "d", disposition: rawDispOpen, access: dirReadAccess,
		share: shareAll, options: smb2.FileDirectoryFile}), nil))
	if r.status != smb2.StatusSuccess {
		t.Fatalf("open of the directory during the break: %v (an interim response means it waited)", r.status)
	}
	a.expectStatus("ack", smb2.OplockBreak, leaseAck(1, 0), nil, smb2.StatusSuccess)
}

// TestDirLeaseOwnRename: renaming a leased directory (another key's open)
// breaks its H and waits for the acknowledgment, as for a file.
func TestDirLeaseOwnRename(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient3(t, ts.Addr, 1)
	b := rawClient3(t, ts.Addr, 2)
	openLeased(t, a, "d", smb2.FileDirectoryFile, leaseV2Ctx(1, cacheR|cacheH, 0))
	r := decodeCreated(t, b.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "d", disposition: rawDispOpen,
		access: accessDelete | synchronize, share: shareAll, options: smb2.FileDirectoryFile}), nil))
	if r.status != smb2.StatusSuccess {
		t.Fatalf("open d for DELETE: %v", r.status)
	}
	a.expectSilence("an open of the directory", 200*time.Millisecond)
	b.write(rawFrame(b.msg(smb2.SetInfo, rawSetInfo(r.id, smb2.InfoFile, smb2.FileRenameInformation, renameInfo("d2", false)), nil)))
	b.expectMsg("interim", isPending)
	n := decodeLeaseBreak(t, a.expectMsg("H break", isBreak))
	if n.CurrentLeaseState != cacheR|cacheH || n.NewLeaseState != cacheR || n.Flags&smb2.LeaseBreakFlagAckRequired == 0 {
		t.Fatalf("break %+v, want RH -> R with ack", n)
	}
	b.expectSilence("rename before the ack", 200*time.Millisecond)
	a.expectStatus("ack", smb2.OplockBreak, leaseAck(1, cacheR), nil, smb2.StatusSuccess)
	if done := b.expectMsg("rename after the ack", func(r rawResp) bool { return !isPending(r) }); done.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("rename: %v", done.hdr.Status)
	}
}

// TestDirLeaseRenameDelete checks that renames into and out of a leased
// directory, deletes inside it and a rename of the directory itself break
// its lease.
func TestDirLeaseRenameDelete(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient3(t, ts.Addr, 1)
	b := rawClient3(t, ts.Addr, 2)
	rearm := func(epoch uint16) smb2.FileID {
		t.Helper()
		r, l, _ := openLeased(t, a, "d", smb2.FileDirectoryFile, leaseV2Ctx(1, cacheR|cacheH, 0))
		if l.LeaseState != cacheR|cacheH || l.Epoch != epoch {
			t.Fatalf("directory lease %+v, want RH epoch %d", l, epoch)
		}
		return r.id
	}
	brk := func(what string) {
		t.Helper()
		n := decodeLeaseBreak(t, a.expectMsg(what, isBreak))
		if n.NewLeaseState != 0 {
			t.Fatalf("%s: %+v", what, n)
		}
		a.expectStatus(what+": ack", smb2.OplockBreak, leaseAck(1, 0), nil, smb2.StatusSuccess)
	}
	if _, st := b.create("out", rawDispOverwriteIf); st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	r := decodeCreated(t, b.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "d", disposition: rawDispOpenIf, access: dirReadAccess,
		share: shareAll, options: smb2.FileDirectoryFile}), nil))
	b.expectStatus("close d", smb2.Close, rawClose(r.id), nil, smb2.StatusSuccess)
	rearm(1)
	// Rename into d.
	id, _ := b.create("out", rawDispOpen)
	b.expectStatus("rename into d", smb2.SetInfo, rawSetInfo(id, smb2.InfoFile, smb2.FileRenameInformation, renameInfo("d\\in", false)), nil, smb2.StatusSuccess)
	brk("rename into the directory")
	rearm(3)
	// Rename out of d.
	b.expectStatus("rename out of d", smb2.SetInfo, rawSetInfo(id, smb2.InfoFile, smb2.FileRenameInformation, renameInfo("back", false)), nil, smb2.StatusSuccess)
	brk("rename out of the directory")
	rearm(5)
	b.expectStatus("close", smb2.Close, rawClose(id), nil, smb2.StatusSuccess)
	// Delete inside d (delete on close).
	gone, st := b.create("d/gone", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	brk("create")
	b.expectStatus("close d/gone", smb2.Close, rawClose(gone), nil, smb2.StatusSuccess)
	rearm(7)
	r = decodeCreated(t, b.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "d/gone", disposition: rawDispOpen,
		share: shareAll, options: smb2.FileDeleteOnClose}), nil))
	a.expectSilence("open with delete on close (nothing deleted yet)", 200*time.Millisecond)
	b.expectStatus("close deletes", smb2.Close, rawClose(r.id), nil, smb2.StatusSuccess)
	brk("delete")
}

// TestUnlinkBreaksHandleCaching: an unlink (delete on close, or a delete
// disposition) of a file another client holds with H breaks H and waits
// for the acknowledgment, as a rename does (smb2.lease.unlink).
func TestUnlinkBreaksHandleCaching(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a, b := rawClient(t, ts.Addr, 1), rawClient(t, ts.Addr, 2)
	for _, viaSetInfo := range []bool{false, true} {
		ra, l, _ := openLeased(t, a, "f", 0, leaseCtx(7, cacheR|cacheH))
		if l.LeaseState != cacheR|cacheH {
			t.Fatalf("lease %+v", l)
		}
		var id smb2.FileID
		if viaSetInfo {
			r := decodeCreated(t, b.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll}), nil))
			id = r.id
			m := b.msg(smb2.SetInfo, rawSetInfo(id, smb2.InfoFile, smb2.FileDispositionInformation, []byte{1}), nil)
			b.write(rawFrame(m))
		} else {
			b.write(rawFrame(b.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll,
				options: smb2.FileDeleteOnClose}), nil)))
		}
		b.expectMsg("interim", isPending)
		n := decodeLeaseBreak(t, a.expectMsg("H break", isBreak))
		if n.CurrentLeaseState != cacheR|cacheH || n.NewLeaseState != cacheR || n.Flags&smb2.LeaseBreakFlagAckRequired == 0 {
			t.Fatalf("break %+v, want RH -> R with ack", n)
		}
		b.expectSilence("unlink before the ack", 200*time.Millisecond)
		a.expectStatus("ack", smb2.OplockBreak, leaseAck(7, cacheR), nil, smb2.StatusSuccess)
		r := b.expectMsg("unlink after the ack", func(r rawResp) bool { return !isPending(r) })
		if r.hdr.Status != smb2.StatusSuccess {
			t.Fatalf("unlink: %v", r.hdr.Status)
		}
		if !viaSetInfo {
			id = decodeCreated(t, r).id
		}
		b.expectStatus("close", smb2.Close, rawClose(id), nil, smb2.StatusSuccess)
		// A still has the file open (delete pending); closing it removes it.
		a.expectStatus("close A", smb2.Close, rawClose(ra.id), nil, smb2.StatusSuccess)
		if _, st := b.create("f", rawDispOpen); st != smb2.StatusObjectNameNotFound {
			t.Fatalf("open after the unlink: %v", st)
		}
	}
}

// TestServerSideWritesBreakReadCaching: COPYCHUNK and SET_ZERO_DATA change
// a file's data as a WRITE does, so they break other clients' R leases
// on it, and the handle's close breaks its directory's leases.
func TestServerSideWritesBreakReadCaching(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true})
	a := rawClient3(t, ts.Addr, 1)
	b := rawClient3(t, ts.Addr, 2)
	src, st := b.create("src", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	b.expectStatus("write src", smb2.Write, rawWrite(src, 0, []byte("hello, world")), nil, smb2.StatusSuccess)
	dst, st := b.create("d/dst", rawDispOverwriteIf)
	if st == smb2.StatusObjectPathNotFound {
		r := decodeCreated(t, b.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "d", disposition: rawDispOpenIf, access: dirReadAccess,
			share: shareAll, options: smb2.FileDirectoryFile}), nil))
		b.expectStatus("close d", smb2.Close, rawClose(r.id), nil, smb2.StatusSuccess)
		dst, st = b.create("d/dst", rawDispOverwriteIf)
	}
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	r := b.expectStatus("resume key", smb2.Ioctl, ioctlBody(smb2.FsctlSrvRequestResumeKey, src, nil, 32), nil, smb2.StatusSuccess)
	key := ioctlOut(t, r.body)[:24]
	chunk := append(append([]byte(nil), key...), 1, 0, 0, 0, 0, 0, 0, 0)
	chunk = le.AppendUint64(le.AppendUint64(chunk, 0), 0)
	chunk = le.AppendUint32(le.AppendUint32(chunk, 12), 0)
	zero := le.AppendUint64(le.AppendUint64(nil, 0), 4) // FileOffset 0, BeyondFinalZero 4
	for _, op := range []struct {
		what string
		body []byte
	}{{"COPYCHUNK", ioctlBody(smb2.FsctlSrvCopychunkWrite, dst, chunk, 12)}, {"SET_ZERO_DATA", ioctlBody(smb2.FsctlSetZeroData, dst, zero, 0)}} {
		ra, l, _ := openLeased(t, a, "d/dst", 0, leaseV2Ctx(7, cacheR, 0))
		if l.LeaseState != cacheR {
			t.Fatalf("%s: lease %+v", op.what, l)
		}
		b.expectStatus(op.what, smb2.Ioctl, op.body, nil, smb2.StatusSuccess)
		if n := decodeLeaseBreak(t, a.expectMsg(op.what+": R break", isBreak)); n.LeaseKey != leaseKey(7) || n.NewLeaseState != 0 {
			t.Fatalf("%s: break %+v, want R -> none", op.what, n)
		}
		a.expectStatus("close", smb2.Close, rawClose(ra.id), nil, smb2.StatusSuccess)
	}
	// The writing handle's close breaks the directory's lease.
	openLeased(t, a, "d", smb2.FileDirectoryFile, leaseV2Ctx(1, cacheR|cacheH, 0))
	b.expectStatus("close dst", smb2.Close, rawClose(dst), nil, smb2.StatusSuccess)
	if n := decodeLeaseBreak(t, a.expectMsg("directory lease break at close", isBreak)); n.LeaseKey != leaseKey(1) || n.NewLeaseState != 0 {
		t.Fatalf("break %+v, want the directory's RH -> none", n)
	}
}
