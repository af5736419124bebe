package rpc

import "strconv"

// SAMR domain and user handle calls (samr.go).

// samrDomainCall answers the domain-handle calls.
func (p *Pipe) samrDomainCall(opnum uint16, h samrHandle, d *ndrDecoder) ([]byte, uint32) {
	s := p.srv
	e := ndrEncoder{}
	switch opnum {
	case opSamrEnumUsers, opSamrEnumGroups:
		ctx := d.u32()
		if opnum == opSamrEnumUsers {
			d.u32() // UserAccountControl filter
		}
		d.u32() // PreferedMaximumLength
		if d.err != nil {
			return nil, faultNDR
		}
		all := s.samrAccounts(h.domain, opnum == opSamrEnumGroups)
		if ctx > uint32(len(all)) {
			ctx = uint32(len(all))
		}
		list := all[ctx:]
		status := uint32(statusOK)
		if len(list) > samrEnumBatch {
			list, status = list[:samrEnumBatch], statusMoreEntries
		}
		encodeEnum(&e, ctx+uint32(len(list)), list)
		e.u32(status)
		return e.b, 0
	case opSamrLookupNames:
		names, ok := d.samrNames()
		if d.err != nil {
			return nil, faultNDR
		}
		if !ok {
			return statusOnly(statusInvalidParameter, opnum), 0
		}
		rids, kinds := make([]uint32, len(names)), make([]uint32, len(names))
		found := 0
		for i, n := range names {
			kinds[i] = uint32(SidTypeUnknown)
			_, sid, kind, ok := s.Names.LookupName(n)
			if !ok {
				continue
			}
			if rid, in := ridOf(sid, h.domain); in {
				rids[i], kinds[i] = rid, uint32(kind)
				found++
			}
		}
		encodeULongArray(&e, rids)
		encodeULongArray(&e, kinds)
		e.u32(lookupStatus(uint32(found), uint32(len(names))))
		return e.b, 0
	case opSamrLookupIds:
		rids, ok := d.samrRIDs()
		if d.err != nil {
			return nil, faultNDR
		}
		if !ok {
			return statusOnly(statusInvalidParameter, opnum), 0
		}
		names, kinds := make([]string, len(rids)), make([]uint32, len(rids))
		found := 0
		for i, rid := range rids {
			kinds[i] = uint32(SidTypeUnknown)
			if _, name, kind, ok := s.Names.LookupSID(h.domain + "-" + strconv.FormatUint(uint64(rid), 10)); ok {
				names[i], kinds[i] = name, uint32(kind)
				found++
			}
		}
		e.u32(uint32(len(names))) // SAMPR_RETURNED_USTRING_ARRAY
		e.ptr(len(names) > 0)
		if len(names) > 0 {
			e.u32(uint32(len(names)))
			for _, n := range names {
				e.lsaString(n)
			}
			for _, n := range names {
				e.lsaStringBody(n)
			}
		}
		encodeULongArray(&e, kinds)
		e.u32(lookupStatus(uint32(found), uint32(len(rids))))
		return e.b, 0
	}
	// SamrOpenUser
	desired := d.u32()
	rid := d.u32()
	if d.err != nil {
		return nil, faultNDR
	}
	_, _, kind, ok := s.Names.LookupSID(h.domain + "-" + strconv.FormatUint(uint64(rid), 10))
	if !ok || kind != SidTypeUser {
		return statusOnly(statusNoSuchUser, opnum), 0
	}
	p.samrOpen(&e, samrHandle{kind: samrUser, domain: h.domain, rid: rid}, desired)
	return e.b, 0
}

// samrAccounts lists the users or groups of domain (none in Builtin).
func (s *Server) samrAccounts(domain string, groups bool) []Account {
	acc, ok := s.Names.(Accounts)
	if _, sid := s.Names.Domain(); !ok || domain != sid {
		return nil
	}
	return acc.Accounts(groups)
}

// encodeULongArray writes a SAMPR_ULONG_ARRAY.
func encodeULongArray(e *ndrEncoder, v []uint32) {
	e.u32(uint32(len(v)))
	e.ptr(len(v) > 0)
	if len(v) > 0 {
		e.u32(uint32(len(v)))
		for _, x := range v {
			e.u32(x)
		}
	}
}

// samrCount reads the Count and the conformant varying array header of
// a [size_is(1000), length_is(Count)] array; ok is false when Count is
// over 1000.
func (d *ndrDecoder) samrCount() (n uint32, ok bool) {
	n = d.u32()
	if n > maxSamrLookup {
		return n, false
	}
	maxCount, off, actual := d.u32(), d.u32(), d.u32()
	if off != 0 || actual != n || maxCount < actual {
		d.fail()
	}
	return n, true
}

// samrNames reads SamrLookupNamesInDomain's names.
func (d *ndrDecoder) samrNames() ([]string, bool) {
	n, ok := d.samrCount()
	if !ok || d.err != nil {
		return nil, ok
	}
	return d.refArrayNoCount(n, func() { d.u16(); d.u16() }, d.lsaStringBody), true
}

// samrRIDs reads SamrLookupIdsInDomain's RIDs.
func (d *ndrDecoder) samrRIDs() ([]uint32, bool) {
	n, ok := d.samrCount()
	if !ok || d.err != nil {
		return nil, ok
	}
	rids := make([]uint32, 0, n)
	for i := uint32(0); i < n && d.err == nil; i++ {
		rids = append(rids, d.u32())
	}
	return rids, true
}

// refArrayNoCount is refArray for an array whose count was read already.
func (d *ndrDecoder) refArrayNoCount(n uint32, head func(), body func() string) []string {
	ptrs := make([]bool, 0, min(n, 4096)) // n comes from the wire
	for i := uint32(0); i < n && d.err == nil; i++ {
		head()
		ptrs = append(ptrs, d.u32() != 0)
	}
	out := make([]string, 0, len(ptrs))
	for _, p := range ptrs {
		if d.err != nil {
			break
		}
		if p {
			out = append(out, body())
		} else {
			out = append(out, "")
		}
	}
	return out
}

// samrUserAll writes SamrQueryInformationUser's answer at level 21: a
// SAMPR_USER_ALL_INFORMATION with the user's name, RID, primary group
// (Domain Users) and account control (normal account, password never
// expires); every other field empty.
func (s *Server) samrUserAll(e *ndrEncoder, h samrHandle) {
	_, name, _, ok := s.Names.LookupSID(h.domain + "-" + strconv.FormatUint(uint64(h.rid), 10))
	if !ok {
		e.ptr(false)
		e.u32(statusNoSuchUser)
		return
	}
	e.ptr(true)
	e.u16(userAllLevel) // union discriminant
	e.align(4)
	never := [2]uint32{0xFFFFFFFF, 0x7FFFFFFF}
	for _, t := range [][2]uint32{{}, {}, {}, never, {}, never} { // LastLogon .. PasswordMustChange
		e.u32(t[0])
		e.u32(t[1])
	}
	e.lsaString(name) // UserName
	for range 9 {     // FullName .. Parameters
		e.lsaString("")
	}
	for range 2 { // LmOwfPassword, NtOwfPassword: never given out
		e.u16(0)
		e.u16(0)
		e.ptr(false)
	}
	e.lsaString("") // PrivateData
	e.u32(0)        // SecurityDescriptor.Length
	e.ptr(false)
	e.u32(h.rid)
	e.u32(samrDomainUsersRID)
	e.u32(userNormalAccount | userDontExpirePasswd)
	e.u32(userAllWhichFieldsSet)
	e.u16(0)      // LogonHours.UnitsPerWeek
	e.ptr(false)  // LogonHours.LogonHours
	for range 4 { // BadPasswordCount, LogonCount, CountryCode, CodePage
		e.u16(0)
	}
	e.b = append(e.b, 0, 0, 0, 0) // Lm/NtPasswordPresent, PasswordExpired, PrivateDataSensitive
	e.lsaStringBody(name)
	e.u32(statusOK)
}
