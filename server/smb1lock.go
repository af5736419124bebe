package server

import (
	"sync"
	"time"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// SMB1 LOCKING_ANDX (MS-CIFS 2.2.4.32), as Samba 4.17 answers it.
//
// The ranges live in the same lock table of the state store SMB2 LOCK
// uses (stateStore.lock), so SMB1 and SMB2 opens conflict with each
// other; an SMB1 range is owned by its open and the PID of its element
// (lock.go). A waiting request is queued there as an ordered request.
//
// What SMB1 adds:
//   - Blocking locks: a request whose Timeout is not 0 waits (at least
//     smb1LockSpin; 0xFFFFFFFF forever) for its ranges, all or none, and
//     is answered when granted, when the timeout expires
//     (STATUS_FILE_LOCK_CONFLICT), when a CANCEL_LOCK or an unlock names
//     one of its ranges, on NT_CANCEL of its MID (FILE_LOCK_CONFLICT), or
//     when its handle closes (RANGE_NOT_LOCKED). Only a LOCKING_ANDX alone
//     in its message waits; in a chain a refused lock fails at once.
//   - Order: a waiting request takes precedence over later requests on the
//     same open whose ranges overlap its own (smbtorture raw.lock.multilock*).
//   - The error code: a refused lock that did not wait is
//     STATUS_LOCK_NOT_GRANTED, one that waited STATUS_FILE_LOCK_CONFLICT.
//     A request with Timeout 0 waits smb1LockSpin anyway when the blocking
//     range starts at or above 0xEF000000 (below 2^63) or at the offset of
//     the open's last refused lock — so repeated attempts get
//     FILE_LOCK_CONFLICT, Windows' behaviour (raw.lock.errorcode).
//   - CHANGE_LOCKTYPE is refused with ERRDOS:ERRnoatomiclocks; a
//     CANCEL_LOCK that finds no waiting request with ERRDOS:ERRcancelviolation.
//   - At most smb1MaxPendingLocks requests wait per connection (the
//     MaxMpxCount the server announces); beyond that a refused lock is
//     answered at once.

// smb1LockSpin is the shortest wait of a blocking lock (Samba's "lock spin
// time" default).
const smb1LockSpin = 200 * time.Millisecond

// smb1MaxPendingLocks bounds the waiting LOCKING_ANDX requests of one
// connection.
const smb1MaxPendingLocks = 50

// smb1LockState is an SMB1 connection's waiting lock requests and the
// offsets of each open's last refused lock. Lock order: the state
// store's mutexes are never held when mu is taken, or the other way.
type smb1LockState struct {
	mu      sync.Mutex
	pending []*smb1PendingLock // arrival order
	lastErr map[*open]uint64   // offset of the last refused lock per open
}

// smb1PendingLock is one LOCKING_ANDX request's locks, while it is tried
// and while it waits.
type smb1PendingLock struct {
	c       *conn
	o       *open
	large   bool
	core    bool // LOCK_BYTE_RANGE: the response has no AndX words
	blocker int  // index of the range that was refused last
	// q is the request in the state store's lock table: its ranges, each
	// with the PID of its element.
	q lockRequest
	// Set when the request waits.
	hdr      smb1.Header // the request's header, for the response
	seq      uint32      // signing sequence number of the response
	signKey  []byte
	timer    *time.Timer
	closeKey uint64 // guarded by smb1LockState.mu
	done     bool   // answered (guarded by smb1LockState.mu)
}

// smb1Locking is LOCKING_ANDX: oplock release, unlocks, then locks.
func (c *conn) smb1Locking(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeLockingRequest(r.msg, &r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	o := c.smb1FIDOpen(r, req.FID)
	if o == nil {
		return smb1Err(smb2.StatusInvalidHandle)
	}
	if req.Type&smb1.LockingChangeType != 0 {
		return smb1Err(smb1.StatusDOSNoAtomicLocks)
	}
	if req.Type&smb1.LockingOplockRelease != 0 {
		if resp, done := c.smb1OplockRelease(o, &req); done {
			return resp
		}
	}
	if o.pipe != nil || o.file == nil || o.node == nil || o.isDir {
		return smb1Err(smb2.StatusInvalidDeviceRequest)
	}
	large := req.Type&smb1.LockingLargeFiles != 0
	ls := &c.s1.locks
	if len(req.Unlocks) > 0 {
		// An unlock naming a waiting request's range answers that
		// request with success instead (Samba).
		if ls.finishByRange(o, large, req.Unlocks[0], smb2.StatusSuccess) {
			return smb1Resp{block: smb1.AppendAndXOnly(nil)}
		}
		if st := c.smb1Unlock(o, req.Unlocks); st != smb2.StatusSuccess {
			return smb1Err(st)
		}
	}
	if req.Type&smb1.LockingCancel != 0 {
		// Only the first range is cancelled, as on Windows.
		if len(req.Locks) > 0 && !ls.finishByRange(o, large, req.Locks[0], smb2.StatusFileLockConflict) {
			return smb1Err(smb1.StatusDOSCancelViolation)
		}
		return smb1Resp{block: smb1.AppendAndXOnly(nil)}
	}
	if len(req.Locks) == 0 {
		return smb1Resp{block: smb1.AppendAndXOnly(nil)}
	}
	p := newSMB1PendingLock(c, o, req.Locks, req.Type&smb1.LockingShared != 0)
	p.large = large
	return c.smb1LockOrWait(r, p, req.Timeout)
}

// smb1FIDOpen returns the open FID names on r's session and tree, or nil.
func (c *conn) smb1FIDOpen(r *smb1Req, fid uint16) *open {
	id, ok := c.s1.fids[fid]
	if !ok {
		return nil
	}
	c.mu.Lock()
	o := c.opens[id.Volatile]
	c.mu.Unlock()
	if o == nil || o.id != id || o.sess != r.sess || o.tree != r.tree {
		return nil
	}
	return o
}

// smb1Unlock releases ranges of o in order (earlier releases stay done
// when one fails); the state store wakes the requests waiting on the file.
func (c *conn) smb1Unlock(o *open, ranges []smb1.LockRange) smb2.Status {
	rs := make([]lockRange, 0, len(ranges))
	bad := smb2.StatusSuccess
	for _, u := range ranges {
		if !lockRangeValid(u.Offset, u.Length) {
			bad = smb2.StatusInvalidLockRange
			break
		}
		rs = append(rs, lockRange{off: u.Offset, len: u.Length, pid: u.PID})
	}
	if st := c.srv.state.unlock(o, rs); st != smb2.StatusSuccess {
		return st
	}
	return bad
}

// newSMB1PendingLock is the request of o for ranges, all shared or all
// exclusive.
func newSMB1PendingLock(c *conn, o *open, ranges []smb1.LockRange, shared bool) *smb1PendingLock {
	p := &smb1PendingLock{c: c, o: o}
	p.q = lockRequest{o: o, ordered: true, ranges: make([]lockRange, len(ranges))}
	for i, l := range ranges {
		p.q.ranges[i] = lockRange{off: l.Offset, len: l.Length, pid: l.PID, exclusive: !shared}
	}
	return p
}

// smb1LockOrWait takes p's locks or, when refused and the request may
// wait, parks it (the response is sent later, by smb1PendingLock.answer).
func (c *conn) smb1LockOrWait(r *smb1Req, p *smb1PendingLock, timeout uint32) smb1Resp {
	c.srv.state.contend(p.o) // a byte-range lock breaks read caching (as Windows)
	ls := &c.s1.locks
	idx, st := c.srv.state.lock(&p.q)
	if st != smb2.StatusLockNotGranted {
		if st != smb2.StatusSuccess {
			ls.mu.Lock()
			p.blocker = idx
			ls.refused(p)
			ls.mu.Unlock()
		}
		return p.resp(st)
	}
	ls.mu.Lock()
	p.blocker = idx
	wait := ls.waitFor(p, timeout)
	if wait == 0 || !r.lone || len(ls.pending) >= smb1MaxPendingLocks {
		ls.refused(p)
		ls.mu.Unlock()
		if wait != 0 {
			return smb1Err(smb2.StatusFileLockConflict)
		}
		return smb1Err(smb2.StatusLockNotGranted)
	}
	p.hdr, p.seq = *r.hdr, r.seq
	if c.s1.sig.active {
		p.signKey = c.s1.sig.key
	}
	ls.pending = append(ls.pending, p)
	if wait > 0 {
		p.timer = time.AfterFunc(wait, func() { p.finish(smb2.StatusFileLockConflict) })
	}
	ls.mu.Unlock()
	o := p.o
	o.mu.Lock()
	closed := o.closed
	var key uint64
	if !closed {
		key = o.atClose(func() { p.finish(smb2.StatusRangeNotLocked) })
	}
	o.mu.Unlock()
	if closed {
		p.finish(smb2.StatusRangeNotLocked)
		return smb1Resp{noResponse: true}
	}
	ls.mu.Lock()
	answered := p.done
	if !answered {
		p.closeKey = key // answer drops it
	}
	ls.mu.Unlock()
	if answered {
		o.dropClose(key)
		return smb1Resp{noResponse: true}
	}
	// Queue the request (or take the ranges, free by now). This
	// connection's serve goroutine is the only one queueing its requests,
	// so they are queued in arrival order.
	p.q.wake = p.retry
	p.retry()
	return smb1Resp{noResponse: true}
}

// resp is the response of p when it ended with st at once.
func (p *smb1PendingLock) resp(st smb2.Status) smb1Resp {
	if st == smb2.StatusSuccess && !p.core {
		return smb1Resp{block: smb1.AppendAndXOnly(nil)}
	}
	return smb1Err(st)
}

// waitFor is how long a refused request waits: 0 not at all, -1 forever.
func (ls *smb1LockState) waitFor(p *smb1PendingLock, timeout uint32) time.Duration {
	switch timeout {
	case 0xFFFFFFFF:
		return -1
	case 0:
		off := p.q.ranges[p.blocker].off
		last, seen := ls.lastErr[p.o]
		if (off >= 0xEF000000 && off>>63 == 0) || (seen && last == off) {
			return smb1LockSpin
		}
		return 0
	}
	return max(time.Duration(timeout)*time.Millisecond, smb1LockSpin)
}

// refused records p's refusal (the offset that decides the next error
// code); called with ls.mu held.
func (ls *smb1LockState) refused(p *smb1PendingLock) {
	if ls.lastErr == nil {
		ls.lastErr = map[*open]uint64{}
	}
	if len(ls.lastErr) >= smb1MaxLastErr {
		// Forget closed opens (there is no hook for every way an SMB1
		// open ends: CLOSE, tree disconnect, logoff, PROCESS_EXIT).
		c := p.c
		c.mu.Lock()
		for o := range ls.lastErr {
			if c.opens[o.id.Volatile] != o {
				delete(ls.lastErr, o)
			}
		}
		c.mu.Unlock()
	}
	ls.lastErr[p.o] = p.q.ranges[p.blocker].off
}

// smb1MaxLastErr is how many opens' last refused offsets are kept before
// those of closed opens are dropped.
const smb1MaxLastErr = 256

// finishByRange answers the first request waiting on o with a range of
// the same PID, offset and length (and the same LARGE_FILES form) with st.
func (ls *smb1LockState) finishByRange(o *open, large bool, l smb1.LockRange, st smb2.Status) bool {
	ls.mu.Lock()
	var found *smb1PendingLock
	for _, p := range ls.pending {
		if p.o != o || p.large != large {
			continue
		}
		for _, x := range p.q.ranges {
			if x.pid == l.PID && x.off == l.Offset && x.len == l.Length {
				found = p
				break
			}
		}
		if found != nil {
			break
		}
	}
	ls.mu.Unlock()
	if found == nil {
		return false
	}
	found.finish(st)
	return true
}

// cancelMID answers the request waiting with mid (and the same PID and
// UID) with FILE_LOCK_CONFLICT: NT_CANCEL.
func (ls *smb1LockState) cancelMID(hdr *smb1.Header) {
	ls.mu.Lock()
	var found *smb1PendingLock
	for _, p := range ls.pending {
		if p.hdr.MID == hdr.MID && p.hdr.PIDLow == hdr.PIDLow && p.hdr.UID == hdr.UID {
			found = p
			break
		}
	}
	ls.mu.Unlock()
	if found != nil {
		found.finish(smb2.StatusFileLockConflict)
	}
}

// unpend marks p answered and removes it; false if it already was.
// Called with ls.mu held.
func (ls *smb1LockState) unpend(p *smb1PendingLock) bool {
	if p.done {
		return false
	}
	p.done = true
	for i, q := range ls.pending {
		if q == p {
			ls.pending = append(ls.pending[:i], ls.pending[i+1:]...)
			break
		}
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	return true
}

// retry tries p's ranges again: granted (or refused for good), p is
// answered; refused, it stays queued in the state store for the next
// change.
func (p *smb1PendingLock) retry() {
	idx, st := p.c.srv.state.lock(&p.q)
	if st == smb2.StatusLockNotGranted || st == smb2.StatusCancelled {
		return // still waiting, or ended (and answered) by finish
	}
	ls := &p.c.s1.locks
	ls.mu.Lock()
	ls.unpend(p)
	if st != smb2.StatusSuccess {
		p.blocker = idx
		ls.refused(p)
	}
	ls.mu.Unlock()
	// retry runs on whichever goroutine changed the locks (another
	// connection's, maybe): the response goes out from one of its own so
	// that a slow client cannot hold that one up.
	go p.answer(st)
}

// finish answers a waiting p with st (an error, or success when an unlock
// of its range cancelled it) unless it was granted or answered already.
func (p *smb1PendingLock) finish(st smb2.Status) {
	if !p.c.srv.state.cancelLock(&p.q) {
		return
	}
	ls := &p.c.s1.locks
	ls.mu.Lock()
	if !ls.unpend(p) {
		ls.mu.Unlock()
		return
	}
	if st != smb2.StatusSuccess {
		ls.refused(p)
	}
	ls.mu.Unlock()
	p.answer(st)
}

// answer sends the response of a request that waited.
func (p *smb1PendingLock) answer(st smb2.Status) {
	c := p.c
	c.s1.locks.mu.Lock()
	key := p.closeKey
	c.s1.locks.mu.Unlock()
	if key != 0 {
		p.o.dropClose(key)
	}
	out := c.smb1ReplyHeader(&p.hdr, smb2.StatusSuccess)
	putSMB1Status(out[4:], st)
	if st == smb2.StatusSuccess && !p.core {
		out = smb1.AppendAndXOnly(out)
	} else {
		out = smb1.AppendEmptyBlock(out)
	}
	smb2.PutFrameHeader(out, len(out)-4)
	if p.signKey != nil {
		smb1.Sign(p.signKey, out[4:], p.seq)
	}
	if err := c.writeFrame(out); err != nil {
		c.log.Debug("SMB1 lock response not sent", "err", err)
	}
	putBuf(out)
}

// smb1LockByteRange is the core LOCK_BYTE_RANGE: one exclusive 32-bit
// range of the header's PID, with LOCKING_ANDX's rules and Timeout 0.
func (c *conn) smb1LockByteRange(r *smb1Req) smb1Resp {
	o, l, resp := c.smb1ByteRange(r)
	if o == nil {
		return resp
	}
	p := newSMB1PendingLock(c, o, []smb1.LockRange{l}, false)
	p.core = true
	return c.smb1LockOrWait(r, p, 0)
}

// smb1UnlockByteRange is the core UNLOCK_BYTE_RANGE.
func (c *conn) smb1UnlockByteRange(r *smb1Req) smb1Resp {
	o, l, resp := c.smb1ByteRange(r)
	if o == nil {
		return resp
	}
	return smb1Resp{status: c.smb1Unlock(o, []smb1.LockRange{l})}
}

// smb1ByteRange decodes a core LOCK/UNLOCK_BYTE_RANGE request: the open
// and the range of the header's PID, or nil and the error response.
func (c *conn) smb1ByteRange(r *smb1Req) (*open, smb1.LockRange, smb1Resp) {
	fid, l, err := smb1.DecodeLockByteRange(&r.blk)
	if err != nil {
		return nil, l, smb1Err(smb2.StatusInvalidParameter)
	}
	o := c.smb1FIDOpen(r, fid)
	if o == nil {
		return nil, l, smb1Err(smb2.StatusInvalidHandle)
	}
	if o.pipe != nil || o.file == nil || o.node == nil || o.isDir {
		return nil, l, smb1Err(smb2.StatusInvalidDeviceRequest)
	}
	l.PID = r.hdr.PIDLow
	return o, l, smb1Resp{}
}

// smb1Cancel is NT_CANCEL: it ends a waiting LOCKING_ANDX of the same
// MID; it gets no response.
func (c *conn) smb1Cancel(r *smb1Req) smb1Resp {
	c.s1.locks.cancelMID(r.hdr)
	return smb1Resp{noResponse: true}
}
