package rpc

import "strings"

// LsarLookupSids*/LsarLookupNames* (MS-LSAT 3.1.4.5-3.1.4.11).

// refDomains collects the referenced domain list of a lookup answer.
type refDomains struct {
	names []string
	sids  []string
}

// index returns the position of domain (name, sid), adding it.
func (r *refDomains) index(name, sid string) uint32 {
	for i := range r.names {
		if strings.EqualFold(r.names[i], name) && r.sids[i] == sid {
			return uint32(i)
		}
	}
	r.names = append(r.names, name)
	r.sids = append(r.sids, sid)
	return uint32(len(r.names) - 1)
}

// encode writes [out] lsa_RefDomainList **domains.
func (r *refDomains) encode(e *ndrEncoder) {
	e.ptr(true)
	e.u32(uint32(len(r.names)))
	e.ptr(len(r.names) > 0)
	e.u32(32) // max_size, as Windows
	if len(r.names) == 0 {
		return
	}
	e.u32(uint32(len(r.names)))
	for i := range r.names {
		e.lsaString(r.names[i])
		e.ptr(true)
	}
	for i := range r.names {
		e.lsaStringBody(r.names[i])
		e.sid(r.sids[i])
	}
}

// domainOf returns the SID of the domain a SID belongs to (the SID
// without its last sub-authority), and for well-known SIDs their
// authority's domain.
func domainOf(sid string) string {
	if i := strings.LastIndexByte(sid, '-'); i > 0 {
		return sid[:i]
	}
	return sid
}

// indexOf returns the position of the domain of a SID of type kind
// (the SID itself for a domain), adding it.
func (r *refDomains) indexOf(dom, sid string, kind uint16) uint32 {
	if kind != SidTypeDomain {
		sid = domainOf(sid)
	}
	return r.index(dom, sid)
}

// translatedHeader writes the count, pointer and conformance count of
// a translated names or SIDs array of n entries.
func (e *ndrEncoder) translatedHeader(n int) {
	e.u32(uint32(n))
	e.ptr(n > 0)
	if n > 0 {
		e.u32(uint32(n))
	}
}

// refArray reads a conformant array of n elements whose fixed part is
// head's fields then a referent pointer, followed by the referents
// (read by body) of the non-null ones; a null one gives "".
func (d *ndrDecoder) refArray(n uint32, head func(), body func() string) []string {
	if d.u32() != n {
		d.fail()
	}
	return d.refArrayNoCount(n, head, body)
}

// lookupRefused writes the empty answer of a lookup the server refuses
// (an unknown handle, no name source, or more than limit entries) and
// reports whether it did.
func (s *Server) lookupRefused(e *ndrEncoder, okHandle bool, n, limit uint32) bool {
	var status uint32
	switch {
	case !okHandle || s.Names == nil:
		status = statusInvalidHandle
	case n > limit:
		status = statusInvalidParameter
	default:
		return false
	}
	e.ptr(false) // domains
	e.u32(0)     // names.count
	e.ptr(false) // names.names
	e.u32(0)     // count
	e.u32(status)
	return true
}

type sidAnswer struct {
	kind  uint16
	name  string
	index uint32
}

// lsaLookupSids answers LsarLookupSids (15), LsarLookupSids2 (57) and
// LsarLookupSids3 (76, no handle).
func (s *Server) lsaLookupSids(stub []byte, opnum uint16) ([]byte, uint32) {
	d := ndrDecoder{b: stub}
	okHandle := true
	if opnum != opLsarLookupSids3 {
		okHandle = readHandle(&d)
	}
	n := d.u32()
	present := d.u32() != 0
	var sids []string
	if d.err == nil && present && n <= maxLookupSids {
		sids = d.refArray(n, func() {}, d.sid)
	}
	if d.err != nil {
		return nil, faultNDR
	}
	e := ndrEncoder{}
	if s.lookupRefused(&e, okHandle, n, maxLookupSids) {
		return e.b, 0
	}
	var doms refDomains
	ans := make([]sidAnswer, len(sids))
	mapped := uint32(0)
	for i, sid := range sids {
		dom, name, kind, ok := s.Names.LookupSID(sid)
		if !ok {
			ans[i] = sidAnswer{kind: SidTypeUnknown, name: sid, index: 0xFFFFFFFF}
			continue
		}
		mapped++
		ans[i] = sidAnswer{kind: kind, name: name, index: doms.indexOf(dom, sid, kind)}
	}
	doms.encode(&e)
	e.translatedHeader(len(ans))
	for _, a := range ans {
		e.u16(a.kind)
		e.lsaString(a.name)
		e.u32(a.index)
		if opnum != opLsarLookupSids {
			e.u32(0) // TranslatedName2 flags
		}
	}
	for _, a := range ans {
		e.lsaStringBody(a.name)
	}
	e.u32(mapped)
	e.u32(lookupStatus(mapped, uint32(len(ans))))
	return e.b, 0
}

func lookupStatus(mapped, total uint32) uint32 {
	switch mapped {
	case total:
		return statusOK
	case 0:
		return statusNoneMapped
	}
	return statusSomeNotMapped
}

type nameAnswer struct {
	kind  uint16
	sid   string
	index uint32
}

// lsaLookupNames answers LsarLookupNames (14), LsarLookupNames2 (58),
// LsarLookupNames3 (68) and LsarLookupNames4 (77, no handle).
func (s *Server) lsaLookupNames(stub []byte, opnum uint16) ([]byte, uint32) {
	d := ndrDecoder{b: stub}
	okHandle := true
	if opnum != opLsarLookupNames4 {
		okHandle = readHandle(&d)
	}
	n := d.u32()
	var names []string
	if d.err == nil && n <= maxLookupNames {
		// each lsa_String: Length, MaximumLength, then the buffer pointer
		names = d.refArray(n, func() { d.u16(); d.u16() }, d.lsaStringBody)
	}
	if d.err != nil {
		return nil, faultNDR
	}
	e := ndrEncoder{}
	if s.lookupRefused(&e, okHandle, n, maxLookupNames) {
		return e.b, 0
	}
	var doms refDomains
	ans := make([]nameAnswer, len(names))
	mapped := uint32(0)
	for i, name := range names {
		dom, sid, kind, ok := s.Names.LookupName(name)
		if !ok {
			ans[i] = nameAnswer{kind: SidTypeUnknown, index: 0xFFFFFFFF}
			continue
		}
		mapped++
		ans[i] = nameAnswer{kind: kind, sid: sid, index: doms.indexOf(dom, sid, kind)}
	}
	doms.encode(&e)
	e.translatedHeader(len(ans))
	three := opnum == opLsarLookupNames3 || opnum == opLsarLookupNames4
	for _, a := range ans {
		e.u16(a.kind)
		if three {
			e.ptr(a.sid != "")
		} else {
			rid := uint32(0xFFFFFFFF)
			if a.sid != "" && a.kind != SidTypeDomain {
				rid = lastSubAuthority(a.sid)
			}
			e.u32(rid)
		}
		e.u32(a.index)
		if opnum != opLsarLookupNames {
			e.u32(0) // flags
		}
	}
	if three {
		for _, a := range ans {
			if a.sid != "" {
				e.sid(a.sid)
			}
		}
	}
	e.u32(mapped)
	e.u32(lookupStatus(mapped, uint32(len(ans))))
	return e.b, 0
}

func lastSubAuthority(sid string) uint32 {
	i := strings.LastIndexByte(sid, '-')
	var v uint32
	for _, c := range sid[i+1:] {
		if c < '0' || c > '9' {
			return 0
		}
		v = v*10 + uint32(c-'0')
	}
	return v
}
