//go:build linux

package bench

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The directory-listing benchmark: list a directory of N entries through
// zerosmb and through Samba with QUERY_DIRECTORY
// (FileIdBothDirectoryInformation, 64 KiB per response, as Windows and
// smbclient ask), and report entries per second, the peak RSS of the
// serving process, and its RSS while H handles each hold a started
// enumeration of the directory (the memory a hostile client can pin).

// DirListOptions configures DirList.
type DirListOptions struct {
	Entries []int    // directory sizes; default 100,000 and 1,000,000
	Servers []string // ServerZeroSMB and/or ServerSamba (default both)
	Handles int      // handles holding a started enumeration; default 100
	Reps    int      // full listings per size and server; default 3
	Exe     string   // zerosmb binary; default this executable
	// Dir holds the directories (on disk: a million files on tmpfs
	// would take a GiB of RAM); default os.TempDir(). They are kept
	// between runs (dirlist-N) and reused.
	Dir string
	Log io.Writer
}

// DirListResult is one server on one directory size.
type DirListResult struct {
	Server  string
	Entries int
	// PerSec is the median over the reps of entries listed per second.
	PerSec float64
	// PeakRSS is the largest VmHWM of the server's processes after the
	// listings (Samba: the smbd serving the connection).
	PeakRSS int64
	// BaseRSS is the serving process's RSS before anything was listed,
	// HeldRSS with Handles enumerations started and held.
	BaseRSS, HeldRSS int64
	Handles          int
}

// DirList runs the directory-listing benchmark.
func DirList(o DirListOptions) ([]DirListResult, error) {
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	if len(o.Entries) == 0 {
		o.Entries = []int{100_000, 1_000_000}
	}
	if len(o.Servers) == 0 {
		o.Servers = []string{ServerZeroSMB, ServerSamba}
	}
	if o.Handles <= 0 {
		o.Handles = 100
	}
	if o.Reps <= 0 {
		o.Reps = 3
	}
	e, cleanup, err := dirEnv("dirlist", &o.Exe, &o.Dir, o.Log)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out []DirListResult
	for _, n := range o.Entries {
		name := "dirlist-" + strconv.Itoa(n)
		if err := makeDir(filepath.Join(o.Dir, name), n, logf); err != nil {
			return out, err
		}
		for _, s := range o.Servers {
			if err := ensureServer(s, logf); err != nil {
				return out, err
			}
			r, err := e.dirListOne(s, name, n, o, logf)
			if err != nil {
				return out, fmt.Errorf("%s, %d entries: %w", s, n, err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// dirListOne starts server s and measures it on directory name.
func (e *env) dirListOne(s, name string, n int, o DirListOptions, logf func(string, ...any)) (DirListResult, error) {
	r := DirListResult{Server: s, Entries: n, Handles: o.Handles}
	t, err := e.start(s, Unprotected)
	if err != nil {
		return r, err
	}
	defer t.stop()
	c, err := Dial(ClientConfig{Addr: t.addr, Share: "share", User: e.user, Password: e.password})
	if err != nil {
		return r, err
	}
	defer c.Close()
	// Samba forks the serving smbd at connect time: measure it now.
	_, r.BaseRSS = treeMem(t.pid())
	var rates []float64
	for rep := range o.Reps {
		id, err := c.OpenDir(name)
		if err != nil {
			return r, err
		}
		start := time.Now()
		got, err := c.ListDir(id, 0)
		wall := time.Since(start)
		c.CloseFile(id)
		if err != nil {
			return r, err
		}
		if got != n+2 {
			return r, fmt.Errorf("listed %d entries, want %d", got, n+2)
		}
		rates = append(rates, float64(got)/wall.Seconds())
		logf("%-8s %8d entries rep %d: %7.3f s, %.0f entries/s", s, n, rep, wall.Seconds(), rates[len(rates)-1])
	}
	slices.Sort(rates)
	r.PerSec = rates[len(rates)/2]
	r.PeakRSS, _ = treeMem(t.pid())
	ids := make([]FileID, 0, o.Handles)
	for range o.Handles {
		id, err := c.OpenDir(name)
		if err != nil {
			return r, err
		}
		ids = append(ids, id)
		if _, err := c.ListDir(id, 1); err != nil {
			return r, err
		}
	}
	_, r.HeldRSS = treeMem(t.pid())
	for _, id := range ids {
		c.CloseFile(id)
	}
	logf("%-8s %8d entries: peak RSS %d MiB; RSS %d MiB idle, %d MiB with %d enumerations held",
		s, n, r.PeakRSS>>20, r.BaseRSS>>20, r.HeldRSS>>20, o.Handles)
	return r, nil
}

// dirEnv prepares the directory benchmarks (dirlist, meta): *exe
// defaults to this executable and *dir (the share) to os.TempDir(); the
// returned env has a scratch directory with the bench user, removed by
// cleanup.
func dirEnv(name string, exe, dir *string, log io.Writer) (e *env, cleanup func(), err error) {
	if *exe == "" {
		if *exe, err = os.Executable(); err != nil {
			return nil, nil, err
		}
	}
	if *dir == "" {
		*dir = os.TempDir()
	}
	scratch, err := os.MkdirTemp("", "zerosmb-"+name+"-")
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() { os.RemoveAll(scratch) }
	e = &env{dir: scratch, share: *dir, exe: *exe, log: log}
	if err := e.setupUsers(); err != nil {
		cleanup()
		return nil, nil, err
	}
	return e, cleanup, nil
}

// ensureServer installs what server s needs (Samba for the samba ones).
func ensureServer(s string, logf func(string, ...any)) error {
	if strings.HasPrefix(s, "samba") {
		return ensureSamba(logf)
	}
	return nil
}

// makeDir creates dir with n empty files, unless it already has them.
func makeDir(dir string, n int, logf func(string, ...any)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("f%08d", n-1))); err == nil {
		return nil
	}
	logf("creating %d files in %s", n, dir)
	for i := range n {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("f%08d", i)), os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		f.Close()
	}
	return nil
}

// treeMem returns the largest VmHWM and the largest VmRSS among pid and
// its descendants, in bytes.
func treeMem(pid int) (peak, rss int64) {
	pids := []int{pid}
	ents, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readProcStat(p); err == nil {
			children[st.ppid] = append(children[st.ppid], p)
		}
	}
	for i := 0; i < len(pids); i++ {
		pids = append(pids, children[pids[i]]...)
	}
	for _, p := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/status")
		if err != nil {
			continue
		}
		peak = max(peak, statusKB(b, "VmHWM:")<<10)
		rss = max(rss, statusKB(b, "VmRSS:")<<10)
	}
	return peak, rss
}

// statusKB reads a "Key:   N kB" line of /proc/PID/status.
func statusKB(b []byte, key string) int64 {
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// FormatDirList renders results as a Markdown table.
func FormatDirList(rs []DirListResult) string {
	var b strings.Builder
	b.WriteString("| server | entries | entries/s | peak RSS | RSS idle | RSS, enumerations held |\n|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.1f MiB | %.1f MiB | %.1f MiB (%d handles) |\n", r.Server, r.Entries, r.PerSec,
			float64(r.PeakRSS)/(1<<20), float64(r.BaseRSS)/(1<<20), float64(r.HeldRSS)/(1<<20), r.Handles)
	}
	return b.String()
}

// SMB2 bits of the directory client.
const (
	cmdQueryDirectory  = 0x000E
	statusNoMoreFiles  = 0x80000006
	fileIDBothDirInfo  = 0x25
	dirListBufferBytes = 64 << 10
)

// OpenDir opens directory name for listing.
func (c *Client) OpenDir(name string) (FileID, error) {
	// LIST_DIRECTORY|READ_ATTRIBUTES|SYNCHRONIZE, FILE_OPEN, FILE_DIRECTORY_FILE
	return c.create(name, 0x00100081, 1, 0x00000001)
}

// ListDir lists directory id with "*" and returns how many entries came
// back: all of them, or only the first response's when pages is 1.
func (c *Client) ListDir(id FileID, pages int) (int, error) {
	le := binary.LittleEndian
	pat := utf16le("*")
	b := make([]byte, 32+len(pat))
	le.PutUint16(b[0:], 33)
	b[2] = fileIDBothDirInfo
	copy(b[8:], id[:])
	le.PutUint16(b[24:], hdrSize+32)
	le.PutUint16(b[26:], uint16(len(pat)))
	le.PutUint32(b[28:], dirListBufferBytes)
	copy(b[32:], pat)
	total := 0
	for page := 0; pages == 0 || page < pages; page++ {
		r, st, err := c.roundTrip(cmdQueryDirectory, b, true)
		if err != nil {
			return total, err
		}
		if st == statusNoMoreFiles {
			return total, nil
		}
		if st != statusOK || len(r) < hdrSize+8 {
			return total, fmt.Errorf("bench: QUERY_DIRECTORY: status %#x", st)
		}
		off, n := int(le.Uint16(r[hdrSize+2:])), int(le.Uint32(r[hdrSize+4:]))
		if off+n > len(r) {
			return total, fmt.Errorf("bench: QUERY_DIRECTORY: buffer past the message")
		}
		for buf := r[off : off+n]; len(buf) >= 4; {
			total++
			next := int(le.Uint32(buf))
			if next == 0 || next > len(buf) {
				break
			}
			buf = buf[next:]
		}
	}
	return total, nil
}
