package rpc

// wkssvc (MS-WKST) procedures served here.
const opNetrWkstaGetInfo = 0

var wkssvcIface = &iface{
	pipe:   "wkssvc",
	syntax: syntaxID{mustUUID("6bffd098-a112-3610-9833-46c3f87e345a"), 1},
	call:   wkssvcCall,
}

func wkssvcCall(s *Server, _ bool, opnum uint16, stub []byte) ([]byte, uint32) {
	if opnum != opNetrWkstaGetInfo {
		return nil, faultOpRangeError
	}
	return s.wkstaGetInfo(stub)
}

func (s *Server) workgroup() string {
	if s.Workgroup == "" {
		return "WORKGROUP"
	}
	return s.Workgroup
}

// wkstaGetInfo implements NetrWkstaGetInfo (opnum 0) levels 100-102
// (WKSTA_INFO_100/101/102, MS-WKST 2.2.5.1-2.2.5.3).
func (s *Server) wkstaGetInfo(stub []byte) ([]byte, uint32) {
	d := ndrDecoder{b: stub}
	d.uniqueStr()
	level := d.u32()
	if d.err != nil {
		return nil, faultNDR
	}
	e := ndrEncoder{}
	e.u32(level)
	switch {
	case level == 100, level == 101, level == 102:
	case level == 502, level >= 1010 && level <= 1062:
		// WKSTA_INFO union arms (MS-WKST 2.2.4.1, Samba's wkssvc.idl)
		// this server does not fill in.
		e.ptr(false)
		e.u32(werrInvalidLevel)
		return e.b, 0
	default:
		return nil, faultInvalidTag
	}
	e.ptr(true)
	e.u32(platformIDNT)
	e.ptr(true) // computer name
	e.ptr(true) // lan group
	e.u32(versionMajor)
	e.u32(versionMinor)
	if level >= 101 {
		e.ptr(true) // lan root
	}
	if level == 102 {
		e.u32(0) // logged-on users
	}
	e.str(s.name())
	e.str(s.workgroup())
	if level >= 101 {
		e.str(`C:\`)
	}
	e.u32(werrOK)
	return e.b, 0
}
