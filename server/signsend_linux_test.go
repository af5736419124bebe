//go:build linux

package server

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	gosmb2 "github.com/hirochachacha/go-smb2"

	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/internal/zerocopy"
)

// signedSendfileCases are (offset, length) pairs: page-boundary sizes,
// odd sizes and offsets that put the 80-byte header across the page start.
var signedSendfileCases = []struct{ off, n int64 }{
	{0, 1}, {0, 4095}, {0, 4096}, {0, 65537}, {0, 1<<20 + 3}, {0, 8 << 20},
	{1, 4095}, {79, 4096}, {80, 65537}, {4095, 4098}, {12345, 1<<20 + 3},
	{8191, 8 << 20},
}

// forEachSignedHash runs test once per signed sendfile hashing method.
func forEachSignedHash(t *testing.T, test func(*testing.T, SignedHash)) {
	for _, m := range []string{"pread", "mmap", "openmap"} {
		h, err := ParseSignedHash(m)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(m, func(t *testing.T) { test(t, h) })
	}
}

func ssRandomFile(t *testing.T, dir, name string, size int) []byte {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

// sendfileDelta waits until SendfileBytes has grown by expect since before
// (the server counts after sendfile returns, which may be after the client
// already has the bytes) or a deadline passes, and returns the growth.
func sendfileDelta(before, expect uint64) uint64 {
	wait := 2 * time.Second
	if expect == 0 {
		wait = 30 * time.Millisecond
	}
	deadline := time.Now().Add(wait)
	for {
		d := zerocopy.Snapshot().SendfileBytes - before
		if (expect != 0 && d >= expect) || time.Now().After(deadline) {
			return d
		}
		time.Sleep(time.Millisecond)
	}
}

// readSigned reads n bytes at off and checks them against want[off:off+n];
// it returns how many payload bytes went out with sendfile meanwhile,
// waiting for sendfileExpect of them.
func readSigned(t *testing.T, f *gosmb2.File, want []byte, off, n int64, sendfileExpect uint64) uint64 {
	t.Helper()
	before := zerocopy.Snapshot().SendfileBytes
	got := make([]byte, n)
	if _, err := f.ReadAt(got, off); err != nil && err != io.EOF {
		t.Fatalf("ReadAt(off=%d, n=%d): %v", off, n, err)
	}
	if !bytes.Equal(got, want[off:off+n]) {
		t.Fatalf("ReadAt(off=%d, n=%d): payload differs", off, n)
	}
	return sendfileDelta(before, sendfileExpect)
}

// viaSendfile is how many of n payload bytes a signed READ sends with
// sendfile: all but the held-back last byte of each response (go-smb2
// splits reads into 1 MiB requests).
func viaSendfile(n int64) uint64 {
	return uint64(n - (n+1<<20-1)>>20)
}

func TestSignedSendfileRoundTrip(t *testing.T) { forEachSignedHash(t, signedSendfileRoundTrip) }

func signedSendfileRoundTrip(t *testing.T, h SignedHash) {
	ts := startServer(t, testOpts{Signing: true, Sendfile: true, SignedSendfile: true, SignedHash: h})
	want := ssRandomFile(t, ts.Dir, "big.bin", 9<<20)
	share := dialGo(t, ts)
	f, err := share.Open("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range signedSendfileCases {
		if sent := readSigned(t, f, want, c.off, c.n, viaSendfile(c.n)); sent != viaSendfile(c.n) {
			t.Errorf("off=%d n=%d: sendfile moved %d bytes, want %d", c.off, c.n, sent, viaSendfile(c.n))
		}
	}
	// The tail of the file: the mapping ends inside the last page.
	off := int64(len(want) - 100)
	if sent := readSigned(t, f, want, off, 100, 99); sent != 99 {
		t.Errorf("tail read: sendfile moved %d bytes, want 99", sent)
	}
}

func TestSignedSendfileOffByDefault(t *testing.T) {
	ts := startServer(t, testOpts{Signing: true, Sendfile: true})
	want := ssRandomFile(t, ts.Dir, "f.bin", 1<<20)
	f, err := dialGo(t, ts).Open("f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sent := readSigned(t, f, want, 3, 65537, 0); sent != 0 {
		t.Errorf("signed READ without SignedSendfile used sendfile for %d bytes", sent)
	}
}

func TestSignedSendfileWritableOpenRefused(t *testing.T) {
	forEachSignedHash(t, signedSendfileWritableOpenRefused)
}

func signedSendfileWritableOpenRefused(t *testing.T, h SignedHash) {
	ts := startServer(t, testOpts{Signing: true, Sendfile: true, SignedSendfile: true, SignedHash: h})
	want := ssRandomFile(t, ts.Dir, "f.bin", 1<<20)
	share := dialGo(t, ts)
	f, err := share.Open("f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := share.OpenFile("f.bin", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sent := readSigned(t, f, want, 7, 100000, 0); sent != 0 {
		t.Errorf("with a writable open elsewhere, sendfile moved %d bytes", sent)
	}
	if sent := readSigned(t, w, want, 7, 100000, 0); sent != 0 {
		t.Errorf("reading through the writable handle, sendfile moved %d bytes", sent)
	}
	w.Close()
	if sent := readSigned(t, f, want, 7, 100000, 99999); sent != 99999 {
		t.Errorf("after the writer closed, sendfile moved %d bytes, want 99999", sent)
	}
}

func TestSignedSendfileTruncatedWhileHashing(t *testing.T) {
	forEachSignedHash(t, signedSendfileTruncatedWhileHashing)
}

func signedSendfileTruncatedWhileHashing(t *testing.T, h SignedHash) {
	ts := startServer(t, testOpts{Signing: true, Sendfile: true, SignedSendfile: true, SignedHash: h})
	path := filepath.Join(ts.Dir, "f.bin")
	want := ssRandomFile(t, ts.Dir, "f.bin", 1<<20)
	f, err := dialGo(t, ts).Open("f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fired atomic.Int32
	hook := func() {
		fired.Add(1)
		if err := os.Truncate(path, 0); err != nil {
			t.Error(err)
		}
	}
	signSendHook.Store(&hook)
	before := zerocopy.Snapshot().SendfileBytes
	got := make([]byte, 200000)
	_, err = f.ReadAt(got, 5)
	signSendHook.Store(nil)
	if err != nil && err != io.EOF {
		t.Fatalf("read during truncation: %v", err)
	}
	if n := fired.Load(); n != 1 {
		t.Fatalf("hook fired %d times, want 1", n)
	}
	if d := sendfileDelta(before, 0); d != 0 {
		t.Errorf("faulted READ still used sendfile for %d bytes", d)
	}
	if !bytes.Equal(got, make([]byte, len(got))) {
		t.Error("READ of a file truncated to 0 should be zero-padded")
	}
	// The connection is still in sync and the path works again.
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	if sent := readSigned(t, f, want, 5, 200000, 199999); sent != 199999 {
		t.Errorf("after the fault, sendfile moved %d bytes, want 199999", sent)
	}
}

// TestSignMappedAllAlgorithms compares the signature of every hashing
// method (pread chunks, per-READ mapping, per-open mapping) with Sign over
// a contiguous copy for every algorithm (go-smb2 only exercises CMAC).
func TestSignMappedAllAlgorithms(t *testing.T) {
	dir := t.TempDir()
	data := ssRandomFile(t, dir, "f", 3<<20)
	f, err := os.Open(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var om openMap
	defer om.close()
	methods := map[string]func(*sign.Signer, []byte, int64, int64) (byte, error){
		"pread": func(s *sign.Signer, hdr []byte, off, n int64) (byte, error) { return signPread(s, hdr, f, off, n) },
		"mmap":  func(s *sign.Signer, hdr []byte, off, n int64) (byte, error) { return signMapped(s, hdr, f, off, n) },
		"openmap": func(s *sign.Signer, hdr []byte, off, n int64) (byte, error) {
			return om.sign(s, hdr, f, off, n)
		},
	}
	key := make([]byte, 16)
	rand.Read(key)
	for _, alg := range []sign.Algorithm{sign.HMACSHA256, sign.AESCMAC, sign.AESGMAC} {
		s, err := sign.NewSigner(alg, key)
		if err != nil {
			t.Fatal(err)
		}
		for name, signFile := range methods {
			for _, c := range []struct{ off, n int64 }{{0, 1}, {1, 4095}, {79, 4096}, {80, 17}, {4000, 70000}, {4096, 1 << 20}, {12345, 2<<20 + 3}, {3<<20 - 5, 5}} {
				hdr := make([]byte, 80)
				rand.Read(hdr)
				hdr[0], hdr[1], hdr[2], hdr[3] = 0xfe, 'S', 'M', 'B'
				full := append(append([]byte(nil), hdr...), data[c.off:c.off+c.n]...)
				s.Sign(full)
				last, err := signFile(s, hdr, c.off, c.n)
				if err != nil {
					t.Fatalf("%v %s off=%d n=%d: %v", alg, name, c.off, c.n, err)
				}
				if last != data[c.off+c.n-1] {
					t.Errorf("%v %s off=%d n=%d: last byte %#x, want %#x", alg, name, c.off, c.n, last, data[c.off+c.n-1])
				}
				if !bytes.Equal(hdr, full[:80]) {
					t.Errorf("%v %s off=%d n=%d: signature differs from Sign over a contiguous copy", alg, name, c.off, c.n)
				}
			}
		}
	}
	// Ranges past EOF are reported (short read, or a fault on the
	// mapping), not crashed on.
	s, _ := sign.NewSigner(sign.AESGMAC, key)
	for name, signFile := range methods {
		if _, err := signFile(s, make([]byte, 80), 4<<20, 8192); err == nil {
			t.Errorf("%s: range past EOF: want an error", name)
		}
	}
}

// TestOpenMapLifecycle: the per-open mapping grows with the file, a
// replaced or closed mapping is unmapped only once no READ holds it, and a
// closed open maps nothing more.
func TestOpenMapLifecycle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	data := ssRandomFile(t, dir, "f", 10000)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var om openMap
	a, err := om.acquire(f, 100)
	if err != nil {
		t.Fatal(err)
	}
	if a.size != 12288 {
		t.Errorf("first mapping is %d bytes, want the file rounded to pages (12288)", a.size)
	}
	b, err := om.acquire(f, 5000) // inside: the same mapping
	if err != nil || b != a {
		t.Fatalf("acquire inside the mapping: %v, same=%v", err, b == a)
	}
	om.release(b)
	data = append(data, make([]byte, 20000)...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := om.acquire(f, 30000) // past it: a new, larger mapping
	if err != nil || c == a || c.size < 30000 {
		t.Fatalf("acquire past the mapping: %v, same=%v", err, c == a)
	}
	if a.base == nil {
		t.Error("the old mapping was unmapped while a READ still held it")
	}
	if got := unsafe.Slice((*byte)(a.base), 10000)[9999]; got != data[9999] {
		t.Errorf("old mapping reads %#x, want %#x", got, data[9999])
	}
	om.release(a)
	if a.base != nil {
		t.Error("the replaced mapping was not unmapped after its last READ")
	}
	// Another file (the open's file replaced): never its old mapping.
	other := ssRandomFile(t, dir, "g", 40000)
	g, err := os.Open(filepath.Join(dir, "g"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	d, err := om.acquire(g, 100)
	if err != nil || d == c {
		t.Fatalf("acquire for another file: %v, same mapping=%v", err, d == c)
	}
	if got := unsafe.Slice((*byte)(d.base), 100)[99]; got != other[99] {
		t.Errorf("mapping for the other file reads %#x, want %#x", got, other[99])
	}
	om.release(d)
	om.release(c)
	if c.base != nil {
		t.Error("the mapping replaced by another file's was not unmapped after its last READ")
	}
	c, err = om.acquire(f, 30000) // and back: f is mapped anew
	if err != nil || c == d {
		t.Fatalf("acquire for the first file again: %v, same=%v", err, c == d)
	}
	if d.base != nil {
		t.Error("the other file's idle mapping was not unmapped when replaced")
	}
	om.close()
	if c.base == nil {
		t.Error("close unmapped a mapping a READ still holds")
	}
	held := openMapped.Load()
	om.release(c)
	if c.base != nil {
		t.Error("the mapping was not unmapped after close and its last READ")
	}
	if got := held - openMapped.Load(); got != c.size {
		t.Errorf("unmapping released %d bytes of the server-wide count, want %d", got, c.size)
	}
	if _, err := om.acquire(f, 100); err == nil {
		t.Error("acquire after close: want an error")
	}
}

// isUnverified reports a go-smb2 error for a response whose signature
// did not verify: what signed sendfile must never produce.
func isUnverified(err error) bool {
	return err != nil && strings.Contains(err.Error(), "unverified")
}

// TestSignedSendfileChangedWhileSending: a local write after hashing,
// while the payload is on its way, closes the connection before the
// frame is complete; the client never sees a response that fails
// verification, and a new connection works.
func TestSignedSendfileChangedWhileSending(t *testing.T) {
	forEachSignedHash(t, signedSendfileChangedWhileSending)
}

func signedSendfileChangedWhileSending(t *testing.T, h SignedHash) {
	ts := startServer(t, testOpts{Signing: true, Sendfile: true, SignedSendfile: true, SignedHash: h})
	path := filepath.Join(ts.Dir, "f.bin")
	want := ssRandomFile(t, ts.Dir, "f.bin", 1<<20)
	f, err := dialGo(t, ts).Open("f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hook := func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		w.WriteAt([]byte("changed"), 1000) // same size, other bytes
		w.Close()
	}
	signSentHook.Store(&hook)
	aborts := signSendAborts.Load()
	_, err = f.ReadAt(make([]byte, 300000), 0)
	signSentHook.Store(nil)
	if err == nil || isUnverified(err) {
		t.Fatalf("READ of a file changed while sending: err = %v, want the connection closed", err)
	}
	if signSendAborts.Load() != aborts+1 {
		t.Errorf("aborts %d -> %d, want one more", aborts, signSendAborts.Load())
	}
	copy(want[1000:], "changed")
	f2, err := dialGo(t, ts).Open("f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	readSigned(t, f2, want, 0, 300000, 299999)
}

// TestSignedSendfileTruncateLoop truncates and rewrites the file in a
// loop under signed READs (AES-CMAC from go-smb2; the GMAC contiguous
// path is covered by TestSignMappedAllAlgorithms). The server must never
// crash (a SIGBUS on the mapping would kill this test binary), a READ
// that succeeds returns the file's bytes or, where it shrank on the copy
// path, zeros, and the connection stays usable or closes.
//
// Responses that fail verification do occur, and no server-side check
// can prevent them: sendfile queues references to the page-cache pages,
// not copies, and a truncation after sendfile returned zeroes the tail of
// a partial page that is still queued (on loopback until the client
// reads it). The client's signature check catches every one of them
// (counted and logged here); this is why signed sendfile is not the
// default for files other programs may change (docs/benchmarks.md,
// "Signed READ: sendfile or copy").
func TestSignedSendfileTruncateLoop(t *testing.T) { forEachSignedHash(t, signedSendfileTruncateLoop) }

func signedSendfileTruncateLoop(t *testing.T, h SignedHash) {
	ts := startServer(t, testOpts{Signing: true, Sendfile: true, SignedSendfile: true, SignedHash: h})
	path := filepath.Join(ts.Dir, "f.bin")
	want := ssRandomFile(t, ts.Dir, "f.bin", 4<<20)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer w.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				w.Truncate(int64(len(want)))
				w.WriteAt(want, 0)
				return
			default:
			}
			cut := int64(i*397*1024) % int64(len(want))
			w.Truncate(cut)
			time.Sleep(50 * time.Microsecond)
			w.WriteAt(want[cut:], cut)
			time.Sleep(200 * time.Microsecond)
		}
	}()
	deadline := time.Now().Add(3 * time.Second)
	if testing.Short() {
		deadline = time.Now().Add(time.Second)
	}
	var reads, ok, closed, unverified int
	fb, ab, sb := signSendFallbacks.Load(), signSendAborts.Load(), zerocopy.Snapshot().SendfileBytes
	for time.Now().Before(deadline) {
		share := dialGo(t, ts)
		f, err := share.Open("f.bin")
		if err != nil {
			t.Fatal(err)
		}
		for time.Now().Before(deadline) {
			off := int64(reads*123457) % int64(len(want)-(1<<20))
			got := make([]byte, 1<<20)
			reads++
			n, err := f.ReadAt(got, off)
			if isUnverified(err) {
				unverified++ // refused by the client, see above
				continue
			}
			for i := 0; i < n; i++ {
				if got[i] != want[off+int64(i)] && got[i] != 0 {
					t.Fatalf("read %d at %d: byte %d is %#x, want %#x or 0", reads, off, i, got[i], want[off+int64(i)])
				}
			}
			if err != nil && err != io.EOF {
				closed++
				break // the connection is gone: dial again
			}
			ok++
		}
		f.Close()
	}
	close(stop)
	<-done
	t.Logf("%d READs: %d answered, %d refused by the client's signature check, %d ended in a closed connection; %d copy-path fallbacks, %d aborted sends, %d bytes by sendfile",
		reads, ok, unverified, closed, signSendFallbacks.Load()-fb, signSendAborts.Load()-ab, zerocopy.Snapshot().SendfileBytes-sb)
	if ok == 0 {
		t.Error("no READ succeeded")
	}
	// The server is alive and the file whole again.
	f, err := dialGo(t, ts).Open("f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	readSigned(t, f, want, 4096, 1<<20, 1<<20-1)
}
