package rpc

import (
	"strings"
	"time"
)

// srvsvc (MS-SRVS) procedures served here.
const (
	opNetrShareEnum       = 15
	opNetrShareGetInfo    = 16
	opNetrShareCheck      = 20
	opNetrServerGetInfo   = 21
	opNetrServerDiskEnum  = 23
	opNetrRemoteTOD       = 28
	opNetrShareEnumSticky = 36
)

// Win32 error codes returned in the WERROR result of srvsvc/wkssvc calls.
const (
	werrOK              = 0
	werrAccessDenied    = 5    // ERROR_ACCESS_DENIED
	werrInvalidLevel    = 124  // ERROR_INVALID_LEVEL
	werrNetNameNotFound = 2310 // NERR_NetNameNotFound
	werrDeviceNotShared = 2311 // NERR_DeviceNotShared
)

// Values reported by NetrServerGetInfo and NetrWkstaGetInfo.
const (
	platformIDNT   = 500
	versionMajor   = 6
	versionMinor   = 1
	serverTypeBits = 0x00000001 | 0x00000002 | 0x00001000 | 0x00008000 // workstation, server, NT, server NT
	shiUsesUnlimit = 0xffffffff
)

var srvsvcIface = &iface{
	pipe:   "srvsvc",
	syntax: syntaxID{mustUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), 3},
	call:   srvsvcCall,
}

func srvsvcCall(s *Server, anon bool, opnum uint16, stub []byte) ([]byte, uint32) {
	switch opnum {
	case opNetrShareEnum, opNetrShareEnumSticky:
		return s.shareEnum(stub, opnum == opNetrShareEnumSticky, anon)
	case opNetrShareGetInfo:
		return s.shareGetInfo(stub, anon)
	case opNetrShareCheck:
		return s.shareCheck(stub)
	case opNetrServerGetInfo:
		return s.serverGetInfo(stub)
	case opNetrServerDiskEnum:
		return diskEnum(stub)
	case opNetrRemoteTOD:
		return remoteTOD(stub, time.Now())
	}
	if e, ok := emptyEnums[opnum]; ok {
		return e.run(stub)
	}
	return nil, faultOpRangeError
}

func (s *Server) shares() []ShareInfo {
	if s.Shares == nil {
		return nil
	}
	return s.Shares()
}

func (s *Server) name() string {
	if s.ServerName == "" {
		return "ZEROSMB"
	}
	return s.ServerName
}

// shareLevelKnown reports whether level has a SHARE_INFO_<level> layout
// encoded by shareScalars/shareDeferred.
func shareLevelKnown(level uint32) bool {
	switch level {
	case 0, 1, 2, 501, 502, 1004, 1005, 1006:
		return true
	}
	return false
}

// shareScalars writes the fixed part of SHARE_INFO_<level>; pointer
// fields get referent ids whose strings shareDeferred writes later.
func shareScalars(e *ndrEncoder, level uint32, sh *ShareInfo) {
	switch level {
	case 1004:
		e.ptr(true) // remark
		return
	case 1005:
		e.u32(0) // shi1005_flags: no DFS, manual caching
		return
	case 1006:
		e.u32(shiUsesUnlimit)
		return
	}
	e.ptr(true) // netname
	if level == 0 {
		return
	}
	e.u32(sh.Type)
	e.ptr(true) // remark
	switch level {
	case 501:
		e.u32(0) // shi501_flags
	case 2, 502:
		e.u32(0)              // permissions (ignored by servers in user-level security)
		e.u32(shiUsesUnlimit) // max_uses
		e.u32(0)              // current_uses
		e.ptr(true)           // path
		e.ptr(false)          // password
		if level == 502 {
			e.u32(0)     // shi502_reserved: security descriptor size
			e.ptr(false) // security descriptor
		}
	}
}

// shareDeferred writes the string referents of one SHARE_INFO_<level>
// in the order its pointers appear.
func shareDeferred(e *ndrEncoder, level uint32, sh *ShareInfo) {
	switch level {
	case 1004:
		e.str(sh.Comment)
		return
	case 1005, 1006:
		return
	}
	e.str(sh.Name)
	if level == 0 {
		return
	}
	e.str(sh.Comment)
	if level == 2 || level == 502 {
		e.str(sh.Path)
	}
}

// enumArgs is the common input of the NetrXxxEnum procedures: a
// level, an INFO_STRUCT whose container the client leaves empty, a
// preferred maximum length and an optional resume handle.
type enumArgs struct {
	level     uint32
	resumePtr bool
	resume    uint32
}

// parseEnum decodes an enumeration request whose level/container
// parameter follows nStrs unique string parameters. skip, if not nil,
// consumes a client-supplied array in the container; otherwise a
// non-null array is an error.
func parseEnum(stub []byte, nStrs int, skip func(*ndrDecoder, uint32)) (enumArgs, bool) {
	var r enumArgs
	d := ndrDecoder{b: stub}
	for i := 0; i < nStrs; i++ {
		d.uniqueStr() // server name, and filters this server ignores
	}
	r.level = d.u32()
	if d.u32() != r.level {
		return r, false
	}
	if d.u32() != 0 { // container pointer
		d.u32() // entries read
		if d.u32() != 0 {
			if skip == nil {
				return r, false
			}
			skip(&d, r.level)
		}
	}
	d.u32() // PreferedMaximumLength
	if d.u32() != 0 {
		r.resumePtr = true
		r.resume = d.u32()
	}
	return r, d.err == nil
}

// enumTail writes TotalEntries, the resume handle and the result.
func (r *enumArgs) tail(e *ndrEncoder, total, werr uint32) []byte {
	e.u32(total)
	if r.resumePtr {
		e.ptr(true)
		e.u32(0)
	} else {
		e.u32(0)
	}
	e.u32(werr)
	return e.b
}

// shareEnum implements NetrShareEnum (opnum 15, Samba's NetShareEnumAll)
// and NetrShareEnumSticky (opnum 36), which has no level 501.
// MaxBuffer is ignored: every entry from the resume point on is
// returned.
func (s *Server) shareEnum(stub []byte, sticky, anon bool) ([]byte, uint32) {
	r, ok := parseEnum(stub, 1, skipShareArray)
	if !ok {
		return nil, faultNDR
	}
	e := ndrEncoder{b: make([]byte, 0, 256)}
	e.u32(r.level)
	e.u32(r.level) // union discriminant
	switch {
	case r.level == 501 && sticky:
	case anon && (r.level == 2 || r.level == 501 || r.level == 502):
		e.ptr(false)
		return r.tail(&e, 0, werrAccessDenied), 0
	case r.level == 0, r.level == 1, r.level == 2, r.level == 501, r.level == 502:
		list := s.shares()
		if uint64(r.resume) > uint64(len(list)) {
			r.resume = uint32(len(list))
		}
		list = list[r.resume:]
		total := uint32(len(list))
		e.ptr(true) // SHARE_INFO_<level>_CONTAINER
		e.u32(total)
		e.ptr(len(list) > 0)
		if len(list) > 0 {
			e.u32(total) // conformance
			for i := range list {
				shareScalars(&e, r.level, &list[i])
			}
			for i := range list {
				shareDeferred(&e, r.level, &list[i])
			}
		}
		return r.tail(&e, total, werrOK), 0
	case !shareUnionArm(r.level):
		return nil, faultInvalidTag
	}
	e.ptr(false)
	return r.tail(&e, 0, werrInvalidLevel), 0
}

// shareUnionArm reports whether level is a case of the SHARE_INFO and
// SHARE_ENUM unions (MS-SRVS, and Samba's srvsvc.idl, which adds 1007).
// Such levels have a pointer arm even when this server declines them.
func shareUnionArm(level uint32) bool {
	switch level {
	case 0, 1, 2, 501, 502, 503, 1004, 1005, 1006, 1007, 1501:
		return true
	}
	return false
}

// skipShareArray consumes a client-supplied SHARE_INFO array (clients
// normally send a null one) for the levels whose members are only
// integers and string pointers.
func skipShareArray(d *ndrDecoder, level uint32) {
	var layout string // 'p' string pointer, 'u' integer
	switch level {
	case 0:
		layout = "p"
	case 1:
		layout = "pup"
	case 2:
		layout = "pupuuupp"
	case 501:
		layout = "pupu"
	default:
		d.fail()
		return
	}
	n := d.u32()
	if d.err != nil || uint64(n)*uint64(4*len(layout)) > uint64(len(d.b)-d.off) {
		d.fail()
		return
	}
	strs := 0
	for i := uint32(0); i < n; i++ {
		for _, k := range layout {
			if d.u32() != 0 && k == 'p' {
				strs++
			}
		}
	}
	for i := 0; i < strs && d.err == nil; i++ {
		d.str()
	}
}

// shareGetInfo implements NetrShareGetInfo (opnum 16).
func (s *Server) shareGetInfo(stub []byte, anon bool) ([]byte, uint32) {
	d := ndrDecoder{b: stub}
	d.uniqueStr()
	name := d.str()
	level := d.u32()
	if d.err != nil {
		return nil, faultNDR
	}
	e := ndrEncoder{}
	e.u32(level) // union discriminant
	if !shareLevelKnown(level) {
		if !shareUnionArm(level) {
			return nil, faultInvalidTag
		}
		e.ptr(false)
		e.u32(werrInvalidLevel)
		return e.b, 0
	}
	if anon && (level == 2 || level == 502) {
		e.ptr(false)
		e.u32(werrAccessDenied)
		return e.b, 0
	}
	list := s.shares()
	for i := range list {
		if strings.EqualFold(list[i].Name, name) {
			e.ptr(true)
			shareScalars(&e, level, &list[i])
			shareDeferred(&e, level, &list[i])
			e.u32(werrOK)
			return e.b, 0
		}
	}
	e.ptr(false)
	e.u32(werrNetNameNotFound)
	return e.b, 0
}
