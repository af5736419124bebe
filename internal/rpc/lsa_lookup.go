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
		if d.u32() != n {
			d.fail()
		}
		ptrs := make([]bool, 0, min(n, 4096))
		for i := uint32(0); i < n && d.err == nil; i++ {
			ptrs = append(ptrs, d.u32() != 0)
		}
		for _, p := range ptrs {
			if d.err != nil {
				break
			}
			if p {
				sids = append(sids, d.sid())
			} else {
				sids = append(sids, "")
			}
		}
	}
	if d.err != nil {
		return nil, faultNDR
	}
	status := uint32(statusOK)
	switch {
	case !okHandle || s.Names == nil:
		status = statusInvalidHandle
	case n > maxLookupSids:
		status = statusInvalidParameter
	}
	e := ndrEncoder{}
	if status != statusOK {
		e.ptr(false) // domains
		e.u32(0)     // names.count
		e.ptr(false) // names.names
		e.u32(0)     // count
		e.u32(status)
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
		dsid := domainOf(sid)
		if kind == SidTypeDomain {
			dsid = sid
		}
		ans[i] = sidAnswer{kind: kind, name: name, index: doms.index(dom, dsid)}
	}
	doms.encode(&e)
	e.u32(uint32(len(ans)))
	e.ptr(len(ans) > 0)
	if len(ans) > 0 {
		e.u32(uint32(len(ans)))
	}
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
		if d.u32() != n {
			d.fail()
		}
		ptrs := make([]bool, 0, n)
		for i := uint32(0); i < n && d.err == nil; i++ {
			d.u16()
			d.u16()
			ptrs = append(ptrs, d.u32() != 0)
		}
		for _, p := range ptrs {
			if d.err != nil {
				break
			}
			if p {
				names = append(names, d.lsaStringBody())
			} else {
				names = append(names, "")
			}
		}
	}
	if d.err != nil {
		return nil, faultNDR
	}
	e := ndrEncoder{}
	if !okHandle || s.Names == nil || n > maxLookupNames {
		st := uint32(statusInvalidParameter)
		if !okHandle || s.Names == nil {
			st = statusInvalidHandle
		}
		e.ptr(false)
		e.u32(0)
		e.ptr(false)
		e.u32(0)
		e.u32(st)
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
		dsid := domainOf(sid)
		if kind == SidTypeDomain {
			dsid = sid
		}
		ans[i] = nameAnswer{kind: kind, sid: sid, index: doms.index(dom, dsid)}
	}
	doms.encode(&e)
	e.u32(uint32(len(ans)))
	e.ptr(len(ans) > 0)
	if len(ans) > 0 {
		e.u32(uint32(len(ans)))
	}
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
