package server

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// TestResponseCorking pipelines READs and WRITEs from concurrent go-smb2
// goroutines on one connection (signed user session and unsigned guest
// session, so both the copy and the splice/sendfile paths run) and checks
// every byte, and that some responses were actually held back and written
// together with others.
func TestResponseCorking(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, Sendfile: true, RecvfileMin: 64 << 10})
	before := corkedFrames.Load()
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
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
	if corkedFrames.Load() == before {
		t.Error("no response was corked although 8 goroutines pipelined requests")
	}
}
