//go:build linux

package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Stat summarises the runs of one case against one server.
type Stat struct {
	Case   Case
	Server string
	N      int
	// CPU is server CPU seconds per GiB moved: median, min, max.
	CPU, CPUMin, CPUMax float64
	// Rate is GiB/s: median, min, max.
	Rate, RateMin, RateMax float64
	// Client is the load client's CPU seconds per GiB (median).
	Client float64
	// ZeroCopy is the share of the server's payload bytes (over all
	// repetitions) that went by sendfile (READ) or splice (WRITE), from
	// its DataStats counters; -1 when the server has none.
	ZeroCopy float64
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Summarize groups results by case and server, in case then AllServers
// order.
func Summarize(rs []Result) []Stat {
	type key struct {
		c Case
		s string
	}
	groups := map[key][]Result{}
	var order []Case
	for _, r := range rs {
		k := key{r.Case, r.Server}
		if _, ok := groups[k]; !ok && !slices.Contains(order, r.Case) {
			order = append(order, r.Case)
		}
		groups[k] = append(groups[k], r)
	}
	var out []Stat
	for _, c := range order {
		for _, s := range reportOrder() {
			g := groups[key{c, s}]
			if len(g) == 0 {
				continue
			}
			var cpu, rate, cl []float64
			var zc, payload int64
			counted := true
			for _, r := range g {
				cpu = append(cpu, perGiB(r.ServerCPU, r.Bytes))
				rate = append(rate, gibPerSec(r))
				cl = append(cl, perGiB(r.ClientCPU, r.Bytes))
				counted = counted && r.Payload >= 0
				zc, payload = zc+r.ZeroCopy, payload+r.Payload
			}
			share := -1.0
			if counted && payload > 0 {
				share = float64(zc) / float64(payload)
			}
			out = append(out, Stat{Case: c, Server: s, N: len(g),
				CPU: median(cpu), CPUMin: slices.Min(cpu), CPUMax: slices.Max(cpu),
				Rate: median(rate), RateMin: slices.Min(rate), RateMax: slices.Max(rate),
				Client: median(cl), ZeroCopy: share})
		}
	}
	return out
}

// find returns the stat for (c, server).
func find(st []Stat, c Case, server string) (Stat, bool) {
	for _, s := range st {
		if s.Case == c && s.Server == server {
			return s, true
		}
	}
	return Stat{}, false
}

// floorFor returns the zero-copy floor for c: the floor measured in the
// same case (the 3.1.1 rows run it), else that of the unsigned case of
// the same shape (the 3.0.2 CMAC rows).
func floorFor(st []Stat, c Case) (Stat, bool) {
	if s, ok := find(st, c, ServerFloorZC); ok {
		return s, true
	}
	c.Prot = Unprotected
	return find(st, c, ServerFloorZC)
}

func ratio(a, b float64) string {
	if b <= 0 || a <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// WriteMarkdown renders the summary as one Markdown table per case group.
func WriteMarkdown(w io.Writer, st []Stat) error {
	var b strings.Builder
	b.WriteString("Server CPU = utime+stime of the server's process tree during the data phase, per GiB moved; " +
		"median (min–max) over the repetitions. Ratios compare medians: `/samba-sf` to Samba with sendfile/recvfile, " +
		"`/floor` to the sendfile (READ) or splice (WRITE) floor. Client = the load client's own CPU per GiB. " +
		"Zero-copy = the share of zerosmb's payload bytes its DataStats counters saw go by sendfile (READ) or splice (WRITE).\n\n")
	b.WriteString("| case | server | n | server CPU s/GiB | /samba-sf | /floor | GiB/s | client CPU s/GiB | zero-copy |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	var last Case
	for i, s := range st {
		name := ""
		if i == 0 || s.Case != last {
			name = "**" + s.Case.Name() + "**"
		}
		last = s.Case
		ref, _ := find(st, s.Case, ServerSambaSendfile)
		fl, _ := floorFor(st, s.Case)
		zc := "–"
		if s.ZeroCopy >= 0 {
			zc = fmt.Sprintf("%.0f %%", 100*s.ZeroCopy)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %.3f (%.3f–%.3f) | %s | %s | %.2f (%.2f–%.2f) | %.3f | %s |\n",
			name, s.Server, s.N, s.CPU, s.CPUMin, s.CPUMax, ratio(s.CPU, ref.CPU), ratio(s.CPU, fl.CPU),
			s.Rate, s.RateMin, s.RateMax, s.Client, zc)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes one row per run.
func WriteCSV(w io.Writer, rs []Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"case", "direction", "io_bytes", "protection", "clients", "server", "rep",
		"bytes", "wall_s", "server_cpu_s", "client_cpu_s"})
	for _, r := range rs {
		dir := "read"
		if r.Case.Write {
			dir = "write"
		}
		cw.Write([]string{r.Case.Name(), dir, strconv.Itoa(r.Case.IO), r.Case.Prot.String(),
			strconv.Itoa(r.Case.Clients), r.Server, strconv.Itoa(r.Rep), strconv.FormatInt(r.Bytes, 10),
			fmt.Sprintf("%.6f", r.Wall.Seconds()), fmt.Sprintf("%.3f", r.ServerCPU.Seconds()),
			fmt.Sprintf("%.6f", r.ClientCPU.Seconds())})
	}
	cw.Flush()
	return cw.Error()
}
