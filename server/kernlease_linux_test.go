//go:build linux

package server

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// kernelLeaseOpen opens name read-only on c asking for lease state (key).
func kernelLeaseOpen(t *testing.T, c *rawConn, name string, access uint32, key byte, state uint32) (rawCreated, uint32) {
	t.Helper()
	r := decodeCreated(t, c.call(smb2.Create, rawCreateCtx(rawCreateReq{name: name, disposition: rawDispOpen, share: shareAll,
		access: access, oplock: smb2.OplockLevelLease, ctxs: []smb2.CreateContext{leaseCtx(key, state)}}), nil))
	if r.status != smb2.StatusSuccess {
		t.Fatalf("open %s: %v", name, r.status)
	}
	var got uint32
	if b, ok := r.context(smb2.CreateContextRequestLease); ok && r.oplock == smb2.OplockLevelLease {
		l, _ := smb2.DecodeLeaseRequest(b)
		got = l.LeaseState
	}
	return r, got
}

// localOpen opens path for writing in the background and reports when
// the open returned.
func localOpen(t *testing.T, path string) <-chan time.Time {
	done := make(chan time.Time, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Errorf("local open: %v", err)
		} else {
			f.Close()
		}
		done <- time.Now()
	}()
	return done
}

// TestKernelLeases (--kernel-leases): a local process opening for writing
// a file a client caches under a lease waits until the client got the
// break and acknowledged it; write caching is not granted; an open whose
// kernel lease cannot be taken (the file is open for writing elsewhere),
// or that has write access, gets no caching; the server opening a file
// for writing releases its own leases first instead of waiting for them.
func TestKernelLeases(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, KernelLeases: true})
	for _, n := range []string{"f", "g", "h", "k"} {
		if err := os.WriteFile(filepath.Join(ts.Dir, n), []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := rawClient(t, ts.Addr, 1)
	readOnly := fileReadData | smb2.FileReadAttributes
	rf, st := kernelLeaseOpen(t, a, "f", readOnly, 1, cacheR|cacheW|cacheH)
	if st != cacheR|cacheH {
		t.Fatalf("RWH asked with kernel leases: granted %#x, want RH (no write caching)", st)
	}
	_ = rf
	start := time.Now()
	done := localOpen(t, filepath.Join(ts.Dir, "f"))
	brk := a.expectMsg("lease break for the local open", isBreak)
	n, err := smb2.DecodeLeaseBreakNotification(append(make([]byte, smb2.HeaderSize), brk.body...))
	if err != nil || n.NewLeaseState != 0 || n.Flags&smb2.LeaseBreakFlagAckRequired == 0 {
		t.Fatalf("break %+v %v, want RH -> none with an ack", n, err)
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("the local open went ahead before the client acknowledged the break")
	default:
	}
	var key [16]byte
	key[0] = 1
	ack := smb2.LeaseBreakAck{LeaseKey: key}
	a.expectStatus("ack", smb2.OplockBreak, ack.Append(nil), nil, smb2.StatusSuccess)
	select {
	case at := <-done:
		t.Logf("local open waited %v for the client", at.Sub(start).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("local open still blocked 5 s after the acknowledgment")
	}

	// The file is open for writing elsewhere: no lease, no caching.
	w, err := os.OpenFile(filepath.Join(ts.Dir, "g"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, st := kernelLeaseOpen(t, a, "g", readOnly, 2, cacheR|cacheH); st != 0 {
		t.Errorf("file open for writing locally: granted %#x, want none", st)
	}
	w.Close()
	if _, st := kernelLeaseOpen(t, a, "g", readOnly, 3, cacheR|cacheH); st != cacheR|cacheH {
		t.Errorf("after the local writer closed: granted %#x, want RH", st)
	}
	// Write access: no caching.
	if _, st := kernelLeaseOpen(t, a, "h", readOnly|fileWriteData, 4, cacheR|cacheH); st != 0 {
		t.Errorf("open with write access: granted %#x, want none", st)
	}
	// Another client opening k for writing: the server releases A's kernel
	// lease and breaks A's caching instead of waiting for itself.
	if _, st := kernelLeaseOpen(t, a, "k", readOnly, 5, cacheR|cacheH); st != cacheR|cacheH {
		t.Fatalf("k: granted %#x", st)
	}
	b := rawClient(t, ts.Addr, 2)
	t0 := time.Now()
	if id, st := b.create("k", rawDispOpen); st != smb2.StatusSuccess {
		t.Fatalf("writer open of k: %v", st)
	} else if took := time.Since(t0); took > 2*time.Second {
		t.Errorf("writer open of k took %v: the server waited for its own lease", took)
	} else {
		b.expectStatus("write k", smb2.Write, rawWrite(id, 0, []byte("new!")), nil, smb2.StatusSuccess)
	}
	if n, err := smb2.DecodeLeaseBreakNotification(append(make([]byte, smb2.HeaderSize), a.expectMsg("break of k", isBreak).body...)); err != nil || n.NewLeaseState != 0 {
		t.Errorf("break of k %+v %v, want to none", n, err)
	}
}

// TestKernelLeasesOplock: with kernel leases a batch oplock becomes level
// II, and a local writer breaks it to none before it proceeds.
func TestKernelLeasesOplock(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, KernelLeases: true})
	if err := os.WriteFile(filepath.Join(ts.Dir, "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := rawClient(t, ts.Addr, 1)
	r := decodeCreated(t, a.call(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll,
		access: fileReadData, oplock: smb2.OplockLevelBatch}), nil))
	if r.status != smb2.StatusSuccess || r.oplock != smb2.OplockLevelII {
		t.Fatalf("batch asked with kernel leases: %v oplock %#x, want level II", r.status, r.oplock)
	}
	done := localOpen(t, filepath.Join(ts.Dir, "f"))
	if brk := a.expectMsg("oplock break", isBreak); brk.body[2] != smb2.OplockLevelNone {
		t.Errorf("break to %#x, want none", brk.body[2])
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("local open still blocked 5 s after a break that needs no acknowledgment")
	}
}
