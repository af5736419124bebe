package rpc

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrNoData is returned by Read and Transact when no response bytes are
// queued. An SMB server answers STATUS_PIPE_EMPTY or pends the READ.
var ErrNoData = errors.New("rpc: no data")

// ErrLimit is wrapped by the errors Write returns when a client exceeds
// the pipe's memory bounds (a reassembled request above 1 MiB, or more
// than 4 MiB of responses left unread). The pipe is unusable afterwards.
var ErrLimit = errors.New("rpc: pipe limit exceeded")

// ShareInfo describes one share as srvsvc reports it.
type ShareInfo struct {
	Name    string
	Type    uint32 // STYPE_DISKTREE=0, STYPE_IPC=3 | 0x80000000 (STYPE_SPECIAL) for IPC$
	Comment string
	Path    string // e.g. "C:\\share" style or "/srv/x"; used at level 2/502
}

// Share types for ShareInfo.Type (MS-SRVS 2.2.2.4).
const (
	STypeDiskTree uint32 = 0x00000000
	STypePrintQ   uint32 = 0x00000001
	STypeDevice   uint32 = 0x00000002
	STypeIPC      uint32 = 0x00000003
	STypeSpecial  uint32 = 0x80000000
)

// Server holds what the srvsvc and wkssvc interfaces report. Its
// exported fields must not change once pipes are open; it is safe for
// concurrent use by many pipes.
type Server struct {
	ServerName string             // NetBIOS name, e.g. "ZEROSMB"
	Comment    string             // server comment (NetrServerGetInfo 101/102)
	Shares     func() []ShareInfo // called per request; includes IPC$

	// Workgroup is the domain/workgroup reported by NetrWkstaGetInfo;
	// "WORKGROUP" when empty.
	Workgroup string

	// Names answers lsarpc lookups (lsa.go); nil refuses them.
	Names Names
}

// iface is one RPC interface this package serves on its own pipe.
type iface struct {
	pipe   string // lower-case pipe name without \PIPE\ prefix
	syntax syntaxID
	// call runs opnum on the request stub and returns the response stub,
	// or a non-zero fault status.
	call func(s *Server, anon bool, opnum uint16, stub []byte) ([]byte, uint32)
	// callPipe, when set, is used instead of call by interfaces that keep
	// per-pipe state (lsarpc's policy handles); p.mu is held.
	callPipe func(p *Pipe, opnum uint16, stub []byte) ([]byte, uint32)
}

var ifaces = []*iface{srvsvcIface, wkssvcIface, lsaIface, samrIface}

// assocGroups hands out association group ids; any non-zero value will
// do since groups are never shared between pipes here.
var assocGroups atomic.Uint32

// OpenPipe returns a pipe for the given pipe name (case-insensitive "srvsvc", "wkssvc", "lsarpc", "samr", with or without leading "\\PIPE\\"); ok=false for unknown names (server answers STATUS_OBJECT_NAME_NOT_FOUND).
func (s *Server) OpenPipe(name string) (p *Pipe, ok bool) {
	n := strings.ToLower(strings.TrimLeft(name, `\/`))
	if rest, found := strings.CutPrefix(n, `pipe\`); found {
		n = strings.TrimLeft(rest, `\`)
	}
	for _, f := range ifaces {
		if f.pipe == n {
			return &Pipe{srv: s, iface: f, maxXmit: serverMaxFrag}, true
		}
	}
	return nil, false
}

// Pipe is one open named pipe instance (one per SMB2 CREATE of "srvsvc"/"wkssvc").
// Its methods are safe for concurrent use. The pipe is message mode: each
// queued response PDU is one message for Read and Transact.
type Pipe struct {
	srv   *Server
	iface *iface

	mu       sync.Mutex
	in       []byte // bytes of an incomplete PDU
	bound    bool
	contexts map[uint16]bool // accepted presentation context ids
	maxXmit  int             // largest response fragment the client accepts
	assoc    uint32
	anon     bool // opened by an anonymous session; see SetAnonymous
	// lsaHandles are the open lsarpc policy handles (lsa.go).
	lsaHandles map[[20]byte]struct{}
	// samrHandles are the open SAMR handles (samr.go).
	samrHandles map[[20]byte]samrHandle

	// request reassembly
	reqActive bool
	reqCallID uint32
	reqCtx    uint16
	reqOpnum  uint16
	reqStub   []byte

	out      [][]byte // queued response PDUs; out[0] may be partly read
	outOff   int
	outBytes int
	broken   error
}

// Write feeds bytes the client wrote (SMB2 WRITE to the pipe). Complete PDUs are processed and their responses queued.
// A PDU may arrive split across several writes. An error means the byte
// stream is not DCE/RPC or a limit was hit; the pipe then stays broken
// and the server should fail the write and may close the pipe.
func (p *Pipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broken != nil {
		return 0, p.broken
	}
	data := b
	if len(p.in) > 0 {
		p.in = append(p.in, b...)
		data = p.in
	}
	off := 0
	for len(data)-off >= headerLen {
		h, err := parseHeader(data[off:])
		if err != nil {
			return p.fail(err)
		}
		if len(data)-off < int(h.FragLen) {
			break
		}
		if p.outBytes > maxQueuedOutput {
			return p.fail(fmt.Errorf("%w: %d response bytes unread", ErrLimit, p.outBytes))
		}
		if err := p.handle(data[off:off+int(h.FragLen)], h); err != nil {
			return p.fail(err)
		}
		off += int(h.FragLen)
	}
	if cap(p.in) > 2*maxFragLen {
		// A large write left a big buffer behind; keep only the
		// partial PDU (always under maxFragLen bytes).
		p.in = append([]byte(nil), data[off:]...)
	} else {
		p.in = append(p.in[:0], data[off:]...)
	}
	return len(b), nil
}

func (p *Pipe) fail(err error) (int, error) {
	p.broken = err
	p.in, p.reqStub = nil, nil
	return 0, err
}

// SetAnonymous marks the pipe as opened by an anonymous (null) session.
// Share information levels that expose server paths (2 and 502, and 501
// when enumerating) are then refused with ERROR_ACCESS_DENIED, as
// Windows does; levels 0, 1 and 1005 keep working so clients can still
// browse. Call it before the first Write.
func (p *Pipe) SetAnonymous(anon bool) {
	p.mu.Lock()
	p.anon = anon
	p.mu.Unlock()
}

// Read returns queued response bytes, at most len(b); n=0 with ErrNoData when nothing is queued (server answers STATUS_PIPE_EMPTY or pends). If the next response PDU is bigger than b, return what fits and more=true (server answers STATUS_BUFFER_OVERFLOW).
func (p *Pipe) Read(b []byte) (n int, more bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.read(b)
}

func (p *Pipe) read(b []byte) (n int, more bool, err error) {
	if len(p.out) == 0 {
		return 0, false, ErrNoData
	}
	msg := p.out[0][p.outOff:]
	n = copy(b, msg)
	p.outBytes -= n
	if n < len(msg) {
		p.outOff += n
		return n, true, nil
	}
	p.out[0] = nil
	p.out = p.out[1:]
	p.outOff = 0
	return n, false, nil
}

// Transact is FSCTL_PIPE_TRANSCEIVE: Write(in) then read up to maxOut bytes of the response; more=true when output was truncated (STATUS_BUFFER_OVERFLOW; remaining bytes are available via Read).
// When in produced no response (a non-final request fragment), it
// returns ErrNoData.
func (p *Pipe) Transact(in []byte, maxOut int) (out []byte, more bool, err error) {
	if _, err := p.Write(in); err != nil {
		return nil, false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.out) == 0 {
		return nil, false, ErrNoData
	}
	size := len(p.out[0]) - p.outOff
	if maxOut < size {
		size = max(maxOut, 0)
	}
	out = make([]byte, size)
	n, more, err := p.read(out)
	return out[:n], more, err
}

// queue adds one response PDU.
func (p *Pipe) queue(pdu []byte) {
	p.out = append(p.out, pdu)
	p.outBytes += len(pdu)
}

// handle processes one complete PDU.
func (p *Pipe) handle(pdu []byte, h header) error {
	switch h.Type {
	case ptypeBind, ptypeAlter:
		p.handleBind(pdu, h)
		return nil
	case ptypeRequest:
		return p.handleRequest(pdu, h)
	case ptypeOrphaned, ptypeCoCancel:
		if p.reqActive && p.reqCallID == h.CallID {
			p.reqActive, p.reqStub = false, nil
		}
		return nil
	case ptypeAuth3, ptypeShutdown:
		return nil
	}
	return fmt.Errorf("%w: unexpected PDU type %d from client", errPDU, h.Type)
}
