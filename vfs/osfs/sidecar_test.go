package osfs

import "testing"

// FuzzStreamFileName checks the on-disk stream names: every name maps
// to a valid, distinct file name that maps back, and unescaping a file
// name never panics.
func FuzzStreamFileName(f *testing.F) {
	for _, s := range []string{".", "..", "%", "%2E", "a%25b", "AFP_Resource", "%zz", "%4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		unescapeStream(name) // any on-disk name: no panic
		if name == "" {
			return
		}
		file := escapeStream(name)
		if file == "." || file == ".." || file == "" {
			t.Fatalf("escapeStream(%q) = %q", name, file)
		}
		back, err := unescapeStream(file)
		if err != nil || back != name {
			t.Fatalf("unescapeStream(escapeStream(%q)) = %q, %v", name, back, err)
		}
	})
}
