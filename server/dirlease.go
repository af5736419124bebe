package server

import "github.com/zerosmb/zerosmb/smb2"

// Directory leases (MS-SMB2 3.3.1.4, 3.3.5.9.11; SMB 3.x only, advertised
// with SMB2_GLOBAL_CAP_DIRECTORY_LEASING unless Config.NoDirectoryLeases).
//
// A directory open asking for a v2 lease gets R or RH, never W (W asked is
// dropped, H without R grants nothing), as Windows; directory opens never
// get oplocks, and on SMB 2.1 no lease either (its key is still checked:
// a key bound to another file is STATUS_INVALID_PARAMETER). A
// directory lease is an ordinary lease bound to the directory's node: its
// own rules (H broken and waited for when the directory is renamed or
// deleted, a sharing violation breaks H) are the file rules. In addition
// it is broken to none, without the change waiting for the
// acknowledgment, whenever an entry of the directory changes: created,
// deleted, renamed into or out of it, its attributes, size or times set,
// or a handle that wrote to it closed. A change made by an open whose
// lease request named the directory lease's key as ParentLeaseKey
// (SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET) is the lease holder's own and
// breaks nothing; the key alone decides, whatever the client (as Windows
// and Samba). The break is queued on the holder's connection before the
// change is answered, so on that connection the holder sees the break
// before any response that reflects the change.

// dirCacheRequest adjusts q for a directory open. n.mu not needed.
func (t *nodeTable) dirCacheRequest(q *cacheRequest) {
	q.oplock = smb2.OplockLevelNone
	if q.lease == nil {
		return
	}
	if !t.dirLeases || !q.smb3 {
		q.noLease = true // no lease context in the response, OplockLevel none
		return
	}
	q.lease.LeaseState &^= cacheW
}

// dirGrant is the lease state a directory open gets for requested state
// req (W already dropped).
func dirGrant(req uint32) uint32 {
	g := req & (cacheR | cacheH)
	if g&cacheR == 0 {
		return 0
	}
	return g
}

// setParentKey records the ParentLeaseKey of o's lease request.
func (o *open) setParentKey(q *cacheRequest) {
	if q.lease != nil && q.lease.V2 && q.lease.LeaseFlags&smb2.LeaseFlagParentLeaseKeySet != 0 {
		o.parentKey, o.hasParent = q.lease.ParentLeaseKey, true
	}
}

// dirChanged implements stateStore.dirChanged.
func (t *nodeTable) dirChanged(share *Share, p string, by *open) {
	if !t.dirLeases || p == "" {
		return // the share root has no parent
	}
	dir, _ := parentPath(p)
	n := t.lookup(share, dir)
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.opens {
		l := e.lease
		if l == nil || l.state&(cacheR|cacheH) == 0 {
			continue
		}
		if by != nil && by.hasParent && l.id.key == by.parentKey {
			continue // the holder's own change
		}
		t.breakLease(n, l, 0)
	}
}

// entryChanged reports a change of o's directory entry (attributes,
// size, times) to the directory's leases.
func (c *conn) entryChanged(o *open) {
	c.srv.state.dirChanged(o.tree.share, o.path(), o)
}
