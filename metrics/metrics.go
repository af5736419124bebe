// Package metrics exports a zerosmb server's counters to Prometheus.
//
// It uses github.com/prometheus/client_golang, the Prometheus project's
// own Go client. The server package stays free of it: Collector reads
// server.Server.Metrics (a snapshot of atomic counters) at each scrape,
// so the request path pays only a few atomic adds and nothing here runs
// unless Prometheus asks.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zerosmb/zerosmb/server"
	"github.com/zerosmb/zerosmb/smb2"
)

// Source is what Collector reads; *server.Server implements it.
type Source interface {
	Metrics() server.Metrics
}

// Collector is a prometheus.Collector over a Source.
type Collector struct {
	src Source

	connections, sessions, trees, opens, locks, credits, async *prometheus.Desc
	durable, disconnected, reclaims                            *prometheus.Desc
	accepted, refused, established, logonFailures              *prometheus.Desc
	readBytes, writeBytes                                      *prometheus.Desc
	requests, latency, errors                                  *prometheus.Desc
}

// NewCollector returns a collector for src.
func NewCollector(src Source) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("zerosmb_"+name, help, labels, nil)
	}
	return &Collector{
		src:           src,
		connections:   d("connections", "Open client connections."),
		sessions:      d("sessions", "Established SMB sessions."),
		trees:         d("tree_connects", "Tree connects (share connections)."),
		opens:         d("open_files", "Open handles (files, directories, named pipes)."),
		locks:         d("byte_range_locks", "Granted byte-range locks."),
		credits:       d("credits_outstanding", "Credits granted to clients and not yet used."),
		durable:       d("durable_opens", "Durable and resilient opens, connected or not."),
		disconnected:  d("disconnected_opens", "Durable and resilient opens waiting for their client to reconnect."),
		reclaims:      d("durable_reclaims_total", "Disconnected durable and resilient opens reclaimed by their client on a new connection."),
		async:         d("async_requests", "Requests pending asynchronously (blocking locks, change notifications, pipe reads)."),
		accepted:      d("connections_accepted_total", "Connections accepted."),
		refused:       d("connections_refused_total", "Connections refused because MaxConnections was reached."),
		established:   d("sessions_established_total", "Successful logons, guest and anonymous included."),
		logonFailures: d("logon_failures_total", "Failed logons (wrong password, unknown user, refused mechanism)."),
		readBytes: d("read_bytes_total", "READ payload bytes sent, by path: sendfile (zero-copy), copy (unsigned, through memory), "+
			"signed, sealed (encrypted). signed may overlap sendfile with --signed-sendfile.", "path"),
		writeBytes: d("write_bytes_total", "WRITE payload bytes written, by path: splice (header splitting), copy (unsigned, through memory), "+
			"signed, sealed (encrypted).", "path"),
		requests: d("requests_total", "SMB2 requests handled, by command.", "command"),
		latency:  d("request_duration_seconds", "Time from a request leaving the socket to its response (the interim one for async requests) being queued, by command.", "command"),
		errors:   d("errors_total", "Responses with an NTSTATUS of warning or error severity, by status (STATUS_MORE_PROCESSING_REQUIRED excluded).", "status"),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.connections, c.sessions, c.trees, c.opens, c.locks, c.credits, c.async,
		c.durable, c.disconnected, c.reclaims, c.accepted, c.refused, c.established, c.logonFailures, c.readBytes, c.writeBytes, c.requests, c.latency, c.errors} {
		ch <- d
	}
}

// bucketBounds are server.LatencyBuckets in seconds.
var bucketBounds = func() []float64 {
	b := make([]float64, len(server.LatencyBuckets))
	for i, d := range server.LatencyBuckets {
		b[i] = d.Seconds()
	}
	return b
}()

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	m := c.src.Metrics()
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.connections, m.Connections)
	gauge(c.sessions, m.Sessions)
	gauge(c.trees, m.TreeConnects)
	gauge(c.opens, m.Opens)
	gauge(c.locks, m.Locks)
	gauge(c.credits, m.Credits)
	gauge(c.async, m.AsyncOps)
	gauge(c.durable, m.DurableOpens)
	gauge(c.disconnected, m.DisconnectedOpens)
	counter(c.reclaims, m.DurableReclaims)
	counter(c.accepted, m.ConnectionsAccepted)
	counter(c.refused, m.ConnectionsRefused)
	counter(c.established, m.SessionsEstablished)
	counter(c.logonFailures, m.LogonFailures)
	d := m.Data
	counter(c.readBytes, d.ReadSendfileBytes, "sendfile")
	counter(c.readBytes, d.ReadBytes-min(d.ReadBytes, d.ReadSendfileBytes+d.ReadSealedBytes+d.ReadSignedBytes), "copy")
	counter(c.readBytes, d.ReadSignedBytes, "signed")
	counter(c.readBytes, d.ReadSealedBytes, "sealed")
	counter(c.writeBytes, d.WriteSplitBytes, "splice")
	counter(c.writeBytes, d.WriteBytes-min(d.WriteBytes, d.WriteSplitBytes+d.WriteSealedBytes+d.WriteSignedBytes), "copy")
	counter(c.writeBytes, d.WriteSignedBytes, "signed")
	counter(c.writeBytes, d.WriteSealedBytes, "sealed")
	for i := range m.Commands {
		cm := &m.Commands[i]
		name := smb2.Command(i).String()
		counter(c.requests, cm.Requests, name)
		buckets := make(map[float64]uint64, len(bucketBounds))
		var cum uint64
		for j, ub := range bucketBounds {
			cum += cm.Buckets[j]
			buckets[ub] = cum
		}
		cum += cm.Buckets[len(bucketBounds)] // slower than the last bound
		ch <- prometheus.MustNewConstHistogram(c.latency, cum, cm.LatencySum.Seconds(), buckets, name)
	}
	for _, e := range m.Errors {
		name := e.Status.String()
		if e.Status == server.StatusOther {
			name = "other"
		}
		counter(c.errors, e.Count, name)
	}
}

// Handler returns an http.Handler serving src's metrics in the Prometheus
// exposition format, with the Go runtime and process collectors beside
// them.
func Handler(src Source) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(src),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
