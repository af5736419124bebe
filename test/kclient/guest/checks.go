//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type check struct {
	name    string
	timeout time.Duration
	fn      func(dir string) error
}

// checks is the workload, in order. Every check works in a fresh
// directory of its own and verifies bytes after dropping the page cache.
func checks(cfg *Config, v Variant) []check {
	bigDir := v.BigDir
	if bigDir == 0 {
		bigDir = 500
	}
	seqSize := int64(8<<20 + 12345)
	seqTimeout := 2 * time.Minute
	if cfg.Long {
		seqSize, seqTimeout = 1<<30, 30*time.Minute
	}
	m := time.Minute
	cs := []check{
		{"odd_io", m, checkOddIO},
		{"sequential", seqTimeout, func(d string) error { return checkSequential(d, seqSize) }},
		{"sparse", m, checkSparse},
		{"truncate", m, checkTruncate},
		{"append", m, checkAppend},
		{"append_two_procs", 2 * m, checkAppendTwo},
		{"rename_over", m, checkRenameOver},
		{"unlink_open", m, checkUnlinkOpen},
		{"bigdir", 5 * m, func(d string) error { return checkBigDir(d, bigDir) }},
		{"dirs", m, checkDirs},
		{"flock", m, checkFlock},
		{"fcntl_lock", m, checkFcntlLock},
		{"xattr", m, checkXattr},
		{"hardlink", m, checkHardlink},
		{"fallocate_extend", m, func(d string) error { return checkFallocate(d, 0) }},
		{"fallocate_keep_size", m, func(d string) error { return checkFallocate(d, unix.FALLOC_FL_KEEP_SIZE) }},
		{"fallocate_punch_hole", m, func(d string) error {
			return checkFallocate(d, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE)
		}},
		{"fallocate_zero_range", m, func(d string) error { return checkFallocate(d, unix.FALLOC_FL_ZERO_RANGE) }},
		{"mmap", m, checkMmap},
		{"pipe_read", 45 * time.Second, checkPipeRead},
		{"sync", m, checkSync},
	}
	if v.Reconnect {
		cs = append(cs, check{"reconnect", 2 * m, func(d string) error { return checkReconnect(d, !cfg.NoQuiesce) }})
	}
	if v.Coherence {
		cs = append(cs, check{"coherence", m, func(d string) error { return checkCoherence(d, !cfg.NoQuiesce) }},
			check{"dircoherence", m, func(d string) error { return checkDirCoherence(d, !cfg.NoQuiesce) }})
	}
	return cs
}

// pattern is the deterministic content of byte off of a file seeded seed.
func pattern(seed, off int64) byte {
	x := uint64(off)*0x9E3779B97F4A7C15 + uint64(seed)*0xBF58476D1CE4E5B9
	return byte(x >> 56)
}

func fill(buf []byte, seed, off int64) {
	for i := range buf {
		buf[i] = pattern(seed, off+int64(i))
	}
}

func dropCaches() error {
	unix.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0)
}

// compareFile reads name after dropping caches and compares it with want.
func compareFile(name string, want []byte) error {
	if err := dropCaches(); err != nil {
		return fmt.Errorf("drop_caches: %w", err)
	}
	got, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	return diff(got, want)
}

func diff(got, want []byte) error {
	if len(got) != len(want) {
		return fmt.Errorf("size %d, want %d", len(got), len(want))
	}
	if i := firstDiff(got, want); i >= 0 {
		return fmt.Errorf("byte %d is %#x, want %#x", i, got[i], want[i])
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// checkOddIO writes chunks of awkward sizes at awkward offsets, with
// overlaps and holes, against an in-memory model of the file.
func checkOddIO(dir string) error {
	name := filepath.Join(dir, "f")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	var model []byte
	writes := []struct{ off, n int64 }{
		{0, 1}, {1, 7}, {4095, 4097}, {3, 65537}, {200000, 13}, {131071, 1<<20 + 3},
		{5, 1}, {1<<20 + 77, 4096}, {65535, 2}, {1 << 21, 511},
	}
	for i, w := range writes {
		buf := make([]byte, w.n)
		fill(buf, int64(i+1), w.off)
		if _, err := f.WriteAt(buf, w.off); err != nil {
			return fmt.Errorf("write %d@%d: %w", w.n, w.off, err)
		}
		if end := w.off + w.n; end > int64(len(model)) {
			model = append(model, make([]byte, end-int64(len(model)))...)
		}
		copy(model[w.off:], buf)
	}
	// Read back odd ranges through the same handle before dropping caches.
	for _, r := range [][2]int64{{0, 9}, {4090, 10}, {131070, 70000}, {int64(len(model)) - 3, 3}} {
		buf := make([]byte, r[1])
		if _, err := f.ReadAt(buf, r[0]); err != nil {
			return fmt.Errorf("read %d@%d: %w", r[1], r[0], err)
		}
		if err := diff(buf, model[r[0]:r[0]+r[1]]); err != nil {
			return fmt.Errorf("read %d@%d: %w", r[1], r[0], err)
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return compareFile(name, model)
}

// checkSequential writes size bytes in 1 MiB+odd chunks and reads them
// back in different chunks after dropping caches.
func checkSequential(dir string, size int64) error {
	name := filepath.Join(dir, "seq")
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	start := time.Now()
	buf := make([]byte, 1<<20+4093)
	for off := int64(0); off < size; {
		n := min(int64(len(buf)), size-off)
		fill(buf[:n], 42, off)
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return fmt.Errorf("write at %d: %w", off, err)
		}
		off += n
	}
	if err := f.Close(); err != nil {
		return err
	}
	wdur := time.Since(start)
	if err := dropCaches(); err != nil {
		return err
	}
	start = time.Now()
	f, err = os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	rbuf := make([]byte, 3<<20+17)
	want := make([]byte, len(rbuf))
	var off int64
	for {
		n, err := f.Read(rbuf)
		if n > 0 {
			fill(want[:n], 42, off)
			if i := firstDiff(rbuf[:n], want[:n]); i >= 0 {
				return fmt.Errorf("byte %d differs", off+int64(i))
			}
			off += int64(n)
		}
		if err != nil {
			break
		}
	}
	if off != size {
		return fmt.Errorf("read %d bytes, want %d", off, size)
	}
	report("INFO sequential %d bytes: write %.1f MB/s, read %.1f MB/s", size,
		float64(size)/wdur.Seconds()/1e6, float64(size)/time.Since(start).Seconds()/1e6)
	return os.Remove(name)
}

// checkSparse writes far past the end; the hole must read as zeros.
func checkSparse(dir string) error {
	name := filepath.Join(dir, "sparse")
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	const off = 10<<20 + 3
	data := []byte("after the hole")
	if _, err := f.WriteAt(data, off); err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte("head"), 0); err != nil {
		return err
	}
	f.Close()
	want := make([]byte, off+len(data))
	copy(want, "head")
	copy(want[off:], data)
	if err := compareFile(name, want); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Stat(name, &st); err != nil {
		return err
	}
	if st.Size != int64(len(want)) {
		return fmt.Errorf("stat size %d", st.Size)
	}
	return nil
}

// checkTruncate shrinks and grows a file; regrown bytes read as zeros.
func checkTruncate(dir string) error {
	name := filepath.Join(dir, "t")
	buf := make([]byte, 100000)
	fill(buf, 7, 0)
	if err := os.WriteFile(name, buf, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(name, 33333); err != nil {
		return err
	}
	if err := compareFile(name, buf[:33333]); err != nil {
		return fmt.Errorf("after shrink: %w", err)
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(70001); err != nil {
		f.Close()
		return err
	}
	f.Close()
	want := append(append([]byte{}, buf[:33333]...), make([]byte, 70001-33333)...)
	if err := compareFile(name, want); err != nil {
		return fmt.Errorf("after grow: %w", err)
	}
	if err := os.Truncate(name, 0); err != nil {
		return err
	}
	return compareFile(name, nil)
}

// checkAppend appends from one process through two handles.
func checkAppend(dir string) error {
	name := filepath.Join(dir, "a")
	var want []byte
	for i := 0; i < 20; i++ {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		rec := []byte(fmt.Sprintf("record %d %s\n", i, strings.Repeat("x", i*37)))
		if _, err := f.Write(rec); err != nil {
			f.Close()
			return err
		}
		want = append(want, rec...)
		if err := f.Close(); err != nil {
			return err
		}
	}
	return compareFile(name, want)
}

// checkAppendTwo runs two processes appending 500 8-byte records each with
// O_APPEND at the same time; every record must be there once.
func checkAppendTwo(dir string) error {
	name := filepath.Join(dir, "shared")
	const n = 500
	var cmds []*exec.Cmd
	for _, tag := range []string{"A", "B"} {
		c := exec.Command("/proc/self/exe", "append", name, tag, strconv.Itoa(n))
		var eb bytes.Buffer
		c.Stderr = &eb
		if err := c.Start(); err != nil {
			return err
		}
		cmds = append(cmds, c)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			return fmt.Errorf("appender: %v", err)
		}
	}
	if err := dropCaches(); err != nil {
		return err
	}
	got, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for i := 0; i+8 <= len(got); i += 8 {
		counts[string(got[i:i+8])]++
	}
	if len(got) != 2*n*8 || len(counts) != 2*n {
		return fmt.Errorf("%d of %d bytes, %d distinct records of %d", len(got), 2*n*8, len(counts), 2*n)
	}
	return nil
}

func appendRecords(args []string) int {
	if len(args) != 3 {
		return 2
	}
	n, _ := strconv.Atoi(args[2])
	f, err := os.OpenFile(args[0], os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	for i := 0; i < n; i++ {
		if _, err := fmt.Fprintf(f, "%s%06d\n", args[1], i); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// checkRenameOver renames a file over an existing one.
func checkRenameOver(dir string) error {
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte("new contents"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(b, []byte("old contents, longer"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		return err
	}
	if _, err := os.Stat(a); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("source still there: %v", err)
	}
	if err := compareFile(b, []byte("new contents")); err != nil {
		return err
	}
	// Rename into a subdirectory over an existing name too.
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	c := filepath.Join(dir, "sub", "c")
	if err := os.WriteFile(c, []byte("c"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(b, c); err != nil {
		return err
	}
	return compareFile(c, []byte("new contents"))
}

// checkUnlinkOpen unlinks a file that is still open and keeps using it.
func checkUnlinkOpen(dir string) error {
	name := filepath.Join(dir, "u")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write([]byte("before")); err != nil {
		return err
	}
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("unlink: %w", err)
	}
	if _, err := f.Write([]byte(" after")); err != nil {
		return fmt.Errorf("write after unlink: %w", err)
	}
	buf := make([]byte, 12)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return fmt.Errorf("read after unlink: %w", err)
	}
	if string(buf) != "before after" {
		return fmt.Errorf("read %q", buf)
	}
	f.Close()
	if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("name still there after close: %v", err)
	}
	// The name can be used again at once.
	if err := os.WriteFile(name, []byte("again"), 0o644); err != nil {
		return fmt.Errorf("recreate: %w", err)
	}
	return compareFile(name, []byte("again"))
}

// checkBigDir creates thousands of entries and lists them.
func checkBigDir(dir string, n int) error {
	want := make([]string, 0, n)
	for i := 0; i < n; i++ {
		nm := fmt.Sprintf("entry-%05d-%s", i, strings.Repeat("n", i%40))
		f, err := os.OpenFile(filepath.Join(dir, nm), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("create %d: %w", i, err)
		}
		f.Close()
		want = append(want, nm)
	}
	dropCaches()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	got := make([]string, 0, len(ents))
	for _, e := range ents {
		got = append(got, e.Name())
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "/") != strings.Join(want, "/") {
		return fmt.Errorf("listed %d entries, want %d", len(got), len(want))
	}
	for _, nm := range want {
		if err := os.Remove(filepath.Join(dir, nm)); err != nil {
			return err
		}
	}
	ents, err = os.ReadDir(dir)
	if err != nil || len(ents) != 0 {
		return fmt.Errorf("after removing all: %d entries, %v", len(ents), err)
	}
	return nil
}

// checkDirs makes, renames and removes nested directories.
func checkDirs(dir string) error {
	p := filepath.Join(dir, "a", "b", "c")
	if err := os.MkdirAll(p, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p, "f"), []byte("deep"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "z")); err != nil {
		return err
	}
	if err := compareFile(filepath.Join(dir, "z", "b", "c", "f"), []byte("deep")); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, "z", "b")); err == nil {
		return errors.New("rmdir of a non-empty directory succeeded")
	}
	return os.RemoveAll(filepath.Join(dir, "z"))
}

// checkFlock takes an exclusive flock; a second open file description
// must not get it until it is released.
func checkFlock(dir string) error {
	name := filepath.Join(dir, "l")
	if err := os.WriteFile(name, []byte("lock me"), 0o644); err != nil {
		return err
	}
	f1, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f1.Close()
	f2, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f2.Close()
	if err := unix.Flock(int(f1.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("first flock: %w", err)
	}
	// The kernel client maps the server's STATUS_LOCK_NOT_GRANTED to EACCES.
	if err := unix.Flock(int(f2.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != unix.EWOULDBLOCK && err != unix.EACCES {
		return fmt.Errorf("second flock while held: %v, want EWOULDBLOCK or EACCES", err)
	}
	if err := unix.Flock(int(f1.Fd()), unix.LOCK_UN); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	if err := unix.Flock(int(f2.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return fmt.Errorf("second flock after unlock: %w", err)
	}
	return unix.Flock(int(f2.Fd()), unix.LOCK_UN)
}

// checkFcntlLock takes a POSIX write lock on a range; another process
// must be refused an overlapping lock and granted a disjoint one.
func checkFcntlLock(dir string) error {
	name := filepath.Join(dir, "l")
	if err := os.WriteFile(name, make([]byte, 4096), 0o644); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 100, Len: 50}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err != nil {
		return fmt.Errorf("F_SETLK: %w", err)
	}
	try := func(start, n int) (int, error) { return tryLockChild(name, start, n) }
	if rc, err := try(120, 10); err != nil || rc != 3 {
		return fmt.Errorf("overlapping lock from another process: rc %d %v, want refused", rc, err)
	}
	if rc, err := try(200, 10); err != nil || rc != 0 {
		return fmt.Errorf("disjoint lock from another process: rc %d %v, want granted", rc, err)
	}
	lk.Type = unix.F_UNLCK
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	if rc, err := try(120, 10); err != nil || rc != 0 {
		return fmt.Errorf("lock after unlock: rc %d %v, want granted", rc, err)
	}
	return nil
}

// tryLockChild runs tryLock in a child process: its exit code (0 got the
// lock, 3 refused).
func tryLockChild(name string, start, n int) (int, error) {
	c := exec.Command("/proc/self/exe", "trylock", name, strconv.Itoa(start), strconv.Itoa(n))
	b, err := c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("%v: %s", err, b)
	}
	return 0, nil
}

// tryLock exits 0 if it got the write lock, 3 if refused (EAGAIN/EACCES).
func tryLock(args []string) int {
	if len(args) != 3 {
		return 2
	}
	start, _ := strconv.Atoi(args[1])
	n, _ := strconv.Atoi(args[2])
	f, err := os.OpenFile(args[0], os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK, Start: int64(start), Len: int64(n)}
	switch err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err {
	case nil:
		return 0
	case unix.EAGAIN, unix.EACCES:
		return 3
	default:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
}

// checkXattr sets, reads, lists and removes mixed-case user xattrs.
func checkXattr(dir string) error {
	name := filepath.Join(dir, "x")
	if err := os.WriteFile(name, nil, 0o644); err != nil {
		return err
	}
	attrs := map[string]string{"user.cvTest": "value one", "user.lower": "v2", "user.UPPER": strings.Repeat("z", 300)}
	for k, v := range attrs {
		if err := unix.Setxattr(name, k, []byte(v), 0); err != nil {
			return fmt.Errorf("setxattr %s: %w", k, err)
		}
	}
	dropCaches()
	for k, v := range attrs {
		buf := make([]byte, 1024)
		n, err := unix.Getxattr(name, k, buf)
		if err != nil {
			return fmt.Errorf("getxattr %s: %w", k, err)
		}
		if string(buf[:n]) != v {
			return fmt.Errorf("getxattr %s = %q, want %q", k, buf[:n], v)
		}
	}
	buf := make([]byte, 4096)
	n, err := unix.Listxattr(name, buf)
	if err != nil {
		return fmt.Errorf("listxattr: %w", err)
	}
	var list []string
	for _, s := range strings.Split(string(buf[:n]), "\x00") {
		if strings.HasPrefix(s, "user.") {
			list = append(list, s)
		}
	}
	sort.Strings(list)
	if strings.Join(list, ",") != "user.UPPER,user.cvTest,user.lower" {
		return fmt.Errorf("listxattr: %q", list)
	}
	if err := unix.Removexattr(name, "user.cvTest"); err != nil {
		return fmt.Errorf("removexattr: %w", err)
	}
	if _, err := unix.Getxattr(name, "user.cvTest", buf); err != unix.ENODATA {
		return fmt.Errorf("getxattr after remove: %v, want ENODATA", err)
	}
	return nil
}

// checkHardlink links a second name to a file and uses both.
func checkHardlink(dir string) error {
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte("shared"), 0o644); err != nil {
		return err
	}
	if err := os.Link(a, b); err != nil {
		return fmt.Errorf("link: %w", err)
	}
	var sa, sb unix.Stat_t
	if err := unix.Stat(a, &sa); err != nil {
		return err
	}
	if err := unix.Stat(b, &sb); err != nil {
		return err
	}
	if sa.Nlink != 2 || sb.Nlink != 2 {
		return fmt.Errorf("nlink %d/%d, want 2", sa.Nlink, sb.Nlink)
	}
	f, err := os.OpenFile(b, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	f.Write([]byte(" bytes"))
	f.Close()
	if err := compareFile(a, []byte("shared bytes")); err != nil {
		return fmt.Errorf("through the first name: %w", err)
	}
	c := filepath.Join(dir, "c")
	os.WriteFile(c, []byte("c"), 0o644)
	if err := os.Link(a, c); !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("link over an existing name: %v, want EEXIST", err)
	}
	if err := os.Remove(a); err != nil {
		return err
	}
	return compareFile(b, []byte("shared bytes"))
}

// checkFallocate runs one fallocate mode on a written file and checks
// size and contents.
func checkFallocate(dir string, mode uint32) error {
	name := filepath.Join(dir, "fa")
	buf := make([]byte, 256<<10)
	fill(buf, 9, 0)
	if err := os.WriteFile(name, buf, 0o644); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	want := append([]byte{}, buf...)
	var off, n int64
	switch mode {
	case 0: // extend
		off, n = int64(len(buf))-100, 1<<20
		want = append(want, make([]byte, off+n-int64(len(buf)))...)
	case unix.FALLOC_FL_KEEP_SIZE:
		off, n = int64(len(buf)), 1<<20
	case unix.FALLOC_FL_PUNCH_HOLE | unix.FALLOC_FL_KEEP_SIZE, unix.FALLOC_FL_ZERO_RANGE:
		off, n = 65536+123, 70000
		clear(want[off : off+n])
	}
	if err := unix.Fallocate(int(f.Fd()), mode, off, n); err != nil {
		return fmt.Errorf("fallocate mode %#x %d@%d: %w", mode, n, off, err)
	}
	f.Close()
	return compareFile(name, want)
}

// checkMmap writes through a shared mapping and reads the file back.
func checkMmap(dir string) error {
	name := filepath.Join(dir, "m")
	const size = 1<<20 + 4321
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap: %w", err)
	}
	fill(m, 11, 0)
	if err := unix.Msync(m, unix.MS_SYNC); err != nil {
		unix.Munmap(m)
		return fmt.Errorf("msync: %w", err)
	}
	unix.Munmap(m)
	f.Close()
	want := make([]byte, size)
	fill(want, 11, 0)
	if err := compareFile(name, want); err != nil {
		return err
	}
	// Read it back through a fresh read-only mapping too.
	g, err := os.Open(name)
	if err != nil {
		return err
	}
	defer g.Close()
	r, err := unix.Mmap(int(g.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap read: %w", err)
	}
	defer unix.Munmap(r)
	return diff(r, want)
}

// checkPipeRead reads a file into a pipe (cat f | wc -c): the kernel
// client splices from the file.
func checkPipeRead(dir string) error {
	name := filepath.Join(dir, "p")
	buf := make([]byte, 300000)
	fill(buf, 5, 0)
	if err := os.WriteFile(name, buf, 0o644); err != nil {
		return err
	}
	dropCaches()
	c := exec.Command("timeout", "-s", "KILL", "30", "sh", "-c", "cat "+name+" | wc -c")
	b, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cat | wc: %v (%s)", err, bytes.TrimSpace(b))
	}
	if strings.TrimSpace(string(b)) != strconv.Itoa(len(buf)) {
		return fmt.Errorf("cat | wc -c printed %q", b)
	}
	return nil
}

// checkSync writes and flushes with fsync, fdatasync and sync.
func checkSync(dir string) error {
	name := filepath.Join(dir, "s")
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write([]byte("synced")); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return fmt.Errorf("fdatasync: %w", err)
	}
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs: %w", err)
	}
	syscall.Sync()
	f.Close()
	return compareFile(name, []byte("synced"))
}
