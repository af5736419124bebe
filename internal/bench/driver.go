//go:build linux

package bench

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configure a benchmark run.
type Options struct {
	Size    int64    // bytes moved per run (and size of the test file)
	Reps    int      // runs per case and server
	Cases   []string // substrings of case names to keep (empty: all)
	Servers []string // server names to keep (empty: all)
	Quick   bool     // the key cases only
	Depth   int      // outstanding requests per client (0: by I/O size)
	Exe     string   // zerosmb binary; default os.Executable
	TmpDir  string   // tmpfs directory for the share; default /dev/shm
	Log     io.Writer
}

// Case is one workload: direction, I/O size, protection (signing or
// sealing), concurrent clients.
type Case struct {
	Write   bool
	IO      int
	Prot    Protection
	Clients int
}

// Name is the case's short name, e.g. "read-1m-unsigned-c8" or
// "write-8m-gcm256-c1".
func (c Case) Name() string {
	dir := "read"
	if c.Write {
		dir = "write"
	}
	return fmt.Sprintf("%s-%s-%s-c%d", dir, sizeName(c.IO), c.Prot, c.Clients)
}

func sizeName(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%dm", n>>20)
	}
	return fmt.Sprintf("%dk", n>>10)
}

// Result is the measurement of one run of one case against one server.
type Result struct {
	Case      Case
	Server    string
	Rep       int
	Bytes     int64
	Wall      time.Duration
	ServerCPU time.Duration
	ClientCPU time.Duration
	// ZeroCopy and Payload are zerosmb's DataStats deltas over the data
	// phase: payload bytes in the case's direction it moved by sendfile
	// (READ) or splice (WRITE), and all of them. Payload is -1 for
	// servers without counters.
	ZeroCopy, Payload int64
}

// AllCases returns the full matrix, or the key cases when quick. The
// SMB 3.1.1 rows (GMAC-signed, AES-128-GCM and AES-256-GCM sealed) come
// at 1 MiB and 8 MiB only, the SMB1 rows (nt1) at 64 KiB and 1 MiB.
func AllCases(quick bool) []Case {
	var cs []Case
	for _, clients := range []int{1, 8} {
		for _, w := range []bool{false, true} {
			for _, p := range Protections {
				for _, io := range []int{64 << 10, 1 << 20, 8 << 20} {
					c := Case{Write: w, IO: io, Prot: p, Clients: clients}
					if (p.Dialect311() && io < 1<<20) || (p == SMB1NT1 && io > 1<<20) || (quick && !isKeyCase(c)) {
						continue
					}
					cs = append(cs, c)
				}
			}
		}
	}
	return cs
}

// isKeyCase reports the cases the targets are stated for.
func isKeyCase(c Case) bool {
	switch {
	case c.Prot == SignCMAC:
		return !c.Write && c.IO == 1<<20
	case c.Prot.Dialect311():
		return c.IO == 1<<20
	case c.Prot == SMB1NT1:
		return c.Clients == 1
	}
	return c.IO != 8<<20 || !c.Write
}

func match(name string, filters []string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if f != "" && strings.Contains(name, f) {
			return true
		}
	}
	return false
}

// Run performs the benchmark and returns every measurement.
func Run(o Options) ([]Result, error) {
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	if o.Reps <= 0 {
		o.Reps = 5
	}
	if o.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		o.Exe = exe
	}
	if o.TmpDir == "" {
		o.TmpDir = "/dev/shm"
	}
	cases, servers := o.selection()
	if len(cases) == 0 || len(servers) == 0 {
		return nil, fmt.Errorf("bench: no cases or servers selected")
	}
	dir, err := os.MkdirTemp(o.TmpDir, "zerosmb-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e := &env{dir: dir, share: filepath.Join(dir, "share"), exe: o.Exe, log: o.Log}
	if err := e.prepare(o.Size); err != nil {
		return nil, err
	}
	targets := map[string]*target{}
	defer func() {
		for _, t := range targets {
			t.stop()
		}
	}()
	for _, s := range servers {
		if strings.HasPrefix(s, "samba") {
			if err := ensureSamba(logf); err != nil {
				return nil, err
			}
		}
		for _, c := range cases {
			inst := instanceName(s, c.Prot)
			if targets[inst] != nil {
				continue
			}
			t, err := e.start(s, instanceProt(s, c.Prot))
			if err != nil {
				return nil, err
			}
			targets[inst] = t
			logf("started %s on %s (pid %d)", inst, t.addr, t.pid())
		}
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)
	var results []Result
	for _, c := range cases {
		for rep := 0; rep < o.Reps; rep++ {
			select {
			case sig := <-stop:
				return results, fmt.Errorf("bench: %v: stopped", sig)
			default:
			}
			for i := range servers {
				s := servers[(i+rep)%len(servers)] // rotate the order each rep
				if isFloor(s) && c.Prot == SignCMAC {
					continue // the floor has no signing; signed rows use the unsigned floor
				}
				if why := sambaRefuses(s, c); why != "" {
					if rep == 0 {
						logf("%-26s %-15s skipped: %s", c.Name(), s, why)
					}
					continue
				}
				r, err := runOnce(e, targets[instanceName(s, c.Prot)], c, o.Size, o.Depth)
				if err != nil {
					return results, fmt.Errorf("%s on %s: %w", c.Name(), s, err)
				}
				r.Rep = rep
				results = append(results, r)
				zc := ""
				if r.Payload >= 0 {
					zc = fmt.Sprintf("  zero-copy %d of %d payload bytes", r.ZeroCopy, r.Payload)
				}
				logf("%-26s %-15s rep %d: %6.3f s  server %.3f s/GiB  client %.3f s/GiB  %.2f GiB/s%s",
					c.Name(), s, rep, r.Wall.Seconds(), perGiB(r.ServerCPU, r.Bytes), perGiB(r.ClientCPU, r.Bytes), gibPerSec(r), zc)
			}
		}
	}
	return results, nil
}

// sambaRefuses says why server cannot run case c at all, or "": smbd
// with its defaults (no "min receivefile size") resets the connection when
// several 1 MiB SMB1 WRITE_ANDX are outstanding (a lone one passes;
// TestSMB1SambaDefaultsLimit), so its write-1m-nt1 row is left out.
func sambaRefuses(server string, c Case) string {
	if server == ServerSamba && c.Prot == SMB1NT1 && c.Write && c.IO > 128<<10 {
		return "smbd's defaults reset the connection on pipelined WRITE_ANDX over 128 KiB"
	}
	return ""
}

// instanceProt is the protection a server instance is configured for: the
// SMB 3.1.1 rows run against instances that require signing (GMAC) or
// encryption with exactly the case's cipher, the SMB1 rows against
// instances with SMB1 enabled; the unsigned and 3.0.2 CMAC rows share one
// instance with the server's defaults (the client requires the signing).
// Floors ignore protection: they are the unsigned floor.
func instanceProt(server string, p Protection) Protection {
	if isFloor(server) || !(p.Dialect311() || p == SMB1NT1) {
		return Unprotected
	}
	return p
}

// instanceName names the running instance of server for protection p.
func instanceName(server string, p Protection) string {
	if p = instanceProt(server, p); p == Unprotected {
		return server
	}
	return server + "@" + p.String()
}

// selection returns the cases and servers the filters keep, in run order.
func (o *Options) selection() (cases []Case, servers []string) {
	for _, c := range AllCases(o.Quick) {
		if match(c.Name(), o.Cases) {
			cases = append(cases, c)
		}
	}
	for _, s := range reportOrder() {
		if (len(o.Servers) == 0 && !slices.Contains(ExtraServers, s)) || contains(o.Servers, s) {
			servers = append(servers, s)
		}
	}
	return cases, servers
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// prepare creates the share with the read file (random-ish data) and a
// write file of the same size, written once in full, so every WRITE
// overwrites initialised tmpfs pages. (Merely fallocated pages made the first
// run that wrote them, always the same server's, about four times dearer.)
func (e *env) prepare(size int64) error {
	if err := os.MkdirAll(e.share, 0o755); err != nil {
		return err
	}
	for _, name := range []string{readName, writeName} {
		if err := writeTestFile(filepath.Join(e.share, name), size); err != nil {
			return err
		}
	}
	return e.setupUsers()
}

// writeTestFile writes size bytes of a fixed pattern to path.
func writeTestFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i*131 + i>>9)
	}
	for off := int64(0); off < size; off += int64(len(buf)) {
		buf[0], buf[1] = byte(off>>20), byte(off>>28)
		if _, err := f.Write(buf[:min(int64(len(buf)), size-off)]); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// depthFor keeps about 32 MiB outstanding per client, 2 to 16 requests.
func depthFor(io int) int { return min(max((32<<20)/io, 2), 16) }

// mover is one connected client of either kind.
type mover interface {
	move(off, n int64) (int64, error)
	close()
}

type smbMover struct {
	c     *Client
	id    FileID
	write bool
	io    int
	depth int
}

func (m *smbMover) move(off, n int64) (int64, error) {
	return m.c.Transfer(m.id, m.write, off, n, m.io, m.depth)
}

func (m *smbMover) close() {
	m.c.CloseFile(m.id)
	m.c.Close()
}

type floorMover struct {
	c     *floorClient
	write bool
	io    int
	depth int
}

func (m *floorMover) move(off, n int64) (int64, error) {
	return m.c.transfer(m.write, off, n, m.io, m.depth)
}
func (m *floorMover) close() { m.c.conn.Close() }

func connect(e *env, t *target, c Case, depth int) (mover, error) {
	if isFloor(t.name) {
		fc, err := dialFloor(t.addr, t.name == ServerFloorStream)
		if err != nil {
			return nil, err
		}
		if depth <= 0 {
			depth = depthFor(c.IO)
		}
		return &floorMover{c: fc, write: c.Write, io: c.IO, depth: depth}, nil
	}
	name := readName
	if c.Write {
		name = writeName
	}
	if depth <= 0 {
		depth = depthFor(c.IO)
	}
	if c.Prot == SMB1NT1 {
		s1, err := dialSMB1(ClientConfig{Addr: t.addr, Share: "share", User: e.user, Password: e.password})
		if err != nil {
			return nil, err
		}
		if err := s1.open(name, c.Write); err != nil {
			s1.conn.Close()
			return nil, err
		}
		return &smb1Mover{c: s1, write: c.Write, io: c.IO, depth: depth}, nil
	}
	cl, err := Dial(ClientConfig{Addr: t.addr, Share: "share", User: e.user, Password: e.password, Prot: c.Prot})
	if err != nil {
		return nil, err
	}
	id, err := cl.Open(name, c.Write)
	if err != nil {
		cl.Close()
		return nil, err
	}
	return &smbMover{c: cl, id: id, write: c.Write, io: c.IO, depth: depth}, nil
}

// runOnce connects c.Clients clients, then measures only the data phase:
// each client moves its own contiguous share of size bytes.
func runOnce(e *env, t *target, c Case, size int64, depth int) (Result, error) {
	ms := make([]mover, c.Clients)
	defer func() {
		for _, m := range ms {
			if m != nil {
				m.close()
			}
		}
	}()
	for i := range ms {
		m, err := connect(e, t, c, depth)
		if err != nil {
			return Result{}, err
		}
		ms[i] = m
	}
	chunk := size / int64(c.Clients) / int64(c.IO) * int64(c.IO)
	if chunk == 0 {
		return Result{}, fmt.Errorf("bench: size %d too small for %d clients of %d bytes", size, c.Clients, c.IO)
	}
	var before dataCounters
	if t.metrics != "" {
		var err error
		if before, err = scrapeData(t.metrics); err != nil {
			return Result{}, err
		}
	}
	r, err := measure(ms, chunk, t.pid())
	r.Case, r.Server, r.Payload = c, t.name, -1
	if err == nil && t.metrics != "" {
		after, serr := scrapeData(t.metrics)
		if serr != nil {
			return r, serr
		}
		r.ZeroCopy, r.Payload = zeroCopy(before, after, c.Write)
	}
	return r, err
}

// measure runs one data phase: mover i moves chunk bytes at offset
// i*chunk, all at once. It reports wall time, bytes moved, the load
// client's CPU and, when pid > 0, the CPU of the process tree at pid.
func measure(ms []mover, chunk int64, pid int) (Result, error) {
	var cpu0 time.Duration
	if pid > 0 {
		var err error
		if cpu0, err = TreeCPU(pid); err != nil {
			return Result{}, err
		}
	}
	self0, t0 := selfCPU(), time.Now()
	var wg sync.WaitGroup
	moved := make([]int64, len(ms))
	errs := make([]error, len(ms))
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			moved[i], errs[i] = m.move(int64(i)*chunk, chunk)
		}()
	}
	wg.Wait()
	r := Result{Wall: time.Since(t0), ClientCPU: selfCPU() - self0}
	if pid > 0 {
		cpu1, err := TreeCPU(pid)
		if err != nil {
			return r, err
		}
		r.ServerCPU = cpu1 - cpu0
	}
	for i := range ms {
		if errs[i] != nil {
			return r, errs[i]
		}
		r.Bytes += moved[i]
	}
	return r, nil
}

func perGiB(d time.Duration, bytes int64) float64 {
	if bytes == 0 {
		return 0
	}
	return d.Seconds() / (float64(bytes) / (1 << 30))
}

func gibPerSec(r Result) float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Bytes) / (1 << 30) / r.Wall.Seconds()
}
