//go:build linux && amd64

package kclient

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	gosmb2 "github.com/hirochachacha/go-smb2"
)

// rewriteWhenReady is the host half of the guest's coherence checks: it
// watches the share for <variant>/coherence/coh.ready and then, as a
// second SMB client (go-smb2, its own connection and session), rewrites
// coh while the guest holds it cached, and creates coh.done. The server
// must break the guest's lease so that the guest reads the new bytes.
// Likewise for <variant>/dircoherence/dcoh.ready: it creates dcoh/new in
// the directory the guest has listed (and caches under its directory
// lease), then dcoh.done. The returned function stops the watcher and
// waits for it.
func rewriteWhenReady(t *testing.T, addr, shareDir string) (stop func()) {
	seen := map[string]bool{}
	return pollShare(func() {
		ready, _ := filepath.Glob(filepath.Join(shareDir, "*", "coherence", "coh.ready"))
		dready, _ := filepath.Glob(filepath.Join(shareDir, "*", "dircoherence", "dcoh.ready"))
		ready = append(ready, dready...)
		for _, r := range ready {
			if seen[r] {
				continue
			}
			seen[r] = true
			rel, err := filepath.Rel(shareDir, filepath.Dir(r))
			if err != nil {
				t.Errorf("coherence: %v", err)
				continue
			}
			do := rewrite
			if filepath.Base(r) == "dcoh.ready" {
				do = createInDir
			}
			if err := do(addr, filepath.ToSlash(rel)); err != nil {
				t.Errorf("coherence: host write to %s: %v", rel, err)
			}
		}
	})
}

// pollShare runs scan every 100 ms on a goroutine of its own, and once
// more when stopped (for a step the guest finished since the last
// tick); the returned function stops it and waits for it.
func pollShare(scan func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				scan()
				return
			case <-tick.C:
				scan()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// rewrite overwrites dir/coh with B's through go-smb2 and creates
// dir/coh.done.
func rewrite(addr, dir string) error {
	return withShare(addr, func(fs *gosmb2.Share) error {
		// Same length as the guest's A's: only a coherent read sees B's.
		f, err := fs.OpenFile(dir+"/coh", os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(bytes.Repeat([]byte("B"), 8192), 0); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return fs.WriteFile(dir+"/coh.done", nil, 0o644)
	})
}

// createInDir creates dir/dcoh/new and then dir/dcoh.done through
// go-smb2.
func createInDir(addr, dir string) error {
	return withShare(addr, func(fs *gosmb2.Share) error {
		if err := fs.WriteFile(dir+"/dcoh/new", []byte("host"), 0o644); err != nil {
			return err
		}
		return fs.WriteFile(dir+"/dcoh.done", nil, 0o644)
	})
}

// withShare runs f on the test share mounted through go-smb2 on a
// connection and session of its own.
func withShare(addr string, f func(fs *gosmb2.Share) error) error {
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	d := &gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: kUser, Password: kPass}}
	s, err := d.Dial(nc)
	if err != nil {
		return err
	}
	defer s.Logoff()
	fs, err := s.Mount(kShare)
	if err != nil {
		return err
	}
	defer fs.Umount()
	return f(fs)
}
