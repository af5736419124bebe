package metrics

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/server"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// TestScrape serves real go-smb2 traffic, scrapes the handler and parses
// the exposition with the Prometheus text parser.
func TestScrape(t *testing.T) {
	dir := t.TempDir()
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	db := auth.NewUserDB()
	db.Add("alice", "pw-Metrics1")
	srv, err := server.New(server.Config{
		Shares:   []*server.Share{{Name: "share", FS: fsys, Path: dir, Guest: true}},
		Users:    db,
		Sendfile: true, RecvfileMin: 64 << 10,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(t.Context()) })

	dial := func(user, pass string) (*gosmb2.Session, error) {
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := (&gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: user, Password: pass}}).Dial(nc)
		if err != nil {
			nc.Close()
		}
		return s, err
	}
	for range 2 {
		if _, err := dial("alice", "wrong"); err == nil {
			t.Fatal("wrong password accepted")
		}
	}
	s, err := dial("alice", "pw-Metrics1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Logoff()
	fs, err := s.Mount("share")
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Umount()
	data := bytes.Repeat([]byte{7}, 1<<20)
	if err := fs.WriteFile("big.bin", data, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := fs.ReadFile("big.bin"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fs.Open("nope.txt"); err == nil {
		t.Fatal("opened a missing file")
	}
	// A guest session cannot sign: its READ takes sendfile. It stays
	// connected with the file open.
	gs, err := dial("guest", "")
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Logoff()
	gfs, err := gs.Mount("share")
	if err != nil {
		t.Fatal(err)
	}
	defer gfs.Umount()
	f, err := gfs.Open("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, err := f.Read(make([]byte, len(data))); err != nil || n != len(data) {
		t.Fatalf("guest read %d: %v", n, err)
	}

	// The failed logons' connections are closed: wait for the server to
	// see it.
	for deadline := time.Now().Add(5 * time.Second); srv.Metrics().Connections != 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	// The sendfile byte counter moves when sendfile returns, which can be
	// after the client already has the bytes: wait for it too.
	for deadline := time.Now().Add(5 * time.Second); srv.DataStats().ReadSendfileBytes < uint64(len(data)) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	hs := httptest.NewServer(Handler(srv))
	defer hs.Close()
	resp, err := http.Get(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	value := func(name string, labels ...string) float64 {
		t.Helper()
		mf := fams[name]
		if mf == nil {
			t.Fatalf("metric %s missing", name)
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				if labelValue(m, labels[i]) != labels[i+1] {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		t.Fatalf("metric %s%v missing", name, labels)
		return 0
	}
	mb := float64(len(data))
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"zerosmb_connections", nil, 2},
		{"zerosmb_sessions", nil, 2},
		{"zerosmb_tree_connects", nil, 2},
		{"zerosmb_open_files", nil, 1},
		{"zerosmb_connections_accepted_total", nil, 4},
		{"zerosmb_logon_failures_total", nil, 2},
		{"zerosmb_durable_opens", nil, 0}, // go-smb2 asks for no durable handle
		{"zerosmb_disconnected_opens", nil, 0},
		{"zerosmb_durable_reclaims_total", nil, 0},
		{"zerosmb_sessions_established_total", nil, 2},
		{"zerosmb_errors_total", []string{"status", "STATUS_LOGON_FAILURE"}, 2},
		{"zerosmb_errors_total", []string{"status", "STATUS_OBJECT_NAME_NOT_FOUND"}, 1},
		// alice's session is signed (go-smb2 signs), the guest's is not.
		{"zerosmb_read_bytes_total", []string{"path", "signed"}, 3 * mb},
		{"zerosmb_read_bytes_total", []string{"path", "sendfile"}, mb},
		{"zerosmb_read_bytes_total", []string{"path", "copy"}, 0},
		{"zerosmb_write_bytes_total", []string{"path", "signed"}, mb},
		{"zerosmb_write_bytes_total", []string{"path", "splice"}, 0},
		{"zerosmb_write_bytes_total", []string{"path", "sealed"}, 0},
	} {
		if got := value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// 1 MiB read three times in go-smb2's pieces: READ requests and their
	// histogram agree, and no command saw requests it was not sent.
	reads := value("zerosmb_requests_total", "command", "READ")
	if reads < 4 || value("zerosmb_request_duration_seconds", "command", "READ") != reads {
		t.Errorf("READ requests %v, histogram count %v", reads, value("zerosmb_request_duration_seconds", "command", "READ"))
	}
	if n := value("zerosmb_requests_total", "command", "LOCK"); n != 0 {
		t.Errorf("LOCK requests %v", n)
	}
	if value("zerosmb_credits_outstanding") < 1 {
		t.Errorf("no credits outstanding")
	}
	h := fams["zerosmb_request_duration_seconds"]
	if h.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("latency type %v", h.GetType())
	}
	for _, m := range h.GetMetric() {
		hist := m.GetHistogram()
		if labelValue(m, "command") == "CREATE" && (hist.GetSampleSum() <= 0 || hist.GetSampleSum() > float64(time.Minute/time.Second)) {
			t.Errorf("CREATE latency sum %v s", hist.GetSampleSum())
		}
		var prev uint64
		for _, b := range hist.GetBucket() {
			if b.GetCumulativeCount() < prev || b.GetCumulativeCount() > hist.GetSampleCount() {
				t.Errorf("%s: buckets not cumulative", labelValue(m, "command"))
			}
			prev = b.GetCumulativeCount()
		}
	}
	if fams["go_goroutines"] == nil {
		t.Error("Go runtime metrics missing")
	}
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
