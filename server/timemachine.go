package server

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

// Time Machine shares (Share.TimeMachine). macOS backs up over SMB into a
// sparse bundle (NAME.sparsebundle/bands/* files of 8 MiB) on a share
// advertised in _adisk._tcp. It needs durable handles (granted on every
// share), FLUSH with F_FULLFSYNC semantics (every FLUSH is fsync(2), and
// the AAPL reply says FULL_SYNC) and a writable share. With
// TimeMachineMaxSize the share reports that size as its volume size and
// the free space as what is left of it after the sparse bundles, so
// Time Machine deletes old backups instead of filling the disk; the
// limit is what Time Machine respects, not a quota zerosmb enforces.

// tmUsageTTL is how long the measured size of a share's sparse bundles
// is reused; tmUsageMaxEntries bounds the directory entries one
// measurement reads (a 4 TB bundle has about 500,000 bands).
const (
	tmUsageTTL        = 10 * time.Second
	tmUsageMaxEntries = 4 << 20
)

// tmUsage caches the bytes used by a share's sparse bundles.
type tmUsage struct {
	mu    sync.Mutex
	at    time.Time
	bytes int64
}

// checkTimeMachine refuses Time Machine shares Time Machine cannot use.
func checkTimeMachine(sh *Share, maxDurable int) error {
	if !sh.TimeMachine {
		if sh.TimeMachineMaxSize != 0 {
			return fmt.Errorf("server: share %q: TimeMachineMaxSize without TimeMachine", sh.Name)
		}
		return nil
	}
	switch {
	case sh.ReadOnly:
		return fmt.Errorf("server: share %q: a Time Machine share must be writable", sh.Name)
	case maxDurable < 0:
		return fmt.Errorf("server: share %q: Time Machine needs durable handles (MaxDurableOpens is negative)", sh.Name)
	case sh.TimeMachineMaxSize < 0:
		return fmt.Errorf("server: share %q: negative TimeMachineMaxSize", sh.Name)
	}
	return nil
}

// timeMachineSize returns the total and free allocation units of unit
// bytes that a Time Machine share with a size limit reports: the limit,
// and what is left of it after the sparse bundles (never more than the
// file system really has free).
func (sh *Share) timeMachineSize(st vfs.FSStat, unit uint64) (total, free uint64) {
	max := uint64(sh.TimeMachineMaxSize)
	used := uint64(sh.bundleBytes())
	total = max / unit
	left := uint64(0)
	if used < max {
		left = (max - used) / unit
	}
	return min(total, st.TotalBlocks), min(left, st.FreeBlocks)
}

// bundleBytes is the size of the band files of the share's top-level
// *.sparsebundle directories, measured at most every tmUsageTTL.
func (sh *Share) bundleBytes() int64 {
	u := &sh.tmUsage
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.at.IsZero() && time.Since(u.at) < tmUsageTTL {
		return u.bytes
	}
	budget := tmUsageMaxEntries
	var total int64
	eachEntry(sh.FS, ".", &budget, func(e fs.DirEntry) {
		if !e.IsDir() || !strings.HasSuffix(strings.ToLower(e.Name()), ".sparsebundle") {
			return
		}
		eachEntry(sh.FS, path.Join(e.Name(), "bands"), &budget, func(b fs.DirEntry) {
			if fi, err := b.Info(); err == nil && fi.Mode().IsRegular() {
				total += fi.Size()
			}
		})
	})
	u.at, u.bytes = time.Now(), total
	return total
}

// eachEntry calls fn for the entries of dir, reading at most *budget of
// them (which it decrements) 1024 at a time; an error ends the listing.
func eachEntry(fsys vfs.FS, dir string, budget *int, fn func(fs.DirEntry)) {
	f, err := fsys.OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	for *budget > 0 {
		ents, err := f.ReadDir(min(*budget, 1024))
		*budget -= len(ents)
		for _, e := range ents {
			fn(e)
		}
		if err != nil || len(ents) == 0 {
			return
		}
	}
}
