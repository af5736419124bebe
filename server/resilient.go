package server

import (
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// Resilient handles (MS-SMB2 3.3.5.15.9, 3.3.2.4, 3.3.7.1): after
// FSCTL_LMR_REQUEST_RESILIENCY an open survives the loss of its connection
// for the granted timeout whatever caching it holds, is reclaimed with
// DHnC (or DH2C, when it was created with DH2Q) by the same user, and its
// LOCK requests are checked against the lock sequence numbers of
// 3.3.5.14. A disconnected resilient open keeps its share mode and
// byte-range locks; a break its caching would need cannot be acknowledged,
// so its caching is dropped (not the open): unlike durable opens, the spec
// keeps resilient ones for their whole timeout. They count against
// Config.MaxDurableOpens with the durable ones.

// Resiliency timeouts: DefaultMaxResiliencyTimeout is MaxResiliencyTimeout
// (a request asking for more fails with STATUS_INVALID_PARAMETER); a
// request asking 0 gets defaultResiliencyTimeout (Windows' 120 s), at most
// the maximum.
const (
	DefaultMaxResiliencyTimeout = 5 * time.Minute
	defaultResiliencyTimeout    = 2 * time.Minute
)

// requestResiliency is FSCTL_LMR_REQUEST_RESILIENCY on o.
func (c *conn) requestResiliency(o *open, in []byte) ioctlResult {
	if c.dialect == smb2.Dialect202 {
		return ioctlErr(smb2.StatusInvalidDeviceRequest)
	}
	req, err := smb2.DecodeNetworkResiliencyRequest(in)
	if err != nil {
		return ioctlErr(smb2.StatusInvalidParameter)
	}
	maxT := c.srv.nodes.maxResiliency
	timeout := time.Duration(req.Timeout) * time.Millisecond
	if timeout/time.Second > maxT/time.Second {
		return ioctlErr(smb2.StatusInvalidParameter)
	}
	if timeout == 0 {
		timeout = defaultResiliencyTimeout
	}
	timeout = min(timeout, maxT)
	if o.node == nil || o.file == nil {
		return ioctlErr(smb2.StatusInvalidDeviceRequest)
	}
	return ioctlErr(c.srv.state.makeResilient(o, timeout))
}

// makeResilient implements stateStore.makeResilient.
func (t *nodeTable) makeResilient(o *open, timeout time.Duration) smb2.Status {
	n := o.node
	n.mu.Lock()
	defer n.mu.Unlock()
	t.lmu.Lock()
	defer t.lmu.Unlock()
	if !t.addDurable(o) {
		return smb2.StatusInsufficientResources
	}
	// Open.IsDurable becomes FALSE: from now on the resiliency rules
	// (and timeout) apply, not the durable ones.
	o.durable = 0
	o.resilient = true
	o.durableTimeout = timeout
	o.owner = ownerKey(o.sess)
	return smb2.StatusSuccess
}

// allResilient reports whether every open of os is resilient.
func allResilient(os []*open) bool {
	for _, o := range os {
		if !o.resilient {
			return false
		}
	}
	return true
}
