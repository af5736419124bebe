package server

import (
	"os"
	"strings"
	"unicode/utf8"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// maxComponentLen is the longest path component accepted, in bytes of
// UTF-8 (NTFS allows 255 UTF-16 units; Linux 255 bytes).
const maxComponentLen = 255

// sharePath converts an SMB path name (backslash separated, relative to
// the share root) into the slash-separated form the vfs takes. The share
// root is "". It refuses what must never reach the backend:
//
//   - NUL and other control characters, wildcards (* ? < > "), '|' and
//     stream names other than the default data stream ("name::$DATA"):
//     STATUS_OBJECT_NAME_INVALID
//   - empty or "." components in the middle: STATUS_OBJECT_NAME_INVALID
//   - ".." components: STATUS_OBJECT_PATH_SYNTAX_BAD (nothing may climb
//     out of the share, and Windows clients never send them)
//
// Leading and trailing backslashes are ignored; '/' is treated as a
// separator too.
func sharePath(name string) (string, smb2.Status) {
	name = strings.TrimSuffix(name, "::$DATA")
	name = strings.Trim(name, `\/`)
	if name == "" {
		return "", smb2.StatusSuccess
	}
	if !utf8.ValidString(name) {
		return "", smb2.StatusObjectNameInvalid
	}
	var b strings.Builder
	b.Grow(len(name))
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) {
			ch := name[i]
			if ch != '\\' && ch != '/' {
				if ch < 0x20 || strings.IndexByte(`*?<>"|:`, ch) >= 0 {
					return "", smb2.StatusObjectNameInvalid
				}
				continue
			}
		}
		comp := name[start:i]
		switch {
		case comp == "..":
			return "", smb2.StatusObjectPathSyntaxBad
		case comp == "" || comp == ".":
			return "", smb2.StatusObjectNameInvalid
		case len(comp) > maxComponentLen:
			return "", smb2.StatusObjectNameInvalid
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(comp)
		start = i + 1
	}
	return b.String(), smb2.StatusSuccess
}

// vfsName is the name to hand the vfs for a share path: "." for the root.
func vfsName(p string) string {
	if p == "" {
		return "."
	}
	return p
}

// parentPath returns the share path of p's parent directory ("" for the
// root's children) and p's last component.
func parentPath(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// smbName is the form of a share path shown to clients: backslash
// separated with a leading backslash ("\" for the root).
func smbName(p string) string {
	return `\` + strings.ReplaceAll(p, "/", `\`)
}

// pathWithin reports whether p is dir or lies below it.
func pathWithin(p, dir string) bool {
	if dir == "" {
		return true
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// resolveCase maps share path p onto the names that exist on disk,
// matching each component case-insensitively when the exact name is
// missing (SMB names are case-insensitive; most Unix file systems are
// not). Components that match nothing are kept as given, so the result
// can name a file about to be created. Exact matches cost one Lstat.
func resolveCase(fsys vfs.FS, p string) string {
	if p == "" {
		return p
	}
	if _, err := fsys.Lstat(p); err == nil {
		return p
	}
	parts := strings.Split(p, "/")
	dir := ""
	for i, comp := range parts {
		cand := comp
		if dir != "" {
			cand = dir + "/" + comp
		}
		if _, err := fsys.Lstat(cand); err != nil {
			if m, ok := findFold(fsys, dir, comp); ok {
				parts[i] = m
				if dir != "" {
					cand = dir + "/" + m
				} else {
					cand = m
				}
			} else {
				return strings.Join(parts, "/")
			}
		}
		dir = cand
	}
	return dir
}

// findFold looks for an entry of directory dir whose name equals name
// case-insensitively (the smallest such name if several do). It streams
// the listing, so a huge directory costs time, not memory.
func findFold(fsys vfs.FS, dir, name string) (string, bool) {
	d, err := fsys.OpenFile(vfsName(dir), os.O_RDONLY, 0)
	if err != nil {
		return "", false
	}
	defer d.Close()
	found, ok := "", false
	for {
		list, err := d.ReadDir(256)
		for _, e := range list {
			if n := e.Name(); strings.EqualFold(n, name) && (!ok || n < found) {
				found, ok = n, true
			}
		}
		if err != nil || len(list) == 0 {
			return found, ok
		}
	}
}
