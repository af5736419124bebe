//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// checkReconnect keeps a file open with data written and a byte-range
// lock held, has the host drop the client's TCP connection (the host
// side watches for rc.ready, closes every connection the server has
// accepted, creates rc.dropped through a connection of its own, and,
// once rc.done appears, checks that the server counted a durable
// reclaim), then goes on using the same descriptor: the client
// reconnects and reclaims its durable handle, so the open, its lock and
// its data are still there.
func checkReconnect(dir string, quiesce bool) error {
	f := filepath.Join(dir, "rc")
	fd, err := os.OpenFile(f, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		fd.Close()
		if quiesce {
			time.Sleep(2 * closeTimeout) // as in checkCoherence
		}
	}()
	old := bytes.Repeat([]byte("A"), 8192)
	if _, err := fd.Write(old); err != nil {
		return err
	}
	if err := fd.Sync(); err != nil {
		return err
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Start: 0, Len: 10}
	if err := unix.FcntlFlock(fd.Fd(), unix.F_SETLK, &lk); err != nil {
		return fmt.Errorf("F_SETLK: %w", err)
	}
	if err := os.WriteFile(f+".ready", nil, 0o644); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(f + ".dropped"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the host never dropped the connection")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The same descriptor, on the new connection.
	if _, err := fd.Write([]byte("BBBB")); err != nil {
		return fmt.Errorf("write after the reconnect: %w", err)
	}
	if err := fd.Sync(); err != nil {
		return fmt.Errorf("fsync after the reconnect: %w", err)
	}
	want := append(append([]byte{}, old...), "BBBB"...)
	got := make([]byte, len(want)+1)
	n, err := fd.ReadAt(got, 0)
	if n != len(want) || !bytes.Equal(got[:n], want) {
		return fmt.Errorf("read after the reconnect: %d bytes (%v), want %d", n, err, len(want))
	}
	if rc, err := tryLockChild(f, 0, 10); err != nil || rc != 3 {
		return fmt.Errorf("lock after the reconnect from another process: rc %d %v, want refused (the lock survives)", rc, err)
	}
	// SMB byte-range locks are mandatory: the uncached read below, through
	// a handle of its own, needs the range unlocked.
	lk.Type = unix.F_UNLCK
	if err := unix.FcntlFlock(fd.Fd(), unix.F_SETLK, &lk); err != nil {
		return fmt.Errorf("unlock after the reconnect: %w", err)
	}
	if err := compareFile(f, want); err != nil {
		return fmt.Errorf("after the reconnect, uncached: %w", err)
	}
	return os.WriteFile(f+".done", nil, 0o644)
}
