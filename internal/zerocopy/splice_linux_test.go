//go:build linux

package zerocopy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// recvCase sends payload followed by "NEXT" from client, receives the payload
// into f at off on server, and checks the file and the stream.
func recvCase(t *testing.T, r *Receiver, f *os.File, pre []byte, off int64, payload []byte) int64 {
	t.Helper()
	client, server := tcpPair(t)
	go func() {
		client.Write(payload)
		client.Write([]byte("NEXT"))
	}()
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	w, err := r.RecvFile(server, f, off, int64(len(payload)))
	if err != nil || w != int64(len(payload)) {
		t.Fatalf("n=%d: RecvFile = %d, %v", len(payload), w, err)
	}
	want := append([]byte(nil), pre...)
	copy(want[off:], payload)
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("n=%d: file differs (len %d, want %d)", len(payload), len(got), len(want))
	}
	next := make([]byte, 4)
	if _, err := io.ReadFull(server, next); err != nil || string(next) != "NEXT" {
		t.Fatalf("n=%d: after payload read %q, %v; want NEXT", len(payload), next, err)
	}
	return w
}

func TestRecvFile(t *testing.T) {
	const off = 4099
	r := NewReceiver()
	defer r.Close()
	for _, n := range testSizes {
		pre := bytes.Repeat([]byte{0xAA}, int(off+n+1000))
		f := tempFile(t, pre)
		before := Snapshot()
		recvCase(t, r, f, pre, off, randBytes(int(n), uint64(n)))
		d := Snapshot()
		if got := d.SpliceBytes - before.SpliceBytes; got != uint64(n) {
			t.Errorf("n=%d: SpliceBytes delta = %d, want %d", n, got, n)
		}
		if n > 0 && d.SpliceCalls == before.SpliceCalls {
			t.Errorf("n=%d: SpliceCalls did not move", n)
		}
		if d.CopyRecvBytes != before.CopyRecvBytes {
			t.Errorf("n=%d: copy path used", n)
		}
		if pos, _ := f.Seek(0, io.SeekCurrent); pos != int64(len(pre)) {
			t.Errorf("n=%d: file position moved to %d", n, pos)
		}
	}
}

func TestRecvFileExtends(t *testing.T) {
	r := NewReceiver()
	defer r.Close()
	pre := []byte("0123456789")
	f := tempFile(t, pre)
	payload := randBytes(70000, 20)
	client, server := tcpPair(t)
	go client.Write(payload)
	if _, err := r.RecvFile(server, f, 20, int64(len(payload))); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(f.Name())
	want := append(append(append([]byte(nil), pre...), make([]byte, 10)...), payload...)
	if !bytes.Equal(got, want) {
		t.Error("file differs after extending write")
	}
}

func TestRecvFilePeerClosed(t *testing.T) {
	r := NewReceiver()
	defer r.Close()
	f := tempFile(t, nil)
	client, server := tcpPair(t)
	go func() {
		client.Write(make([]byte, 300000))
		client.Close()
	}()
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	w, err := r.RecvFile(server, f, 0, 1<<20)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want ErrUnexpectedEOF", err)
	}
	if w != 300000 {
		t.Errorf("written = %d, want 300000", w)
	}
	// The Receiver remains usable for the next connection.
	pre := bytes.Repeat([]byte{1}, 5000)
	f2 := tempFile(t, pre)
	recvCase(t, r, f2, pre, 100, randBytes(4000, 21))
}

func TestRecvFileDeadline(t *testing.T) {
	r := NewReceiver()
	defer r.Close()
	f := tempFile(t, nil)
	client, server := tcpPair(t)
	client.Write(make([]byte, 1000))
	server.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err := r.RecvFile(server, f, 0, 5000)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestRecvFileFileError(t *testing.T) {
	r := NewReceiver()
	defer r.Close()
	wf := tempFile(t, []byte("keep"))
	ro, err := os.Open(wf.Name()) // read-only: writes fail with EBADF
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	const n = 2<<20 + 1
	client, server := tcpPair(t)
	go func() {
		client.Write(make([]byte, n))
		client.Write([]byte("NEXT"))
	}()
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	before := Snapshot()
	w, err := r.RecvFile(server, ro, 0, n)
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, unix.EBADF) {
		t.Fatalf("err = %v, want *FileError(EBADF)", err)
	}
	if w != 0 {
		t.Errorf("written = %d, want 0", w)
	}
	if d := Snapshot().DiscardedBytes - before.DiscardedBytes; d != n {
		t.Errorf("DiscardedBytes delta = %d, want %d", d, n)
	}
	next := make([]byte, 4)
	if _, err := io.ReadFull(server, next); err != nil || string(next) != "NEXT" {
		t.Fatalf("after refused payload read %q, %v; want NEXT", next, err)
	}
	if got, _ := os.ReadFile(wf.Name()); string(got) != "keep" {
		t.Errorf("file changed to %q", got)
	}
}

// withSplice replaces the splice syscall for the duration of a test.
func withSplice(t *testing.T, fn func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int64, error)) {
	old := spliceFn
	spliceFn = fn
	t.Cleanup(func() { spliceFn = old })
}

func TestRecvFileFallback(t *testing.T) {
	tests := []struct {
		name string
		fail func(roff, woff *int64) bool
	}{
		// The socket cannot splice: read+pwrite from the start.
		{"socket", func(roff, woff *int64) bool { return woff == nil }},
		// The file cannot splice: the first pipe-full is read out of the
		// pipe, the rest goes read+pwrite.
		{"file", func(roff, woff *int64) bool { return woff != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withSplice(t, func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int64, error) {
				if tt.fail(roff, woff) {
					return 0, unix.EINVAL
				}
				return splice(rfd, roff, wfd, woff, n, flags)
			})
			r := NewReceiver()
			defer r.Close()
			const off, n = 17, 3<<20 + 1
			pre := bytes.Repeat([]byte{0x55}, off+n+17)
			f := tempFile(t, pre)
			before := Snapshot()
			recvCase(t, r, f, pre, off, randBytes(n, 22))
			if d := Snapshot().CopyRecvBytes - before.CopyRecvBytes; d != n {
				t.Errorf("CopyRecvBytes delta = %d, want %d", d, n)
			}
		})
	}
}

func TestDiscard(t *testing.T) {
	r := NewReceiver()
	defer r.Close()
	for _, n := range testSizes {
		client, server := tcpPair(t)
		go func() {
			client.Write(randBytes(int(n), 23))
			client.Write([]byte("NEXT"))
		}()
		server.SetReadDeadline(time.Now().Add(10 * time.Second))
		before := Snapshot()
		if err := r.Discard(server, n); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if d := Snapshot().DiscardedBytes - before.DiscardedBytes; d != uint64(n) {
			t.Errorf("n=%d: DiscardedBytes delta = %d", n, d)
		}
		next := make([]byte, 4)
		if _, err := io.ReadFull(server, next); err != nil || string(next) != "NEXT" {
			t.Fatalf("n=%d: after discard read %q, %v; want NEXT", n, next, err)
		}
	}
}

func TestDiscardPeerClosed(t *testing.T) {
	r := NewReceiver()
	defer r.Close()
	client, server := tcpPair(t)
	client.Write(make([]byte, 10))
	client.Close()
	if err := r.Discard(server, 100); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want ErrUnexpectedEOF", err)
	}
}

func TestRecvFileMatchesCopyRecv(t *testing.T) {
	payload := randBytes(1<<20+9, 24)
	const off = 33
	pre := bytes.Repeat([]byte{7}, off+len(payload)+3)
	a, b := tempFile(t, pre), tempFile(t, pre)
	r := NewReceiver()
	defer r.Close()
	recvCase(t, r, a, pre, off, payload)
	client, server := tcpPair(t)
	go client.Write(payload)
	if _, err := CopyRecv(server, b, off, int64(len(payload))); err != nil {
		t.Fatal(err)
	}
	ga, _ := os.ReadFile(a.Name())
	gb, _ := os.ReadFile(b.Name())
	if !bytes.Equal(ga, gb) {
		t.Error("RecvFile and CopyRecv results differ")
	}
}

func TestReceiverPipe(t *testing.T) {
	r := NewReceiver()
	if err := r.ensurePipe(); err != nil {
		t.Fatal(err)
	}
	if r.size < 64<<10 {
		t.Errorf("pipe size %d below the default", r.size)
	}
	if max := pipeMaxSize(); max >= wantPipeSize && r.size != wantPipeSize {
		t.Logf("pipe size %d, wanted %d (soft limit?)", r.size, wantPipeSize)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if r.p[0] != -1 {
		t.Error("Close left a pipe behind")
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestRecvFileAppendRefused(t *testing.T) {
	tf := tempFile(t, []byte("keep"))
	f, err := os.OpenFile(tf.Name(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReceiver()
	defer r.Close()
	client, server := tcpPair(t)
	go func() {
		client.Write(make([]byte, 100000))
		client.Write([]byte("NEXT"))
	}()
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	w, err := r.RecvFile(server, f, 0, 100000)
	if !errors.Is(err, errAppend) || w != 0 {
		t.Fatalf("RecvFile = %d, %v; want 0, errAppend", w, err)
	}
	next := make([]byte, 4)
	if _, err := io.ReadFull(server, next); err != nil || string(next) != "NEXT" {
		t.Fatalf("after refused payload read %q, %v; want NEXT", next, err)
	}
	if got, _ := os.ReadFile(tf.Name()); string(got) != "keep" {
		t.Errorf("file changed to %q", got)
	}
}
