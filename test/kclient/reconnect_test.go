//go:build linux && amd64

package kclient

import (
	"net"
	"path/filepath"
	"sync"
	"testing"

	gosmb2 "github.com/hirochachacha/go-smb2"
)

// trackingListener remembers the connections it accepted, so that the
// test can drop them as a network failure would.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Accept implements net.Listener; the connection is returned as is (the
// server's zero-copy paths need the *net.TCPConn).
func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns[c] = struct{}{}
		l.mu.Unlock()
	}
	return c, err
}

// dropAll closes every connection accepted so far and reports how many.
func (l *trackingListener) dropAll() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.conns)
	for c := range l.conns {
		c.Close()
	}
	clear(l.conns)
	return n
}

// dropWhenReady is the host half of the guest's reconnect check: when
// <variant>/reconnect/rc.ready appears it notes the server's durable
// reclaim count, closes every connection the server has accepted (the
// guest's mount among them), and creates rc.dropped through a new
// go-smb2 connection. When rc.done appears the count must have grown:
// the kernel client reopened its file with a durable reconnect context
// (DHnC on 2.1, DH2C on 3.x) and the server handed it the open it kept.
// The returned function stops the watcher and waits for it.
func dropWhenReady(t *testing.T, ks *kserver) (stop func()) {
	before := map[string]uint64{} // rc.ready path -> reclaims before the drop
	checked := map[string]bool{}
	return pollShare(func() { // coherence_test.go
		ready, _ := filepath.Glob(filepath.Join(ks.dir, "*", "reconnect", "rc.ready"))
		for _, r := range ready {
			if _, seen := before[r]; seen {
				continue
			}
			before[r] = ks.srv.Metrics().DurableReclaims
			n := ks.ln.dropAll()
			rel, _ := filepath.Rel(ks.dir, filepath.Dir(r))
			t.Logf("reconnect: %s is ready; dropped %d connections", rel, n)
			err := withShare(ks.addr, func(fs *gosmb2.Share) error {
				return fs.WriteFile(filepath.ToSlash(rel)+"/rc.dropped", nil, 0o644)
			})
			if err != nil {
				t.Errorf("reconnect: creating %s/rc.dropped: %v", rel, err)
			}
		}
		dones, _ := filepath.Glob(filepath.Join(ks.dir, "*", "reconnect", "rc.done"))
		for _, d := range dones {
			b, seen := before[filepath.Join(filepath.Dir(d), "rc.ready")]
			if checked[d] || !seen {
				continue
			}
			checked[d] = true
			if m := ks.srv.Metrics(); m.DurableReclaims <= b {
				t.Errorf("reconnect: %s: the client went on without reclaiming its durable open (reclaims %d, %d before the drop)",
					d, m.DurableReclaims, b)
			} else {
				t.Logf("reconnect: %s: %d durable opens reclaimed", filepath.Dir(d), m.DurableReclaims-b)
			}
		}
	})
}
