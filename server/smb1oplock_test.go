package server

import (
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// ntCreateOplockMsg is ntCreateMsg with NT_CREATE_ANDX Flags.
func (c *s1Conn) ntCreateOplockMsg(name string, flags uint32) []byte {
	m := c.ntCreateMsg(name, 0x0012019F, 7, 3) // read/write, share all, FILE_OPEN_IF
	le.PutUint32(m[smb1.HeaderSize+1+7:], flags)
	return m
}

// s1Break reads the next SMB1 message and checks it is the server's
// oplock break of fid to level.
func (c *s1Conn) s1Break(what string, fid uint16, level uint8) {
	c.t.Helper()
	b, err := c.readFrame(5 * time.Second)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	h, err := smb1.DecodeHeader(b)
	if err != nil || h.Command != smb1.ComLockingAndX || h.Flags&smb1.FlagsReply != 0 || h.MID != 0xFFFF {
		c.t.Fatalf("%s: not a break: % x", what, b[:min(len(b), 40)])
	}
	blk, _ := smb1.DecodeBlock(b, smb1.HeaderSize)
	r, err := smb1.DecodeLockingRequest(b, &blk)
	if err != nil || r.FID != fid || r.Type != smb1.LockingOplockRelease || r.OplockLevel != level || h.TID != c.tid {
		c.t.Fatalf("%s: break %+v tid %d (%v), want FID %d level %d tid %d", what, r, h.TID, err, fid, level, c.tid)
	}
}

// releaseMsg is the client's OPLOCK_RELEASE of fid at level.
func (c *s1Conn) releaseMsg(fid uint16, level uint8) []byte {
	m := c.lockxMsg(fid, 0, s1Lock{typ: smb1.LockingOplockRelease})
	m[smb1.HeaderSize+1+7] = level
	return m
}

// TestSMB1OplockBrokenBySMB2: an SMB1 batch oplock is broken to level II
// by an SMB2 open (an SMB1 LOCKING_ANDX request from the server carrying
// the FID); the SMB2 CREATE waits for the OPLOCK_RELEASE, which gets no
// response. The holder's own lock then breaks its level II to none.
func TestSMB1OplockBrokenBySMB2(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	r := c.expect("batch open", c.ntCreateOplockMsg(`\op.bin`, smb1.NTCreateRequestOplock|smb1.NTCreateRequestBatchOplock), 0)
	fid := le.Uint16(r.blk.Words[5:])
	if got := r.blk.Words[4]; got != smb1.OplockBatch {
		t.Fatalf("oplock level %d, want batch", got)
	}
	s2 := hs.session(t)
	s2.write(rawFrame(s2.msg(smb2.Create, rawCreateCtx(rawCreateReq{name: "op.bin", disposition: rawDispOpen, share: shareAll}), nil)))
	s2.expectMsg("interim response", isPending)
	c.s1Break("break of the SMB1 holder", fid, smb1.BreakLevelII)
	s2.expectSilence("SMB2 open before the release", 200*time.Millisecond)
	c.write(rawFrame(c.releaseMsg(fid, smb1.BreakLevelII)))
	rc := decodeCreated(t, s2.expectMsg("SMB2 open after the release", func(r rawResp) bool { return r.hdr.Command == smb2.Create && !isPending(r) }))
	if rc.status != smb2.StatusSuccess {
		t.Fatalf("SMB2 open: %v", rc.status)
	}
	c.noResponse("pure OPLOCK_RELEASE", 100*time.Millisecond)

	// A lock by the holder breaks its level II to none (no ack due).
	c.write(rawFrame(c.lockxMsg(fid, 0, s1Lock{locks: []smb1.LockRange{rng(0, 0, 4)}})))
	c.s1Break("level II to none", fid, smb1.BreakLevelNone)
	if r := c.s1Recv(); smb2.Status(r.hdr.Status) != smb2.StatusSuccess {
		t.Fatalf("lock: %v", smb2.Status(r.hdr.Status))
	}
	// Nothing is held now: a release with a range is FILE_LOCK_CONFLICT.
	m := c.lockxMsg(fid, 0, s1Lock{typ: smb1.LockingOplockRelease, locks: []smb1.LockRange{rng(0, 10, 1)}})
	c.expect("release without an oplock", m, smb2.StatusFileLockConflict)
}

// TestSMB1OpenBreaksSMB2Oplock: an SMB1 open asking for an oplock breaks
// an SMB2 batch holder to level II, waits for its acknowledgment and gets
// level II itself.
func TestSMB1OpenBreaksSMB2Oplock(t *testing.T) {
	hs := startSMB1Hostile(t)
	s2 := hs.session(t)
	ra := decodeCreated(t, s2.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "op2.bin", disposition: rawDispOverwriteIf,
		share: shareAll, oplock: smb2.OplockLevelBatch}), nil))
	if ra.status != smb2.StatusSuccess || ra.oplock != smb2.OplockLevelBatch {
		t.Fatalf("SMB2 open: %v oplock %#x", ra.status, ra.oplock)
	}
	c := s1Session(t, hs.Addr)
	c.write(rawFrame(c.ntCreateOplockMsg(`\op2.bin`, smb1.NTCreateRequestOplock)))
	brk := s2.expectMsg("break of the SMB2 holder", isBreak)
	if m, err := smb2.DecodeOplockBreakAck(append(make([]byte, smb2.HeaderSize), brk.body...)); err != nil || m.OplockLevel != smb2.OplockLevelII || m.FileID != ra.id {
		t.Fatalf("break %+v %v", m, err)
	}
	c.noResponse("SMB1 open before the ack", 200*time.Millisecond)
	s2.expectStatus("ack", smb2.OplockBreak, smb2.AppendOplockBreakAck(nil, smb2.OplockLevelII, ra.id), nil, smb2.StatusSuccess)
	r := c.s1Recv()
	if smb2.Status(r.hdr.Status) != smb2.StatusSuccess || r.blk.Words[4] != smb1.OplockLevelII {
		t.Fatalf("SMB1 open: %v oplock %d, want level II", smb2.Status(r.hdr.Status), r.blk.Words[4])
	}
}

// TestSMB1OplockSameConnection: a second open on the holder's own
// connection does not wait for the acknowledgment (it could only come
// over the connection the open blocks): the break and the open's response
// both arrive at once, and the late OPLOCK_RELEASE still lands (the
// holder keeps level II, which its own lock then breaks).
func TestSMB1OplockSameConnection(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	r := c.expect("batch open", c.ntCreateOplockMsg(`\same.bin`, smb1.NTCreateRequestOplock|smb1.NTCreateRequestBatchOplock), 0)
	fid := le.Uint16(r.blk.Words[5:])
	start := time.Now()
	c.write(rawFrame(c.ntCreateOplockMsg(`\same.bin`, 0)))
	c.s1Break("break to II", fid, smb1.BreakLevelII)
	if r := c.s1Recv(); smb2.Status(r.hdr.Status) != smb2.StatusSuccess || r.blk.Words[4] != smb1.OplockNone {
		t.Fatalf("second open: %v oplock %d", smb2.Status(r.hdr.Status), r.blk.Words[4])
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("second open took %v: it waited for its own connection", d)
	}
	c.write(rawFrame(c.releaseMsg(fid, smb1.BreakLevelII)))
	c.noResponse("pure OPLOCK_RELEASE", 100*time.Millisecond)
	c.write(rawFrame(c.lockxMsg(fid, 0, s1Lock{locks: []smb1.LockRange{rng(0, 0, 4)}})))
	c.s1Break("level II to none", fid, smb1.BreakLevelNone)
	if r := c.s1Recv(); smb2.Status(r.hdr.Status) != smb2.StatusSuccess {
		t.Fatalf("lock: %v", smb2.Status(r.hdr.Status))
	}
}

// TestSMB1NoLevelIICapability: a client that did not announce
// CAP_LEVEL_II_OPLOCKS gets no level II oplock, and its batch oplock
// breaks to none, not to level II; with the capability the same steps
// give level II.
func TestSMB1NoLevelIICapability(t *testing.T) {
	for _, capable := range []bool{false, true} {
		hs := startSMB1Hostile(t)
		c := &s1Conn{rawConn: dialRaw(t, hs.Addr), noLevelII: !capable}
		c.login()
		r := c.expect("batch open", c.ntCreateOplockMsg(`\cap.bin`, smb1.NTCreateRequestOplock|smb1.NTCreateRequestBatchOplock), 0)
		fid := le.Uint16(r.blk.Words[5:])
		want := smb1.BreakLevelNone
		if capable {
			want = smb1.BreakLevelII
		}
		c2 := &s1Conn{rawConn: dialRaw(t, hs.Addr), noLevelII: !capable}
		c2.login()
		c2.write(rawFrame(c2.ntCreateOplockMsg(`\cap.bin`, smb1.NTCreateRequestOplock)))
		c.s1Break("break of the first holder", fid, want)
		c.write(rawFrame(c.releaseMsg(fid, want)))
		r2 := c2.s1Recv()
		got, wantGrant := r2.blk.Words[4], smb1.OplockNone
		if capable {
			wantGrant = smb1.OplockLevelII
		}
		if smb2.Status(r2.hdr.Status) != smb2.StatusSuccess || got != wantGrant {
			t.Fatalf("capable %v: second open %v oplock %d, want %d", capable, smb2.Status(r2.hdr.Status), got, wantGrant)
		}
	}
}
