package vfs

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"
)

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means an error is expected
	}{
		{"", "."},
		{".", "."},
		{"./", "."},
		{"a", "a"},
		{"a/b/c", "a/b/c"},
		{"a//b", "a/b"},
		{"a/./b/", "a/b"},
		{"./a", "a"},
		{"a/.", "a"},
		{"...", "..."},
		{"..a", "..a"},
		{"a..", "a.."},
		{".hidden", ".hidden"},
		{"ünïcode/名前", "ünïcode/名前"},
		{"..", ""},
		{"../x", ""},
		{"a/..", ""},
		{"a/../b", ""},
		{"a/../../x", ""},
		{"/", ""},
		{"/etc/passwd", ""},
		{"//x", ""},
		{"a\\b", ""},
		{"\\x", ""},
		{"a:b", ""},
		{"file:$DATA", ""},
		{"a\x00", ""},
		{"C:", ""},
	}
	for _, tt := range tests {
		got, err := CleanPath(tt.in)
		if tt.want == "" {
			if err == nil || !errors.Is(err, fs.ErrInvalid) || !errors.Is(err, ErrInvalidName) {
				t.Errorf("CleanPath(%q) = %q, %v; want ErrInvalidName", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCleanPathNoAllocWhenClean(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := CleanPath("dir/sub/file.txt"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("CleanPath of a clean name allocated %v times", allocs)
	}
}

func TestErrorsWrap(t *testing.T) {
	for _, tt := range []struct {
		err, target error
	}{
		{ErrInvalidName, fs.ErrInvalid},
		{ErrShareRoot, fs.ErrInvalid},
		{ErrOutsideShare, fs.ErrPermission},
		{ErrReadOnly, fs.ErrPermission},
	} {
		if !errors.Is(tt.err, tt.target) {
			t.Errorf("%v does not wrap %v", tt.err, tt.target)
		}
	}
}

// FuzzCleanPath checks CleanPath's contract on arbitrary input: either a
// canonical, relative, ".."-free path without forbidden bytes, or an
// ErrInvalidName.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", ".", "a/b", "a//b/./c/", "..", "a/../b", "/x", "a\\b", "a:b", "a\x00", "...", ".a/b."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CleanPath(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("CleanPath(%q): unexpected error %v", in, err)
			}
			bad := strings.ContainsAny(in, "\x00\\:") || strings.HasPrefix(in, "/")
			for elem := range strings.SplitSeq(in, "/") {
				bad = bad || elem == ".."
			}
			if !bad {
				t.Fatalf("CleanPath(%q) rejected an acceptable name", in)
			}
			return
		}
		if got == "" || strings.ContainsAny(got, "\x00\\:") || strings.HasPrefix(got, "/") {
			t.Fatalf("CleanPath(%q) = %q: not clean", in, got)
		}
		if path.Clean(got) != got {
			t.Fatalf("CleanPath(%q) = %q, path.Clean gives %q", in, got, path.Clean(got))
		}
		if got != "." {
			for elem := range strings.SplitSeq(got, "/") {
				if elem == "" || elem == "." || elem == ".." {
					t.Fatalf("CleanPath(%q) = %q has element %q", in, got, elem)
				}
			}
		}
		again, err := CleanPath(got)
		if err != nil || again != got {
			t.Fatalf("CleanPath not idempotent on %q: %q, %v", got, again, err)
		}
		// The cleaned path names the same thing: same non-empty,
		// non-"." elements in the same order.
		var want []string
		for elem := range strings.SplitSeq(in, "/") {
			if elem != "" && elem != "." {
				want = append(want, elem)
			}
		}
		if w := strings.Join(want, "/"); (w == "" && got != ".") || (w != "" && w != got) {
			t.Fatalf("CleanPath(%q) = %q, want %q", in, got, w)
		}
	})
}
