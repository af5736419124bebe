//go:build linux

package bench

import (
	"bytes"
	"os"
	"path/filepath"
)

// WriteFiles writes results.md (table), results.csv (raw runs) and
// results.png (chart) into dir.
func WriteFiles(dir string, rs []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	st := Summarize(rs)
	var md, csv, png bytes.Buffer
	if err := WriteMarkdown(&md, st); err != nil {
		return err
	}
	if err := WriteCSV(&csv, rs); err != nil {
		return err
	}
	if err := WriteChart(&png, st); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"results.md": md.Bytes(), "results.csv": csv.Bytes(), "results.png": png.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
