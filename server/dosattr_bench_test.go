//go:build linux

package server

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkListDir10k lists a 10,000-entry directory with go-smb2
// (QUERY_DIRECTORY, FileIdBothDirectoryInformation): files made outside
// the server (plain) and files carrying a stored DOS record (stored),
// which the listing reads per entry (dosattr.go), with the record cache
// (warm: every listing after the first finds them there) and without
// (nocache: every listing reads every entry's xattr).
//
//	go test ./server -run XXX -bench ListDir10k -benchtime 20x
func BenchmarkListDir10k(b *testing.B) {
	for _, v := range []struct {
		name          string
		stored, cache bool
	}{{"plain/warm", false, true}, {"plain/nocache", false, false}, {"stored/warm", true, true}, {"stored/nocache", true, false}} {
		stored := v.stored
		mod := func(cfg *Config) {
			if !v.cache {
				cfg.DOSAttribCache = -1
			}
		}
		b.Run(v.name, func(b *testing.B) {
			dir := b.TempDir()
			rec := []byte{1, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // HIDDEN
			for i := range 10000 {
				p := filepath.Join(dir, fmt.Sprintf("file%05d.txt", i))
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					b.Fatal(err)
				}
				if stored {
					if err := unix.Setxattr(p, "user.zerosmb.dosattrib", rec, 0); err != nil {
						b.Skipf("no user xattrs: %v", err)
					}
				}
			}
			hs := serveGuestLogged(b, dir, slog.LevelWarn, mod, testUser)
			fs := dialGo(b, hs.testServer)
			b.ResetTimer()
			for b.Loop() {
				ents, err := fs.ReadDir("")
				if err != nil || len(ents) != 10000 {
					b.Fatalf("%d entries, %v", len(ents), err)
				}
			}
		})
	}
}
