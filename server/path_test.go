package server

import (
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func TestSharePath(t *testing.T) {
	tests := []struct {
		in   string
		want string
		st   smb2.Status
	}{
		{"", "", smb2.StatusSuccess},
		{`\`, "", smb2.StatusSuccess},
		{"a.txt", "a.txt", smb2.StatusSuccess},
		{`\dir\a.txt`, "dir/a.txt", smb2.StatusSuccess},
		{`dir\sub\`, "dir/sub", smb2.StatusSuccess},
		{"dir/a.txt", "dir/a.txt", smb2.StatusSuccess},
		{"a.txt::$DATA", "a.txt", smb2.StatusSuccess},
		{"a.txt:stream", "", smb2.StatusObjectNameInvalid},
		{"a.txt:stream:$DATA", "", smb2.StatusObjectNameInvalid},
		{`..\..\etc\passwd`, "", smb2.StatusObjectPathSyntaxBad},
		{`a\..\..\b`, "", smb2.StatusObjectPathSyntaxBad},
		{`a\..`, "", smb2.StatusObjectPathSyntaxBad},
		{`a\.\b`, "", smb2.StatusObjectNameInvalid},
		{`a\\b`, "", smb2.StatusObjectNameInvalid},
		{"a\x00b", "", smb2.StatusObjectNameInvalid},
		{"a\x01b", "", smb2.StatusObjectNameInvalid},
		{"*.txt", "", smb2.StatusObjectNameInvalid},
		{"a?c", "", smb2.StatusObjectNameInvalid},
		{`a<b`, "", smb2.StatusObjectNameInvalid},
		{`a"b`, "", smb2.StatusObjectNameInvalid},
		{`a|b`, "", smb2.StatusObjectNameInvalid},
		{"\xff\xfe", "", smb2.StatusObjectNameInvalid},
		{strings.Repeat("x", 255), strings.Repeat("x", 255), smb2.StatusSuccess},
		{strings.Repeat("x", 256), "", smb2.StatusObjectNameInvalid},
		{"...", "...", smb2.StatusSuccess},
		{"ünïcødé\\файл", "ünïcødé/файл", smb2.StatusSuccess},
	}
	for _, tt := range tests {
		got, st := sharePath(tt.in)
		if got != tt.want || st != tt.st {
			t.Errorf("sharePath(%q) = %q, %v; want %q, %v", tt.in, got, st, tt.want, tt.st)
		}
	}
}

func TestPathHelpers(t *testing.T) {
	if d, b := parentPath("a/b/c"); d != "a/b" || b != "c" {
		t.Errorf("parentPath = %q %q", d, b)
	}
	if d, b := parentPath("c"); d != "" || b != "c" {
		t.Errorf("parentPath top = %q %q", d, b)
	}
	if smbName("a/b") != `\a\b` || smbName("") != `\` {
		t.Errorf("smbName wrong")
	}
	for _, tt := range []struct {
		p, dir string
		want   bool
	}{
		{"a/b", "a", true}, {"a", "a", true}, {"ab", "a", false}, {"x", "", true}, {"a", "a/b", false},
	} {
		if got := pathWithin(tt.p, tt.dir); got != tt.want {
			t.Errorf("pathWithin(%q, %q) = %v", tt.p, tt.dir, got)
		}
	}
}

func FuzzSharePath(f *testing.F) {
	for _, s := range []string{"", `a\b`, `..\x`, "a::$DATA", "a:b", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, st := sharePath(in)
		if st != smb2.StatusSuccess {
			if p != "" {
				t.Fatalf("error with path %q", p)
			}
			return
		}
		if strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsAny(p, "\\:\x00*?") {
			t.Fatalf("sharePath(%q) = %q: not clean", in, p)
		}
		for _, c := range strings.Split(p, "/") {
			if p != "" && (c == "" || c == "." || c == "..") {
				t.Fatalf("sharePath(%q) = %q: bad component", in, p)
			}
		}
	})
}
