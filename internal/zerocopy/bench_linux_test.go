//go:build linux

package zerocopy

import (
	"io"
	"net"
	"testing"
)

const benchSize = 1 << 20

// drained returns the server end of a TCP pair whose client end is read
// and discarded in the background.
func drained(b *testing.B) *net.TCPConn {
	client, server := tcpPair(b)
	go io.Copy(io.Discard, client)
	return server
}

// fed returns the server end of a TCP pair whose client end keeps writing
// 1 MiB payloads until the benchmark ends.
func fed(b *testing.B) *net.TCPConn {
	client, server := tcpPair(b)
	payload := randBytes(benchSize, 31)
	go func() {
		for {
			if _, err := client.Write(payload); err != nil {
				return // closed by cleanup
			}
		}
	}()
	return server
}

func BenchmarkSendFile(b *testing.B) {
	f := tempFile(b, randBytes(benchSize, 30))
	server := drained(b)
	hdr := make([]byte, 84)
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, _, err := SendFile(server, hdr, f, 0, benchSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCopySend(b *testing.B) {
	f := tempFile(b, randBytes(benchSize, 30))
	server := drained(b)
	hdr := make([]byte, 84)
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := CopySend(server, hdr, f, 0, benchSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecvFile(b *testing.B) {
	f := tempFile(b, nil)
	server := fed(b)
	r := NewReceiver()
	defer r.Close()
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := r.RecvFile(server, f, 0, benchSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCopyRecv(b *testing.B) {
	f := tempFile(b, nil)
	server := fed(b)
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := CopyRecv(server, f, 0, benchSize); err != nil {
			b.Fatal(err)
		}
	}
}
