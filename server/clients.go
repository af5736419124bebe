package server

import "sync"

// clientTable maps a ClientGuid to the client's live connections, oldest
// first. Lease breaks go to a client, not to a connection (MS-SMB2
// 3.3.4.7): they are sent on its oldest live connection, as Samba does.
type clientTable struct {
	mu sync.Mutex
	m  map[[16]byte][]*conn
}

// add registers c under its negotiated ClientGuid.
func (t *clientTable) add(c *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[[16]byte][]*conn)
	}
	t.m[c.clientGUID] = append(t.m[c.clientGUID], c)
}

// remove forgets c (connection teardown).
func (t *clientTable) remove(c *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.m[c.clientGUID]
	for i, x := range l {
		if x == c {
			l = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(t.m, c.clientGUID)
	} else {
		t.m[c.clientGUID] = l
	}
}

// first returns the client's oldest live connection, or nil.
func (t *clientTable) first(guid [16]byte) *conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.m[guid] {
		if !c.closing.Load() {
			return c
		}
	}
	return nil
}
