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
// that were hashed, so no response with a wrong signature may ever be
// completed:
//
//   - The path is refused while any open of the file, by any session,
//     holds write or append access or write caching (a lease or oplock
//     with W): SMB itself cannot change the range.
//   - A local process may still write or truncate the file. The file's
//     identity, size, mtime and ctime are taken before the mapping
//     (fileStamp). A truncation while hashing raises SIGBUS on the
//     mapping: it is turned into a panic (debug.SetPanicOnFault on the
//     hashing goroutine), recovered, and the READ takes the copy path; so
//     does any change seen right after hashing.
//   - The last payload byte is kept from the mapping while hashing and
//     held back: sendfile sends the header and all but that byte, the
//     stamp is checked again, and only if nothing changed (and sendfile
//     did not run short of file) does the byte go out and complete the
//     frame. Otherwise the connection is closed with the frame incomplete:
//     the client sees a dropped connection, never a response that fails
//     verification. A write(2) or truncate(2) updates ctime before it
//     changes data, and since Linux 6.13 a modification after a stat gets
//     a fine-grained timestamp on ext4, XFS, btrfs and tmpfs, so the
//     re-check sees every such change. What it cannot see: a write
//     through a shared writable mapping in another process to a page that
//     is already dirty (no fault, no timestamp update); coarse timestamps
//     on older kernels and other file systems; and, fundamentally, any
//     change after the last byte left: sendfile queues references to the
//     page-cache pages, not copies, so a later write or truncation (which
//     zeroes the tail of a partial page in place) alters bytes still in
//     the socket queues (on loopback, until the client reads them). Then
//     the signature is wrong and the client refuses the response (go-smb2
//     fails the call, Samba's client and Windows drop the connection):
//     never wrong data, but a failed READ. TestSignedSendfileTruncateLoop
//     shows it happening. Only the copy path rules it out, which is why
//     signed sendfile stays opt-in.

// signSendHook, when set (tests only), runs after the file is mapped and
// the header copied, just before hashing.
var signSendHook atomic.Pointer[func()]

// signSentHook, when set (tests only), runs after sendfile sent all but
// the last byte, before the file is checked again.
var signSentHook atomic.Pointer[func()]

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
		if x.access&writeAccess != 0 || oplockToCache(x.oplock)&cacheW != 0 ||
			(x.lease != nil && x.lease.state&cacheW != 0) {
			return false
		}
	}
	return true
}

// fileStamp is what a change of a file's data or size changes.
type fileStamp struct {
	dev, ino     uint64
	size         int64
	mtime, ctime unix.Timespec
}

// stampOf returns f's current stamp.
func stampOf(f zerocopy.Source) (fileStamp, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return fileStamp{}, err
	}
	var (
		st   unix.Stat_t
		serr error
	)
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil {
		return fileStamp{}, err
	}
	if serr != nil {
		return fileStamp{}, serr
	}
	return fileStamp{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim, ctime: st.Ctim}, nil
}

// Counters of the signed sendfile path's refusals, for tests and the
// debug log: READs that took the copy path because the file changed or
// faulted while hashing, and connections closed because it changed
// while sending.
var signSendFallbacks, signSendAborts atomic.Uint64

// signWithFile signs the last element msg (header and READ body, without
// payload) as if d's bytes followed it, leaving the signed header in msg.
// It reports false if the mapping failed or faulted; msg is then unsigned
// and the caller uses the copy path.
func (b *frameBuilder) signWithFile(msg []byte, d *readData) bool {
	f := d.f.(zerocopy.Source)
	before, err := stampOf(f)
	if err == nil && before.size < d.off+d.n {
		err = errors.New("file shorter than the READ")
	}
	if err == nil {
		b.zcLast, err = signMapped(b.lastR.sess.signer, msg, f, d.off, d.n)
	}
	if err == nil {
		var after fileStamp
		if after, err = stampOf(f); err == nil && after != before {
			err = errors.New("file changed while hashing")
		}
	}
	if err != nil {
		signSendFallbacks.Add(1)
		b.c.log.Debug("signed sendfile refused; copying", "err", err)
		return false
	}
	b.zcStamp = before
	return true
}

// sendSignedWithFile writes hdr and d's range, which was hashed over a
// mapping whose stamp was stamp, holding back the last payload byte until
// the file is known unchanged (see Signed sendfile). A non-nil error
// closes the connection.
func (c *conn) sendSignedWithFile(hdr []byte, d *readData, stamp fileStamp, last byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.armWriteDeadline()
	f := d.f.(zerocopy.Source)
	padded, zc, err := zerocopy.SendFile(c.sc, c.takeCorked(hdr), f, d.off, d.n-1)
	if err != nil {
		return err
	}
	if h := signSentHook.Load(); h != nil {
		(*h)()
	}
	now, serr := stampOf(f)
	if padded > 0 || serr != nil || now != stamp {
		signSendAborts.Add(1)
		c.log.Warn("file changed during a signed sendfile READ; closing the connection before the frame is complete, so that no response with a wrong signature reaches the client",
			"padded", padded, "err", serr)
		c.nc.Close() // nothing may ever complete the frame
		return errCloseConn
	}
	c.tail[0] = last
	if _, err := c.nc.Write(c.tail[:]); err != nil {
		return err
	}
	c.srv.data.read.Add(uint64(d.n))
	if zc {
		c.srv.data.readSendfile.Add(uint64(d.n))
	}
	return nil
}

var errFault = errors.New("fault while hashing mapped file (file truncated?)")

// signMapped signs msg followed by n bytes of f at off, reading the file
// through a mapping, stores the signed header back into msg and returns
// the last payload byte as hashed.
//
// HMAC-SHA256 and AES-CMAC hash header and payload as two parts
// (sign.Signer.SignWithPayload), so a plain read-only mapping of the range
// suffices. AES-GMAC needs one contiguous message (GCM additional data):
// the header is then placed in front of the data in address space, see
// signContiguous.
func signMapped(s *sign.Signer, msg []byte, f zerocopy.Source, off, n int64) (last byte, err error) {
	pg := int64(os.Getpagesize())
	if off < 0 || n <= 0 || int64(len(msg)) > pg || n > 1<<40 {
		return 0, fmt.Errorf("signed sendfile: bad range off=%d n=%d hdr=%d", off, n, len(msg))
	}
	if s.Algorithm() == sign.AESGMAC || len(msg)%16 != 0 {
		return signContiguous(s, msg, f, off, n)
	}
	delta := off % pg
	flen := (delta + n + pg - 1) &^ (pg - 1)
	base, err := mapFile(f, nil, off-delta, flen, false)
	if err != nil {
		return 0, err
	}
	defer unix.MunmapPtr(base, uintptr(flen))
	data := unsafe.Slice((*byte)(base), flen)[delta : delta+n]
	if !hashGuarded(func() { s.SignWithPayload(msg, data); last = data[n-1] }) {
		return 0, errFault
	}
	return last, nil
}

// signContiguous is signMapped for algorithms that need the message in one
// piece. An anonymous region of one page plus the page-rounded range is
// reserved, the file is mapped over it one page in, and the header is
// copied immediately in front of the data (copy-on-write of at most the
// first file page; the file itself is unchanged).
func signContiguous(s *sign.Signer, msg []byte, f zerocopy.Source, off, n int64) (last byte, err error) {
	pg := int64(os.Getpagesize())
	delta := off % pg
	flen := (delta + n + pg - 1) &^ (pg - 1)
	total := uintptr(pg + flen)
	base, err := unix.MmapPtr(-1, 0, nil, total, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return 0, fmt.Errorf("signed sendfile: reserve: %w", err)
	}
	defer unix.MunmapPtr(base, total)
	if _, err := mapFile(f, unsafe.Add(base, pg), off-delta, flen, true); err != nil {
		return 0, err
	}
	region := unsafe.Slice((*byte)(base), total)
	start := pg + delta - int64(len(msg))
	m := region[start : pg+delta+n]
	if !hashGuarded(func() { copy(m, msg); s.Sign(m); last = m[len(m)-1] }) {
		return 0, errFault
	}
	copy(msg, m[:len(msg)])
	return last, nil
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
