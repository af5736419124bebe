package rpc

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// samr (MS-SAMR): the read-only subset an ACL editor or rpcclient uses
// to browse a standalone server's accounts: SamrConnect/2/3/4/5,
// SamrCloseHandle, SamrLookupDomainInSamServer,
// SamrEnumerateDomainsInSamServer, SamrOpenDomain,
// SamrEnumerateUsersInDomain, SamrEnumerateGroupsInDomain,
// SamrLookupNamesInDomain, SamrLookupIdsInDomain, SamrOpenUser and
// SamrQueryInformationUser(2) level 21 (UserAllInformation: name, RID,
// primary group, account control; no password data, no logon
// statistics). Two domains: the server's account domain (Names.Domain)
// and Builtin (S-1-5-32). Anonymous pipes are refused, as for lsarpc.
// Each pipe holds at most maxSamrHandles handles; a call on a handle it
// does not hold is a context-mismatch fault. Nothing is ever modified:
// other opnums are op-range faults.

// Accounts lists the accounts of the server's domain for SAMR
// enumeration. A Names that also implements Accounts has its users and
// groups listed; otherwise the lists are empty.
type Accounts interface {
	// Accounts returns the domain's users or, with groups, its groups,
	// with their RIDs.
	Accounts(groups bool) []Account
}

// Account is one enumerated user or group.
type Account struct {
	Name string
	RID  uint32
}

const (
	opSamrConnect         = 0
	opSamrCloseHandle     = 1
	opSamrLookupDomain    = 5
	opSamrEnumDomains     = 6
	opSamrOpenDomain      = 7
	opSamrEnumGroups      = 11
	opSamrEnumUsers       = 13
	opSamrLookupNames     = 17
	opSamrLookupIds       = 18
	opSamrOpenUser        = 34
	opSamrQueryUserInfo   = 36
	opSamrQueryUserInfo2  = 47
	opSamrConnect2        = 57
	opSamrConnect3        = 61
	opSamrConnect4        = 62
	opSamrConnect5        = 64
	samrBuiltinSID        = "S-1-5-32"
	samrBuiltinName       = "Builtin"
	maxSamrHandles        = 64
	maxSamrLookup         = 1000 // MS-SAMR: [range(0,1000)]
	samrEnumBatch         = 512  // entries per enumeration response
	statusMoreEntries     = 0x00000105
	statusNoSuchDomain    = 0xC00000DF
	statusNoSuchUser      = 0xC0000064
	statusInvalidInfoCls  = 0xC0000003
	samrDomainUsersRID    = 513
	userNormalAccount     = 0x00000010
	userDontExpirePasswd  = 0x00000200
	userAllLevel          = 21
	userAllWhichFieldsSet = 0x1 | 0x2 | 0x4 | 0x8 | 0x00100000 // name, full name, id, group, control
)

var samrIface = &iface{
	pipe:     "samr",
	syntax:   syntaxID{mustUUID("12345778-1234-abcd-ef00-0123456789ac"), 1},
	callPipe: samrCall,
}

// samrKind is what a SAMR handle refers to.
type samrKind uint8

const (
	samrServer samrKind = iota + 1
	samrDomain
	samrUser
)

// samrHandle is the object behind an open SAMR handle.
type samrHandle struct {
	kind    samrKind
	domain  string // domain SID (domain and user handles)
	rid     uint32 // user handles
	granted uint32 // access granted at open (samrGrant)
}

// Access rights (MS-SAMR 2.2.1.3-2.2.1.7) the calls here check.
const (
	samServerEnumDomains = 0x10
	samServerLookup      = 0x20
	domainListAccounts   = 0x100
	domainLookup         = 0x200
	userReadGeneral      = 0x1
	userReadPreferences  = 0x2
	userReadLogon        = 0x8
	userReadAccount      = 0x10
	maximumAllowedAccess = 0x02000000
)

// samrAccess is, per handle kind, the whole access mask of the object
// (its *_ALL_ACCESS) and the rights GENERIC_READ, GENERIC_WRITE,
// GENERIC_EXECUTE and GENERIC_ALL map to (MS-SAMR 2.2.1.3-2.2.1.7).
var samrAccess = map[samrKind][5]uint32{
	samrServer: {0x000F003F, 0x00020010, 0x0002000E, 0x00020021, 0x000F003F},
	samrDomain: {0x000F07FF, 0x00020084, 0x0002047A, 0x00020301, 0x000F07FF},
	samrUser:   {0x000F07FF, 0x0002031A, 0x00020044, 0x00020041, 0x000F07FF},
}

// samrGrant maps the generic bits of desired for kind and returns the
// access granted: everything asked for when it is within the object's
// rights (with MAXIMUM_ALLOWED, all of them), else ok is false
// (STATUS_ACCESS_DENIED). Every authenticated user gets the full mask,
// as a share admin would: no call here changes anything, so the write
// rights it includes open nothing.
func samrGrant(kind samrKind, desired uint32) (granted uint32, ok bool) {
	m := samrAccess[kind]
	for i, g := range []uint32{0x80000000, 0x40000000, 0x20000000, 0x10000000} {
		if desired&g != 0 {
			desired = desired&^g | m[i+1]
		}
	}
	if desired&maximumAllowedAccess != 0 {
		return m[0], true
	}
	return desired, desired&^(m[0]|accessSystemSecurity) == 0
}

// accessSystemSecurity (ACCESS_SYSTEM_SECURITY) may be asked for as
// Windows allows; nothing here reads a SACL.
const accessSystemSecurity = 0x01000000

// samrHandlePrefix starts every SAMR handle; the last four bytes count.
var samrHandlePrefix = [16]byte{0, 0, 0, 0, 'z', 'e', 'r', 'o', 's', 'm', 'b', '-', 's', 'a', 'm', 'r'}

// newHandle stores h and writes its context handle, or writes a null
// handle and reports false when the pipe holds too many.
func (p *Pipe) newSamrHandle(e *ndrEncoder, h samrHandle) bool {
	if len(p.samrHandles) >= maxSamrHandles {
		e.b = append(e.b, make([]byte, 20)...)
		return false
	}
	if p.samrHandles == nil {
		p.samrHandles = make(map[[20]byte]samrHandle)
	}
	var id [20]byte
	copy(id[:], samrHandlePrefix[:])
	for i := uint32(1); ; i++ {
		binary.LittleEndian.PutUint32(id[16:], i)
		if _, used := p.samrHandles[id]; !used {
			break
		}
	}
	p.samrHandles[id] = h
	e.b = append(e.b, id[:]...)
	return true
}

func samrCall(p *Pipe, opnum uint16, stub []byte) ([]byte, uint32) {
	switch opnum {
	case opSamrConnect, opSamrConnect2, opSamrConnect3, opSamrConnect4, opSamrConnect5:
		return p.samrConnect(opnum, stub)
	}
	if len(stub) < 20 {
		return nil, faultNDR
	}
	id := [20]byte(stub[:20])
	h, open := p.samrHandles[id]
	if !open {
		return nil, faultContextMismatch
	}
	d := ndrDecoder{b: stub, off: 20}
	switch opnum {
	case opSamrCloseHandle:
		delete(p.samrHandles, id)
		e := ndrEncoder{b: make([]byte, 20)}
		e.u32(statusOK)
		return e.b, 0
	case opSamrLookupDomain, opSamrEnumDomains, opSamrOpenDomain:
		need := uint32(samServerLookup)
		if opnum == opSamrEnumDomains {
			need = samServerEnumDomains
		}
		switch {
		case h.kind != samrServer:
			return statusOnly(statusInvalidHandle, opnum), 0
		case h.granted&need == 0:
			return statusOnly(statusAccessDenied, opnum), 0
		}
		return p.samrServerCall(opnum, &d)
	case opSamrEnumUsers, opSamrEnumGroups, opSamrLookupNames, opSamrLookupIds, opSamrOpenUser:
		need := uint32(domainLookup)
		if opnum == opSamrEnumUsers || opnum == opSamrEnumGroups {
			need = domainListAccounts
		}
		switch {
		case h.kind != samrDomain:
			return statusOnly(statusInvalidHandle, opnum), 0
		case h.granted&need == 0:
			return statusOnly(statusAccessDenied, opnum), 0
		}
		return p.samrDomainCall(opnum, h, &d)
	case opSamrQueryUserInfo, opSamrQueryUserInfo2:
		level := d.u16()
		if d.err != nil {
			return nil, faultNDR
		}
		e := ndrEncoder{}
		switch {
		case h.kind != samrUser:
			e.ptr(false)
			e.u32(statusInvalidHandle)
		case level != userAllLevel:
			e.ptr(false)
			e.u32(statusInvalidInfoCls)
		case h.granted&(userReadGeneral|userReadPreferences|userReadLogon|userReadAccount) == 0:
			e.ptr(false)
			e.u32(statusAccessDenied)
		default:
			p.srv.samrUserAll(&e, h)
		}
		return e.b, 0
	}
	return nil, faultOpRangeError
}

// statusOnly is the answer of a refused call whose outputs are all
// null or zero: for each opnum the out parameters before the status.
func statusOnly(status uint32, opnum uint16) []byte {
	e := ndrEncoder{}
	switch opnum {
	case opSamrLookupDomain:
		e.ptr(false)
	case opSamrEnumDomains, opSamrEnumUsers, opSamrEnumGroups:
		e.u32(0)     // enumeration context
		e.ptr(false) // buffer
		e.u32(0)     // count returned
	case opSamrOpenDomain, opSamrOpenUser:
		e.b = append(e.b, make([]byte, 20)...)
	case opSamrLookupNames, opSamrLookupIds:
		e.u32(0)
		e.ptr(false)
		e.u32(0)
		e.ptr(false)
	}
	e.u32(status)
	return e.b
}

// samrConnect answers SamrConnect (0), SamrConnect2 (57), SamrConnect3
// (61), SamrConnect4 (62) and SamrConnect5 (64): a server handle.
func (p *Pipe) samrConnect(opnum uint16, stub []byte) ([]byte, uint32) {
	d := ndrDecoder{b: stub}
	if opnum == opSamrConnect {
		if d.u32() != 0 { // [unique] wchar_t* (a single character)
			d.u16()
		}
	} else {
		d.uniqueStr()
	}
	if opnum == opSamrConnect3 || opnum == opSamrConnect4 {
		d.u32() // Unknown / ClientRevision
	}
	desired := d.u32()
	if opnum == opSamrConnect5 {
		if d.u32() != 1 || d.u32() != 1 { // InVersion, union discriminant
			d.fail()
		}
		d.u32() // Revision
		d.u32() // SupportedFeatures
	}
	if d.err != nil {
		return nil, faultNDR
	}
	e := ndrEncoder{}
	if opnum == opSamrConnect5 {
		e.u32(1) // OutVersion
		e.u32(1) // union discriminant
		e.u32(3) // Revision
		e.u32(0) // SupportedFeatures
	}
	status := uint32(statusOK)
	granted, ok := samrGrant(samrServer, desired)
	if p.anon || p.srv.Names == nil || !ok {
		e.b = append(e.b, make([]byte, 20)...)
		status = statusAccessDenied
	} else if !p.newSamrHandle(&e, samrHandle{kind: samrServer, granted: granted}) {
		status = statusInsufficientResources
	}
	e.u32(status)
	return e.b, 0
}

// samrOpen stores a handle of kind for a caller that asked for desired
// access and writes it with the status, ACCESS_DENIED when desired is
// more than the object allows.
func (p *Pipe) samrOpen(e *ndrEncoder, h samrHandle, desired uint32) {
	granted, ok := samrGrant(h.kind, desired)
	h.granted = granted
	switch {
	case !ok:
		e.b = append(e.b, make([]byte, 20)...)
		e.u32(statusAccessDenied)
	case !p.newSamrHandle(e, h):
		e.u32(statusInsufficientResources)
	default:
		e.u32(statusOK)
	}
}

// statusInsufficientResources: the pipe holds maxSamrHandles handles.
const statusInsufficientResources = 0xC000009A

// samrDomains are the domains a SAMR server handle sees.
func (s *Server) samrDomains() (names, sids []string) {
	name, sid := s.Names.Domain()
	return []string{name, samrBuiltinName}, []string{sid, samrBuiltinSID}
}

// samrServerCall answers the server-handle calls.
func (p *Pipe) samrServerCall(opnum uint16, d *ndrDecoder) ([]byte, uint32) {
	names, sids := p.srv.samrDomains()
	e := ndrEncoder{}
	switch opnum {
	case opSamrLookupDomain:
		d.u16()
		d.u16()
		present := d.u32() != 0
		name := ""
		if present {
			name = d.lsaStringBody()
		}
		if d.err != nil {
			return nil, faultNDR
		}
		if !present {
			return statusOnly(statusInvalidParameter, opnum), 0
		}
		for i := range names {
			if strings.EqualFold(name, names[i]) {
				e.ptr(true)
				e.sid(sids[i])
				e.u32(statusOK)
				return e.b, 0
			}
		}
		return statusOnly(statusNoSuchDomain, opnum), 0
	case opSamrEnumDomains:
		ctx := d.u32()
		d.u32() // PreferedMaximumLength
		if d.err != nil {
			return nil, faultNDR
		}
		var list []Account
		for i, n := range names {
			if uint32(i) >= ctx {
				list = append(list, Account{Name: n})
			}
		}
		encodeEnum(&e, uint32(len(names)), list)
		e.u32(statusOK)
		return e.b, 0
	}
	// SamrOpenDomain
	desired := d.u32()
	sid := d.sid()
	if d.err != nil {
		return nil, faultNDR
	}
	for i := range sids {
		if sids[i] == sid {
			p.samrOpen(&e, samrHandle{kind: samrDomain, domain: sid}, desired)
			return e.b, 0
		}
	}
	return statusOnly(statusNoSuchDomain, opnum), 0
}

// encodeEnum writes the EnumerationContext, the SAMPR_ENUMERATION_BUFFER
// of list and CountReturned.
func encodeEnum(e *ndrEncoder, next uint32, list []Account) {
	e.u32(next)
	e.ptr(true)
	e.u32(uint32(len(list)))
	e.ptr(len(list) > 0)
	if len(list) > 0 {
		e.u32(uint32(len(list)))
		for _, a := range list {
			e.u32(a.RID)
			e.lsaString(a.Name)
		}
		for _, a := range list {
			e.lsaStringBody(a.Name)
		}
	}
	e.u32(uint32(len(list)))
}

// ridOf returns the RID of sid in domain.
func ridOf(sid, domain string) (uint32, bool) {
	rest, ok := strings.CutPrefix(sid, domain+"-")
	if !ok || strings.Contains(rest, "-") {
		return 0, false
	}
	v, err := strconv.ParseUint(rest, 10, 32)
	return uint32(v), err == nil
}
