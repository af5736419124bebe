package memfs

import (
	"io/fs"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

var _ vfs.XattrFile = (*file)(nil)

// xattrCheck validates an attribute call on f.
func (f *file) xattrCheck(op string, mutating bool) error {
	switch {
	case f.isClosed():
		return perr(op, f.name, fs.ErrClosed)
	case mutating && f.fsys.readOnly:
		return perr(op, f.name, vfs.ErrReadOnly)
	}
	return nil
}

// Getxattr returns a copy of the value of attribute name.
func (f *file) Getxattr(name string) ([]byte, error) {
	if err := f.xattrCheck("getxattr", false); err != nil {
		return nil, err
	}
	t := f.fsys.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, ok := f.n.xattrs[name]
	if !ok {
		return nil, perr("getxattr", f.name, vfs.ErrNoXattr)
	}
	return append([]byte{}, v...), nil
}

// Setxattr creates or replaces attribute name.
func (f *file) Setxattr(name string, value []byte) error {
	if err := f.xattrCheck("setxattr", true); err != nil {
		return err
	}
	t := f.fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if f.n.xattrs == nil {
		f.n.xattrs = make(map[string][]byte)
	}
	f.n.xattrs[name] = append([]byte{}, value...)
	f.n.ctime = time.Now()
	return nil
}

// Removexattr deletes attribute name.
func (f *file) Removexattr(name string) error {
	if err := f.xattrCheck("removexattr", true); err != nil {
		return err
	}
	t := f.fsys.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := f.n.xattrs[name]; !ok {
		return perr("removexattr", f.name, vfs.ErrNoXattr)
	}
	delete(f.n.xattrs, name)
	f.n.ctime = time.Now()
	return nil
}

// Listxattr returns the names of the file's attributes.
func (f *file) Listxattr() ([]string, error) {
	if err := f.xattrCheck("listxattr", false); err != nil {
		return nil, err
	}
	t := f.fsys.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := make([]string, 0, len(f.n.xattrs))
	for k := range f.n.xattrs {
		names = append(names, k)
	}
	return names, nil
}
