package server

import (
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// Operational counters. The hot path only does atomic adds into fixed
// arrays (no allocation, no lock); Server.Metrics copies them out for an
// exporter such as package metrics (Prometheus). Gauges (connections,
// sessions, opens, credits) are counted when Metrics is called instead of
// being maintained on every request.

// LatencyBuckets are the upper bounds of the per-command latency histogram
// buckets; a last, implicit bucket holds everything slower.
var LatencyBuckets = [...]time.Duration{
	50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// NumCommands is the number of SMB2 command codes (NEGOTIATE through
// OPLOCK_BREAK); CommandMetrics arrays are indexed by smb2.Command.
const NumCommands = int(smb2.OplockBreak) + 1

// statusSlots bounds the distinct NTSTATUS codes counted one by one;
// further codes are counted together under StatusOther.
const statusSlots = 128

// StatusOther is the code under which Metrics reports the responses whose
// status did not fit in the per-code table.
const StatusOther smb2.Status = 0xFFFFFFFE

// CommandMetrics are the counters of one SMB2 command.
type CommandMetrics struct {
	Requests uint64 // requests handled
	// Buckets[i] counts requests answered within LatencyBuckets[i] (and
	// above the previous bound); the last element counts the slower ones.
	// Not cumulative.
	Buckets [len(LatencyBuckets) + 1]uint64
	// LatencySum is the total time from the request being taken off the
	// socket to its (first, for async operations the interim) response
	// being queued.
	LatencySum time.Duration
}

// StatusCount is how many responses carried one NTSTATUS code.
type StatusCount struct {
	Status smb2.Status
	Count  uint64
}

// Metrics is a snapshot of the server's counters and gauges.
type Metrics struct {
	// Gauges, counted at the time of the snapshot.
	Connections  int // open connections
	Sessions     int // established sessions
	TreeConnects int
	Opens        int // open handles (files, directories, pipes)
	Locks        int // granted byte-range locks
	// DurableOpens counts the durable and resilient opens, connected or
	// not; DisconnectedOpens those of them waiting for their client to
	// reconnect.
	DurableOpens      int
	DisconnectedOpens int
	// Credits is the number of credits granted to clients and not yet
	// used, summed over the connections (requests they may still send).
	Credits int
	// AsyncOps is the number of requests pending asynchronously (blocking
	// locks, change notifications, pipe reads).
	AsyncOps int

	// Counters since the server was created.
	ConnectionsAccepted uint64
	ConnectionsRefused  uint64 // over MaxConnections
	SessionsEstablished uint64 // successful logons, guest and anonymous included
	LogonFailures       uint64
	// DurableReclaims counts disconnected durable and resilient opens
	// reclaimed by a client on a new connection (DHnC, DH2C).
	DurableReclaims uint64
	Data            DataStats
	Commands        [NumCommands]CommandMetrics
	// Errors counts responses by NTSTATUS, for every status of warning or
	// error severity (0x8... and 0xC...) except
	// STATUS_MORE_PROCESSING_REQUIRED; STATUS_PENDING and success are not
	// counted. Unordered.
	Errors []StatusCount
}

// opCounters are the atomic counters behind Metrics.
type opCounters struct {
	accepted, refused, sessions, logonFailures atomic.Uint64
	cmd                                        [NumCommands]cmdCounters
	status                                     statusTable
}

type cmdCounters struct {
	requests atomic.Uint64
	sumNanos atomic.Uint64
	buckets  [len(LatencyBuckets) + 1]atomic.Uint64
}

// observe records one handled request: its command, the status of its
// (first) response, and how long it took since start. It allocates
// nothing; see BenchmarkObserveRequest.
func (o *opCounters) observe(cmd smb2.Command, st smb2.Status, start time.Time) {
	if int(cmd) >= NumCommands {
		return
	}
	d := time.Since(start)
	c := &o.cmd[cmd]
	c.requests.Add(1)
	c.sumNanos.Add(uint64(max(d, 0)))
	i := 0
	for i < len(LatencyBuckets) && d > LatencyBuckets[i] {
		i++
	}
	c.buckets[i].Add(1)
	o.countStatus(st)
}

// countStatus counts st if it has warning or error severity, except
// STATUS_MORE_PROCESSING_REQUIRED (every NTLM logon's first leg).
func (o *opCounters) countStatus(st smb2.Status) {
	if st>>30 >= 2 && st != smb2.StatusMoreProcessingRequired {
		o.status.add(st)
	}
}

// statusTable counts responses by NTSTATUS in a fixed open-addressing
// table: a code claims a slot once with a CAS and is counted there with
// atomic adds afterwards.
type statusTable struct {
	code  [statusSlots]atomic.Uint32 // 0: free
	count [statusSlots]atomic.Uint64
	other atomic.Uint64
}

func (t *statusTable) add(st smb2.Status) {
	h := (uint32(st) * 0x9E3779B1) >> 25 // 7 bits: statusSlots = 128
	for n := 0; n < statusSlots; n++ {
		i := (h + uint32(n)) % statusSlots
		switch c := t.code[i].Load(); {
		case c == uint32(st):
			t.count[i].Add(1)
			return
		case c == 0:
			if t.code[i].CompareAndSwap(0, uint32(st)) || t.code[i].Load() == uint32(st) {
				t.count[i].Add(1)
				return
			}
		}
	}
	t.other.Add(1)
}

func (t *statusTable) snapshot() []StatusCount {
	var out []StatusCount
	for i := range t.code {
		if c := t.code[i].Load(); c != 0 {
			if n := t.count[i].Load(); n > 0 {
				out = append(out, StatusCount{Status: smb2.Status(c), Count: n})
			}
		}
	}
	if n := t.other.Load(); n > 0 {
		out = append(out, StatusCount{Status: StatusOther, Count: n})
	}
	return out
}

// Metrics returns a snapshot of the server's counters, and of its gauges
// counted now. It takes each connection's locks briefly; call it at
// scrape intervals, not per request.
func (s *Server) Metrics() Metrics {
	o := &s.ops
	m := Metrics{
		ConnectionsAccepted: o.accepted.Load(),
		ConnectionsRefused:  o.refused.Load(),
		SessionsEstablished: o.sessions.Load(),
		LogonFailures:       o.logonFailures.Load(),
		Data:                s.DataStats(),
		Errors:              o.status.snapshot(),
	}
	for i := range o.cmd {
		c, d := &o.cmd[i], &m.Commands[i]
		d.Requests = c.requests.Load()
		d.LatencySum = time.Duration(c.sumNanos.Load())
		for j := range c.buckets {
			d.Buckets[j] = c.buckets[j].Load()
		}
	}
	for _, c := range s.connList() {
		m.Connections++
		m.Credits += c.credits.outstanding()
		c.mu.Lock()
		sessions := make([]*session, 0, len(c.sessions))
		for _, ss := range c.sessions {
			sessions = append(sessions, ss)
		}
		m.Opens += len(c.opens)
		m.AsyncOps += len(c.async)
		c.mu.Unlock()
		for _, ss := range sessions {
			if ss.info.Load() == nil {
				continue
			}
			m.Sessions++
			ss.mu.Lock()
			m.TreeConnects += len(ss.trees)
			ss.mu.Unlock()
		}
	}
	m.Locks = s.state.lockCount()
	ds := s.state.durableStats()
	m.DurableOpens, m.DisconnectedOpens, m.DurableReclaims = ds.opens, ds.disconnected, ds.reclaims
	return m
}

// connList returns the open connections.
func (s *Server) connList() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// lockCount counts the granted byte-range locks of every node.
func (t *nodeTable) lockCount() int {
	t.mu.Lock()
	nodes := slices.Collect(maps.Values(t.m))
	t.mu.Unlock()
	total := 0
	for _, n := range nodes {
		n.mu.Lock()
		total += len(n.locks)
		n.mu.Unlock()
	}
	return total
}
