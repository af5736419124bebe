package server

import (
	"math"
	"slices"

	"github.com/zerosmb/zerosmb/smb2"
)

// Byte-range locks (MS-SMB2 3.3.5.14, MS-FSA 2.1.5.8/2.1.5.9).
//
// The lock table of a path is shared by every open of it on every
// connection and lives in the state store (stateStore.lock, unlock,
// ioConflicts; locktable.go). The functions over []byteLock below are
// pure so they can be table-tested; the store adds its mutex and the
// queue of waiting requests, the handler async waiting.
//
// Rules implemented:
//   - Ranges overlap as MS-FSA 2.1.4.10 defines it: a zero-length range
//     overlaps a range that strictly contains its offset, never another
//     zero-length range, and the {0,0} range overlaps nothing.
//   - A lock is owned by its open and, for SMB1, the process id (PID) of
//     its LOCKING_ANDX element (SMB2 locks have PID 0); READ and WRITE by
//     SMB1 carry the header's PID (PIDHigh is not used, as on Samba).
//   - A new exclusive lock conflicts with any overlapping lock, including
//     the same owner's. A new shared lock conflicts only with overlapping
//     exclusive locks of other owners (it may stack on the same owner's
//     exclusive lock).
//   - READ conflicts with other owners' exclusive locks; WRITE conflicts
//     with other owners' exclusive locks and with every shared lock, the
//     writer's own included.
//   - A failed SMB2 lock is always STATUS_LOCK_NOT_GRANTED. SMB1's
//     FILE_LOCK_CONFLICT rule for repeated attempts is in smb1lock.go.
//     READ/WRITE conflicts are STATUS_FILE_LOCK_CONFLICT.
//   - Unlock elements carry exactly SMB2_LOCKFLAG_UNLOCK (with
//     FAIL_IMMEDIATELY too they are STATUS_INVALID_PARAMETER, as on Windows
//     since 2008 R2) and need a lock of the same open with exactly the same
//     offset and length; an exclusive one is released before a shared one.
//   - A pending lock ends with STATUS_CANCELLED on CANCEL, and with
//     STATUS_RANGE_NOT_LOCKED when its handle closes or its session logs
//     off (Samba's answer; Windows may grant it first on logoff).
//   - Elements are processed in order. A failing lock element rolls back
//     the elements of the same request granted before it; failing unlock
//     elements do not roll back earlier unlocks.

// lockRangeValid reports whether [off, off+n) fits in 64-bit offsets. The
// range may end exactly at 2^64.
func lockRangeValid(off, n uint64) bool {
	return n == 0 || n-1 <= math.MaxUint64-off
}

// rangesOverlap implements the overlap test of MS-FSA 2.1.4.10.
func rangesOverlap(aOff, aLen, bOff, bLen uint64) bool {
	if (aOff == 0 && aLen == 0) || (bOff == 0 && bLen == 0) {
		return false
	}
	aLast := aOff + aLen - 1 // aOff-1 for a zero-length range
	bLast := bOff + bLen - 1
	return aOff <= bLast && aLast >= bOff
}

// lockConflict reports whether owner (an open and, for SMB1, the process
// id of the lock element) may not take a lock on [off, off+n).
func lockConflict(locks []byteLock, owner *open, pid uint16, off, n uint64, exclusive bool) bool {
	for i := range locks {
		l := &locks[i]
		if !rangesOverlap(off, n, l.off, l.len) {
			continue
		}
		if exclusive || (l.exclusive && !l.ownedBy(owner, pid)) {
			return true
		}
	}
	return false
}

// ioConflict reports whether a READ (write=false) or WRITE by owner (and
// SMB1 process id pid) of [off, off+n) conflicts with a byte-range lock.
func ioConflict(locks []byteLock, owner *open, pid uint16, off, n uint64, write bool) bool {
	if n == 0 {
		return false
	}
	for i := range locks {
		l := &locks[i]
		if !rangesOverlap(off, n, l.off, l.len) {
			continue
		}
		if l.exclusive && !l.ownedBy(owner, pid) {
			return true
		}
		if write && !l.exclusive {
			return true
		}
	}
	return false
}

// checkLockFlags validates the flags of a lock (not unlock) request per
// MS-SMB2 3.3.5.14.2: each element is SHARED or EXCLUSIVE, optionally
// with FAIL_IMMEDIATELY, and only a single-element request may block.
func checkLockFlags(elems []smb2.LockElement) smb2.Status {
	for _, e := range elems {
		switch e.Flags &^ smb2.LockFlagFailImmediately {
		case smb2.LockFlagSharedLock, smb2.LockFlagExclusiveLock:
		default:
			return smb2.StatusInvalidParameter
		}
		if len(elems) > 1 && e.Flags&smb2.LockFlagFailImmediately == 0 {
			return smb2.StatusInvalidParameter
		}
		if !lockRangeValid(e.Offset, e.Length) {
			return smb2.StatusInvalidLockRange
		}
	}
	return smb2.StatusSuccess
}

// lockRange is one range of a lock request: an SMB2 LOCK element, or a
// LOCKING_ANDX range with the PID that owns it.
type lockRange struct {
	off, len  uint64
	pid       uint16 // SMB1 process id; 0 for SMB2
	exclusive bool
}

// lockRanges converts SMB2 LOCK elements (flags checked) to ranges.
func lockRanges(elems []smb2.LockElement) []lockRange {
	rs := make([]lockRange, len(elems))
	for i, e := range elems {
		rs[i] = lockRange{off: e.Offset, len: e.Length, exclusive: e.Flags&smb2.LockFlagExclusiveLock != 0}
	}
	return rs
}

// unlockRanges converts the elements of an SMB2 unlock request up to the
// first one whose flags are not exactly SMB2_LOCKFLAG_UNLOCK; st is
// STATUS_INVALID_PARAMETER when there is such an element (the ranges
// before it are still released, in order).
func unlockRanges(elems []smb2.LockElement) (rs []lockRange, st smb2.Status) {
	for _, e := range elems {
		if e.Flags != smb2.LockFlagUnlock {
			return rs, smb2.StatusInvalidParameter
		}
		rs = append(rs, lockRange{off: e.Offset, len: e.Length})
	}
	return rs, smb2.StatusSuccess
}

// applyLocks grants rs to owner, all or none. On success it returns the
// extended table. Otherwise it returns the table unchanged (earlier ranges
// rolled back), the index of the failing range and
// STATUS_INVALID_LOCK_RANGE or STATUS_LOCK_NOT_GRANTED.
func applyLocks(locks []byteLock, owner *open, rs []lockRange) ([]byteLock, int, smb2.Status) {
	orig := len(locks)
	for i, r := range rs {
		st := smb2.StatusSuccess
		switch {
		case !lockRangeValid(r.off, r.len):
			st = smb2.StatusInvalidLockRange
		case lockConflict(locks, owner, r.pid, r.off, r.len, r.exclusive):
			st = smb2.StatusLockNotGranted
		}
		if st != smb2.StatusSuccess {
			clear(locks[orig:])
			return locks[:orig], i, st
		}
		locks = append(locks, byteLock{owner: owner, off: r.off, len: r.len, exclusive: r.exclusive, pid: r.pid})
	}
	return locks, -1, smb2.StatusSuccess
}

// applyUnlocks releases rs of owner in order: each needs a lock of the
// same owner and PID with exactly its offset and length (an exclusive one
// is released before a shared one). It returns the new table, how many
// locks were released, and STATUS_RANGE_NOT_LOCKED for the first range
// without a lock (earlier releases stay done).
func applyUnlocks(locks []byteLock, owner *open, rs []lockRange) ([]byteLock, int, smb2.Status) {
	removed := 0
	for _, r := range rs {
		idx := -1
		for i := range locks {
			l := &locks[i]
			if l.ownedBy(owner, r.pid) && l.off == r.off && l.len == r.len {
				if idx < 0 || (l.exclusive && !locks[idx].exclusive) {
					idx = i
				}
			}
		}
		if idx < 0 {
			return locks, removed, smb2.StatusRangeNotLocked
		}
		locks = slices.Delete(locks, idx, idx+1)
		removed++
	}
	return locks, removed, smb2.StatusSuccess
}

// handleLock is SMB2 LOCK.
func (c *conn) handleLock(r *request) response {
	req, err := smb2.DecodeLockRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	idx := int(req.LockSequenceIndex)
	if o.durable == 0 && !o.resilient || c.dialect < smb2.Dialect210 || idx < 1 || idx > len(o.lockSeq) {
		return c.lock(r, o, &req)
	}
	// Lock sequence verification (MS-SMB2 3.3.5.14) on durable and
	// resilient opens: a
	// request repeating the last successful sequence number of its bucket
	// is a replay after a reconnect and succeeds without locking again.
	o.mu.Lock()
	replay := o.lockSeq[idx-1] == req.LockSequenceNumber|lockSeqValid
	o.lockSeq[idx-1] = 0
	o.mu.Unlock()
	if replay {
		o.mu.Lock()
		o.lockSeq[idx-1] = req.LockSequenceNumber | lockSeqValid
		o.mu.Unlock()
		return response{body: smb2.AppendLockResponse(nil)}
	}
	resp := c.lock(r, o, &req)
	if resp.status == smb2.StatusSuccess && resp.pending == nil {
		o.mu.Lock()
		o.lockSeq[idx-1] = req.LockSequenceNumber | lockSeqValid
		o.mu.Unlock()
	}
	return resp
}

// lockSeqValid marks an entry of open.lockSeq as valid.
const lockSeqValid = 0x80

// lock applies a LOCK request to o.
func (c *conn) lock(r *request, o *open, req *smb2.LockRequest) response {
	if o.pipe != nil || o.file == nil || o.node == nil {
		return errResp(smb2.StatusInvalidDeviceRequest)
	}
	if o.isDir {
		return errResp(smb2.StatusInvalidParameter)
	}
	if req.Locks[0].Flags&smb2.LockFlagUnlock != 0 {
		rs, bad := unlockRanges(req.Locks)
		if st := c.srv.state.unlock(o, rs); st != smb2.StatusSuccess {
			return errResp(st)
		}
		if bad != smb2.StatusSuccess {
			return errResp(bad)
		}
		return response{body: smb2.AppendLockResponse(nil)}
	}
	if st := checkLockFlags(req.Locks); st != smb2.StatusSuccess {
		return errResp(st)
	}
	blocking := len(req.Locks) == 1 && req.Locks[0].Flags&smb2.LockFlagFailImmediately == 0
	c.srv.state.contend(o) // a byte-range lock breaks read caching (as Windows)
	q := &lockRequest{o: o, ranges: lockRanges(req.Locks)}
	_, st := c.srv.state.lock(q)
	if st == smb2.StatusLockNotGranted && blocking {
		return c.waitLock(r, q)
	}
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	return response{body: smb2.AppendLockResponse(nil)}
}

// lockWait is a blocked LOCK request waiting for its range. Whether it
// was granted or ended otherwise is decided by the state store (lock,
// cancelLock), so exactly one response goes out.
type lockWait struct {
	c  *conn
	q  *lockRequest
	op *asyncOp
	// closeKey is the handle-close hook to drop once the wait is over;
	// set before the request is queued.
	closeKey uint64
}

// complete sends resp from a new goroutine: asyncOp.complete waits for
// the interim response, which the serve goroutine (possibly our caller)
// has yet to send.
func (w *lockWait) complete(resp response) {
	go func() {
		w.q.o.dropClose(w.closeKey)
		w.op.complete(resp)
	}()
}

// cancel ends the wait with resp unless the lock was granted first.
func (w *lockWait) cancel(resp response) {
	if w.c.srv.state.cancelLock(w.q) {
		w.complete(resp)
	}
}

// waitLock parks a blocking lock that conflicts and queues it in the
// state store, which calls retry at each change of the file's locks.
func (c *conn) waitLock(r *request, q *lockRequest) response {
	o := q.o
	w := &lockWait{c: c, q: q}
	sess := r.sess
	w.op = c.goAsync(r, func() {
		if c.lookupSession(sess.id) != sess {
			// LOGOFF or teardown: the handle is going away.
			w.cancel(errResp(smb2.StatusRangeNotLocked))
			return
		}
		w.cancel(errResp(smb2.StatusCancelled))
	})
	// Opens are closed only by this connection's serve goroutine, which is
	// running this handler, so o is still open here.
	o.mu.Lock()
	w.closeKey = o.atClose(func() { w.cancel(errResp(smb2.StatusRangeNotLocked)) })
	o.mu.Unlock()
	q.wake = w.retry
	w.retry() // queues q, or grants it if the range came free meanwhile
	return response{pending: w.op}
}

// retry tries the waiting lock again: granted, it is answered; refused,
// it stays queued for the next change.
func (w *lockWait) retry() {
	_, st := w.c.srv.state.lock(w.q)
	switch st {
	case smb2.StatusLockNotGranted, smb2.StatusCancelled:
		// Still waiting, or ended (and answered) elsewhere.
	case smb2.StatusSuccess:
		w.complete(response{body: smb2.AppendLockResponse(nil)})
	default:
		w.complete(errResp(st))
	}
}
