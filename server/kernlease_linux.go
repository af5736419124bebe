//go:build linux

package server

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// newKernelLeases starts listening for lease breaks (SIGIO, which Linux
// sends the lease holder's process by default).
func newKernelLeases(t *nodeTable) (*kernelLeases, error) {
	k := &kernelLeases{t: t, held: make(map[*open]struct{}), breaking: make(map[*node]bool)}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGIO)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				k.scan()
			case <-done:
				return
			}
		}
	}()
	k.stop = func() { signal.Stop(sig); close(done) }
	return k, nil
}

// leaseFD runs f on the descriptor of o's backend file; false when the
// backend has none (not a local file).
func leaseFD(o *open, f func(fd int)) bool {
	sc, ok := o.file.(syscall.Conn)
	if !ok || o.file == nil {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	return rc.Control(func(fd uintptr) { f(int(fd)) }) == nil
}

// take backs the read caching just granted to o with a kernel read lease
// on its descriptor, or takes the caching back when that is impossible.
func (k *kernelLeases) take(o *open) {
	if o.node == nil || o.isDir {
		return
	}
	o.node.mu.Lock()
	cached := o.caching() != 0
	o.node.mu.Unlock()
	if !cached {
		return
	}
	var err error
	ok := leaseFD(o, func(fd int) { _, err = unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_RDLCK) })
	if !ok || err != nil {
		k.t.log.Debug("kernel lease refused: no caching granted", "path", o.name, "err", err)
		k.t.dropGrant(o)
		return
	}
	k.mu.Lock()
	k.held[o] = struct{}{}
	k.mu.Unlock()
}

// forget drops o (released: closing its descriptor ends the lease).
func (k *kernelLeases) forget(o *open) {
	k.mu.Lock()
	delete(k.held, o)
	k.mu.Unlock()
}

// beforeWritableOpen releases the leases held on n before the server opens
// it for writing (it would otherwise wait for itself) and breaks the
// caching they backed.
func (k *kernelLeases) beforeWritableOpen(n *node) {
	if o := k.releaseNode(n); o != nil {
		k.t.uncache(o)
	}
}

// releaseNode unlocks and forgets every lease held on n; it returns one
// of their opens (nil if none).
func (k *kernelLeases) releaseNode(n *node) *open {
	k.mu.Lock()
	var opens []*open
	for o := range k.held {
		if o.node == n {
			opens = append(opens, o)
			delete(k.held, o)
		}
	}
	k.mu.Unlock()
	for _, o := range opens {
		leaseFD(o, func(fd int) { unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_UNLCK) })
	}
	if len(opens) == 0 {
		return nil
	}
	return opens[0]
}

// scan finds the leases a local open is breaking (F_GETLEASE reports the
// target type, F_UNLCK, while a break is pending) and handles each node.
func (k *kernelLeases) scan() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for o := range k.held {
		lt := unix.F_RDLCK
		leaseFD(o, func(fd int) { lt, _ = unix.FcntlInt(uintptr(fd), unix.F_GETLEASE, 0) })
		if lt != unix.F_RDLCK && !k.breaking[o.node] {
			k.breaking[o.node] = true
			go k.localBreak(o)
		}
	}
}

// localBreak breaks every client's caching of o's file to none because a
// local process opens it, waits for the acknowledgments (bounded by the
// break timeout), then releases the leases so the local open proceeds.
func (k *kernelLeases) localBreak(o *open) {
	n := o.node
	k.t.log.Info("local open of a file cached by clients: breaking their caching", "path", o.name)
	k.t.uncache(o)
	deadline := time.Now().Add(k.t.breakTimeout + time.Second)
	for time.Now().Before(deadline) {
		n.mu.Lock()
		cached := false
		for _, x := range n.opens {
			cached = cached || x.caching() != 0
		}
		ch := n.changes()
		n.mu.Unlock()
		if !cached {
			break
		}
		select {
		case <-ch:
		case <-time.After(time.Until(deadline)):
		}
	}
	k.releaseNode(n)
	k.mu.Lock()
	delete(k.breaking, n)
	k.mu.Unlock()
}
