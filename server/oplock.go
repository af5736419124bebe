package server

import (
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// Oplocks and the admission of opens (MS-SMB2 3.3.1.4, 3.3.4.6, 3.3.5.9,
// 3.3.5.22.1; MS-FSA 2.1.5.17-18). Caching is tracked as lease bits for
// oplocks too (level II = R, exclusive = RW, batch = RWH), the way the
// rules are stated; see lease.go for leases. All of it is guarded by the
// node's mutex.

// Lease bits, shorter names.
const (
	cacheR = smb2.LeaseReadCaching
	cacheH = smb2.LeaseHandleCaching
	cacheW = smb2.LeaseWriteCaching
)

// DefaultOplockBreakTimeout is how long a break waits for its
// acknowledgment before the holder loses its caching (Windows: 35 s).
const DefaultOplockBreakTimeout = 35 * time.Second

func oplockToCache(level uint8) uint32 {
	switch level {
	case smb2.OplockLevelII:
		return cacheR
	case smb2.OplockLevelExclusive:
		return cacheR | cacheW
	case smb2.OplockLevelBatch:
		return cacheR | cacheW | cacheH
	}
	return 0
}

func cacheToOplock(c uint32) uint8 {
	switch {
	case c == cacheR|cacheW|cacheH:
		return smb2.OplockLevelBatch
	case c == cacheR|cacheW:
		return smb2.OplockLevelExclusive
	case c&cacheR != 0 && c&cacheW == 0:
		return smb2.OplockLevelII
	}
	return smb2.OplockLevelNone
}

// Access masks that make an open a "stat open", which neither breaks nor
// is blocked by caching (as Windows and Samba treat them).
const (
	oplockStatBits = synchronize | fileReadAttributes | fileWriteAttributes
	leaseStatBits  = oplockStatBits | readControl
)

func isStatOpen(access, bits uint32) bool { return access&bits != 0 && access&^bits == 0 }

// caching returns the caching state o holds, as lease bits. n.mu held.
func (o *open) caching() uint32 {
	if o.lease != nil {
		return o.lease.state
	}
	return oplockToCache(o.oplock)
}

// wake closes the node's change channel: waiters retry. n.mu held.
func (n *node) wake() {
	if n.changed != nil {
		close(n.changed)
		n.changed = nil
	}
}

// changes returns the channel closed at the next wake. n.mu held.
func (n *node) changes() <-chan struct{} {
	if n.changed == nil {
		n.changed = make(chan struct{})
	}
	return n.changed
}

// admit implements stateStore.admit. It follows Windows/Samba: share modes
// first (a violation breaks handle caching and waits), then write caching
// of other opens is broken (a W holder may be the only open), then the
// grant is computed from what remains. n.mu is taken here.
func (t *nodeTable) admit(n *node, o *open, q *cacheRequest) (<-chan struct{}, smb2.Status) {
	if q.overwrite {
		q.access |= fileWriteData // truncation writes: it breaks like a writer
	}
	if q.isDir {
		t.dirCacheRequest(q) // dirlease.go
	}
	wait, st, purge := t.admitOnce(n, o, q)
	if len(purge) == 0 {
		return wait, st
	}
	for _, x := range purge {
		t.purge(x) // disconnected holders cannot acknowledge a break
	}
	return retryNow, smb2.StatusSuccess // the purge may have changed the file (delete on close)
}

// retryNow is a closed channel: "retry the CREATE at once".
var retryNow = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// admitOnce is one pass of admit; it returns the disconnected durable
// opens to purge before trying again, if any.
func (t *nodeTable) admitOnce(n *node, o *open, q *cacheRequest) (<-chan struct{}, smb2.Status, []*open) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.deletePending {
		return nil, smb2.StatusDeletePending, nil
	}
	violation := n.checkShareModes(q.access, q.shareAccess) != smb2.StatusSuccess
	var own *lease
	if q.lease != nil {
		l, st := t.findLease(n, q.client, q.lease.LeaseKey)
		if st != smb2.StatusSuccess {
			return nil, st, nil
		}
		own = l
		if q.noLease {
			q.lease, own = nil, nil // dirlease.go
		}
	}
	var s admitScan
	if !isStatOpen(q.access, oplockStatBits) {
		s.scan(t, n, q, own, violation)
		if len(s.purge) > 0 {
			return nil, smb2.StatusSuccess, s.purge
		}
		if s.delay {
			return n.changes(), smb2.StatusSuccess, nil
		}
	}
	if violation {
		return nil, smb2.StatusSharingViolation, nil
	}
	granted := s.grant(n, q)
	o.noLevelII = q.noLevelII
	n.opens = append(n.opens, o)
	if q.lease != nil {
		t.grantLease(n, o, own, q, granted)
	} else {
		o.oplock = cacheToOplock(granted)
	}
	return nil, smb2.StatusSuccess, nil
}

// admitScan is the pass of admit over the node's other opens.
type admitScan struct {
	delay         bool
	gotHandle     bool // another open holds a lease with H
	gotOplock     bool // another open holds an oplock
	disallowWrite bool
	purge         []*open // disconnected holders a break would have to reach
}

// scan sends the breaks a new open requires and notes what limits its grant.
func (s *admitScan) scan(t *nodeTable, n *node, q *cacheRequest, own *lease, violation bool) {
	delayMask := cacheW
	if violation || q.renameOnly {
		delayMask = cacheH
	} else if q.deleteOnClose {
		delayMask |= cacheH // an unlink breaks H and waits, as a rename (smb2.lease.unlink)
	}
	for _, e := range n.opens {
		if e.lease != nil && e.lease == own {
			continue
		}
		et := e.caching()
		if et&cacheH != 0 && e.lease != nil {
			s.gotHandle = true
		}
		if e.lease == nil && e.oplock != smb2.OplockLevelNone {
			s.gotOplock = true
		}
		if e.lease != nil || e.oplock != smb2.OplockLevelNone || !isStatOpen(e.access, oplockStatBits) {
			s.disallowWrite = true
		}
		if e.lease != nil && isStatOpen(q.access, leaseStatBits) {
			continue
		}
		breaking := e.lease != nil && e.lease.breaking
		to := et &^ delayMask
		if q.overwrite && delayMask&cacheH == 0 {
			to &^= cacheH | cacheR
		}
		if et&^to == 0 {
			if breaking && !q.isDir && !q.ackOnOwnSMB1Conn(e) {
				s.delay = true // a directory open needing no break does not wait for one in progress
			}
			continue
		}
		if e.lease == nil {
			to &^= cacheH | cacheW
		}
		if gone := t.disconnectedHolders(n, e); gone != nil {
			if allResilient(gone) {
				t.breakTo(n, e, to) // lowered at once: nobody can acknowledge
			} else {
				s.purge = append(s.purge, gone...)
			}
			continue
		}
		if (et&delayMask != 0 || breaking && !q.first) && !q.ackOnOwnSMB1Conn(e) {
			s.delay = true
		}
		t.breakTo(n, e, to)
	}
}

// grant computes what a new open gets from what it asked. n.mu held.
func (s *admitScan) grant(n *node, q *cacheRequest) uint32 {
	req := oplockToCache(q.oplock)
	if q.lease != nil {
		req = q.lease.LeaseState & (cacheR | cacheH | cacheW)
	}
	g := req
	if q.exists && q.lease == nil && isStatOpen(q.access, oplockStatBits) {
		return 0 // stat opens of existing files get no oplock (they may get leases)
	}
	if q.isDir {
		if q.lease == nil {
			return 0 // directories get no oplocks
		}
		return dirGrant(req) // dirlease.go
	}
	if q.lease != nil && (g&(cacheR|cacheW) == 0 || g == cacheW || g == cacheW|cacheH) {
		g = 0
	}
	if !q.overwrite && len(n.locks) > 0 {
		g &^= cacheR | cacheH
	}
	if s.disallowWrite {
		g &^= cacheW
	}
	if q.lease != nil {
		if s.gotOplock {
			g &^= cacheH
		}
		return g
	}
	if s.gotHandle {
		return 0
	}
	g = oplockToCache(cacheToOplock(g))
	if g == cacheR && q.noLevelII {
		return 0 // an SMB1 client without CAP_LEVEL_II_OPLOCKS
	}
	return g
}

// breakTo lowers holder e's caching to "to", sending the notification and,
// when an acknowledgment is due, starting its timer. n.mu held.
func (t *nodeTable) breakTo(n *node, e *open, to uint32) {
	if e.lease != nil {
		t.breakLease(n, e.lease, to)
		return
	}
	if e.obreaking {
		return
	}
	if e.disconnected {
		e.oplock = smb2.OplockLevelNone
		if !e.resilient {
			go t.purge(e)
		}
		return
	}
	from := oplockToCache(e.oplock)
	to &= cacheR
	if e.noLevelII {
		to = 0 // it cannot hold level II: break to none
	}
	if from == 0 || from == to {
		return
	}
	level := smb2.OplockLevelNone
	if to&cacheR != 0 {
		level = smb2.OplockLevelII
	}
	if e.sess != nil && e.sess.c != nil {
		e.sess.c.notifyOplockBreak(e, level)
	}
	if from == cacheR {
		e.oplock = smb2.OplockLevelNone // level II to none: no acknowledgment
		return
	}
	e.obreaking = true
	e.obreakTo = level
	e.obreakGen++
	gen := e.obreakGen
	e.otimer = time.AfterFunc(t.breakTimeout, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if e.obreaking && e.obreakGen == gen {
			e.obreaking = false
			e.oplock = smb2.OplockLevelNone
			if e.disconnected && !e.resilient {
				go t.purge(e) // no longer durable without handle caching
			}
			n.wake()
		}
	})
}

// ackOplock implements stateStore.ackOplock (MS-SMB2 3.3.5.22.1, with
// Samba's and Windows' statuses).
func (t *nodeTable) ackOplock(o *open, level uint8) (uint8, smb2.Status) {
	n := o.node
	if n == nil {
		return 0, smb2.StatusInvalidOplockProtocol
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !o.obreaking {
		return 0, smb2.StatusInvalidOplockProtocol
	}
	if level != smb2.OplockLevelNone && level != smb2.OplockLevelII {
		return 0, smb2.StatusInvalidParameter
	}
	o.obreaking = false
	if o.otimer != nil {
		o.otimer.Stop()
		o.otimer = nil
	}
	if o.obreakTo == smb2.OplockLevelNone || level == smb2.OplockLevelNone {
		o.oplock = smb2.OplockLevelNone
	} else {
		o.oplock = smb2.OplockLevelII
	}
	n.wake()
	return o.oplock, smb2.StatusSuccess
}

// contend implements stateStore.contend: every level II oplock on the node
// and every R lease but o's own goes to none (no acknowledgment for those
// without H; the write itself does not wait).
func (t *nodeTable) contend(o *open) {
	n := o.node
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if o.caching()&cacheW != 0 {
		return
	}
	for _, e := range n.opens {
		if e.lease != nil {
			if e.lease != o.lease && e.lease.state&cacheR != 0 {
				t.breakLease(n, e.lease, 0)
			}
			continue
		}
		if e.oplock == smb2.OplockLevelII {
			t.breakTo(n, e, 0)
		}
	}
}

// breakHandles implements stateStore.breakHandles: leases with H held by
// other keys lose it; the caller waits for their acknowledgments.
func (t *nodeTable) breakHandles(o *open) <-chan struct{} {
	n := o.node
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	wait := false
	for _, e := range n.opens {
		if e.lease == nil || e.lease == o.lease {
			continue
		}
		if e.lease.state&cacheH != 0 {
			t.breakLease(n, e.lease, e.lease.state&^cacheH)
		}
		if e.lease.breaking {
			wait = true
		}
	}
	if !wait {
		return nil
	}
	return n.changes()
}

// disconnectedHolders returns the opens holding e's caching when all of
// them are disconnected durable opens (nil otherwise). n.mu held.
func (t *nodeTable) disconnectedHolders(n *node, e *open) []*open {
	if e.lease == nil {
		if e.disconnected {
			return []*open{e}
		}
		return nil
	}
	var gone []*open
	for _, x := range n.opens {
		if x.lease != e.lease {
			continue
		}
		if !x.disconnected {
			return nil
		}
		gone = append(gone, x)
	}
	return gone
}

// dropCaching forgets o's oplock or lease share when it closes. n.mu held.
func (t *nodeTable) dropCaching(n *node, o *open) {
	if o.otimer != nil {
		o.otimer.Stop()
		o.otimer = nil
	}
	o.obreaking = false
	o.oplock = smb2.OplockLevelNone
	if o.lease != nil {
		t.leaveLease(o.lease)
		o.lease = nil
	}
	n.wake()
}

// OPLOCK_BREAK acknowledgments (MS-SMB2 3.3.5.22).

// handleOplockBreak answers an oplock or lease break acknowledgment.
func (c *conn) handleOplockBreak(r *request) response {
	if smb2.IsLeaseBreakAck(r.msg) {
		return c.handleLeaseBreakAck(r)
	}
	ack, err := smb2.DecodeOplockBreakAck(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, ack.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	level, st := c.srv.state.ackOplock(o, ack.OplockLevel)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	m := smb2.OplockBreakMessage{OplockLevel: level, FileID: o.id}
	return response{body: m.Append(nil)}
}

// queueNotification queues an unsolicited message (a break) for this
// connection. It never blocks: the next response written on the
// connection carries it first (writeLocked), or a goroutine writes it, so
// the caller (any connection's handler, a timer) is never held up by this
// connection's socket, and a break always precedes the responses to
// requests handled after it was queued.
func (c *conn) queueNotification(msg []byte) {
	c.nmu.Lock()
	if len(c.nq) >= maxQueuedNotifications {
		c.nmu.Unlock()
		c.log.Warn("break notifications not drained; dropping one")
		return
	}
	c.nq = append(c.nq, msg)
	c.notes.Store(true)
	start := !c.nrun
	c.nrun = true
	c.nmu.Unlock()
	if start {
		go c.drainNotifications()
	}
}

// maxQueuedNotifications bounds the notifications waiting for one
// connection's socket.
const maxQueuedNotifications = 4096

// takeNotifications appends the queued notifications, framed, to dst.
// The caller holds wmu.
func (c *conn) takeNotifications(dst []byte) []byte {
	c.nmu.Lock()
	q := c.nq
	c.nq = nil
	c.notes.Store(false)
	c.nmu.Unlock()
	for _, m := range q {
		var fh [4]byte
		smb2.PutFrameHeader(fh[:], len(m))
		dst = append(append(dst, fh[:]...), m...)
	}
	return dst
}

func (c *conn) drainNotifications() {
	c.wmu.Lock()
	err := c.writeLocked(nil)
	c.wmu.Unlock()
	if err != nil {
		c.log.Debug("break notification not sent", "err", err)
	}
	c.nmu.Lock()
	c.nrun = false
	again := len(c.nq) > 0
	if again {
		c.nrun = true
	}
	c.nmu.Unlock()
	if again {
		go c.drainNotifications()
	}
}

// uncache implements stateStore.uncache.
func (t *nodeTable) uncache(o *open) {
	n := o.node
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.opens {
		if e.lease != nil {
			if e.lease.state != 0 {
				t.breakLease(n, e.lease, 0)
			}
			continue
		}
		if e.oplock != smb2.OplockLevelNone {
			t.breakTo(n, e, 0)
		}
	}
}
