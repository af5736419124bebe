package server

import (
	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// smb1Locking is LOCKING_ANDX: the unlocks, then the locks, each as one
// SMB2 LOCK on the same lock table SMB2 opens use. Locks never wait: a
// Timeout asking to block is answered as if it were 0 (the conflict
// status at once), as SMB1 requests are answered in order. An oplock
// release (zerosmb grants SMB1 opens no oplocks) gets no response.
func (c *conn) smb1Locking(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeLockingRequest(r.msg, &r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	if req.Type&smb1.LockingOplockRelease != 0 && len(req.Locks) == 0 && len(req.Unlocks) == 0 {
		return smb1Resp{noResponse: true}
	}
	if req.Type&(smb1.LockingChangeType|smb1.LockingCancel) != 0 {
		return smb1Err(smb2.StatusNotSupported)
	}
	id := c.s1.fileID(req.FID)
	if st := c.smb2Lock(r, id, req.Unlocks, smb2.LockFlagUnlock); st != smb2.StatusSuccess {
		return smb1Err(fidStatus(st))
	}
	flags := smb2.LockFlagExclusiveLock | smb2.LockFlagFailImmediately
	if req.Type&smb1.LockingShared != 0 {
		flags = smb2.LockFlagSharedLock | smb2.LockFlagFailImmediately
	}
	if st := c.smb2Lock(r, id, req.Locks, flags); st != smb2.StatusSuccess {
		return smb1Err(fidStatus(st))
	}
	return smb1Resp{block: smb1.AppendAndXOnly(nil)}
}

// smb2Lock applies ranges with flags to id in one SMB2 LOCK.
func (c *conn) smb2Lock(r *smb1Req, id smb2.FileID, ranges []smb1.LockRange, flags uint32) smb2.Status {
	if len(ranges) == 0 {
		return smb2.StatusSuccess
	}
	req := smb2.LockRequest{FileID: id}
	for _, l := range ranges {
		req.Locks = append(req.Locks, smb2.LockElement{Offset: l.Offset, Length: l.Length, Flags: flags})
	}
	return c.smb2Call(r, smb2.Lock, req.Append(nil)).status
}

// smb1Cancel is NT_CANCEL: SMB1 requests are answered in order, so there
// is never one to cancel; it gets no response.
func (c *conn) smb1Cancel(r *smb1Req) smb1Resp { return smb1Resp{noResponse: true} }
