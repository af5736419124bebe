//go:build linux

package zerocopy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var testSizes = []int64{0, 1, 4095, 4096, 1<<20 + 3, 8 << 20}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t testing.TB) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	client, server = c.(*net.TCPConn), r.c.(*net.TCPConn)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// tempFile creates a file holding content.
func tempFile(t testing.TB, content []byte) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(content); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

type sendResult struct {
	padded   int64
	zeroCopy bool
	err      error
}

// sendAndRead runs send on the server side and reads want bytes plus a
// trailing marker on the client side, proving the frame length is exact.
func sendAndRead(t *testing.T, client, server *net.TCPConn, frameLen int, send func() sendResult) ([]byte, sendResult) {
	t.Helper()
	ch := make(chan sendResult, 1)
	go func() {
		r := send()
		if r.err == nil {
			_, r.err = server.Write([]byte("END!"))
		}
		ch <- r
	}()
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, frameLen+4)
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatalf("reading frame: %v", err)
	}
	r := <-ch
	if string(got[frameLen:]) != "END!" {
		t.Fatalf("frame not followed by marker: got %q", got[frameLen:])
	}
	return got[:frameLen], r
}

func TestSendFile(t *testing.T) {
	const off = 4097 // unaligned
	hdr := randBytes(84, 10)
	content := randBytes(int(off+8<<20+5), 11)
	f := tempFile(t, content)
	for _, n := range testSizes {
		client, server := tcpPair(t)
		before := Snapshot()
		got, r := sendAndRead(t, client, server, len(hdr)+int(n), func() sendResult {
			p, z, err := SendFile(server, hdr, f, off, n)
			return sendResult{p, z, err}
		})
		if r.err != nil || r.padded != 0 || !r.zeroCopy {
			t.Fatalf("n=%d: SendFile = padded %d, zeroCopy %v, err %v", n, r.padded, r.zeroCopy, r.err)
		}
		if !bytes.Equal(got[:len(hdr)], hdr) {
			t.Errorf("n=%d: header corrupted", n)
		}
		if !bytes.Equal(got[len(hdr):], content[off:off+n]) {
			t.Errorf("n=%d: payload differs", n)
		}
		d := Snapshot()
		if got := d.SendfileBytes - before.SendfileBytes; got != uint64(n) {
			t.Errorf("n=%d: SendfileBytes delta = %d, want %d", n, got, n)
		}
		if n > 0 && d.SendfileCalls == before.SendfileCalls {
			t.Errorf("n=%d: SendfileCalls did not move", n)
		}
		if d.CopySendBytes != before.CopySendBytes {
			t.Errorf("n=%d: copy path used", n)
		}
		if pos, _ := f.Seek(0, io.SeekCurrent); pos != int64(len(content)) {
			t.Errorf("n=%d: file position moved to %d", n, pos)
		}
	}
}

func TestSendFileShrunk(t *testing.T) {
	hdr := []byte("hdr")
	tests := []struct {
		name            string
		off, n, newSize int64
	}{
		{"tail", 3, 1 << 20, 3 + 1<<19},
		{"all", 3, 100000, 0},
		{"one-byte-left", 10, 5000, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := randBytes(int(tt.off+tt.n), 12)
			f := tempFile(t, content)
			if err := f.Truncate(tt.newSize); err != nil {
				t.Fatal(err)
			}
			client, server := tcpPair(t)
			before := Snapshot()
			got, r := sendAndRead(t, client, server, len(hdr)+int(tt.n), func() sendResult {
				p, z, err := SendFile(server, hdr, f, tt.off, tt.n)
				return sendResult{p, z, err}
			})
			avail := max(tt.newSize-tt.off, 0)
			if r.err != nil || r.padded != tt.n-avail {
				t.Fatalf("SendFile = padded %d, err %v; want padded %d", r.padded, r.err, tt.n-avail)
			}
			want := append(append([]byte(nil), hdr...), make([]byte, tt.n)...)
			copy(want[len(hdr):], content[tt.off:tt.off+avail])
			if !bytes.Equal(got, want) {
				t.Error("frame differs (payload then zeros expected)")
			}
			if d := Snapshot().PaddedBytes - before.PaddedBytes; d != uint64(tt.n-avail) {
				t.Errorf("PaddedBytes delta = %d, want %d", d, tt.n-avail)
			}
		})
	}
}

// withSendfile replaces the sendfile syscall for the duration of a test.
func withSendfile(t *testing.T, fn func(out, in int, off *int64, n int) (int, error)) {
	old := sendfileFn
	sendfileFn = fn
	t.Cleanup(func() { sendfileFn = old })
}

func TestSendFileFallback(t *testing.T) {
	withSendfile(t, func(int, int, *int64, int) (int, error) { return 0, unix.EINVAL })
	content := randBytes(3<<20, 13)
	f := tempFile(t, content)
	hdr := randBytes(84, 14)
	const off, n = 1, 3<<20 - 100
	client, server := tcpPair(t)
	before := Snapshot()
	got, r := sendAndRead(t, client, server, len(hdr)+n, func() sendResult {
		p, z, err := SendFile(server, hdr, f, off, n)
		return sendResult{p, z, err}
	})
	if r.err != nil || r.zeroCopy || r.padded != 0 {
		t.Fatalf("SendFile = padded %d, zeroCopy %v, err %v; want copy fallback", r.padded, r.zeroCopy, r.err)
	}
	if !bytes.Equal(got, append(append([]byte(nil), hdr...), content[off:off+n]...)) {
		t.Error("frame differs")
	}
	if d := Snapshot().CopySendBytes - before.CopySendBytes; d != n {
		t.Errorf("CopySendBytes delta = %d, want %d", d, n)
	}
}

func TestSendFileErrorAfterPayload(t *testing.T) {
	calls := 0
	withSendfile(t, func(out, in int, off *int64, n int) (int, error) {
		calls++
		if calls == 1 {
			return unix.Sendfile(out, in, off, 1000)
		}
		return 0, unix.EINVAL // no fallback once payload went out
	})
	f := tempFile(t, randBytes(5000, 15))
	client, server := tcpPair(t)
	_ = client
	_, _, err := SendFile(server, nil, f, 0, 5000)
	if !errors.Is(err, unix.EINVAL) {
		t.Fatalf("err = %v, want EINVAL", err)
	}
}

func TestSendFileDeadline(t *testing.T) {
	const n = 64 << 20 // more than loopback socket buffers absorb
	f := tempFile(t, nil)
	if err := f.Truncate(n); err != nil { // sparse: cheap to create
		t.Fatal(err)
	}
	_, server := tcpPair(t) // the client never reads
	server.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	_, _, err := SendFile(server, []byte("hdr"), f, 0, n)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestSendFileMatchesCopySend(t *testing.T) {
	content := randBytes(1<<20+77, 16)
	f := tempFile(t, content)
	hdr := randBytes(84, 17)
	const off, n = 13, 1 << 20
	client, server := tcpPair(t)
	a, _ := sendAndRead(t, client, server, len(hdr)+n, func() sendResult {
		p, z, err := SendFile(server, hdr, f, off, n)
		return sendResult{p, z, err}
	})
	b, _ := sendAndRead(t, client, server, len(hdr)+n, func() sendResult {
		p, err := CopySend(server, hdr, f, off, n)
		return sendResult{p, false, err}
	})
	if !bytes.Equal(a, b) {
		t.Error("SendFile and CopySend frames differ")
	}
}

// A SendFile stuck on a slow client must not block other sends of the same
// file (the file descriptor is pinned, not locked).
func TestSendFileSameFileNotSerialized(t *testing.T) {
	const n = 64 << 20
	f := tempFile(t, nil)
	if err := f.Truncate(n); err != nil {
		t.Fatal(err)
	}
	_, stuck := tcpPair(t) // never read
	stuck.SetWriteDeadline(time.Now().Add(5 * time.Second))
	done := make(chan error, 1)
	go func() {
		_, _, err := SendFile(stuck, nil, f, 0, n)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it fill the socket and park
	client, server := tcpPair(t)
	got, r := sendAndRead(t, client, server, 4096, func() sendResult {
		p, z, err := SendFile(server, nil, f, 0, 4096)
		return sendResult{p, z, err}
	})
	if r.err != nil || !bytes.Equal(got, make([]byte, 4096)) {
		t.Fatalf("second SendFile: %v", r.err)
	}
	select {
	case err := <-done:
		t.Fatalf("stuck SendFile finished early: %v", err)
	default:
	}
	stuck.Close()
	<-done
}

// TestReadNow: nothing readable gives 0 without waiting, readable bytes are
// consumed up to len(buf) and no further, a closed peer gives io.EOF.
func TestReadNow(t *testing.T) {
	client, server := tcpPair(t)
	buf := make([]byte, 8)
	start := time.Now()
	if n, err := ReadNow(server, buf); n != 0 || err != nil {
		t.Fatalf("empty socket: %d, %v", n, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("ReadNow waited %v", d)
	}
	client.Write([]byte("0123456789"))
	deadline := time.Now().Add(2 * time.Second)
	var got []byte
	for len(got) < 10 && time.Now().Before(deadline) {
		n, err := ReadNow(server, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n > len(buf) {
			t.Fatalf("ReadNow returned %d > %d", n, len(buf))
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "0123456789" {
		t.Fatalf("read %q", got)
	}
	client.Close()
	for time.Now().Before(deadline) {
		_, err := ReadNow(server, buf)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no io.EOF after the peer closed")
}
