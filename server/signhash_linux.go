//go:build linux

package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/internal/zerocopy"
)

// How a signed sendfile READ reads the payload to MAC it
// (Config.SignedSendfileHash). Whatever the method, the payload then
// leaves with sendfile and the guards of signsend_linux.go apply.
//
//   - SignedHashOpenMap (default): map the whole file once per open (up
//     to maxOpenMap bytes) and keep the mapping until the open closes; a
//     READ costs page faults on first touch only, no mmap, munmap or TLB
//     shootdown, and the MAC reads the page cache in place (sign.Stream
//     over header and mapped range): no user-space copy at all. A
//     truncation under the mapping faults (SIGBUS), which hashGuarded
//     turns into the copy path.
//   - SignedHashPread: pread signChunk bytes at a time into one pooled
//     buffer and MAC each chunk while it is in cache: one user-space copy
//     instead of the copy path's two, no mapping and no SIGBUS.
//   - SignedHashMmap: map the range read-only for each READ
//     (MAP_POPULATE), MAC it in place, munmap afterwards.
//
// docs/benchmarks.md ("Signed READ: sendfile or copy") has the figures.

// maxOpenMap bounds the address space one open's mapping may take
// (SignedHashOpenMap); larger files are hashed with per-READ mappings.
// maxOpenMapTotal bounds the address space all opens' mappings take
// together (x86-64 user space is 128 TiB and the Go heap needs its share);
// past it a READ maps per READ until mappings are released.
const (
	maxOpenMap      = 64 << 30
	maxOpenMapTotal = 4 << 40
)

// openMapped is the address space held by per-open mappings, server-wide.
var openMapped atomic.Int64

var (
	errFault       = errors.New("fault while hashing mapped file (file truncated?)")
	errOpenMapFull = errors.New("signed sendfile: per-open mappings at their server-wide limit")
)

// hashForSend signs msg as if d's bytes followed it, by the configured
// method, and returns the last payload byte as hashed.
func (b *frameBuilder) hashForSend(msg []byte, d *readData) (byte, error) {
	s := b.lastR.sess.signer
	f := d.f.(zerocopy.Source)
	switch b.c.srv.cfg.SignedSendfileHash {
	case SignedHashPread:
		return signPread(s, msg, d.f, d.off, d.n)
	case SignedHashMmap:
		return signMapped(s, msg, f, d.off, d.n)
	default:
		if o := b.zcOpen; o != nil {
			return o.smap.sign(s, msg, f, d.off, d.n)
		}
		return signMapped(s, msg, f, d.off, d.n)
	}
}

// signPread signs msg followed by n bytes of r at off, read signChunk
// bytes at a time into one pooled buffer, and returns the last byte.
func signPread(s *sign.Signer, msg []byte, r io.ReaderAt, off, n int64) (last byte, err error) {
	if off < 0 || n <= 0 {
		return 0, fmt.Errorf("signed sendfile: bad range off=%d n=%d", off, n)
	}
	var st sign.Stream
	if !s.Start(&st, msg) {
		return 0, fmt.Errorf("signed sendfile: %d-byte header cannot be hashed in parts", len(msg))
	}
	defer st.Finish() // on error too: it returns the scratch state
	if h := signSendHook.Load(); h != nil {
		(*h)()
	}
	buf := getBuf(int(min(n, signChunk)))
	defer putBuf(buf)
	for done := int64(0); done < n; {
		k := min(n-done, int64(len(buf)))
		m, err := r.ReadAt(buf[:k], off+done)
		if int64(m) < k {
			return 0, fmt.Errorf("signed sendfile: short read (file shrank?): %w", err)
		}
		st.Write(buf[:k])
		last = buf[k-1]
		done += k
	}
	return last, nil
}

// signMapped signs msg followed by n bytes of f at off, reading the file
// through a mapping made for this READ, stores the signed header back into
// msg and returns the last payload byte as hashed.
func signMapped(s *sign.Signer, msg []byte, f zerocopy.Source, off, n int64) (last byte, err error) {
	pg := int64(os.Getpagesize())
	if off < 0 || n <= 0 || n > 1<<40 {
		return 0, fmt.Errorf("signed sendfile: bad range off=%d n=%d", off, n)
	}
	delta := off % pg
	flen := (delta + n + pg - 1) &^ (pg - 1)
	base, err := mapFile(f, off-delta, flen, unix.MAP_POPULATE)
	if err != nil {
		return 0, err
	}
	defer unix.MunmapPtr(base, uintptr(flen))
	data := unsafe.Slice((*byte)(base), flen)[delta : delta+n]
	return signParts(s, msg, data)
}

// signParts signs msg followed by data, which is a file mapping: a fault
// (the file shrank) is reported as errFault.
func signParts(s *sign.Signer, msg, data []byte) (last byte, err error) {
	var st sign.Stream
	if !s.Start(&st, msg) {
		return 0, fmt.Errorf("signed sendfile: %d-byte header cannot be hashed in parts", len(msg))
	}
	ok := hashGuarded(func() { st.Write(data); last = data[len(data)-1] })
	st.Finish()
	if !ok {
		return 0, errFault
	}
	return last, nil
}

// mapFile maps flen bytes of f read-only and shared from the page-aligned
// offset aoff, with extra mmap flags.
func mapFile(f zerocopy.Source, aoff, flen int64, extra int) (unsafe.Pointer, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("signed sendfile: file: %w", err)
	}
	var (
		p    unsafe.Pointer
		merr error
	)
	cerr := rc.Control(func(fd uintptr) {
		p, merr = unix.MmapPtr(int(fd), aoff, nil, uintptr(flen), unix.PROT_READ, unix.MAP_SHARED|extra)
	})
	if merr == nil {
		merr = cerr
	}
	if merr != nil {
		return nil, fmt.Errorf("signed sendfile: mmap: %w", merr)
	}
	return p, nil
}

// openMap is an open's file mapping for SignedHashOpenMap: created on the
// first signed sendfile READ, replaced (larger) when a READ goes past it,
// unmapped when the open closes and no READ still hashes it.
type openMap struct {
	mu     sync.Mutex
	cur    *fileMapping
	closed bool
}

// fileMapping is one mapping of src from offset 0; refs counts the READs
// hashing it, retired that it is no longer openMap.cur.
type fileMapping struct {
	src     zerocopy.Source // the file mapped: a READ through another is remapped
	base    unsafe.Pointer
	size    int64
	refs    int
	retired bool
}

// sign signs msg followed by n bytes of f at off through the open's
// mapping, falling back to a per-READ mapping for files over maxOpenMap.
func (m *openMap) sign(s *sign.Signer, msg []byte, f zerocopy.Source, off, n int64) (byte, error) {
	if off < 0 || n <= 0 || off+n > maxOpenMap {
		return signMapped(s, msg, f, off, n)
	}
	fm, err := m.acquire(f, off+n)
	if err == errOpenMapFull {
		return signMapped(s, msg, f, off, n)
	}
	if err != nil {
		return 0, err
	}
	defer m.release(fm)
	data := unsafe.Slice((*byte)(fm.base), fm.size)[off : off+n]
	return signParts(s, msg, data)
}

// acquire returns a mapping of f covering [0, end), mapping the file anew
// (its current size, at least end) when there is none, it is too short,
// or it maps another file (the open's file was replaced).
func (m *openMap) acquire(f zerocopy.Source, end int64) (*fileMapping, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("signed sendfile: open closed")
	}
	if c := m.cur; c != nil && c.src == f && c.size >= end {
		c.refs++
		return c, nil
	}
	st, err := stampOf(f)
	if err != nil {
		return nil, err
	}
	pg := int64(os.Getpagesize())
	size := (max(st.size, end) + pg - 1) &^ (pg - 1)
	if size > maxOpenMap {
		size = maxOpenMap
	}
	if openMapped.Add(size) > maxOpenMapTotal {
		openMapped.Add(-size)
		return nil, errOpenMapFull
	}
	base, err := mapFile(f, 0, size, 0)
	if err != nil {
		openMapped.Add(-size)
		return nil, err
	}
	if old := m.cur; old != nil {
		old.retired = true
		old.unmapIfIdle()
	}
	m.cur = &fileMapping{src: f, base: base, size: size, refs: 1}
	return m.cur, nil
}

func (m *openMap) release(fm *fileMapping) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fm.refs--
	fm.unmapIfIdle()
}

// close retires the mapping; it is unmapped once no READ hashes it.
func (m *openMap) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if c := m.cur; c != nil {
		c.retired = true
		c.unmapIfIdle()
		m.cur = nil
	}
}

func (fm *fileMapping) unmapIfIdle() {
	if fm.retired && fm.refs == 0 && fm.base != nil {
		unix.MunmapPtr(fm.base, uintptr(fm.size))
		fm.base = nil
		openMapped.Add(-fm.size)
	}
}
