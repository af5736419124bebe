//go:build linux

package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The metadata benchmark: stat every file of a directory of N through
// zerosmb and through Samba the way the Linux kernel client stats a path,
// one related compound of CREATE (FILE_READ_ATTRIBUTES), QUERY_INFO
// (FileAllInformation) and CLOSE per file, from C connections at once.
// It reports stats per second and the server's CPU per stat, for the
// first pass after the server starts (cold: nothing of the share cached in
// the server, the page and dentry caches warm) and for the later passes
// (warm). Both servers read a DOS-attribute record per open (zerosmb
// user.zerosmb.dosattrib, Samba user.DOSATTRIB); zerosmb caches up to
// dos_attrib_cache of them, so a directory larger than that misses on
// every pass. The floor (floor-zc) is the kernel's part: a server that
// reads a request naming the file, fstatat()s it and answers one byte,
// on blocking sockets.

// MetaOptions configures Meta.
type MetaOptions struct {
	Files   []int    // directory sizes; default 10,000
	Clients []int    // concurrent connections; default 1 and 8
	Servers []string // ServerZeroSMB, ServerSamba, ServerFloorZC (default all three)
	Reps    int      // warm passes per size, client count and server; default 3
	Exe     string   // zerosmb binary; default this executable
	Dir     string   // holds the meta-N directories (kept, reused); default os.TempDir()
	Log     io.Writer
}

// MetaResult is one server, directory size and client count.
type MetaResult struct {
	Server  string
	Files   int
	Clients int
	// ColdPerSec and ColdCPU are the first pass's stats per second and
	// server CPU per stat; WarmPerSec and WarmCPU the medians of the
	// later passes.
	ColdPerSec, WarmPerSec float64
	ColdCPU, WarmCPU       time.Duration
}

// Meta runs the metadata benchmark.
func Meta(o MetaOptions) ([]MetaResult, error) {
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	if len(o.Files) == 0 {
		o.Files = []int{10_000}
	}
	if len(o.Clients) == 0 {
		o.Clients = []int{1, 8}
	}
	if len(o.Servers) == 0 {
		o.Servers = []string{ServerZeroSMB, ServerSamba, ServerFloorZC}
	}
	if o.Reps <= 0 {
		o.Reps = 3
	}
	e, cleanup, err := dirEnv("meta", &o.Exe, &o.Dir, o.Log)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out []MetaResult
	for _, n := range o.Files {
		name := "meta-" + strconv.Itoa(n)
		if err := makeDir(filepath.Join(o.Dir, name), n, logf); err != nil {
			return out, err
		}
		for _, s := range o.Servers {
			if err := ensureServer(s, logf); err != nil {
				return out, err
			}
			for _, c := range o.Clients {
				r, err := e.metaOne(s, name, n, c, o.Reps, logf)
				if err != nil {
					return out, fmt.Errorf("%s, %d files, %d clients: %w", s, n, c, err)
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// metaOne starts server s (so its caches start empty) and stats every file
// of dir 1+reps times from clients connections.
func (e *env) metaOne(s, dir string, n, clients, reps int, logf func(string, ...any)) (MetaResult, error) {
	r := MetaResult{Server: s, Files: n, Clients: clients}
	t, err := e.start(s, Unprotected)
	if err != nil {
		return r, err
	}
	defer t.stop()
	conns := make([]statter, clients)
	for i := range conns {
		var c statter
		var err error
		if isFloor(s) {
			c, err = dialFloor(t.addr, false)
		} else {
			c, err = Dial(ClientConfig{Addr: t.addr, Share: "share", User: e.user, Password: e.password})
		}
		if err != nil {
			return r, err
		}
		defer c.Close()
		conns[i] = c
	}
	var rates, cpus []float64
	for pass := 0; pass <= reps; pass++ {
		cpu0, err := TreeCPU(t.pid())
		if err != nil {
			return r, err
		}
		start := time.Now()
		if err := statAll(conns, dir, n); err != nil {
			return r, err
		}
		wall := time.Since(start)
		cpu1, err := TreeCPU(t.pid())
		if err != nil {
			return r, err
		}
		rate, perOp := float64(n)/wall.Seconds(), (cpu1-cpu0)/time.Duration(n)
		logf("%-8s %7d files c%d pass %d: %7.3f s, %.0f stats/s, %v server CPU per stat", s, n, clients, pass, wall.Seconds(), rate, perOp)
		if pass == 0 {
			r.ColdPerSec, r.ColdCPU = rate, perOp
			continue
		}
		rates, cpus = append(rates, rate), append(cpus, float64(perOp))
	}
	r.WarmPerSec, r.WarmCPU = median(rates), time.Duration(median(cpus))
	return r, nil
}

// statter stats a file of the share: an SMB Client, or a floorClient
// (the floor: the server does only fstatat between the socket calls).
type statter interface {
	Stat(name string) error
	Close() error
}

// statAll stats files f00000000…f(n-1) of dir, connection i taking every
// len(conns)-th file from i.
func statAll(conns []statter, dir string, n int) error {
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := i; f < n; f += len(conns) {
				if err := c.Stat(fmt.Sprintf(`%s\f%08d`, dir, f)); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// FormatMeta renders results as a Markdown table.
func FormatMeta(rs []MetaResult) string {
	var b strings.Builder
	b.WriteString("| server | files | clients | cold stats/s | cold CPU/stat | warm stats/s | warm CPU/stat |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %d | %d | %.0f | %.1f µs | %.0f | %.1f µs |\n", r.Server, r.Files, r.Clients,
			r.ColdPerSec, float64(r.ColdCPU)/1e3, r.WarmPerSec, float64(r.WarmCPU)/1e3)
	}
	return b.String()
}

// SMB2 bits of the stat compound.
const (
	cmdQueryInfo    = 0x0010
	flagRelated     = 0x00000004
	infoTypeFile    = 1
	fileAllInfo     = 18
	queryInfoOutLen = 4096
)

// Stat sends one related compound CREATE (FILE_READ_ATTRIBUTES|SYNCHRONIZE,
// FILE_OPEN) + QUERY_INFO FileAllInformation + CLOSE for name, as the
// Linux kernel client does for stat(2), and checks all three answers.
func (c *Client) Stat(name string) error {
	le := binary.LittleEndian
	query := make([]byte, 40)
	le.PutUint16(query[0:], 41)
	query[2], query[3] = infoTypeFile, fileAllInfo
	le.PutUint32(query[4:], queryInfoOutLen)
	for i := 24; i < 40; i++ {
		query[i] = 0xff // the FileId the related CREATE opened
	}
	closeReq := make([]byte, 24)
	le.PutUint16(closeReq[0:], 24)
	for i := 8; i < 24; i++ {
		closeReq[i] = 0xff
	}
	parts := []struct {
		cmd  uint16
		body []byte
	}{{cmdCreate, createBody(name, 0x00100080, 1, 0)}, {cmdQueryInfo, query}, {cmdClose, closeReq}}
	var msg []byte
	for i, p := range parts {
		start := len(msg)
		msg = append(msg, make([]byte, hdrSize)...)
		c.header(msg[start:], p.cmd, 1, c.msgID, 64)
		c.msgID++
		c.credits--
		if i > 0 {
			le.PutUint32(msg[start+16:], flagRelated)
		}
		msg = append(msg, p.body...)
		if i < len(parts)-1 {
			for len(msg)%8 != 0 {
				msg = append(msg, 0)
			}
			le.PutUint32(msg[start+20:], uint32(len(msg)-start))
		}
	}
	frame := make([]byte, 4+len(msg))
	putFrame(frame, len(msg))
	copy(frame[4:], msg)
	if err := c.send(frame, false); err != nil {
		return err
	}
	var failed error
	for got := 0; got < len(parts); {
		r, err := c.readMsg(false)
		if err != nil {
			return err
		}
		for off := 0; ; {
			h := r[off:]
			if len(h) < hdrSize {
				return fmt.Errorf("bench: stat %s: short compound response", name)
			}
			c.credits += int(le.Uint16(h[14:]))
			if st := le.Uint32(h[8:]); st != statusOK && failed == nil {
				// The rest of the chain fails too; read it all anyway,
				// in case the server answered in several frames.
				failed = fmt.Errorf("bench: stat %s: response %d: status %#x", name, got, st)
			}
			got++
			next := int(le.Uint32(h[20:]))
			if next == 0 {
				break
			}
			if next < hdrSize || off+next >= len(r) {
				return fmt.Errorf("bench: stat %s: bad NextCommand %d", name, next)
			}
			off += next
		}
	}
	return failed
}
