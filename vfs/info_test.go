package vfs

import (
	"io/fs"
	"testing"
	"time"
)

// plainInfo is a FileInfo with no platform data.
type plainInfo struct {
	name string
	size int64
	mod  time.Time
	sys  any
}

func (p plainInfo) Name() string       { return p.name }
func (p plainInfo) Size() int64        { return p.size }
func (p plainInfo) Mode() fs.FileMode  { return 0o644 }
func (p plainInfo) ModTime() time.Time { return p.mod }
func (p plainInfo) IsDir() bool        { return false }
func (p plainInfo) Sys() any           { return p.sys }

// richSys reports identity and times through the optional interfaces.
type richSys struct{}

var t0 = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

func (richSys) FileID() uint64 { return 42 }
func (richSys) Links() uint32  { return 3 }
func (richSys) Times() (a, m, c, b time.Time) {
	return t0.Add(1), t0.Add(2), t0.Add(3), t0
}

func TestHelpersFallback(t *testing.T) {
	fi := plainInfo{name: "x", size: 5000, mod: t0}
	if id := FileIndex(fi); id == 0 || id != FileIndex(plainInfo{name: "x"}) {
		t.Errorf("FileIndex = %d, not a stable non-zero hash", id)
	}
	if FileIndex(fi) == FileIndex(plainInfo{name: "y"}) {
		t.Error("different names hash alike")
	}
	if Links(fi) != 1 {
		t.Errorf("Links = %d", Links(fi))
	}
	a, m, c, b := Times(fi)
	for _, v := range []time.Time{a, m, c, b} {
		if !v.Equal(t0) {
			t.Errorf("Times = %v %v %v %v, want all ModTime", a, m, c, b)
			break
		}
	}
	for _, tt := range []struct{ size, want int64 }{{0, 0}, {1, 4096}, {4096, 4096}, {5000, 8192}} {
		if got := AllocationSize(plainInfo{size: tt.size}); got != tt.want {
			t.Errorf("AllocationSize(%d) = %d, want %d", tt.size, got, tt.want)
		}
	}
}

func TestHelpersOptionalInterfaces(t *testing.T) {
	fi := plainInfo{name: "x", mod: t0, sys: richSys{}}
	if FileIndex(fi) != 42 || Links(fi) != 3 {
		t.Errorf("FileIndex %d Links %d", FileIndex(fi), Links(fi))
	}
	a, m, c, b := Times(fi)
	if !a.Equal(t0.Add(1)) || !m.Equal(t0.Add(2)) || !c.Equal(t0.Add(3)) || !b.Equal(t0) {
		t.Errorf("Times = %v %v %v %v", a, m, c, b)
	}
}
