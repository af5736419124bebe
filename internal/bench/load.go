//go:build linux

package bench

import "fmt"

// LoadOptions describe one standalone load run against a running SMB
// server, which may be on another machine (the way to measure on a real
// NIC rather than loopback).
type LoadOptions struct {
	Client    ClientConfig
	File      string // path of the file inside the share; must exist for READ
	Case      Case   // direction, I/O size, protection (overrides Client.Prot), clients
	Size      int64  // bytes moved in total, split evenly between the clients
	Depth     int    // outstanding requests per client (0: by I/O size)
	Reps      int    // runs (at least 1)
	ServerPID int    // when > 0, the local server whose process-tree CPU is measured
}

// Load connects the clients, then moves o.Size bytes o.Reps times and
// returns one Result per run. Server CPU is measured only when ServerPID is
// set (the server must run on this machine).
func Load(o LoadOptions) ([]Result, error) {
	if o.Case.Clients <= 0 || o.Case.IO <= 0 || o.Size <= 0 {
		return nil, fmt.Errorf("bench: load needs clients, I/O size and size > 0")
	}
	o.Client.Prot = o.Case.Prot
	depth := o.Depth
	if depth <= 0 {
		depth = depthFor(o.Case.IO)
	}
	ms := make([]mover, o.Case.Clients)
	defer func() {
		for _, m := range ms {
			if m != nil {
				m.close()
			}
		}
	}()
	for i := range ms {
		cl, err := Dial(o.Client)
		if err != nil {
			return nil, err
		}
		id, err := cl.Open(o.File, o.Case.Write)
		if err != nil {
			cl.Close()
			return nil, err
		}
		ms[i] = &smbMover{c: cl, id: id, write: o.Case.Write, io: o.Case.IO, depth: depth}
	}
	chunk := o.Size / int64(len(ms)) / int64(o.Case.IO) * int64(o.Case.IO)
	if chunk == 0 {
		return nil, fmt.Errorf("bench: size %d too small for %d clients of %d bytes", o.Size, len(ms), o.Case.IO)
	}
	var results []Result
	for rep := range max(o.Reps, 1) {
		r, err := measure(ms, chunk, o.ServerPID)
		r.Case, r.Server, r.Rep = o.Case, o.Client.Addr, rep
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

// FormatLoad renders one line per run: wall time, GiB/s and CPU per GiB.
func FormatLoad(r Result) string {
	s := fmt.Sprintf("%s rep %d: %d bytes in %.3f s, %.2f GiB/s, client CPU %.3f s/GiB",
		r.Case.Name(), r.Rep, r.Bytes, r.Wall.Seconds(), gibPerSec(r), perGiB(r.ClientCPU, r.Bytes))
	if r.ServerCPU > 0 {
		s += fmt.Sprintf(", server CPU %.3f s/GiB", perGiB(r.ServerCPU, r.Bytes))
	}
	return s
}
