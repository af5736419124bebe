package rpc

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf16"
)

// lsarpc (MS-LSAD / MS-LSAT): just enough for an ACL editor (smbcacls,
// Explorer's Security tab) to show names for the SIDs in a descriptor
// and to turn names into SIDs: LsarOpenPolicy/OpenPolicy2, LsarClose,
// LsarQueryInformationPolicy(2) levels 3 and 5, LsarLookupSids/2 and
// LsarLookupNames/2/3. LsarLookupSids3 and LsarLookupNames4 need a
// secure channel and are refused on named pipes, as Windows does. Names
// come from Server.Names. Each pipe tracks the policy handles it opened
// (at most 64); a call on another handle is a context-mismatch fault.

// Names resolves SIDs and account names for lsarpc.
type Names interface {
	// Domain returns the server's account domain name and SID.
	Domain() (name, sid string)
	// LookupSID names sid: its domain ("" for well-known SIDs such as
	// Everyone), account name and SID_NAME_USE kind.
	LookupSID(sid string) (domain, name string, kind uint16, ok bool)
	// LookupName finds an account by name ("name" or "DOMAIN\name").
	LookupName(name string) (domain, sid string, kind uint16, ok bool)
}

// SID_NAME_USE values (MS-LSAT 2.2.13).
const (
	SidTypeUser           uint16 = 1
	SidTypeGroup          uint16 = 2
	SidTypeDomain         uint16 = 3
	SidTypeAlias          uint16 = 4
	SidTypeWellKnownGroup uint16 = 5
	SidTypeUnknown        uint16 = 8
)

const (
	opLsarClose                   = 0
	opLsarOpenPolicy              = 6
	opLsarQueryInformationPolicy  = 7
	opLsarLookupNames             = 14
	opLsarLookupSids              = 15
	opLsarOpenPolicy2             = 44
	opLsarQueryInformationPolicy2 = 46
	opLsarLookupSids2             = 57
	opLsarLookupNames2            = 58
	opLsarLookupNames3            = 68
	opLsarLookupSids3             = 76
	opLsarLookupNames4            = 77
)

// Lookup limits (MS-LSAT 3.1.4.5 and 3.1.4.9: at most 1000 names and
// 20480 SIDs per call); more is STATUS_INVALID_PARAMETER... answered as
// the NTSTATUS of the call, never an allocation.
const (
	maxLookupNames = 1000
	maxLookupSids  = 20480
)

// NTSTATUS values lsarpc answers.
const (
	statusOK               = 0x00000000
	statusSomeNotMapped    = 0x00000107
	statusInvalidHandle    = 0xC0000008
	statusInvalidParameter = 0xC000000D
	statusAccessDenied     = 0xC0000022
	statusNoneMapped       = 0xC0000073
)

var lsaIface = &iface{
	pipe:     "lsarpc",
	syntax:   syntaxID{mustUUID("12345778-1234-abcd-ef00-0123456789ab"), 0},
	callPipe: lsaCall,
}

// maxLsaHandles bounds the policy handles one pipe may hold open.
const maxLsaHandles = 64

// faultContextMismatch answers a call on a handle that is not open
// (nca_s_fault_context_mismatch).
const faultContextMismatch = 0x1c00001a

// lsaPolicyHandle is the first handle a pipe hands out; later ones
// differ in their last bytes.
var lsaPolicyHandle = [20]byte{0, 0, 0, 0, 'z', 'e', 'r', 'o', 's', 'm', 'b', '-', 'l', 's', 'a', 1}

func lsaCall(p *Pipe, opnum uint16, stub []byte) ([]byte, uint32) {
	s := p.srv
	switch opnum {
	case opLsarOpenPolicy, opLsarOpenPolicy2:
		e := ndrEncoder{}
		if p.anon || s.Names == nil || len(p.lsaHandles) >= maxLsaHandles {
			e.b = append(e.b, make([]byte, 20)...)
			e.u32(statusAccessDenied)
			return e.b, 0
		}
		if p.lsaHandles == nil {
			p.lsaHandles = make(map[[20]byte]struct{})
		}
		h := lsaPolicyHandle
		for i := uint32(0); ; i++ {
			binary.LittleEndian.PutUint32(h[16:], i)
			if _, used := p.lsaHandles[h]; !used {
				break
			}
		}
		p.lsaHandles[h] = struct{}{}
		e.b = append(e.b, h[:]...)
		e.u32(statusOK)
		return e.b, 0
	case opLsarClose:
		if len(stub) < 20 {
			return nil, faultNDR
		}
		h := [20]byte(stub[:20])
		if _, open := p.lsaHandles[h]; !open {
			return nil, faultContextMismatch
		}
		delete(p.lsaHandles, h)
		e := ndrEncoder{b: make([]byte, 20)}
		e.u32(statusOK)
		return e.b, 0
	}
	if opnum != opLsarLookupSids3 && opnum != opLsarLookupNames4 {
		if len(stub) < 20 {
			return nil, faultNDR
		}
		if _, open := p.lsaHandles[[20]byte(stub[:20])]; !open {
			return nil, faultContextMismatch
		}
	}
	switch opnum {
	case opLsarQueryInformationPolicy, opLsarQueryInformationPolicy2:
		return s.lsaQueryInfo(stub)
	case opLsarLookupSids3, opLsarLookupNames4:
		// Only over a secure channel (schannel on TCP), never over SMB
		// named pipes (MS-LSAT 3.1.4.7, 3.1.4.10).
		return nil, statusAccessDenied
	case opLsarLookupSids, opLsarLookupSids2:
		return s.lsaLookupSids(stub, opnum)
	case opLsarLookupNames, opLsarLookupNames2, opLsarLookupNames3:
		return s.lsaLookupNames(stub, opnum)
	}
	return nil, faultOpRangeError
}

// readHandle consumes a policy handle and reports whether it is non-zero.
func readHandle(d *ndrDecoder) bool {
	if d.err != nil || len(d.b)-d.off < 20 {
		d.fail()
		return false
	}
	h := d.b[d.off : d.off+20]
	d.off += 20
	for _, c := range h {
		if c != 0 {
			return true
		}
	}
	return false
}

// sid reads a dom_sid2 referent: conformance count, then the SID.
func (d *ndrDecoder) sid() string {
	n := d.u32()
	if d.err != nil || n > 15 || len(d.b)-d.off < 8+4*int(n) || int(d.b[d.off+1]) != int(n) || d.b[d.off] != 1 {
		d.fail()
		return ""
	}
	b := d.b[d.off:]
	var auth uint64
	for i := 2; i < 8; i++ {
		auth = auth<<8 | uint64(b[i])
	}
	var sb strings.Builder
	sb.WriteString("S-1-" + strconv.FormatUint(auth, 10))
	for i := 0; i < int(n); i++ {
		sb.WriteString("-" + strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	d.off += 8 + 4*int(n)
	return sb.String()
}

// sid writes a dom_sid2 referent; a malformed SID string writes S-1-0-0.
func (e *ndrEncoder) sid(s string) {
	parts := strings.Split(s, "-")
	var subs []uint32
	var auth uint64
	ok := len(parts) >= 3 && parts[0] == "S" && parts[1] == "1" && len(parts) <= 18
	if ok {
		var err error
		auth, err = strconv.ParseUint(parts[2], 10, 48)
		ok = err == nil
		for _, p := range parts[3:] {
			v, err := strconv.ParseUint(p, 10, 32)
			ok = ok && err == nil
			subs = append(subs, uint32(v))
		}
	}
	if !ok {
		auth, subs = 0, []uint32{0}
	}
	e.u32(uint32(len(subs)))
	e.b = append(e.b, 1, byte(len(subs)))
	for i := 5; i >= 0; i-- {
		e.b = append(e.b, byte(auth>>(8*i)))
	}
	for _, v := range subs {
		e.b = binary.LittleEndian.AppendUint32(e.b, v)
	}
}

func (e *ndrEncoder) u16(v uint16) {
	e.align(2)
	e.b = binary.LittleEndian.AppendUint16(e.b, v)
}

// lsaString writes the scalar part of an lsa_String (length, size,
// pointer); lsaStringBody writes its deferred characters (no NUL).
func (e *ndrEncoder) lsaString(s string) {
	n := uint16(2 * len(utf16.Encode([]rune(s))))
	e.align(4) // the struct holds a pointer
	e.u16(n)
	e.u16(n)
	e.ptr(s != "")
}

func (e *ndrEncoder) lsaStringBody(s string) {
	if s == "" {
		return
	}
	u := utf16.Encode([]rune(s))
	e.u32(uint32(len(u)))
	e.u32(0)
	e.u32(uint32(len(u)))
	for _, c := range u {
		e.b = binary.LittleEndian.AppendUint16(e.b, c)
	}
}

// readLsaStringBody reads the deferred characters of an lsa_String.
func (d *ndrDecoder) lsaStringBody() string {
	maxCount, off, actual := d.u32(), d.u32(), d.u32()
	if d.err != nil || off != 0 || actual > maxCount || uint64(actual)*2 > uint64(len(d.b)-d.off) {
		d.fail()
		return ""
	}
	u := make([]uint16, actual)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(d.b[d.off+2*i:])
	}
	d.off += 2 * int(actual)
	return string(utf16.Decode(u))
}

// lsaQueryInfo answers PolicyPrimaryDomainInformation (3) and
// PolicyAccountDomainInformation (5): the server's domain name and SID.
func (s *Server) lsaQueryInfo(stub []byte) ([]byte, uint32) {
	d := ndrDecoder{b: stub}
	okHandle := readHandle(&d)
	level := d.u16()
	if d.err != nil {
		return nil, faultNDR
	}
	e := ndrEncoder{}
	if !okHandle || s.Names == nil {
		e.ptr(false)
		e.u32(statusInvalidHandle)
		return e.b, 0
	}
	if level != 3 && level != 5 {
		e.ptr(false)
		e.u32(statusInvalidParameter)
		return e.b, 0
	}
	name, sid := s.Names.Domain()
	e.ptr(true)
	e.u16(level) // union discriminant
	e.lsaString(name)
	e.ptr(true)
	e.lsaStringBody(name)
	e.sid(sid)
	e.u32(statusOK)
	return e.b, 0
}
