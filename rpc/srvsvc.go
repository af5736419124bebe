package rpc

import "strings"

// srvsvc (MS-SRVS) procedures served here.
const (
	opNetrShareEnum       = 15
	opNetrShareGetInfo    = 16
	opNetrServerGetInfo   = 21
	opNetrShareEnumSticky = 36
)

// Win32 error codes returned in the WERROR result of srvsvc/wkssvc calls.
const (
	werrOK              = 0
	werrInvalidLevel    = 124  // ERROR_INVALID_LEVEL
	werrNetNameNotFound = 2310 // NERR_NetNameNotFound
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

func srvsvcCall(s *Server, opnum uint16, stub []byte) ([]byte, uint32) {
	var out []byte
	var ok bool
	switch opnum {
	case opNetrShareEnum, opNetrShareEnumSticky:
		out, ok = s.shareEnum(stub)
	case opNetrShareGetInfo:
		out, ok = s.shareGetInfo(stub)
	case opNetrServerGetInfo:
		out, ok = s.serverGetInfo(stub)
	default:
		return nil, faultOpRangeError
	}
	if !ok {
		return nil, faultNDR
	}
	return out, 0
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

// shareEnum implements NetrShareEnum (opnum 15, Samba's NetShareEnumAll)
// and NetrShareEnumSticky (opnum 36). MaxBuffer is ignored: every entry
// from the resume point on is returned.
func (s *Server) shareEnum(stub []byte) ([]byte, bool) {
	d := ndrDecoder{b: stub}
	d.uniqueStr() // server name: any value means this server
	level := d.u32()
	if d.u32() != level {
		return nil, false
	}
	if d.u32() != 0 { // container pointer
		d.u32() // entries read
		if d.u32() != 0 {
			skipShareArray(&d, level)
		}
	}
	d.u32() // PreferedMaximumLength
	resumePtr := d.u32()
	var resume uint32
	if resumePtr != 0 {
		resume = d.u32()
	}
	if d.err != nil {
		return nil, false
	}

	list := s.shares()
	if uint64(resume) > uint64(len(list)) {
		resume = uint32(len(list))
	}
	list = list[resume:]

	e := ndrEncoder{b: make([]byte, 0, 256+len(list)*96)}
	e.u32(level)
	e.u32(level) // union discriminant
	werr, total := uint32(werrOK), uint32(0)
	switch level {
	case 0, 1, 2, 501, 502:
		total = uint32(len(list))
		e.ptr(true) // SHARE_INFO_<level>_CONTAINER
		e.u32(total)
		e.ptr(len(list) > 0)
		if len(list) > 0 {
			e.u32(uint32(len(list))) // conformance
			for i := range list {
				shareScalars(&e, level, &list[i])
			}
			for i := range list {
				shareDeferred(&e, level, &list[i])
			}
		}
	default:
		werr = werrInvalidLevel
	}
	e.u32(total) // TotalEntries
	if resumePtr != 0 {
		e.ptr(true)
		e.u32(0)
	} else {
		e.u32(0)
	}
	e.u32(werr)
	return e.b, true
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
func (s *Server) shareGetInfo(stub []byte) ([]byte, bool) {
	d := ndrDecoder{b: stub}
	d.uniqueStr()
	name := d.str()
	level := d.u32()
	if d.err != nil {
		return nil, false
	}
	e := ndrEncoder{}
	e.u32(level) // union discriminant
	if !shareLevelKnown(level) {
		e.u32(werrInvalidLevel)
		return e.b, true
	}
	list := s.shares()
	for i := range list {
		if strings.EqualFold(list[i].Name, name) {
			e.ptr(true)
			shareScalars(&e, level, &list[i])
			shareDeferred(&e, level, &list[i])
			e.u32(werrOK)
			return e.b, true
		}
	}
	e.ptr(false)
	e.u32(werrNetNameNotFound)
	return e.b, true
}

// serverGetInfo implements NetrServerGetInfo (opnum 21) levels 100-102.
func (s *Server) serverGetInfo(stub []byte) ([]byte, bool) {
	d := ndrDecoder{b: stub}
	d.uniqueStr()
	level := d.u32()
	if d.err != nil {
		return nil, false
	}
	e := ndrEncoder{}
	e.u32(level)
	switch level {
	case 100, 101, 102:
	default:
		e.u32(werrInvalidLevel)
		return e.b, true
	}
	e.ptr(true)
	e.u32(platformIDNT)
	e.ptr(true) // name
	if level >= 101 {
		e.u32(versionMajor)
		e.u32(versionMinor)
		e.u32(serverTypeBits)
		e.ptr(true) // comment
	}
	if level == 102 {
		e.u32(0xffffffff) // users: unlimited
		e.u32(15)         // disc: auto-disconnect minutes
		e.u32(0)          // hidden
		e.u32(240)        // announce
		e.u32(3000)       // anndelta
		e.u32(0)          // licenses
		e.ptr(true)       // userpath
	}
	e.str(s.name())
	if level >= 101 {
		e.str(s.Comment)
	}
	if level == 102 {
		e.str(`C:\`)
	}
	e.u32(werrOK)
	return e.b, true
}
