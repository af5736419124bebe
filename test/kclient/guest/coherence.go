//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// checkCoherence caches a file through an open handle (under the lease
// the client is granted), has the host rewrite it through a connection
// of its own (the host side watches for coh.ready, writes, then creates
// coh.done), and reads it again through the same handle without dropping
// any cache: the server's lease break must make the client see the new
// bytes.
func checkCoherence(dir string) error {
	f := filepath.Join(dir, "coh")
	old := bytes.Repeat([]byte("A"), 8192)
	if err := os.WriteFile(f, old, 0o644); err != nil {
		return err
	}
	fd, err := os.Open(f)
	if err != nil {
		return err
	}
	defer fd.Close()
	buf := make([]byte, len(old))
	for i := 0; i < 2; i++ {
		if _, err := fd.ReadAt(buf, 0); err != nil {
			return err
		}
		if !bytes.Equal(buf, old) {
			return fmt.Errorf("read %d: wrong bytes before the host's write", i)
		}
	}
	if err := os.WriteFile(f+".ready", nil, 0o644); err != nil {
		return err
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		if _, err := os.Stat(f + ".done"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the host never rewrote the file")
		}
		time.Sleep(200 * time.Millisecond)
	}
	want := bytes.Repeat([]byte("B"), len(old))
	if _, err := fd.ReadAt(buf, 0); err != nil {
		return err
	}
	if !bytes.Equal(buf, want) {
		return fmt.Errorf("after the host's write: read %q..., want %q...", buf[:8], want[:8])
	}
	return nil
}
