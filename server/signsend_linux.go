//go:build linux

package server

import (
	"errors"
	"runtime"
	"runtime/debug"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb2"
)

// Signed sendfile (Config.SignedSendfile): a signed READ response is
// normally built by copying the payload into the frame buffer and signing
// the whole message. Here the signature is computed over the header, the
// READ body and the file data, read through a mapping of the file (the MAC
// reads the page cache directly) or in small pread chunks
// (Config.SignedSendfileHash, signhash_linux.go), and the payload then
// leaves with sendfile exactly as on the unsigned zero-copy path. Every
// algorithm hashes header and data as separate parts (sign.Stream).
//
// The signature is only right if the bytes sendfile sends are the bytes
// that were hashed, so no response with a wrong signature may ever be
// completed:
//
//   - The path is refused while any open of the file, by any session,
//     holds write or append access or write caching (a lease or oplock
//     with W): SMB itself cannot change the range.
//   - A local process may still write or truncate the file. The file's
//     identity, size, mtime and ctime are taken before hashing
//     (fileStamp). A truncation while hashing raises SIGBUS on a
//     mapping: it is turned into a panic (debug.SetPanicOnFault on the
//     hashing goroutine), recovered, and the READ takes the copy path; so
//     does a short pread, and any change seen right after hashing.
//   - The last payload byte is kept as hashed and
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
	if b.c.srv.state.mayWrite(o, writeAccess) {
		return false
	}
	b.zcOpen = o
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
		b.zcLast, err = b.hashForSend(msg, d)
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
