//go:build linux

package server

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/sign"
	"github.com/zerosmb/zerosmb/zerocopy"
)

// Signed sendfile (Config.SignedSendfile): a signed READ response is
// normally built by copying the payload into the frame buffer and signing
// the whole message. Here the signature is computed over the header, the
// READ body and the file data read through a private mapping of the file
// (the MAC reads the page cache directly), and the payload then leaves with
// sendfile exactly as on the unsigned zero-copy path.
//
// Every signing algorithm wants one contiguous message, so the message is
// assembled in address space rather than in memory: an anonymous region of
// one page plus the page-rounded file range is reserved, the file is mapped
// MAP_PRIVATE|MAP_FIXED over it one page in, and the 80 header+body bytes
// are copied immediately in front of the data. That write touches at most
// the first file page (copy-on-write of one page; the file is unchanged).
//
// The signature is only right if the bytes sendfile sends are the bytes
// that were hashed. The path is therefore refused while any open of the
// file through SMB holds write or append access. A local process writing
// or truncating the file outside SMB between hashing and sendfile still
// makes the client see a bad signature (it then drops the connection);
// that is why the feature is opt-in. A truncation while hashing raises
// SIGBUS on the mapping: it is turned into a panic (debug.SetPanicOnFault),
// recovered, and the READ falls back to the copy path.

// signSendHook, when set (tests only), runs after the file is mapped and
// the header copied, just before hashing.
var signSendHook atomic.Pointer[func()]

// canSignedSendfile reports whether the signed READ payload d may leave
// through sendfile, with the signature computed over a mapping of the file.
func (b *frameBuilder) canSignedSendfile(r *request, d *readData) bool {
	c := b.c
	cfg := &c.srv.cfg
	if !cfg.SignedSendfile || !cfg.Sendfile || c.sc == nil || b.tr != nil ||
		r.compound || !b.signLast || r.sess == nil || r.sess.signer == nil {
		return false
	}
	if _, ok := d.f.(zerocopy.Source); !ok || !zerocopy.SendAvailable() {
		return false
	}
	return b.noWriters(r, d)
}

// writeAccess is the access that lets an open change file data or size.
const writeAccess = fileWriteData | fileAppendData | genericWrite | genericAll | maximumAllowed

// noWriters reports whether the open that produced d is found and no open
// of its node, including itself, may write the file. The reading handle
// counts too: a WRITE racing on the same handle would also change the
// bytes between hashing and sendfile.
func (b *frameBuilder) noWriters(r *request, d *readData) bool {
	if len(r.msg) < 64+32 {
		return false
	}
	vol := le.Uint64(r.msg[64+24:]) // READ FileId.Volatile
	b.c.mu.Lock()
	o := b.c.opens[vol]
	b.c.mu.Unlock()
	if o == nil || o.file != d.f || o.node == nil {
		return false
	}
	n := o.node
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range n.opens {
		if x.access&writeAccess != 0 {
			return false
		}
	}
	return true
}

// signWithFile signs the last element msg (header and READ body, without
// payload) as if d's bytes followed it, leaving the signed header in msg.
// It reports false if the mapping failed or faulted; msg is then unsigned
// and the caller uses the copy path.
func (b *frameBuilder) signWithFile(msg []byte, d *readData) bool {
	err := signMapped(b.lastR.sess.signer, msg, d.f.(zerocopy.Source), d.off, d.n)
	if err != nil {
		b.c.log.Debug("signed sendfile refused; copying", "err", err)
		return false
	}
	return true
}

var errFault = errors.New("fault while hashing mapped file (file truncated?)")

// signMapped signs msg followed by n bytes of f at off, reading the file
// through a private mapping, and stores the signed header back into msg.
func signMapped(s *sign.Signer, msg []byte, f zerocopy.Source, off, n int64) error {
	pg := int64(os.Getpagesize())
	if off < 0 || n <= 0 || int64(len(msg)) > pg || n > 1<<40 {
		return fmt.Errorf("signed sendfile: bad range off=%d n=%d hdr=%d", off, n, len(msg))
	}
	delta := off % pg
	flen := (delta + n + pg - 1) &^ (pg - 1)
	total := uintptr(pg + flen)
	base, err := unix.MmapPtr(-1, 0, nil, total, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("signed sendfile: reserve: %w", err)
	}
	defer unix.MunmapPtr(base, total)
	fbase := unsafe.Add(base, pg)
	if err := mapFile(f, fbase, off-delta, flen); err != nil {
		return err
	}
	region := unsafe.Slice((*byte)(base), total)
	start := pg + delta - int64(len(msg))
	if !hashGuarded(s, region[start:pg+delta+n], msg) {
		return errFault
	}
	copy(msg, region[start:start+int64(len(msg))])
	return nil
}

// mapFile maps flen bytes of f from the page-aligned offset aoff at addr,
// replacing the reservation there. The payload pages are read-only and
// prefaulted; the first page is made writable for the header
// (copy-on-write, private to this mapping).
func mapFile(f zerocopy.Source, addr unsafe.Pointer, aoff, flen int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("signed sendfile: file: %w", err)
	}
	var merr error
	cerr := rc.Control(func(fd uintptr) {
		_, merr = unix.MmapPtr(int(fd), aoff, addr, uintptr(flen), unix.PROT_READ,
			unix.MAP_PRIVATE|unix.MAP_FIXED|unix.MAP_POPULATE)
	})
	if merr == nil {
		merr = cerr
	}
	if merr != nil {
		return fmt.Errorf("signed sendfile: mmap: %w", merr)
	}
	first := unsafe.Slice((*byte)(addr), os.Getpagesize())
	if err := unix.Mprotect(first, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		return fmt.Errorf("signed sendfile: mprotect: %w", err)
	}
	return nil
}

// hashGuarded copies hdr to the front of m and signs m in place. A memory
// fault (SIGBUS: the file shrank under the mapping) is recovered and
// reported as false; any other panic propagates.
func hashGuarded(s *sign.Signer, m, hdr []byte) (ok bool) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if v := recover(); v != nil {
			if e, isFault := v.(runtime.Error); isFault {
				if _, hasAddr := e.(interface{ Addr() uintptr }); hasAddr {
					ok = false
					return
				}
			}
			panic(v)
		}
	}()
	copy(m, hdr)
	if h := signSendHook.Load(); h != nil {
		(*h)()
	}
	s.Sign(m)
	return true
}
