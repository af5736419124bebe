package server

import (
	"bytes"
	"net"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/smb2"
)

// TestMetrics drives a real server with go-smb2 (a user session, a failed
// logon, a missing file) and checks the snapshot counts exactly what
// happened.
func TestMetrics(t *testing.T) {
	ts := startServer(t, testOpts{Sendfile: true, RecvfileMin: 64 << 10})
	fs := dialGo(t, ts)
	data := bytes.Repeat([]byte("m"), 200<<10)
	if err := fs.WriteFile("a.bin", data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile("a.bin")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back: %v", err)
	}
	if _, err := fs.Stat("missing.txt"); err == nil {
		t.Fatal("stat of a missing file succeeded")
	}
	// A wrong password is a failed logon.
	nc, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	d := &gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: testUser, Password: "wrong"}}
	if s, err := d.Dial(nc); err == nil {
		s.Logoff()
		t.Fatal("logon with a wrong password succeeded")
	}
	nc.Close()
	f, err := fs.Open("a.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	m := waitConnections(t, ts.Srv, 1)
	if m.Connections != 1 || m.Sessions != 1 || m.TreeConnects != 1 || m.Opens != 1 {
		t.Errorf("gauges: connections %d sessions %d trees %d opens %d, want 1 1 1 1",
			m.Connections, m.Sessions, m.TreeConnects, m.Opens)
	}
	if m.Credits < 1 {
		t.Errorf("credits outstanding %d, want ≥ 1", m.Credits)
	}
	if m.ConnectionsAccepted != 2 || m.SessionsEstablished != 1 || m.LogonFailures != 1 {
		t.Errorf("accepted %d established %d failures %d, want 2 1 1",
			m.ConnectionsAccepted, m.SessionsEstablished, m.LogonFailures)
	}
	if m.Data.WriteBytes != uint64(len(data)) || m.Data.ReadBytes != uint64(len(data)) {
		t.Errorf("data %+v, want %d bytes each way", m.Data, len(data))
	}
	errs := map[smb2.Status]uint64{}
	for _, e := range m.Errors {
		errs[e.Status] = e.Count
	}
	if errs[smb2.StatusObjectNameNotFound] < 1 || errs[smb2.StatusLogonFailure] != 1 {
		t.Errorf("errors %v: want OBJECT_NAME_NOT_FOUND and one LOGON_FAILURE", m.Errors)
	}
	if _, ok := errs[smb2.StatusMoreProcessingRequired]; ok {
		t.Errorf("MORE_PROCESSING_REQUIRED counted as an error")
	}
	for _, cmd := range []smb2.Command{smb2.Negotiate, smb2.SessionSetup, smb2.TreeConnect, smb2.Create, smb2.Read, smb2.Write, smb2.Close} {
		c := m.Commands[cmd]
		var sum uint64
		for _, b := range c.Buckets {
			sum += b
		}
		if c.Requests == 0 || sum != c.Requests || c.LatencySum <= 0 {
			t.Errorf("%v: %d requests, %d in buckets, latency sum %v", cmd, c.Requests, sum, c.LatencySum)
		}
	}
	// 200 KiB in 64 KiB (go-smb2's default) or larger pieces: at least one
	// READ and one WRITE each way, and no more than 4 of each.
	if r, w := m.Commands[smb2.Read].Requests, m.Commands[smb2.Write].Requests; r < 1 || r > 4 || w < 1 || w > 4 {
		t.Errorf("READ %d WRITE %d requests", r, w)
	}
	if m.Commands[smb2.Lock].Requests != 0 {
		t.Errorf("LOCK requests %d, want 0", m.Commands[smb2.Lock].Requests)
	}
}

// TestMetricsSignedSealed checks the signed and sealed byte counters.
func TestMetricsSignedSealed(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    testOpts
	}{{"signed", testOpts{Signing: true, Sendfile: true}}, {"sealed", testOpts{Encrypt: true, Sendfile: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.o)
			fs := dialGo(t, ts)
			data := bytes.Repeat([]byte("s"), 100<<10)
			if err := fs.WriteFile("s.bin", data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := fs.ReadFile("s.bin"); err != nil {
				t.Fatal(err)
			}
			d := ts.Srv.Metrics().Data
			n := uint64(len(data))
			signed, sealed := d.ReadSignedBytes == n && d.WriteSignedBytes == n, d.ReadSealedBytes == n && d.WriteSealedBytes == n
			if tc.name == "signed" && (!signed || d.ReadSealedBytes != 0) || tc.name == "sealed" && (!sealed || d.ReadSignedBytes != 0) {
				t.Errorf("%+v", d)
			}
			if d.ReadSendfileBytes != 0 {
				t.Errorf("sendfile bytes %d on a %s session", d.ReadSendfileBytes, tc.name)
			}
		})
	}
}

// TestStatusTable fills the per-code table past its size.
func TestStatusTable(t *testing.T) {
	var tab statusTable
	for i := range statusSlots + 10 {
		st := smb2.Status(0xC0000000 + uint32(i))
		tab.add(st)
		tab.add(st)
	}
	snap := tab.snapshot()
	var total, other uint64
	for _, e := range snap {
		total += e.Count
		if e.Status == StatusOther {
			other = e.Count
		} else if e.Count != 2 {
			t.Errorf("%v counted %d times, want 2", e.Status, e.Count)
		}
	}
	if total != 2*(statusSlots+10) || other != 20 || len(snap) != statusSlots+1 {
		t.Errorf("total %d other %d entries %d", total, other, len(snap))
	}
}

// BenchmarkObserveRequest measures the per-request metrics hook; it must
// report 0 allocs/op.
func BenchmarkObserveRequest(b *testing.B) {
	var o opCounters
	start := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			st := smb2.StatusSuccess
			if i%8 == 0 {
				st = smb2.StatusObjectNameNotFound
			}
			o.observe(smb2.Read, st, start)
			i++
		}
	})
}

// TestObserveNoAlloc is the allocation check of the benchmark as a test.
func TestObserveNoAlloc(t *testing.T) {
	var o opCounters
	start := time.Now()
	if n := testing.AllocsPerRun(1000, func() {
		o.observe(smb2.Create, smb2.StatusAccessDenied, start)
		o.observe(smb2.Read, smb2.StatusSuccess, start)
	}); n != 0 {
		t.Errorf("%v allocations per request", n)
	}
}

// waitConnections waits up to 5 s for the server to notice closed
// connections and returns the metrics then.
func waitConnections(t *testing.T, srv *Server, n int) Metrics {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := srv.Metrics()
		if m.Connections == n || time.Now().After(deadline) {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
}
