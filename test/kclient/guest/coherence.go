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
func checkCoherence(dir string, quiesce bool) error {
	f := filepath.Join(dir, "coh")
	old := bytes.Repeat([]byte("A"), 8192)
	if err := os.WriteFile(f, old, 0o644); err != nil {
		return err
	}
	fd, err := os.Open(f)
	if err != nil {
		return err
	}
	defer func() {
		fd.Close()
		// Let the client finish what the breaks left it to do (deferred
		// closes, queued oplock-break and final-put work) before the
		// next step, the unmount: the 6.1 client's cifs_kill_sb drains
		// the oplock-break and deferred-close queues but not the one
		// that drops a closed file's last reference (fileinfo_put_wq),
		// and an unmount racing that is "busy inodes after unmount".
		if quiesce {
			time.Sleep(2 * closeTimeout)
		}
	}()
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

// checkDirCoherence lists a directory twice (the 6.1 client caches the
// handle and, under the directory lease the server grants, the entries:
// cached_dir), has the host create a file in it through a connection of
// its own (the host side watches for dcoh.ready, creates dcoh/new, then
// dcoh.done, both outside the listed directory's own entries but
// dcoh/new), and lists it again: the server's directory lease break must
// make the client see the new entry.
func checkDirCoherence(dir string, quiesce bool) error {
	d := filepath.Join(dir, "dcoh")
	if err := os.Mkdir(d, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d, "old"), []byte("x"), 0o644); err != nil {
		return err
	}
	list := func() ([]string, error) {
		es, err := os.ReadDir(d)
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names, err
	}
	for i := 0; i < 2; i++ {
		names, err := list()
		if err != nil {
			return err
		}
		if len(names) != 1 || names[0] != "old" {
			return fmt.Errorf("listing %d before the host's create: %q", i, names)
		}
	}
	if err := os.WriteFile(d+".ready", nil, 0o644); err != nil {
		return err
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		if _, err := os.Stat(d + ".done"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the host never created its file")
		}
		time.Sleep(200 * time.Millisecond)
	}
	names, err := list()
	if err != nil {
		return err
	}
	if quiesce {
		defer time.Sleep(2 * closeTimeout) // as in checkCoherence
	}
	if len(names) != 2 || names[0] != "new" || names[1] != "old" {
		return fmt.Errorf("listing after the host's create: %q, want [new old]", names)
	}
	return nil
}
