package server

import (
	"errors"
	"slices"
	"strings"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// Extended attributes (EAs): the FILE_FULL_EA_INFORMATION wire format
// (MS-FSCC 2.4.15), SET_INFO/QUERY_INFO FileFullEaInformation, the ExtA
// create context and the EaSize reported in file information and
// directory listings.
//
// EAs are stored durably as backend extended attributes named
// eaXattrPrefix+NAME when the open file implements vfs.XattrFile and its
// file system accepts them (osfs: Linux "user." xattrs); otherwise they
// are kept in memory with the other per-path metadata (meta.go). EA names
// compare case-insensitively (setting "Foo" replaces "FOO") but are stored
// and returned with the case the client gave: the Linux kernel client
// matches user.* xattr names case-sensitively in what it reads back.

// eaXattrPrefix prefixes EA names in the backend's attribute namespace.
const eaXattrPrefix = "ea."

// fileNeedEA is the only FILE_FULL_EA_INFORMATION flag.
const fileNeedEA = smb2.EAFlagNeedEA

// eaEntry is one extended attribute.
type eaEntry struct {
	name  string // ASCII, as the client spelled it
	flags uint8
	value []byte
}

// validEAName reports whether s may name an EA (smb2.ValidEAName).
func validEAName(s string) bool { return smb2.ValidEAName(s) }

// decodeFullEA parses a chain of FILE_FULL_EA_INFORMATION entries
// (smb2.DecodeFullEA), names as the client spelled them. Values alias b.
func decodeFullEA(b []byte) ([]eaEntry, smb2.Status) {
	in, st := smb2.DecodeFullEA(b)
	if st != smb2.StatusSuccess {
		return nil, st
	}
	var out []eaEntry
	for _, e := range in {
		out = append(out, eaEntry{name: e.Name, flags: e.Flags, value: e.Value})
	}
	return out, smb2.StatusSuccess
}

// wireEA is e as the smb2 package encodes it.
func wireEA(e eaEntry) smb2.FullEA { return smb2.FullEA{Name: e.name, Flags: e.flags, Value: e.value} }

// eaEntrySize is the size of e as a FILE_FULL_EA_INFORMATION entry,
// without padding.
func eaEntrySize(e eaEntry) int { return smb2.FullEASize(wireEA(e)) }

// appendFullEA appends eas as a FILE_FULL_EA_INFORMATION chain: each
// entry but the last padded to a multiple of 4 bytes.
func appendFullEA(dst []byte, eas []eaEntry) []byte {
	for i, e := range eas {
		dst = smb2.AppendFullEA(dst, wireEA(e), i == len(eas)-1)
	}
	return dst
}

// eaSize is the EaSize reported for a file with eas: the length of their
// FILE_FULL_EA_INFORMATION chain.
func eaSize(eas []eaEntry) uint32 {
	n := 0
	for i, e := range eas {
		if i < len(eas)-1 {
			n += (eaEntrySize(e) + 3) &^ 3
		} else {
			n += eaEntrySize(e)
		}
	}
	return uint32(n)
}

// eaStore returns the backend attribute interface of o's file, or nil
// when EAs of o live in memory.
func eaStore(o *open) vfs.XattrFile {
	x, _ := o.file.(vfs.XattrFile)
	return x
}

// xattrUnsupported reports whether err means the backend cannot keep
// attributes, so the in-memory store must be used.
func xattrUnsupported(err error) bool {
	return errors.Is(err, vfs.ErrXattrUnsupported) || errors.Is(err, errors.ErrUnsupported)
}

// readEAs returns the EAs of o's file sorted by name.
func (c *conn) readEAs(o *open) ([]eaEntry, smb2.Status) {
	var out []eaEntry
	if x := eaStore(o); x != nil {
		names, err := x.Listxattr()
		switch {
		case err == nil:
			for _, n := range names {
				name, ok := strings.CutPrefix(n, eaXattrPrefix)
				if !ok || !validEAName(name) {
					continue
				}
				v, err := x.Getxattr(n)
				if errors.Is(err, vfs.ErrNoXattr) {
					continue
				} else if err != nil {
					return nil, statusFromError(err)
				}
				out = append(out, eaEntry{name: name, value: v})
			}
			sortEAs(out)
			return out, smb2.StatusSuccess
		case !xattrUnsupported(err):
			return nil, statusFromError(err)
		}
	}
	m := c.srv.nodes.ns.getMeta(o.tree.share, o.path())
	for name, v := range m.eas {
		out = append(out, eaEntry{name: name, value: v})
	}
	sortEAs(out)
	return out, smb2.StatusSuccess
}

// sortEAs orders EAs by name case-insensitively (then by spelling, so
// the order is stable).
func sortEAs(eas []eaEntry) {
	slices.SortFunc(eas, func(a, b eaEntry) int {
		if c := strings.Compare(strings.ToUpper(a.name), strings.ToUpper(b.name)); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
}

// writeEAs applies eas to o's file: an empty value deletes the EA,
// others create or replace it. It remembers the resulting EaSize for
// directory listings.
func (c *conn) writeEAs(o *open, eas []eaEntry) smb2.Status {
	if len(eas) == 0 {
		return smb2.StatusSuccess
	}
	share, p := o.tree.share, o.path()
	if x := eaStore(o); x != nil {
		st, done := writeXattrEAs(x, eas)
		if st != smb2.StatusSuccess {
			return st
		}
		if done {
			return c.cacheEASize(o)
		}
	}
	c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) {
		for _, e := range eas {
			for k := range m.eas {
				if strings.EqualFold(k, e.name) {
					delete(m.eas, k) // same EA, perhaps spelled otherwise
				}
			}
			if len(e.value) == 0 {
				continue
			}
			if m.eas == nil {
				m.eas = make(map[string][]byte)
			}
			m.eas[e.name] = append([]byte(nil), e.value...)
		}
		if len(m.eas) == 0 {
			m.eas = nil
		}
	})
	return c.cacheEASize(o)
}

// writeXattrEAs stores eas as backend attributes, each under the
// spelling the client gave; an existing attribute whose name differs only
// in case is removed first. done is false when the backend turned out not
// to support attributes.
func writeXattrEAs(x vfs.XattrFile, eas []eaEntry) (st smb2.Status, done bool) {
	names, err := x.Listxattr()
	if xattrUnsupported(err) {
		return smb2.StatusSuccess, false
	}
	if err != nil {
		return statusFromError(err), false
	}
	for _, e := range eas {
		var err error
		for i, n := range names {
			old, ok := strings.CutPrefix(n, eaXattrPrefix)
			if !ok || old == e.name || !strings.EqualFold(old, e.name) {
				continue
			}
			if err = x.Removexattr(n); errors.Is(err, vfs.ErrNoXattr) {
				err = nil
			}
			names[i] = ""
			if err != nil {
				break
			}
		}
		if err == nil && len(e.value) == 0 {
			if err = x.Removexattr(eaXattrPrefix + e.name); errors.Is(err, vfs.ErrNoXattr) {
				err = nil
			}
		} else if err == nil {
			err = x.Setxattr(eaXattrPrefix+e.name, e.value)
			names = append(names, eaXattrPrefix+e.name)
		}
		if xattrUnsupported(err) {
			return smb2.StatusSuccess, false
		}
		if err != nil {
			return statusFromError(err), false
		}
	}
	return smb2.StatusSuccess, true
}

// clearEAs removes every EA of o's file (overwrite and supersede).
func (c *conn) clearEAs(o *open) smb2.Status {
	eas, st := c.readEAs(o)
	if st != smb2.StatusSuccess || len(eas) == 0 {
		return st
	}
	for i := range eas {
		eas[i].value = nil
	}
	return c.writeEAs(o, eas)
}

// cacheEASize records the EaSize of o's path for directory listings,
// which do not open each entry.
func (c *conn) cacheEASize(o *open) smb2.Status {
	eas, st := c.readEAs(o)
	if st != smb2.StatusSuccess {
		return st
	}
	size := eaSize(eas)
	c.srv.nodes.ns.updateMeta(o.tree.share, o.path(), func(m *pathMeta) { m.eaSize = size })
	return smb2.StatusSuccess
}

// setFullEA handles SET_INFO FileFullEaInformation.
func (c *conn) setFullEA(o *open, b []byte) smb2.Status {
	if !o.has(fileWriteEA) {
		return smb2.StatusAccessDenied
	}
	if o.tree.readOnly {
		return smb2.StatusAccessDenied
	}
	eas, st := decodeFullEA(b)
	if st != smb2.StatusSuccess {
		return st
	}
	if len(eas) == 0 {
		return smb2.StatusInvalidParameter
	}
	if st := c.writeEAs(o, eas); st != smb2.StatusSuccess {
		return st
	}
	c.srv.nodes.ns.notifyFiltered(o.tree.share, o.path(), smb2.FileActionModified, smb2.FileNotifyChangeEA)
	return smb2.StatusSuccess
}

// queryFullEA answers QUERY_INFO FileFullEaInformation (MS-FSA
// 2.1.5.11.9 semantics): with a FILE_GET_EA_INFORMATION list in the
// input buffer the named EAs (absent ones with empty values), otherwise
// the file's EAs from the open's enumeration index, as many whole
// entries as fit (one with SL_RETURN_SINGLE_ENTRY).
func (c *conn) queryFullEA(o *open, req *smb2.QueryInfoRequest) response {
	if !o.has(fileReadEA) {
		return errResp(smb2.StatusAccessDenied)
	}
	eas, st := c.readEAs(o)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if len(req.InputBuffer) > 0 {
		names, st := decodeGetEA(req.InputBuffer)
		if st != smb2.StatusSuccess {
			return errResp(st)
		}
		sel := make([]eaEntry, 0, len(names))
		for _, n := range names {
			e := eaEntry{name: n}
			if i := slices.IndexFunc(eas, func(x eaEntry) bool { return strings.EqualFold(x.name, n) }); i >= 0 {
				e = eas[i]
			}
			sel = append(sel, e)
		}
		return eaListResponse(sel, req.OutputBufferLength, req.Flags&smb2.SLReturnSingleEntry != 0, nil)
	}
	if len(eas) == 0 {
		return errResp(smb2.StatusNoEAsOnFile)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if req.Flags&smb2.SLRestartScan != 0 {
		o.eaIndex = 0
	}
	if o.eaIndex >= len(eas) {
		return errResp(smb2.StatusNoMoreEAs)
	}
	return eaListResponse(eas[o.eaIndex:], req.OutputBufferLength, req.Flags&smb2.SLReturnSingleEntry != 0, &o.eaIndex)
}

// eaListResponse encodes the leading entries of eas that fit in max
// bytes, advancing *index by the number returned when index is non-nil.
func eaListResponse(eas []eaEntry, max uint32, single bool, index *int) response {
	n, used := 0, 0
	for n < len(eas) && !(single && n == 1) {
		size := eaEntrySize(eas[n])
		if n > 0 {
			used = (used + 3) &^ 3
		}
		if uint64(used+size) > uint64(max) {
			break
		}
		used += size
		n++
	}
	if n == 0 {
		return errResp(smb2.StatusBufferTooSmall)
	}
	if index != nil {
		*index += n
	}
	body := smb2.AppendOutputResponse(nil, appendFullEA(nil, eas[:n]))
	if n < len(eas) && !single {
		return response{status: smb2.StatusBufferOverflow, body: body}
	}
	return response{body: body}
}

// decodeGetEA parses a FILE_GET_EA_INFORMATION chain (MS-FSCC 2.4.15.1)
// into names, spelled as given.
func decodeGetEA(b []byte) ([]string, smb2.Status) {
	return smb2.DecodeGetEA(b)
}

// createEAs validates the ExtA create context of req; it returns the
// EAs to apply once the file is created or overwritten.
func createEAs(req *smb2.CreateRequest) ([]eaEntry, smb2.Status) {
	data, ok := req.Context(smb2.CreateContextEABuffer)
	if !ok {
		return nil, smb2.StatusSuccess
	}
	eas, st := decodeFullEA(data)
	if st != smb2.StatusSuccess {
		return nil, st
	}
	// Empty values in a create mean nothing to delete; drop them.
	kept := eas[:0]
	for _, e := range eas {
		if len(e.value) > 0 {
			kept = append(kept, e)
		}
	}
	return kept, smb2.StatusSuccess
}
