package osfs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReadDir lists a 10,000-entry directory 32 entries at a time
// (as the server does) with osfs and, for comparison, with os.File.
func BenchmarkReadDir(b *testing.B) {
	dir := b.TempDir()
	const n = 10000
	for i := range n {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%05d", i)))
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	fsys, err := New(dir, true)
	if err != nil {
		b.Fatal(err)
	}
	defer fsys.Close()
	for _, c := range []struct {
		name string
		open func() (dirReader, error)
	}{
		{"osfs", func() (dirReader, error) { return fsys.OpenFile("", os.O_RDONLY, 0) }},
		{"os.File", func() (dirReader, error) { return os.Open(dir) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				f, err := c.open()
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for {
					ents, err := f.ReadDir(32)
					if err == io.EOF {
						break
					}
					got += len(ents)
				}
				f.Close()
				if got != n {
					b.Fatalf("%d entries", got)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// dirReader is what the benchmark lists with: a vfs.File or an *os.File.
type dirReader interface {
	ReadDir(n int) ([]fs.DirEntry, error)
	Close() error
}
