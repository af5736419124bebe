package server

import (
	"strings"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// The core directory search (SEARCH, FIND, FIND_UNIQUE, FIND_CLOSE;
// layouts in smb1/search.go). A new search lists the whole directory
// through SMB2 QUERY_DIRECTORY at once (at most smb1CoreSearchEntries
// matching entries) and keeps the list; each entry's resume key names
// the search and the entry's index, so a client may resume after any
// entry it was given, including an earlier one. At most
// smb1CoreSearches searches are kept per connection (the oldest is
// dropped first: core searches have no reliable close); FIND_UNIQUE
// keeps none. Names are sent as they are when they are valid 8.3 names,
// else as their short name.

const (
	smb1CoreSearches      = 32
	smb1CoreSearchEntries = 65536
)

// smb1CoreSearch is one kept core search.
type smb1CoreSearch struct {
	handle  uint8
	entries []smb2.DirEntry
}

// smb1CoreSearch is SEARCH, FIND and FIND_UNIQUE.
func (c *conn) smb1CoreSearch(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeSearchRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil {
		return smb1Err(smb1Status(err))
	}
	var s *smb1CoreSearch
	start := 0
	if req.ResumeKey != nil {
		if r.hdr.Command == smb1.ComFindUnique {
			return smb1Err(smb2.StatusInvalidParameter)
		}
		h, idx := req.ResumeKey[1], int(le32get(req.ResumeKey[2:]))
		if s = c.s1.coreSearch(h); s == nil {
			return smb1Err(smb2.StatusNoMoreFiles)
		}
		start = idx + 1
	} else {
		entries, st := c.smb1ListAll(r, req.Pattern, req.SearchAttributes)
		if st != smb2.StatusSuccess {
			return smb1Err(st)
		}
		s = &smb1CoreSearch{entries: entries}
		if r.hdr.Command != smb1.ComFindUnique {
			c.s1.keepCoreSearch(s)
		}
	}
	n := int(req.MaxCount)
	if room := (c.s1.clientMB - smb1.HeaderSize - 8) / smb1.SearchEntrySize; n > room {
		n = max(room, 0)
	}
	var out []byte
	count := 0
	for i := start; i < len(s.entries) && count < n; i++ {
		e := &s.entries[i]
		se := smb1.SearchEntry{Attrs: uint8(e.FileAttributes & 0x37), LastWrite: e.LastWriteTime,
			Size: uint32(min(e.EndOfFile, 0xFFFFFFFF)), Name: e.Name}
		if !smb1.Is83(e.Name) {
			se.Name = strings.ToUpper(e.ShortName)
		}
		se.ResumeKey[1] = s.handle
		le32(se.ResumeKey[2:], uint32(i))
		out = smb1.AppendSearchEntry(out, &se)
		count++
	}
	if count == 0 && n > 0 && req.ResumeKey == nil {
		return smb1Err(smb2.StatusNoMoreFiles) // a continued search ends with 0 entries
	}
	return smb1Resp{block: smb1.AppendSearchResponse(nil, uint16(count), out)}
}

// smb1FindCloseCore is FIND_CLOSE: the search its resume key names ends.
func (c *conn) smb1FindCloseCore(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeSearchRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil || req.ResumeKey == nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	c.s1.dropCoreSearch(req.ResumeKey[1])
	return smb1Resp{block: smb1.AppendSearchResponse(nil, 0, nil)}
}

// smb1ListAll lists the entries of pattern (a path whose last component
// may have wildcards) that match the search attributes.
func (c *conn) smb1ListAll(r *smb1Req, pattern string, attrs uint16) ([]smb2.DirEntry, smb2.Status) {
	dir := ""
	if i := strings.LastIndexByte(pattern, '\\'); i >= 0 {
		dir, pattern = pattern[:i], pattern[i+1:]
	}
	if pattern == "" || pattern == "*.*" {
		pattern = "*"
	}
	resp, st := c.smb2Create(r, &smb2.CreateRequest{DesiredAccess: fileListDirectory | fileReadAttributes | synchronize,
		ShareAccess: smb1ShareAll, CreateDisposition: smb2.FileOpen, CreateOptions: smb2.FileDirectoryFile, Name: smb1Name(dir)})
	if st != smb2.StatusSuccess {
		if st == smb2.StatusObjectNameNotFound {
			st = smb2.StatusObjectPathNotFound
		}
		return nil, st
	}
	defer c.smb2Close(r, resp.FileID)
	var out []smb2.DirEntry
	for first := true; ; first = false {
		p := ""
		if first {
			p = pattern
		}
		b, st := c.smb2QueryDir(r, resp.FileID, smb2.FileIDBothDirectoryInformation, p, smb1FindFetch, 0)
		if st == smb2.StatusNoMoreFiles || st == smb2.StatusNoSuchFile {
			return out, smb2.StatusSuccess
		}
		if st != smb2.StatusSuccess {
			return nil, st
		}
		entries, err := smb1.DecodeIDBothDirEntries(b)
		if err != nil {
			return nil, smb2.StatusInternalError
		}
		for _, e := range entries {
			if smb1.AttrsMatch(e.FileAttributes, attrs) {
				if len(out) == smb1CoreSearchEntries {
					return out, smb2.StatusSuccess
				}
				out = append(out, e)
			}
		}
	}
}

// coreSearch returns kept search h.
func (s *smb1State) coreSearch(h uint8) *smb1CoreSearch {
	for _, cs := range s.core {
		if cs.handle == h {
			return cs
		}
	}
	return nil
}

// keepCoreSearch gives cs a handle and keeps it, dropping the oldest
// search when smb1CoreSearches are kept.
func (s *smb1State) keepCoreSearch(cs *smb1CoreSearch) {
	if len(s.core) >= smb1CoreSearches {
		s.core = s.core[1:]
	}
	for {
		s.nextCore++
		if s.nextCore != 0 && s.coreSearch(s.nextCore) == nil {
			break
		}
	}
	cs.handle = s.nextCore
	s.core = append(s.core, cs)
}

// dropCoreSearch forgets search h.
func (s *smb1State) dropCoreSearch(h uint8) {
	for i, cs := range s.core {
		if cs.handle == h {
			s.core = append(s.core[:i], s.core[i+1:]...)
			return
		}
	}
}

func le32get(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
