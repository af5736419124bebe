package server

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// TestResponseCorking pipelines READs and WRITEs from concurrent go-smb2
// goroutines on one connection (signed user session and unsigned guest
// session, so both the copy and the splice/sendfile paths run) and checks
// every byte, and that some responses were actually held back and written
// together with others.
func TestResponseCorking(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, Sendfile: true, RecvfileMin: 64 << 10})
	var corked uint64
	for _, who := range []string{"user", "guest"} {
		t.Run(who, func(t *testing.T) {
			fs := dialGo(t, ts)
			if who == "guest" {
				fs = dialGuest(t, ts)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					name := fmt.Sprintf("cork-%s-%d", who, g)
					f, err := fs.Create(name)
					if err != nil {
						errs <- err
						return
					}
					defer f.Close()
					for i := range 40 {
						size := 1000 + i
						if i%8 == 7 {
							size = 70 << 10 // over the recvfile threshold
						}
						data := randBytes(size, uint64(g*1000+i))
						off := int64(i) * 80 << 10
						if _, err := f.WriteAt(data, off); err != nil {
							errs <- fmt.Errorf("%s: write %d: %w", name, i, err)
							return
						}
						got := make([]byte, size)
						if _, err := f.ReadAt(got, off); err != nil {
							errs <- fmt.Errorf("%s: read %d: %w", name, i, err)
							return
						}
						if !bytes.Equal(got, data) {
							errs <- fmt.Errorf("%s: request %d: data differs", name, i)
							return
						}
					}
				}()
			}
			wg.Wait()
			corked += corkedSoFar(ts.Srv)
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
	if corked == 0 {
		t.Error("no response was corked although 8 goroutines pipelined requests")
	}
}

// corkedSoFar sums the frames held back on the server's open connections.
func corkedSoFar(s *Server) (n uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.wmu.Lock()
		n += c.corkedTotal
		c.wmu.Unlock()
	}
	return n
}

// TestPlainReadWrite: only lone, unencrypted READ/WRITE requests let
// corked responses wait; everything else flushes them first.
func TestPlainReadWrite(t *testing.T) {
	msg := func(cmd smb2.Command, next uint32) []byte {
		h := smb2.Header{Command: cmd, NextCommand: next}
		return append(h.Append(nil), make([]byte, 16)...)
	}
	transform := msg(smb2.Read, 0)
	le.PutUint32(transform, smb2.ProtocolTransform)
	for _, tc := range []struct {
		name string
		buf  []byte
		want bool
	}{
		{"READ", msg(smb2.Read, 0), true},
		{"WRITE", msg(smb2.Write, 0), true},
		{"FLUSH", msg(smb2.Flush, 0), false},
		{"QUERY_DIRECTORY", msg(smb2.QueryDirectory, 0), false},
		{"compound READ", msg(smb2.Read, 80), false},
		{"encrypted", transform, false},
		{"short", []byte{0xfe, 'S', 'M', 'B'}, false},
	} {
		if got := plainReadWrite(tc.buf); got != tc.want {
			t.Errorf("%s: plainReadWrite = %v, want %v", tc.name, got, tc.want)
		}
	}
}
