// Package memfs is an in-memory vfs.FS for tests. It keeps a tree of
// nodes with inode numbers, link counts and the four file times, and
// reports errors the way osfs does on Linux (fs.ErrNotExist,
// fs.ErrExist, syscall.ENOTEMPTY, syscall.ENOTDIR, syscall.EISDIR, and
// vfs.ErrReadOnly for writes to a read-only view), so server tests can
// run against it without a disk.
//
// It has no symlinks (Lstat equals Stat), no permission checks, no
// alternate data streams, and no zero-copy: its files do not expose file
// descriptors. All methods are safe for concurrent use.
package memfs

import (
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

// maxFileSize caps a file's size so a stray huge offset in a test fails
// with EFBIG instead of exhausting memory.
const maxFileSize = 1 << 32

// Volume geometry reported by Statfs.
const (
	blockSize   = 4096
	totalBlocks = 1 << 20 // 4 GiB
	serial      = 0x4d454d46
)

// FS is an in-memory file tree. The zero value is not usable; call New.
type FS struct {
	t        *tree
	readOnly bool
	closed   atomic.Bool
}

// tree is the state shared by an FS and its read-only views.
type tree struct {
	mu      sync.RWMutex
	root    *node
	nextIno uint64
}

// node is a file or directory.
type node struct {
	ino   uint64
	mode  fs.FileMode // fs.ModeDir set for directories
	data  []byte
	kids  map[string]*node // directories only
	nlink uint32           // files: number of names (Link), 0 once all are removed
	atime time.Time
	mtime time.Time
	ctime time.Time
	btime time.Time
	// xattrs are the extended attributes (see xattr.go); nil when none.
	xattrs map[string][]byte
}

var _ vfs.FS = (*FS)(nil)

// New returns an empty, writable tree.
func New() *FS {
	t := &tree{nextIno: 1}
	t.root = t.newNode(fs.ModeDir|0o755, time.Now())
	return &FS{t: t}
}

// ReadOnly returns a read-only view of the same tree: every mutating call
// on it fails with an error wrapping vfs.ErrReadOnly, while changes made
// through fsys remain visible. Closing the view does not close fsys.
func (fsys *FS) ReadOnly() *FS {
	return &FS{t: fsys.t, readOnly: true}
}

func (t *tree) newNode(mode fs.FileMode, now time.Time) *node {
	n := &node{ino: t.nextIno, mode: mode, nlink: 1, atime: now, mtime: now, ctime: now, btime: now}
	t.nextIno++
	if mode.IsDir() {
		n.kids = make(map[string]*node)
	}
	return n
}

// unlink drops one name of n (files may have several: Link).
func (n *node) unlink() {
	if n.nlink > 0 && !n.mode.IsDir() {
		n.nlink--
	} else {
		n.nlink = 0
	}
}

// touch records a content change at now.
func (n *node) touch(now time.Time) {
	n.mtime = now
	n.ctime = now
}

func perr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// check validates name and the FS state for operation op.
func (fsys *FS) check(op, name string, mutating bool) (string, error) {
	p, err := vfs.CleanPath(name)
	if err != nil {
		return "", perr(op, name, err)
	}
	if fsys.closed.Load() {
		return "", perr(op, name, fs.ErrClosed)
	}
	if mutating && fsys.readOnly {
		return "", perr(op, name, vfs.ErrReadOnly)
	}
	return p, nil
}

// lookup finds the node at clean path p. Callers hold t.mu.
func (t *tree) lookup(p string) (*node, error) {
	n := t.root
	if p == "." {
		return n, nil
	}
	for elem := range strings.SplitSeq(p, "/") {
		if !n.mode.IsDir() {
			return nil, syscall.ENOTDIR
		}
		c, ok := n.kids[elem]
		if !ok {
			return nil, fs.ErrNotExist
		}
		n = c
	}
	return n, nil
}

// parent finds the directory holding clean, non-root path p and returns
// it with p's last element. Callers hold t.mu.
func (t *tree) parent(p string) (*node, string, error) {
	dir, base := ".", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, base = p[:i], p[i+1:]
	}
	d, err := t.lookup(dir)
	if err != nil {
		return nil, "", err
	}
	if !d.mode.IsDir() {
		return nil, "", syscall.ENOTDIR
	}
	return d, base, nil
}

// OpenFile opens or creates the named file or directory. It honours
// os.O_RDONLY/O_WRONLY/O_RDWR, O_CREATE, O_EXCL, O_TRUNC and O_APPEND.
func (fsys *FS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	write := acc == os.O_WRONLY || acc == os.O_RDWR
	create := flag&os.O_CREATE != 0
	trunc := flag&os.O_TRUNC != 0
	p, err := fsys.check("open", name, write || create || trunc || flag&os.O_APPEND != 0)
	if err != nil {
		return nil, err
	}
	t := fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	var n *node
	if p == "." {
		n = t.root
		if create && flag&os.O_EXCL != 0 {
			return nil, perr("open", name, fs.ErrExist)
		}
	} else {
		d, base, err := t.parent(p)
		if err != nil {
			return nil, perr("open", name, err)
		}
		n = d.kids[base]
		if n == nil {
			if !create {
				return nil, perr("open", name, fs.ErrNotExist)
			}
			now := time.Now()
			n = t.newNode(perm&fs.ModePerm, now)
			d.kids[base] = n
			d.touch(now)
		} else if create && flag&os.O_EXCL != 0 {
			return nil, perr("open", name, fs.ErrExist)
		}
	}
	if n.mode.IsDir() {
		if write || create || trunc {
			return nil, perr("open", name, syscall.EISDIR)
		}
	} else if trunc && len(n.data) > 0 { // as Linux does, even with O_RDONLY
		n.data = nil
		n.touch(time.Now())
	}
	return &file{
		fsys:   fsys,
		n:      n,
		name:   p,
		read:   acc != os.O_WRONLY,
		write:  write,
		append: flag&os.O_APPEND != 0,
	}, nil
}

// Mkdir creates a directory.
func (fsys *FS) Mkdir(name string, perm fs.FileMode) error {
	p, err := fsys.check("mkdir", name, true)
	if err != nil {
		return err
	}
	if p == "." {
		return perr("mkdir", name, fs.ErrExist)
	}
	t := fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	d, base, err := t.parent(p)
	if err != nil {
		return perr("mkdir", name, err)
	}
	if d.kids[base] != nil {
		return perr("mkdir", name, fs.ErrExist)
	}
	now := time.Now()
	d.kids[base] = t.newNode(fs.ModeDir|perm&fs.ModePerm, now)
	d.touch(now)
	return nil
}

// Remove removes a file or an empty directory.
func (fsys *FS) Remove(name string) error {
	p, err := fsys.check("remove", name, true)
	if err != nil {
		return err
	}
	if p == "." {
		return perr("remove", name, vfs.ErrShareRoot)
	}
	t := fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	d, base, err := t.parent(p)
	if err != nil {
		return perr("remove", name, err)
	}
	n := d.kids[base]
	if n == nil {
		return perr("remove", name, fs.ErrNotExist)
	}
	if n.mode.IsDir() && len(n.kids) > 0 {
		return perr("remove", name, syscall.ENOTEMPTY)
	}
	now := time.Now()
	delete(d.kids, base)
	d.touch(now)
	n.unlink()
	n.ctime = now
	return nil
}

// Chmod sets the permission bits of name (vfs.Chmoder).
func (fsys *FS) Chmod(name string, mode fs.FileMode) error {
	return fsys.change("chmod", name, func(n *node) {
		n.mode = n.mode&fs.ModeType | mode&fs.ModePerm
	})
}

// change applies set to the node of name under the tree lock and makes
// its change time now.
func (fsys *FS) change(op, name string, set func(n *node)) error {
	p, err := fsys.check(op, name, true)
	if err != nil {
		return err
	}
	t := fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.lookup(p)
	if err != nil {
		return perr(op, name, err)
	}
	set(n)
	n.ctime = time.Now()
	return nil
}

// checkPair checks the two names of a rename or link.
func (fsys *FS) checkPair(op, oldname, newname string) (string, string, error) {
	o, err := fsys.check(op, oldname, true)
	if err != nil {
		return "", "", err
	}
	n, err := fsys.check(op, newname, true)
	if err != nil {
		return "", "", err
	}
	return o, n, nil
}

// Link gives the file oldname the second name newname (vfs.Linker):
// fs.ErrExist if newname exists, syscall.EPERM for a directory.
func (fsys *FS) Link(oldname, newname string) error {
	op, np, err := fsys.checkPair("link", oldname, newname)
	if err != nil {
		return err
	}
	lerr := func(err error) error { return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: err} }
	if op == "." || np == "." {
		return lerr(vfs.ErrShareRoot)
	}
	t := fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.lookup(op)
	if err != nil {
		return lerr(err)
	}
	if n.mode.IsDir() {
		return lerr(syscall.EPERM)
	}
	d, base, err := t.parent(np)
	if err != nil {
		return lerr(err)
	}
	if d.kids[base] != nil {
		return lerr(fs.ErrExist)
	}
	now := time.Now()
	d.kids[base] = n
	d.touch(now)
	n.nlink++
	n.ctime = now
	return nil
}

// Rename moves oldname to newname, replacing a file at newname. Like
// os.Rename it never replaces a directory (fs.ErrExist), and a directory
// cannot replace a file (syscall.ENOTDIR).
func (fsys *FS) Rename(oldname, newname string) error {
	op, np, err := fsys.checkPair("rename", oldname, newname)
	if err != nil {
		return err
	}
	if op == "." || np == "." {
		return perr("rename", oldname, vfs.ErrShareRoot)
	}
	t := fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	od, obase, err := t.parent(op)
	if err != nil {
		return perr("rename", oldname, err)
	}
	nd, nbase, err := t.parent(np) // both parents resolve first, as in rename(2)
	if err != nil {
		return perr("rename", newname, err)
	}
	n := od.kids[obase]
	if n == nil {
		return perr("rename", oldname, fs.ErrNotExist)
	}
	if op == np {
		return nil
	}
	// Checks in the order osfs (os.Root, then rename(2)) makes them.
	old := nd.kids[nbase]
	switch {
	case old == n:
		return nil
	case old != nil && old.mode.IsDir():
		return perr("rename", newname, fs.ErrExist)
	case n.mode.IsDir() && strings.HasPrefix(np, op+"/"):
		return perr("rename", newname, syscall.EINVAL)
	case old != nil && n.mode.IsDir():
		return perr("rename", newname, syscall.ENOTDIR)
	case old != nil:
		old.unlink()
	}
	now := time.Now()
	delete(od.kids, obase)
	nd.kids[nbase] = n
	od.touch(now)
	nd.touch(now)
	n.ctime = now
	return nil
}

// Stat describes the named file.
func (fsys *FS) Stat(name string) (fs.FileInfo, error) {
	return fsys.stat("stat", name)
}

// Lstat is Stat: memfs has no symlinks.
func (fsys *FS) Lstat(name string) (fs.FileInfo, error) {
	return fsys.stat("lstat", name)
}

func (fsys *FS) stat(op, name string) (fs.FileInfo, error) {
	p, err := fsys.check(op, name, false)
	if err != nil {
		return nil, err
	}
	t := fsys.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, err := t.lookup(p)
	if err != nil {
		return nil, perr(op, name, err)
	}
	return n.info(baseName(p)), nil
}

// Chtimes sets the access and modification times; a zero time leaves
// that time unchanged. The change time becomes now.
func (fsys *FS) Chtimes(name string, atime, mtime time.Time) error {
	return fsys.change("chtimes", name, func(n *node) {
		if !atime.IsZero() {
			n.atime = atime
		}
		if !mtime.IsZero() {
			n.mtime = mtime
		}
	})
}

// Statfs reports a fixed 4 GiB volume, less the bytes held by files.
func (fsys *FS) Statfs() (vfs.FSStat, error) {
	if fsys.closed.Load() {
		return vfs.FSStat{}, fs.ErrClosed
	}
	t := fsys.t
	t.mu.RLock()
	used := t.root.blocks()
	t.mu.RUnlock()
	free := uint64(0)
	if used < totalBlocks {
		free = totalBlocks - used
	}
	return vfs.FSStat{
		BlockSize:   blockSize,
		TotalBlocks: totalBlocks,
		FreeBlocks:  free,
		Serial:      serial,
		Label:       "memfs",
	}, nil
}

// blocks counts the allocation units used below and including n.
func (n *node) blocks() uint64 {
	b := (uint64(len(n.data)) + blockSize - 1) / blockSize
	for _, c := range n.kids {
		b += c.blocks()
	}
	return b
}

// Close marks this FS value closed; later calls fail with fs.ErrClosed.
// Open files keep working.
func (fsys *FS) Close() error {
	if fsys.closed.Swap(true) {
		return fs.ErrClosed
	}
	return nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
