//go:build linux

package server

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/zerosmb/zerosmb/internal/bench"
)

// BenchmarkStatCompound stats files with the CREATE+QUERY_INFO+CLOSE
// compound the Linux kernel client sends for stat(2) (the bench meta
// client), one request at a time over one connection: the server's
// per-open cost. Profile with -cpuprofile.
func BenchmarkStatCompound(b *testing.B) {
	ts := startServer(b, testOpts{})
	const files = 1000
	for i := range files {
		if err := os.WriteFile(filepath.Join(ts.Dir, fmt.Sprintf("f%04d", i)), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	c, err := bench.Dial(bench.ClientConfig{Addr: ts.Addr, Share: "share", User: testUser, Password: testPass})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ResetTimer()
	for i := range b.N {
		if err := c.Stat(fmt.Sprintf("f%04d", i%files)); err != nil {
			b.Fatal(err)
		}
	}
}
