package server

import (
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// Leases (MS-SMB2 3.3.1.4, 3.3.5.9.8/11, 3.3.5.22.2). A lease is named by
// (ClientGuid, LeaseKey), bound to one node, and shared by every open that
// names its key. Its fields are guarded by the node's mutex; the table
// (nodeTable.leases) by nodeTable.lmu, taken after a node's mutex.

type leaseID struct{ client, key [16]byte }

type lease struct {
	id     leaseID
	node   *node
	v2     bool
	parent [16]byte
	flags  uint32 // LeaseFlagParentLeaseKeySet as requested
	state  uint32
	epoch  uint16
	opens  int
	// A break in progress: the client may acknowledge down to any subset
	// of breakReq; the state must end within breakReqd (Samba's
	// breaking_to_requested / breaking_to_required).
	breaking  bool
	breakReq  uint32
	breakReqd uint32
	gen       uint64
	timer     *time.Timer
	// sink is the connection of the newest open with the key: breaks go there.
	sink *conn
}

// findLease returns the lease (client, key) already bound to n, nil when
// there is none, or STATUS_INVALID_PARAMETER when the key is in use on
// another file. n.mu held.
func (t *nodeTable) findLease(n *node, client, key [16]byte) (*lease, smb2.Status) {
	t.lmu.Lock()
	defer t.lmu.Unlock()
	l := t.leases[leaseID{client, key}]
	if l == nil {
		return nil, smb2.StatusSuccess
	}
	if l.node != n {
		return nil, smb2.StatusInvalidParameter
	}
	return l, smb2.StatusSuccess
}

// grantLease attaches o to its lease (own, or a new one) with granted
// caching, upgrading an existing lease when the request is a strict
// superset of its state. n.mu held.
func (t *nodeTable) grantLease(n *node, o *open, own *lease, q *cacheRequest, granted uint32) {
	r := q.lease
	if own == nil {
		own = &lease{id: leaseID{q.client, r.LeaseKey}, node: n, v2: r.V2, parent: r.ParentLeaseKey,
			flags: r.LeaseFlags & smb2.LeaseFlagParentLeaseKeySet, state: granted, epoch: r.Epoch}
		if granted != 0 {
			own.epoch++
		}
		t.lmu.Lock()
		t.leases[own.id] = own
		t.lmu.Unlock()
	} else {
		requested := r.LeaseState & (cacheR | cacheH | cacheW)
		if own.state&requested == own.state && granted != own.state && granted == requested && !own.breaking {
			own.state = granted
			own.epoch++
		}
	}
	own.opens++
	if o.sess != nil {
		own.sink = o.sess.c
	}
	o.lease = own
	o.oplock = smb2.OplockLevelLease
}

// leaveLease drops one open's share of l; the last one unbinds the key.
// n.mu held.
func (t *nodeTable) leaveLease(l *lease) {
	l.opens--
	if l.opens > 0 {
		return
	}
	if l.timer != nil {
		l.timer.Stop()
	}
	t.lmu.Lock()
	if t.leases[l.id] == l {
		delete(t.leases, l.id)
	}
	t.lmu.Unlock()
}

// breakLease lowers l towards "to" (Samba's and Windows' rules: one break
// at a time; R alone goes to none at once; anything with W or H waits for
// an acknowledgment). n.mu held.
func (t *nodeTable) breakLease(n *node, l *lease, to uint32) {
	to &= l.state
	if l.state != to {
		for _, x := range n.opens {
			if x.lease == l {
				if gone := t.disconnectedHolders(n, x); gone != nil {
					l.state = to // nobody can acknowledge: purge the holders
					for _, g := range gone {
						if !g.resilient { // resilient ones stay, lowered
							go t.purge(g)
						}
					}
					return
				}
				break
			}
		}
	}
	switch {
	case l.breaking:
		l.breakReqd &= to
		return
	case l.state == to:
		return
	case l.state == cacheR:
		from := l.state
		l.state = 0
		l.epoch++
		t.sendLeaseBreak(l, from, 0, false)
		return
	}
	l.breaking = true
	l.breakReq, l.breakReqd = to, to
	l.epoch++
	t.sendLeaseBreak(l, l.state, to, true)
	t.armLeaseTimer(n, l)
}

// armLeaseTimer starts the acknowledgment timeout of l's break: when it
// fires the lease goes to none. n.mu held.
func (t *nodeTable) armLeaseTimer(n *node, l *lease) {
	if l.timer != nil {
		l.timer.Stop()
	}
	l.gen++
	gen := l.gen
	l.timer = time.AfterFunc(t.breakTimeout, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if l.breaking && l.gen == gen {
			l.breaking = false
			l.state, l.breakReq, l.breakReqd = 0, 0, 0
			n.wake()
		}
	})
}

// sendLeaseBreak queues a lease break notification on the lease's sink.
func (t *nodeTable) sendLeaseBreak(l *lease, from, to uint32, ack bool) {
	c := l.sink
	if t.clientConn != nil {
		if cc := t.clientConn(l.id.client); cc != nil {
			c = cc
		}
	}
	if c == nil {
		return
	}
	m := smb2.LeaseBreakNotification{LeaseKey: l.id.key, CurrentLeaseState: from, NewLeaseState: to}
	if l.v2 {
		m.NewEpoch = l.epoch
	}
	if ack {
		m.Flags = smb2.LeaseBreakFlagAckRequired
	}
	c.queueNotification(smb2.AppendNotification(nil, 0, m.Append(nil)))
}

// ackLease implements stateStore.ackLease (MS-SMB2 3.3.5.22.2).
func (t *nodeTable) ackLease(client, key [16]byte, state uint32) (uint32, smb2.Status) {
	t.lmu.Lock()
	l := t.leases[leaseID{client, key}]
	t.lmu.Unlock()
	if l == nil {
		return 0, smb2.StatusObjectNameNotFound
	}
	n := l.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if l.opens == 0 {
		return 0, smb2.StatusObjectNameNotFound
	}
	if !l.breaking {
		return 0, smb2.StatusUnsuccessful
	}
	if state&l.breakReq != state {
		return 0, smb2.StatusRequestNotAccepted
	}
	l.state = state
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if state&^l.breakReqd != 0 {
		// Acknowledged above what is required: break again, in steps
		// (keep R while W or H go), as Windows does.
		next := l.breakReqd
		if state&(cacheW|cacheH) != 0 {
			next |= cacheR
			l.breakReq = next
			t.sendLeaseBreak(l, state, next, true)
			t.armLeaseTimer(n, l)
		} else {
			l.breaking = false
			l.state, l.breakReq, l.breakReqd = 0, 0, 0
			t.sendLeaseBreak(l, state, next, false)
		}
		n.wake()
		return state, smb2.StatusSuccess
	}
	l.breaking = false
	l.breakReq, l.breakReqd = 0, 0
	n.wake()
	return state, smb2.StatusSuccess
}

func (c *conn) handleLeaseBreakAck(r *request) response {
	if c.dialect < smb2.Dialect210 {
		return errResp(smb2.StatusInvalidParameter)
	}
	ack, err := smb2.DecodeLeaseBreakAck(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	state, st := c.srv.state.ackLease(c.clientGUID, ack.LeaseKey, ack.LeaseState)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	resp := smb2.LeaseBreakAck{LeaseKey: ack.LeaseKey, LeaseState: state}
	return response{body: resp.Append(nil)}
}

// leaseResponse builds the RqLs create context response for o. n.mu is
// taken here.
func leaseResponse(st openState) smb2.CreateContext {
	return smb2.CreateContext{Name: smb2.CreateContextRequestLease, Data: st.lease.AppendLease(nil)}
}

// leaseState is lease l as a create response shows it. Called with the
// node's mutex held.
func leaseState(l *lease) smb2.LeaseRequest {
	r := smb2.LeaseRequest{LeaseKey: l.id.key, LeaseState: l.state, V2: l.v2}
	if l.breaking {
		r.LeaseFlags |= smb2.LeaseFlagBreakInProgress
	}
	if l.v2 {
		r.Epoch = l.epoch
		r.LeaseFlags |= l.flags
		r.ParentLeaseKey = l.parent
	}
	return r
}
