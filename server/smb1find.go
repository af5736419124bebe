package server

import (
	"strings"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// TRANS2_FIND_FIRST2 / FIND_NEXT2. A search lists its directory through
// SMB2 QUERY_DIRECTORY (FileIdBothDirectoryInformation, which has every
// field any SMB1 level needs), keeps what it listed but has not returned
// yet, and encodes entries in the level asked for: the FSCC classes
// (0x101-0x106) or the OS/2 levels SMB_INFO_STANDARD,
// SMB_INFO_QUERY_EA_SIZE and SMB_INFO_QUERY_EAS_FROM_LIST. SearchCount
// entries at most are returned (0 counts as 1), and entries with the
// hidden, system or directory attribute only when the search attributes
// include it, and with their "must have" bits (MS-CIFS 2.2.1.2.4). FIND_NEXT2 without
// FIND_CONTINUE_FROM_LAST resumes after the file it names when that file
// was in the previous response (so a client that stops early, or deletes
// what it was given, loses nothing); otherwise it continues where the
// last response ended.

// smb1FindFetch is the output buffer size of one SMB2 listing.
const smb1FindFetch = 64 << 10

// smb1Search is a TRANS2 search (a SID).
type smb1Search struct {
	id      smb2.FileID
	dir     string // share-relative, backslashes
	attrs   uint16 // search attributes
	pending []smb2.DirEntry
	last    []smb2.DirEntry // what the last response returned
	eos     bool            // the listing is exhausted
	started bool
	pattern string
	key     uint32 // resume keys handed out
}

// fetch lists more of s's directory into s.pending.
func (t *trans2) fetch(s *smb1Search) smb2.Status {
	pattern, flags := "", uint8(0)
	if !s.started {
		pattern, s.started = s.pattern, true
		flags = smb2.QueryDirRestartScans
	}
	b, st := t.c.smb2QueryDir(t.r, s.id, smb2.FileIDBothDirectoryInformation, pattern, smb1FindFetch, flags)
	if st == smb2.StatusNoMoreFiles || st == smb2.StatusNoSuchFile {
		s.eos = true
		return smb2.StatusSuccess
	}
	if st != smb2.StatusSuccess {
		return st
	}
	entries, err := smb1.DecodeIDBothDirEntries(b)
	if err != nil {
		return smb2.StatusInternalError
	}
	for _, e := range entries {
		if smb1.AttrsMatch(e.FileAttributes, s.attrs) {
			s.pending = append(s.pending, e)
		}
	}
	return smb2.StatusSuccess
}

// fill answers one FIND request of s: up to maxCount entries of level
// within the response budget.
func (t *trans2) fill(s *smb1Search, level uint16, flags, maxCount uint16, eaNames []string) (data []byte, count int, lastName int, st smb2.Status) {
	class, fscc := smb1.FindClass(level)
	if maxCount == 0 {
		maxCount = 1
	}
	s.last = s.last[:0]
	prev := -1
	for count < int(maxCount) {
		if len(s.pending) == 0 {
			if s.eos {
				break
			}
			if st := t.fetch(s); st != smb2.StatusSuccess {
				return nil, 0, 0, st
			}
			continue
		}
		e := &s.pending[0]
		start := len(data)
		var nameOff int
		if fscc {
			data = smb2.AppendDirEntry(data, class, e)
			nameOff = start + smb1.EntryNameOffset(class)
		} else {
			oe := smb1.OS2FindEntry{DirEntry: e, WithKey: flags&smb1.FindReturnResumeKeys != 0}
			s.key++
			oe.ResumeKey = s.key
			if level == smb1.FindEAList {
				oe.EAs = t.entryEAs(s, e.Name, eaNames)
			}
			data, nameOff = smb1.AppendOS2FindEntry(data, 0, level, &oe, t.unicode)
		}
		if len(data) > t.budget {
			data = data[:start]
			break
		}
		prev, lastName = start, nameOff
		s.last = append(s.last, *e)
		s.pending = s.pending[1:]
		count++
	}
	if fscc && prev >= 0 {
		le32(data[prev:], 0) // the last entry ends the list
	}
	return data, count, lastName, smb2.StatusSuccess
}

// entryEAs is the FEALIST of the EAs named of entry name in s's
// directory (empty values for EAs it does not have).
func (t *trans2) entryEAs(s *smb1Search, name string, names []string) []byte {
	full := name
	if s.dir != "" {
		full = s.dir + `\` + name
	}
	eas := make([]smb2.FullEA, len(names))
	for i, n := range names {
		eas[i].Name = n
	}
	id, st := t.openPath(full, fileReadEA, 0)
	if st == smb2.StatusSuccess {
		q := smb2.QueryInfoRequest{InfoType: smb2.InfoFile, FileInfoClass: smb2.FileFullEaInformation,
			OutputBufferLength: 0xFFFF, InputBuffer: smb1.AppendGetEAChain(nil, names), FileID: id}
		if b, st := t.c.smb2Output(t.r, smb2.QueryInfo, q.Append(nil)); st == smb2.StatusSuccess {
			if got, st := smb2.DecodeFullEA(b); st == smb2.StatusSuccess && len(got) == len(names) {
				eas = got
			}
		}
		t.c.smb2Close(t.r, id)
	}
	return smb1.AppendFEAList(nil, eas)
}

// findFirst is TRANS2_FIND_FIRST2: open the directory and answer the
// first entries; the search stays open as a SID unless it ended or the
// client asked to close it.
func (t *trans2) findFirst() ([]byte, []byte, smb2.Status) {
	req, err := smb1.DecodeFindFirst2(t.req.Params, t.unicode)
	if err != nil {
		return nil, nil, smb1Status(err)
	}
	eaNames, st := t.findLevel(req.InfoLevel)
	if st != smb2.StatusSuccess {
		return nil, nil, st
	}
	dir, pattern := "", req.Pattern
	if i := strings.LastIndexByte(pattern, '\\'); i >= 0 {
		dir, pattern = pattern[:i], pattern[i+1:]
	}
	if pattern == "" {
		pattern = "*"
	}
	id, st := t.openPath(dir, fileListDirectory|fileReadAttributes|synchronize, smb2.FileDirectoryFile)
	if st != smb2.StatusSuccess {
		if st == smb2.StatusObjectNameNotFound && dir != "" {
			st = smb2.StatusObjectPathNotFound
		}
		return nil, nil, st
	}
	s := &smb1Search{id: id, dir: smb1Name(dir), attrs: req.SearchAttributes, pattern: pattern}
	data, count, last, st := t.fill(s, req.InfoLevel, req.Flags, req.SearchCount, eaNames)
	if st == smb2.StatusSuccess && count == 0 {
		st = smb2.StatusNoSuchFile
	}
	if st != smb2.StatusSuccess {
		t.c.smb2Close(t.r, id)
		return nil, nil, st
	}
	eos := s.eos && len(s.pending) == 0
	sid := uint16(0)
	if req.Flags&smb1.FindCloseAfterRequest != 0 || (eos && req.Flags&smb1.FindCloseAtEOS != 0) {
		t.c.smb2Close(t.r, id)
	} else {
		var ok bool
		if sid, ok = t.c.allocSID(id); !ok {
			t.c.smb2Close(t.r, id)
			return nil, nil, smb2.StatusInsufficientResources
		}
		if t.c.s1.searches == nil {
			t.c.s1.searches = map[uint16]*smb1Search{}
		}
		t.c.s1.searches[sid] = s
	}
	return smb1.AppendFindFirst2Params(nil, sid, uint16(count), eos, uint16(last)), data, smb2.StatusSuccess
}

// findEANames returns the EA names of a SMB_INFO_QUERY_EAS_FROM_LIST
// search (its data is a GEALIST).
func (t *trans2) findEANames(level uint16) ([]string, smb2.Status) {
	if level != smb1.FindEAList {
		return nil, smb2.StatusSuccess
	}
	names, err := smb1.DecodeGEAList(t.req.Data)
	if err != nil {
		return nil, smb2.StatusInvalidParameter
	}
	return names, smb2.StatusSuccess
}

// findLevel checks a FIND_FIRST2/FIND_NEXT2 information level and returns
// the EA names an EA-list level asks for.
func (t *trans2) findLevel(level uint16) ([]string, smb2.Status) {
	if _, ok := smb1.FindClass(level); !ok && (level < smb1.FindInfoStandard || level > smb1.FindEAList) {
		return nil, smb2.StatusInvalidLevel
	}
	return t.findEANames(level)
}

// findNext is TRANS2_FIND_NEXT2.
func (t *trans2) findNext() ([]byte, []byte, smb2.Status) {
	req, err := smb1.DecodeFindNext2(t.req.Params, t.unicode)
	if err != nil {
		return nil, nil, smb1Status(err)
	}
	eaNames, st := t.findLevel(req.InfoLevel)
	if st != smb2.StatusSuccess {
		return nil, nil, st
	}
	s, ok := t.c.s1.searches[req.SID]
	if !ok {
		return nil, nil, smb2.StatusInvalidHandle
	}
	if req.Flags&smb1.FindContinueFromLast == 0 && req.Name != "" {
		if st := t.resume(s, req.Name); st != smb2.StatusSuccess {
			return nil, nil, st
		}
	}
	data, count, last, st := t.fill(s, req.InfoLevel, req.Flags, req.SearchCount, eaNames)
	if st != smb2.StatusSuccess {
		return nil, nil, st
	}
	eos := s.eos && len(s.pending) == 0
	if req.Flags&smb1.FindCloseAfterRequest != 0 || (eos && req.Flags&smb1.FindCloseAtEOS != 0) {
		t.c.closeSID(t.r, req.SID)
	}
	return smb1.AppendFindNext2Params(nil, uint16(count), eos, uint16(last)), data, smb2.StatusSuccess
}

// resume positions s after the file name: in the entries the last
// response returned, or else in a new listing from the start (where a
// name no longer there, such as ".", leaves the search at the start).
func (t *trans2) resume(s *smb1Search, name string) smb2.Status {
	for k := range s.last {
		if s.last[k].Name == name {
			s.pending = append(append([]smb2.DirEntry(nil), s.last[k+1:]...), s.pending...)
			return smb2.StatusSuccess
		}
	}
	s.eos, s.started, s.last = false, false, nil
	for !s.eos {
		s.pending = nil // entries before name are not wanted
		if st := t.fetch(s); st != smb2.StatusSuccess {
			return st
		}
		for k := range s.pending {
			if strings.EqualFold(s.pending[k].Name, name) {
				s.pending = s.pending[k+1:]
				return smb2.StatusSuccess
			}
		}
	}
	// Not found: start over.
	s.pending, s.eos, s.started = nil, false, false
	return smb2.StatusSuccess
}
