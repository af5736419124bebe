package rpc

import (
	"strings"
	"time"
)

// serverInfoArm reports whether level is a case of the SERVER_INFO union
// (MS-SRVS 2.2.3.7 plus Samba's 402/403), so that it has a pointer arm.
func serverInfoArm(level uint32) bool {
	switch level {
	case 100, 101, 102, 103, 402, 403, 502, 503, 599, 1005, 1010, 1016, 1017, 1018, 1107:
		return true
	}
	return level >= 1501 && level <= 1556
}

// serverGetInfo implements NetrServerGetInfo (opnum 21) levels 100-102.
func (s *Server) serverGetInfo(stub []byte) ([]byte, uint32) {
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
	case serverInfoArm(level):
		e.ptr(false)
		e.u32(werrInvalidLevel)
		return e.b, 0
	default:
		return nil, faultInvalidTag
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
	return e.b, 0
}

// shareCheck implements NetrShareCheck (opnum 20): is a device (a local
// path) shared, and as what type. As on Windows, the empty device
// matches IPC$, whose path is empty.
func (s *Server) shareCheck(stub []byte) ([]byte, uint32) {
	d := ndrDecoder{b: stub}
	d.uniqueStr()
	device := d.str()
	if d.err != nil {
		return nil, faultNDR
	}
	e := ndrEncoder{}
	for _, sh := range s.shares() {
		if strings.EqualFold(sh.Path, device) {
			e.u32(sh.Type)
			e.u32(werrOK)
			return e.b, 0
		}
	}
	e.u32(0)
	e.u32(werrDeviceNotShared)
	return e.b, 0
}

// remoteTOD implements NetrRemoteTOD (opnum 28): a unique pointer to
// TIME_OF_DAY_INFO (MS-SRVS 2.2.4.105), in UTC.
func remoteTOD(stub []byte, now time.Time) ([]byte, uint32) {
	d := ndrDecoder{b: stub}
	d.uniqueStr()
	if d.err != nil {
		return nil, faultNDR
	}
	now = now.UTC()
	e := ndrEncoder{}
	e.ptr(true)
	e.u32(uint32(now.Unix()))
	e.u32(uint32(now.UnixMilli()))
	e.u32(uint32(now.Hour()))
	e.u32(uint32(now.Minute()))
	e.u32(uint32(now.Second()))
	e.u32(uint32(now.Nanosecond() / 10e6)) // hundredths
	e.u32(0)                               // time zone: UTC
	e.u32(310)                             // clock tick interval, 0.0001 s units
	e.u32(uint32(now.Day()))
	e.u32(uint32(now.Month()))
	e.u32(uint32(now.Year()))
	e.u32(uint32(now.Weekday()))
	e.u32(werrOK)
	return e.b, 0
}

// emptyEnum is an enumeration this server answers with no entries:
// there is nothing to report about character devices, and sessions,
// connections and open files are the SMB layer's business.
type emptyEnum struct {
	nStrs  int      // unique string parameters before the container
	levels []uint32 // levels whose container is a {count, array} pointer
}

// emptyEnums maps srvsvc opnums to their empty answers.
var emptyEnums = map[uint16]emptyEnum{
	0:  {1, []uint32{0, 1}},             // NetrCharDevEnum
	3:  {2, []uint32{0, 1}},             // NetrCharDevQEnum
	8:  {2, []uint32{0, 1}},             // NetrConnectionEnum
	9:  {3, []uint32{2, 3}},             // NetrFileEnum
	12: {3, []uint32{0, 1, 2, 10, 502}}, // NetrSessionEnum
	26: {1, []uint32{0, 1, 2, 3}},       // NetrServerTransportEnum
}

func (t emptyEnum) run(stub []byte) ([]byte, uint32) {
	r, ok := parseEnum(stub, t.nStrs, nil)
	if !ok {
		return nil, faultNDR
	}
	e := ndrEncoder{}
	e.u32(r.level)
	e.u32(r.level)
	for _, l := range t.levels {
		if l == r.level {
			e.ptr(true)
			e.u32(0)     // count
			e.ptr(false) // array
			return r.tail(&e, 0, werrOK), 0
		}
	}
	return nil, faultInvalidTag
}

// diskEnum implements NetrServerDiskEnum (opnum 23) with an empty list:
// a file server has no business advertising its local drives.
func diskEnum(stub []byte) ([]byte, uint32) {
	d := ndrDecoder{b: stub}
	d.uniqueStr()
	d.u32() // EntriesRead
	if d.u32() != 0 {
		return nil, faultNDR // clients send an empty container
	}
	level := d.u32()
	d.u32() // PreferedMaximumLength
	resumePtr := d.u32() != 0
	if resumePtr {
		d.u32()
	}
	if d.err != nil {
		return nil, faultNDR
	}
	if level != 0 {
		e := ndrEncoder{}
		e.u32(0)
		e.u32(0)
		r := enumArgs{resumePtr: resumePtr}
		return r.tail(&e, 0, werrInvalidLevel), 0
	}
	e := ndrEncoder{}
	e.u32(0)     // EntriesRead
	e.ptr(false) // Buffer
	r := enumArgs{resumePtr: resumePtr}
	return r.tail(&e, 0, werrOK), 0
}
