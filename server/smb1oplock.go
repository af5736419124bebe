package server

import (
	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// SMB1 oplocks run on the SMB2 oplock machinery (oplock.go): an
// NT_CREATE_ANDX or OPEN_ANDX asking for an oplock is an SMB2 CREATE with
// RequestedOplockLevel exclusive or batch, granted (or lowered to level II,
// or none) by the same rules, so SMB1 and SMB2 opens break each other. The
// break an SMB1 holder gets is a LOCKING_ANDX request from the server
// (smb1.AppendOplockBreak, unsigned, as Samba sends it) and its
// acknowledgment a LOCKING_ANDX with OPLOCK_RELEASE (smb1Locking).
// A client that did not announce CAP_LEVEL_II_OPLOCKS in its
// SESSION_SETUP_ANDX gets no level II oplock, and its exclusive and batch
// oplocks break to none (as Samba).

// smb1WantOplock maps NT_CREATE_ANDX Flags to the SMB2 oplock request: the
// batch bit counts only with the oplock bit, as on Samba.
func smb1WantOplock(flags uint32) uint8 {
	switch {
	case flags&smb1.NTCreateRequestOplock == 0:
		return smb2.OplockLevelNone
	case flags&smb1.NTCreateRequestBatchOplock != 0:
		return smb2.OplockLevelBatch
	}
	return smb2.OplockLevelExclusive
}

// smb1OpenAndXOplock maps OPEN_ANDX Flags to the SMB2 oplock request.
func smb1OpenAndXOplock(flags uint16) uint8 {
	switch {
	case flags&smb1.OpenAndXRequestBatch != 0:
		return smb2.OplockLevelBatch
	case flags&smb1.OpenAndXRequestOplock != 0:
		return smb2.OplockLevelExclusive
	}
	return smb2.OplockLevelNone
}

// smb1GrantedOplock maps an SMB2 CREATE's OplockLevel to NT_CREATE_ANDX's.
func smb1GrantedOplock(level uint8) uint8 {
	switch level {
	case smb2.OplockLevelBatch:
		return smb1.OplockBatch
	case smb2.OplockLevelExclusive:
		return smb1.OplockExclusive
	case smb2.OplockLevelII:
		return smb1.OplockLevelII
	}
	return smb1.OplockNone
}

// notifyOplockBreak queues the break of c's open e to level (SMB2
// OplockLevelNone or OplockLevelII). n.mu held.
func (c *conn) notifyOplockBreak(e *open, level uint8) {
	if c.s1 == nil {
		m := smb2.OplockBreakMessage{OplockLevel: level, FileID: e.id}
		c.queueNotification(smb2.AppendNotification(nil, e.sess.id, m.Append(nil)))
		return
	}
	if e.smb1FID == 0 {
		e.smb1Break = level + 1 // sent once the CREATE has its FID
		return
	}
	c.queueNotification(smb1Break(e, level))
}

// smb1Break is the SMB1 break message of e to level.
func smb1Break(e *open, level uint8) []byte {
	l := smb1.BreakLevelNone
	if level == smb2.OplockLevelII {
		l = smb1.BreakLevelII
	}
	return smb1.AppendOplockBreak(make([]byte, 0, smb1.OplockBreakSize), uint16(e.tree.id), e.smb1FID, l)
}

// smb1NoteFID tells the open id its SMB1 FID, sending a break that came
// before it.
func (c *conn) smb1NoteFID(id smb2.FileID, fid uint16) {
	c.mu.Lock()
	o := c.opens[id.Volatile]
	c.mu.Unlock()
	if o == nil || o.node == nil {
		return
	}
	if msg := c.srv.state.noteSMB1FID(o, fid); msg != nil {
		c.queueNotification(msg)
	}
}

// noteSMB1FID implements stateStore.noteSMB1FID.
func (t *nodeTable) noteSMB1FID(o *open, fid uint16) []byte {
	n := o.node
	n.mu.Lock()
	defer n.mu.Unlock()
	o.smb1FID = fid
	pending := o.smb1Break
	o.smb1Break = 0
	if pending != 0 {
		return smb1Break(o, pending-1)
	}
	return nil
}

// releaseOplock implements stateStore.releaseOplock.
func (t *nodeTable) releaseOplock(o *open, level uint8) bool {
	n := o.node
	if n == nil {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if o.lease != nil || (o.oplock == smb2.OplockLevelNone && !o.obreaking) {
		return false
	}
	if o.otimer != nil {
		o.otimer.Stop()
		o.otimer = nil
	}
	toII := level == smb1.BreakLevelII && !(o.obreaking && o.obreakTo == smb2.OplockLevelNone)
	o.obreaking = false
	o.oplock = smb2.OplockLevelNone
	if toII {
		o.oplock = smb2.OplockLevelII
	}
	n.wake()
	return true
}

// smb1OplockRelease handles LOCKING_ANDX with OPLOCK_RELEASE on o. done
// is false when the request goes on with its ranges. With no oplock on o,
// a pure release gets no response and one with ranges FILE_LOCK_CONFLICT
// (Samba).
func (c *conn) smb1OplockRelease(o *open, req *smb1.LockingRequest) (resp smb1Resp, done bool) {
	pure := len(req.Locks) == 0 && len(req.Unlocks) == 0
	if !c.srv.state.releaseOplock(o, req.OplockLevel) {
		if pure {
			return smb1Resp{noResponse: true}, true
		}
		return smb1Err(smb2.StatusFileLockConflict), true
	}
	if pure {
		return smb1Resp{noResponse: true}, true
	}
	return smb1Resp{}, false
}

// ackOnOwnSMB1Conn reports whether the break of e a CREATE would wait for
// can only be acknowledged over the CREATE's own SMB1 connection (see
// cacheRequest.smb1Conn). n.mu held.
func (q *cacheRequest) ackOnOwnSMB1Conn(e *open) bool {
	return q.smb1Conn != nil && e.lease == nil && e.sess != nil && e.sess.c == q.smb1Conn
}
