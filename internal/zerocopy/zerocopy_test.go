package zerocopy

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// memFile is an in-memory io.ReaderAt / io.WriterAt.
type memFile struct {
	data   []byte
	failAt int64 // WriteAt fails for offsets ≥ failAt when failAt > 0
}

func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(p, m.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

var errDiskFull = errors.New("disk full")

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if m.failAt > 0 && off+int64(len(p)) > m.failAt {
		k := max(m.failAt-off, 0)
		n, _ := m.WriteAt(p[:k], off)
		return n, errDiskFull
	}
	if end := off + int64(len(p)); end > int64(len(m.data)) {
		m.data = append(m.data, make([]byte, end-int64(len(m.data)))...)
	}
	return copy(m.data[off:], p), nil
}

type errReaderAt struct{}

func (errReaderAt) ReadAt(p []byte, off int64) (int, error) { return 0, errDiskFull }

func TestCopySend(t *testing.T) {
	content := randBytes(3<<20, 1)
	hdr := []byte("HEADER-84")
	tests := []struct {
		name     string
		off, n   int64
		fileSize int
		padded   int64
	}{
		{"empty", 0, 0, 100, 0},
		{"one", 5, 1, 100, 0},
		{"small", 3, 4095, 1 << 20, 0},
		{"multi-buffer", 7, 2<<20 + 3, 3 << 20, 0},
		{"short", 10, 100, 60, 50},
		{"short-large", 1000, 2 << 20, 1 << 20, 1<<20 + 1000},
		{"past-eof", 500, 10, 100, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &memFile{data: content[:tt.fileSize]}
			before := Snapshot()
			var out bytes.Buffer
			padded, err := CopySend(&out, hdr, f, tt.off, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if padded != tt.padded {
				t.Errorf("padded = %d, want %d", padded, tt.padded)
			}
			want := append([]byte(nil), hdr...)
			want = append(want, make([]byte, tt.n)...)
			if tt.off < int64(tt.fileSize) {
				copy(want[len(hdr):], content[tt.off:tt.fileSize])
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("frame of %d bytes differs from expected %d bytes", out.Len(), len(want))
			}
			d := Snapshot()
			if got := d.CopySendBytes - before.CopySendBytes; got != uint64(tt.n-tt.padded) {
				t.Errorf("CopySendBytes delta = %d, want %d", got, tt.n-tt.padded)
			}
			if got := d.PaddedBytes - before.PaddedBytes; got != uint64(tt.padded) {
				t.Errorf("PaddedBytes delta = %d, want %d", got, tt.padded)
			}
		})
	}
}

func TestCopySendReadError(t *testing.T) {
	var out bytes.Buffer
	_, err := CopySend(&out, []byte("hdr"), errReaderAt{}, 0, 10)
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("err = %v, want disk full", err)
	}
	if out.Len() != 0 {
		t.Errorf("wrote %d bytes before failing, want 0", out.Len())
	}
	if _, err := CopySend(&out, nil, &memFile{}, -1, 1); err == nil {
		t.Error("negative offset accepted")
	}
}

func TestCopyRecv(t *testing.T) {
	payload := randBytes(2<<20+5, 2)
	tests := []struct{ off, n int64 }{{0, 0}, {1, 1}, {3, 4095}, {4096, 4096}, {9, 2<<20 + 5}}
	for _, tt := range tests {
		pre := bytes.Repeat([]byte{0xAA}, int(tt.off+tt.n+50))
		f := &memFile{data: append([]byte(nil), pre...)}
		src := bytes.NewReader(append(append([]byte(nil), payload[:tt.n]...), "NEXT"...))
		w, err := CopyRecv(src, f, tt.off, tt.n)
		if err != nil || w != tt.n {
			t.Fatalf("off %d n %d: CopyRecv = %d, %v", tt.off, tt.n, w, err)
		}
		want := append([]byte(nil), pre...)
		copy(want[tt.off:], payload[:tt.n])
		if !bytes.Equal(f.data, want) {
			t.Errorf("off %d n %d: file content differs", tt.off, tt.n)
		}
		if rest, _ := io.ReadAll(src); string(rest) != "NEXT" {
			t.Errorf("off %d n %d: stream left %q, want NEXT", tt.off, tt.n, rest)
		}
	}
}

func TestCopyRecvShortStream(t *testing.T) {
	f := &memFile{}
	w, err := CopyRecv(bytes.NewReader(make([]byte, 10)), f, 0, 20)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want ErrUnexpectedEOF", err)
	}
	if w != 10 {
		t.Errorf("written = %d, want 10", w)
	}
}

func TestCopyRecvFileError(t *testing.T) {
	n := int64(300 << 10)
	f := &memFile{failAt: 1000}
	src := bytes.NewReader(append(make([]byte, n), "NEXT"...))
	w, err := CopyRecv(src, f, 0, n)
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, errDiskFull) {
		t.Fatalf("err = %v, want *FileError wrapping disk full", err)
	}
	if w != 1000 {
		t.Errorf("written = %d, want 1000", w)
	}
	if rest, _ := io.ReadAll(src); string(rest) != "NEXT" {
		t.Errorf("stream left %q, want NEXT (payload not fully consumed)", rest)
	}
}

func TestCopyDiscard(t *testing.T) {
	src := bytes.NewReader(append(make([]byte, 70000), "NEXT"...))
	if err := copyDiscard(src, 70000); err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(src); string(rest) != "NEXT" {
		t.Errorf("stream left %q, want NEXT", rest)
	}
	if err := copyDiscard(bytes.NewReader(nil), 1); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want ErrUnexpectedEOF", err)
	}
}

// FuzzCopy checks the frame invariants of CopySend and CopyRecv for
// arbitrary file sizes, offsets and lengths: the frame always carries
// exactly n payload bytes, the file's bytes then zeros, and CopyRecv writes
// exactly [off, off+n).
func FuzzCopy(f *testing.F) {
	f.Add(uint32(100), uint32(0), uint32(100), []byte("h"))
	f.Add(uint32(10), uint32(5), uint32(70000), []byte{})
	f.Add(uint32(0), uint32(1000), uint32(1), []byte("header"))
	f.Fuzz(func(t *testing.T, size, off, n uint32, hdr []byte) {
		size, off, n = size%(200<<10), off%(200<<10), n%(200<<10)
		content := randBytes(int(size), uint64(size))
		var out bytes.Buffer
		padded, err := CopySend(&out, hdr, &memFile{data: content}, int64(off), int64(n))
		if err != nil {
			t.Fatal(err)
		}
		avail := min(int64(n), max(int64(size)-int64(off), 0))
		if padded != int64(n)-avail {
			t.Fatalf("padded = %d, want %d", padded, int64(n)-avail)
		}
		frame := out.Bytes()
		if len(frame) != len(hdr)+int(n) || !bytes.Equal(frame[:len(hdr)], hdr) {
			t.Fatalf("frame length %d, want %d", len(frame), len(hdr)+int(n))
		}
		payload := frame[len(hdr):]
		if !bytes.Equal(payload[:avail], content[min(int(off), len(content)):][:avail]) ||
			!bytes.Equal(payload[avail:], make([]byte, int64(n)-avail)) {
			t.Fatal("payload is not file bytes followed by zeros")
		}

		dst := &memFile{data: bytes.Repeat([]byte{0xEE}, int(size))}
		w, err := CopyRecv(bytes.NewReader(payload), dst, int64(off), int64(n))
		if err != nil || w != int64(n) {
			t.Fatalf("CopyRecv = %d, %v", w, err)
		}
		for i, b := range dst.data {
			inRange := i >= int(off) && i < int(off+n)
			if !inRange && i < int(size) && b != 0xEE {
				t.Fatalf("byte %d outside [off, off+n) changed", i)
			}
			if !inRange && i >= int(size) && b != 0 {
				t.Fatalf("hole byte %d is %#x", i, b)
			}
			if inRange && b != payload[i-int(off)] {
				t.Fatalf("byte %d not written", i)
			}
		}
	})
}
