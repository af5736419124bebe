package server

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// cachingClient is a raw SMB 3.0.2 client that caches file data the way
// a lease lets it (MS-SMB2 3.2.5.7, 3.2.5.19.2): data read while the
// lease grants read caching (R) is served from memory on later reads,
// through any handle with the same lease key, until a lease break takes
// R away. A handle is kept open under H (deferred close), as Windows and
// cifs.ko do, so a later open by the application joins the same lease.
// It counts the READ requests it sends.
type cachingClient struct {
	c     *rawConn
	t     *testing.T
	key   [16]byte
	state uint32 // lease state the server last granted or broke to
	epoch uint16
	cache []byte // file contents; valid while state&cacheR != 0
	reads int    // READ requests sent
}

func newCachingClient(t *testing.T, addr string, guid, key byte) *cachingClient {
	c := dialRaw(t, addr)
	neg := rawNegotiate(smb2.Dialect302)
	neg[12] = guid
	c.negotiate(neg)
	c.anonLogon()
	c.treeConnect("share")
	cc := &cachingClient{c: c, t: t}
	cc.key[0] = key
	return cc
}

// call sends one request and returns its response, handling the lease
// break notifications that arrive before it.
func (cc *cachingClient) call(cmd smb2.Command, body []byte) rawResp {
	cc.t.Helper()
	return cc.wait(cmd, cc.send(cmd, body))
}

// send sends one request and returns its MessageId.
func (cc *cachingClient) send(cmd smb2.Command, body []byte) uint64 {
	mid := cc.c.mid
	cc.c.write(rawFrame(cc.c.msg(cmd, body, nil)))
	return mid
}

// wait returns the final response to request mid, handling the lease
// break notifications that arrive before it.
func (cc *cachingClient) wait(cmd smb2.Command, mid uint64) rawResp {
	cc.t.Helper()
	for {
		r, err := cc.c.rawMsg(5 * time.Second)
		if err != nil {
			cc.t.Fatalf("%v: %v", cmd, err)
		}
		switch {
		case isBreak(r):
			cc.onBreak(r)
		case r.hdr.MessageID == mid && r.hdr.Status != smb2.StatusPending:
			return r
		}
	}
}

// onBreak applies a lease break: the cache goes when R does; a break
// that asks for it is acknowledged.
func (cc *cachingClient) onBreak(r rawResp) {
	cc.t.Helper()
	n, err := smb2.DecodeLeaseBreakNotification(append(make([]byte, smb2.HeaderSize), r.body...))
	if err != nil || n.LeaseKey != cc.key {
		cc.t.Fatalf("unexpected break %+v %v", n, err)
	}
	cc.state, cc.epoch = n.NewLeaseState, n.NewEpoch
	if cc.state&cacheR == 0 {
		cc.cache = nil
	}
	if n.Flags&smb2.LeaseBreakFlagAckRequired != 0 {
		a := smb2.LeaseBreakAck{LeaseKey: cc.key, LeaseState: n.NewLeaseState}
		if r := cc.call(smb2.OplockBreak, a.Append(nil)); r.hdr.Status != smb2.StatusSuccess {
			cc.t.Fatalf("lease break ack: %v", r.hdr.Status)
		}
	}
}

// pollBreaks handles any break notification that arrives within d.
func (cc *cachingClient) pollBreaks(d time.Duration) {
	cc.t.Helper()
	for {
		r, err := cc.c.rawMsg(d)
		if err != nil {
			return // nothing more within d
		}
		if !isBreak(r) {
			cc.t.Fatalf("unexpected %v response", r.hdr.Command)
		}
		cc.onBreak(r)
	}
}

// open opens name asking for state under the client's lease key.
func (cc *cachingClient) open(name string, state uint32) smb2.FileID {
	cc.t.Helper()
	l := smb2.LeaseRequest{LeaseKey: cc.key, LeaseState: state, V2: true, Epoch: cc.epoch}
	r := decodeCreated(cc.t, cc.call(smb2.Create, rawCreateCtx(rawCreateReq{name: name, disposition: rawDispOpen, share: shareAll,
		access: fileReadData | smb2.FileReadAttributes, oplock: smb2.OplockLevelLease,
		ctxs: []smb2.CreateContext{{Name: smb2.CreateContextRequestLease, Data: l.AppendLease(nil)}}})))
	if r.status != smb2.StatusSuccess {
		cc.t.Fatalf("open %s: %v", name, r.status)
	}
	cc.state = 0
	if b, ok := r.context(smb2.CreateContextRequestLease); ok && r.oplock == smb2.OplockLevelLease {
		g, err := smb2.DecodeLeaseRequest(b)
		if err != nil || g.LeaseKey != cc.key {
			cc.t.Fatalf("lease response %+v %v", g, err)
		}
		if cc.cache != nil && g.Epoch != cc.epoch {
			cc.cache = nil // the lease changed since the data was cached
		}
		cc.state, cc.epoch = g.LeaseState, g.Epoch
	}
	if cc.state&cacheR == 0 {
		cc.cache = nil
	}
	return r.id
}

// readAll returns the file's size bytes: from the cache when the lease
// allows it, else with 64 KiB READs (cached when the lease grants R).
func (cc *cachingClient) readAll(id smb2.FileID, size int) []byte {
	cc.t.Helper()
	if cc.cache != nil && cc.state&cacheR != 0 {
		return cc.cache
	}
	var out []byte
	for off := 0; off < size; off += 64 << 10 {
		r := cc.call(smb2.Read, rawRead(id, uint64(off), 64<<10))
		cc.reads++
		if r.hdr.Status != smb2.StatusSuccess || len(r.body) < 16 {
			cc.t.Fatalf("READ at %d: %v", off, r.hdr.Status)
		}
		start, n := int(r.body[2])-smb2.HeaderSize, int(le.Uint32(r.body[4:]))
		out = append(out, r.body[start:start+n]...)
	}
	if cc.state&cacheR != 0 {
		cc.cache = out
	}
	return out
}

// settledStats returns the server's DataStats once they stop changing: a
// READ's bytes are counted just after its response is sent.
func settledStats(ts *testServer) DataStats {
	prev := ts.Srv.DataStats()
	for range 100 {
		time.Sleep(20 * time.Millisecond)
		cur := ts.Srv.DataStats()
		if cur == prev {
			return cur
		}
		prev = cur
	}
	return prev
}

// TestLeaseCachedReread: a client holding an RH (or RWH) lease re-opens a
// file and re-reads it without a single READ reaching the server, as the
// server's DataStats show; a write by another client breaks the lease and
// the next re-read fetches the new bytes. The same workload without a
// lease moves the file every time.
//
// Benchmark row (docs/benchmarks.md):
//
//	go test ./server -run TestLeaseCachedReread -v -count=1
func TestLeaseCachedReread(t *testing.T) {
	const size, rereads = 1 << 20, 20
	for _, tc := range []struct {
		name  string
		state uint32
	}{{"RH", cacheR | cacheH}, {"RWH", cacheR | cacheW | cacheH}, {"none", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, testOpts{Guest: true, Sendfile: true})
			data := make([]byte, size)
			rand.Read(data)
			if err := os.WriteFile(filepath.Join(ts.Dir, "f"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			a := newCachingClient(t, ts.Addr, 1, 9)
			before := settledStats(ts)
			kept := a.open("f", tc.state) // kept open under H: a deferred close
			if a.state != tc.state {
				t.Fatalf("lease granted %#x, want %#x", a.state, tc.state)
			}
			if got := a.readAll(kept, size); !bytes.Equal(got, data) {
				t.Fatal("first read: wrong data")
			}
			first, firstReads := settledStats(ts), a.reads
			for range rereads {
				id := a.open("f", tc.state)
				if got := a.readAll(id, size); !bytes.Equal(got, data) {
					t.Fatal("re-read: wrong data")
				}
				if r := a.call(smb2.Close, rawClose(id)); r.hdr.Status != smb2.StatusSuccess {
					t.Fatalf("close: %v", r.hdr.Status)
				}
			}
			after := settledStats(ts)
			firstBytes, rereadBytes := first.ReadBytes-before.ReadBytes, after.ReadBytes-first.ReadBytes
			t.Logf("lease %s: first read %d READs, %d bytes (sendfile %d); %d re-opens + re-reads: %d READs, %d bytes",
				tc.name, firstReads, firstBytes, first.ReadSendfileBytes-before.ReadSendfileBytes, rereads,
				a.reads-firstReads, rereadBytes)
			if firstBytes != size || first.ReadSendfileBytes-before.ReadSendfileBytes != size {
				t.Errorf("first read moved %d bytes (%d by sendfile), want %d", firstBytes, first.ReadSendfileBytes-before.ReadSendfileBytes, size)
			}
			if tc.state == 0 {
				if rereadBytes != rereads*size {
					t.Errorf("without a lease the re-reads moved %d bytes, want %d", rereadBytes, rereads*size)
				}
				return
			}
			if rereadBytes != 0 || a.reads != firstReads {
				t.Errorf("re-reads under the %s lease moved %d bytes in %d READs, want none", tc.name, rereadBytes, a.reads-firstReads)
			}

			// Another client writes: A's lease loses R, and the next
			// re-read goes to the server and sees the new bytes.
			b := newCachingClient(t, ts.Addr, 2, 10)
			mid := b.send(smb2.Create, rawCreateCtx(rawCreateReq{name: "f", disposition: rawDispOpen, share: shareAll,
				access: fileWriteData}))
			a.pollBreaks(300 * time.Millisecond) // RWH: W is broken first, and B's open waits for the ack
			wr := decodeCreated(t, b.wait(smb2.Create, mid))
			if wr.status != smb2.StatusSuccess {
				t.Fatalf("writer open: %v", wr.status)
			}
			if r := b.call(smb2.Write, rawWrite(wr.id, 0, []byte("new bytes"))); r.hdr.Status != smb2.StatusSuccess {
				t.Fatalf("write: %v", r.hdr.Status)
			}
			a.pollBreaks(time.Second)
			if a.state&cacheR != 0 {
				t.Fatalf("A still holds R (%#x) after another client's write", a.state)
			}
			copy(data, "new bytes")
			broken := settledStats(ts)
			id := a.open("f", tc.state)
			if got := a.readAll(id, size); !bytes.Equal(got, data) {
				t.Fatal("read after the break: stale data")
			}
			if n := settledStats(ts).ReadBytes - broken.ReadBytes; n != size {
				t.Errorf("read after the break moved %d bytes, want %d", n, size)
			}
		})
	}
}
