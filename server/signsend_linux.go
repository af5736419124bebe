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

	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb2"
)

// Signed sendfile (Config.SignedSendfile): a signed READ response is
// normally built by copying the payload into the frame buffer and signing
// the whole message. Here the signature is computed over the header, the
// READ body and the file data read through a mapping of the file (the MAC
// reads the page cache directly), and the payload then leaves with
// sendfile exactly as on the unsigned zero-copy path. HMAC-SHA256 and
// AES-CMAC hash header and mapped data as two parts; AES-GMAC needs one
// contiguous message, which is assembled in address space (signContiguous).
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
	if !cfg.SignedSendfile || !cfg.Sendfile || c.sc == nil || b.sealed ||
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
	req, err := smb2.DecodeReadRequest(r.msg)
	if err != nil {
		return false
	}
	b.c.mu.Lock()
	o := b.c.opens[req.FileID.Volatile]
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
// through a mapping, and stores the signed header back into msg.
//
// HMAC-SHA256 and AES-CMAC hash header and payload as two parts
// (sign.Signer.SignWithPayload), so a plain read-only mapping of the range
// suffices. AES-GMAC needs one contiguous message (GCM additional data):
// the header is then placed in front of the data in address space, see
// signContiguous.
func signMapped(s *sign.Signer, msg []byte, f zerocopy.Source, off, n int64) error {
	pg := int64(os.Getpagesize())
	if off < 0 || n <= 0 || int64(len(msg)) > pg || n > 1<<40 {
		return fmt.Errorf("signed sendfile: bad range off=%d n=%d hdr=%d", off, n, len(msg))
	}
	if s.Algorithm() == sign.AESGMAC || len(msg)%16 != 0 {
		return signContiguous(s, msg, f, off, n)
	}
	delta := off % pg
	flen := (delta + n + pg - 1) &^ (pg - 1)
	base, err := mapFile(f, nil, off-delta, flen, false)
	if err != nil {
		return err
	}
	defer unix.MunmapPtr(base, uintptr(flen))
	data := unsafe.Slice((*byte)(base), flen)[delta : delta+n]
	if !hashGuarded(func() { s.SignWithPayload(msg, data) }) {
		return errFault
	}
	return nil
}

// signContiguous is signMapped for algorithms that need the message in one
// piece. An anonymous region of one page plus the page-rounded range is
// reserved, the file is mapped over it one page in, and the header is
// copied immediately in front of the data (copy-on-write of at most the
// first file page; the file itself is unchanged).
func signContiguous(s *sign.Signer, msg []byte, f zerocopy.Source, off, n int64) error {
	pg := int64(os.Getpagesize())
	delta := off % pg
	flen := (delta + n + pg - 1) &^ (pg - 1)
	total := uintptr(pg + flen)
	base, err := unix.MmapPtr(-1, 0, nil, total, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("signed sendfile: reserve: %w", err)
	}
	defer unix.MunmapPtr(base, total)
	if _, err := mapFile(f, unsafe.Add(base, pg), off-delta, flen, true); err != nil {
		return err
	}
	region := unsafe.Slice((*byte)(base), total)
	start := pg + delta - int64(len(msg))
	m := region[start : pg+delta+n]
	if !hashGuarded(func() { copy(m, msg); s.Sign(m) }) {
		return errFault
	}
	copy(msg, m[:len(msg)])
	return nil
}

// mapFile maps flen bytes of f from the page-aligned offset aoff,
// prefaulted and read-only. With fixed it replaces a private reservation
// at addr and makes the first page writable (copy-on-write, private to
// the mapping); otherwise the kernel picks the address of a shared
// read-only mapping.
func mapFile(f zerocopy.Source, addr unsafe.Pointer, aoff, flen int64, fixed bool) (unsafe.Pointer, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("signed sendfile: file: %w", err)
	}
	flags := unix.MAP_SHARED | unix.MAP_POPULATE
	if fixed {
		flags = unix.MAP_PRIVATE | unix.MAP_FIXED | unix.MAP_POPULATE
	}
	var (
		p    unsafe.Pointer
		merr error
	)
	cerr := rc.Control(func(fd uintptr) {
		p, merr = unix.MmapPtr(int(fd), aoff, addr, uintptr(flen), unix.PROT_READ, flags)
	})
	if merr == nil {
		merr = cerr
	}
	if merr != nil {
		return nil, fmt.Errorf("signed sendfile: mmap: %w", merr)
	}
	if fixed {
		first := unsafe.Slice((*byte)(p), os.Getpagesize())
		if err := unix.Mprotect(first, unix.PROT_READ|unix.PROT_WRITE); err != nil {
			return nil, fmt.Errorf("signed sendfile: mprotect: %w", err)
		}
	}
	return p, nil
}

// hashGuarded runs hash, which reads a file mapping. A memory fault
// (SIGBUS: the file shrank under the mapping) is recovered and reported as
// false; any other panic propagates.
func hashGuarded(hash func()) (ok bool) {
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
	if h := signSendHook.Load(); h != nil {
		(*h)()
	}
	hash()
	return true
}
