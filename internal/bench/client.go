//go:build linux

package bench

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/smb2"
)

// SMB2 wire constants the load client needs. The server-side smb2 package
// has richer types; the client builds its few requests by offset.
const (
	hdrSize = 64

	cmdNegotiate    = 0x0000
	cmdSessionSetup = 0x0001
	cmdTreeConnect  = 0x0003
	cmdCreate       = 0x0005
	cmdClose        = 0x0006
	cmdRead         = 0x0008
	cmdWrite        = 0x0009

	flagResponse = 0x00000001
	flagAsync    = 0x00000002
	flagSigned   = 0x00000008

	statusOK          = 0x00000000
	statusPending     = 0x00000103
	statusMoreProcess = 0xC0000016

	secModeEnabled  = 0x01
	secModeRequired = 0x02

	capLargeMTU = 0x00000004
)

// ClientConfig says where and how a Client logs on.
type ClientConfig struct {
	Addr     string // host:port
	Share    string // share name
	User     string
	Password string
	Domain   string
	// Prot is the session's protection: the dialect (3.0.2, or 3.1.1 for
	// the GMAC and GCM protections) and whether every request after the
	// logon is signed (signing required in NEGOTIATE and SESSION_SETUP)
	// or sealed. Responses must be protected the same way.
	Prot Protection
	// VerifyData verifies the signature of every READ response on a
	// signed session too; without it those only need SMB2_FLAGS_SIGNED
	// and a non-zero signature (verifying 1 GiB costs the client about
	// as much CPU as signing costs the server). Every other response is
	// always verified; sealed responses are always decrypted and
	// authenticated.
	VerifyData bool
	// RecvBuffer, when set, fixes the socket's receive buffer (SO_RCVBUF,
	// set before connecting, which turns off the kernel's autotuning), so
	// a test can make the server's replies back up quickly.
	RecvBuffer int
}

// Client is a minimal SMB 3.0.2 / 3.1.1 client that logs on with NTLMv2
// and streams READ or WRITE requests with many outstanding at once. It
// negotiates exactly the protection of its ClientConfig and fails when the
// server picks something else or a response is not protected as it must
// be (see ClientConfig.VerifyData for what is checked).
type Client struct {
	conn net.Conn
	br   *bufio.Reader
	cfg  ClientConfig

	sessionID uint64
	treeID    uint32
	signer    *sign.Signer // signed sessions (and the final SESSION_SETUP response)
	sealer    *sign.Sealer // sealed sessions: client-to-server key
	opener    *sign.Sealer // sealed sessions: server-to-client key
	sealBuf   []byte       // reused output of sealing, sender side only
	// MaxRead and MaxWrite are the server's NEGOTIATE limits.
	MaxRead, MaxWrite uint32
	// Dialect, SigningAlg and Cipher are what the server chose (Cipher
	// only on sealed sessions).
	Dialect    uint16
	SigningAlg sign.Algorithm
	Cipher     sign.Cipher

	mu          sync.Mutex
	cond        *sync.Cond
	msgID       uint64
	credits     int // credits available for new requests
	outstanding int
	sendDone    bool
	err         error
}

// FileID is an SMB2 file handle (persistent and volatile parts).
type FileID [16]byte

// Dial connects and logs on, and connects to cfg.Share.
func Dial(cfg ClientConfig) (*Client, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if cfg.RecvBuffer > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, cfg.RecvBuffer)
			})
			return errors.Join(err, serr)
		}
	}
	conn, err := d.Dial("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("bench: dial %s: %w", cfg.Addr, err)
	}
	c := &Client{conn: conn, br: bufio.NewReaderSize(conn, 256<<10), cfg: cfg, credits: 1}
	c.cond = sync.NewCond(&c.mu)
	if err := c.logon(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w (%s)", err, cfg.Prot.Describe())
	}
	return c, nil
}

// Close closes the connection without logging off.
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) secMode() uint8 {
	if c.cfg.Prot.Signed() {
		return secModeEnabled | secModeRequired
	}
	return secModeEnabled
}

// header fills the 64-byte SMB2 header at b.
func (c *Client) header(b []byte, cmd uint16, charge uint16, id uint64, creditReq uint16) {
	le := binary.LittleEndian
	clear(b[:hdrSize])
	copy(b, "\xfeSMB")
	le.PutUint16(b[4:], hdrSize)
	le.PutUint16(b[6:], charge)
	le.PutUint16(b[12:], cmd)
	le.PutUint16(b[14:], creditReq)
	le.PutUint64(b[24:], id)
	le.PutUint32(b[32:], 0xfeff)
	le.PutUint32(b[36:], c.treeID)
	le.PutUint64(b[40:], c.sessionID)
}

func putFrame(b []byte, n int) {
	b[0], b[1], b[2], b[3] = 0, byte(n>>16), byte(n>>8), byte(n)
}

// maxMsg bounds a response read outside the streaming phase.
const maxMsg = 1 << 20

// readMsg reads one whole message (used outside the streaming phase) and
// checks it against the session's protection when protect is set.
func (c *Client) readMsg(protect bool) ([]byte, error) {
	var f [4]byte
	if _, err := io.ReadFull(c.br, f[:]); err != nil {
		return nil, fmt.Errorf("bench: read frame: %w", err)
	}
	n := int(f[1])<<16 | int(f[2])<<8 | int(f[3])
	if f[0] != 0 || n < hdrSize || n > maxMsg {
		return nil, fmt.Errorf("bench: bad frame %x", f)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(c.br, msg); err != nil {
		return nil, fmt.Errorf("bench: read message: %w", err)
	}
	return c.unprotect(msg, protect, false)
}

// request builds a request frame (charge 1) for cmd with body.
func (c *Client) request(cmd uint16, body []byte) []byte {
	msg := make([]byte, 4+hdrSize+len(body))
	c.header(msg[4:], cmd, 1, c.msgID, 64)
	c.msgID++
	c.credits--
	copy(msg[4+hdrSize:], body)
	putFrame(msg, hdrSize+len(body))
	return msg
}

// roundTrip sends one request (charge 1), signed or sealed when protect is
// set, and waits for its final response.
func (c *Client) roundTrip(cmd uint16, body []byte, protect bool) ([]byte, uint32, error) {
	return c.exchange(c.request(cmd, body), protect)
}

// exchange sends a frame built by request and waits for the final
// response.
func (c *Client) exchange(frame []byte, protect bool) ([]byte, uint32, error) {
	if err := c.send(frame, protect); err != nil {
		return nil, 0, err
	}
	for {
		r, err := c.readMsg(protect)
		if err != nil {
			return nil, 0, err
		}
		le := binary.LittleEndian
		c.credits += int(le.Uint16(r[14:]))
		st := le.Uint32(r[8:])
		if st == statusPending && le.Uint32(r[16:])&flagAsync != 0 {
			continue
		}
		return r, st, nil
	}
}

func (c *Client) logon() error {
	// The connection's preauth hash (3.1.1) covers NEGOTIATE request and
	// response; each session's continues from it.
	var preauth sign.PreauthHash
	req := c.request(cmdNegotiate, c.negotiateBody())
	r, st, err := c.exchange(req, false)
	if err != nil {
		return err
	}
	if st != statusOK {
		return fmt.Errorf("bench: NEGOTIATE: status %#x", st)
	}
	neg, err := smb2.DecodeNegotiateResponse(r)
	if err != nil {
		return fmt.Errorf("bench: NEGOTIATE response: %w", err)
	}
	if err := c.checkNegotiate(&neg); err != nil {
		return err
	}
	preauth.Update(req[4:])
	preauth.Update(r)
	c.MaxRead, c.MaxWrite = neg.MaxReadSize, neg.MaxWriteSize
	sessionKey, final, flags, err := c.sessionSetup(&preauth)
	if err != nil {
		return err
	}
	if err := c.setupKeys(sessionKey, &preauth, final); err != nil {
		return err
	}
	shareFlags, err := c.treeConnect()
	if err != nil {
		return err
	}
	if c.cfg.Prot.Sealed() && flags&smb2.SessionFlagEncryptData == 0 && shareFlags&smb2.ShareFlagEncryptData == 0 {
		return fmt.Errorf("bench: server does not require encryption (the sealed rows compare servers that do)")
	}
	return nil
}

// sessionSetup runs the NTLMv2 logon and returns the session key, the
// final response and its SessionFlags. preauth, the connection's hash on
// entry, becomes the session's: every request and every response but the
// final one are chained into it (MS-SMB2 3.2.5.3.1).
func (c *Client) sessionSetup(preauth *sign.PreauthHash) (key, final []byte, flags uint16, err error) {
	le := binary.LittleEndian
	nc := &ntlmClient{user: c.cfg.User, password: c.cfg.Password, domain: c.cfg.Domain}
	tok := spnegoInit(nc.negotiate())
	for round := 0; ; round++ {
		ss := make([]byte, 24+len(tok))
		le.PutUint16(ss[0:], 25)
		ss[3] = c.secMode()
		le.PutUint16(ss[12:], hdrSize+24)
		le.PutUint16(ss[14:], uint16(len(tok)))
		copy(ss[24:], tok)
		req := c.request(cmdSessionSetup, ss)
		preauth.Update(req[4:])
		r, st, err := c.exchange(req, false)
		if err != nil {
			return nil, nil, 0, err
		}
		c.sessionID = le.Uint64(r[40:])
		if st == statusOK {
			if len(r) < hdrSize+8 {
				return nil, nil, 0, errors.New("bench: SESSION_SETUP: short response")
			}
			return nc.sessionKey, r, le.Uint16(r[hdrSize+2:]), nil
		}
		preauth.Update(r)
		if st != statusMoreProcess || round > 0 || len(r) < hdrSize+8 {
			return nil, nil, 0, fmt.Errorf("bench: SESSION_SETUP: status %#x", st)
		}
		off, n := int(le.Uint16(r[hdrSize+4:])), int(le.Uint16(r[hdrSize+6:]))
		if off+n > len(r) {
			return nil, nil, 0, errors.New("bench: SESSION_SETUP: bad security buffer")
		}
		chal, err := spnegoToken(r[off : off+n])
		if err != nil {
			return nil, nil, 0, err
		}
		am, err := nc.authenticate(chal)
		if err != nil {
			return nil, nil, 0, err
		}
		tok = spnegoResp(am)
	}
}

// treeConnect connects to \\HOST\SHARE and returns the ShareFlags.
func (c *Client) treeConnect() (uint32, error) {
	le := binary.LittleEndian
	host, _, _ := net.SplitHostPort(c.cfg.Addr)
	path := utf16le(`\\` + host + `\` + c.cfg.Share)
	tc := make([]byte, 8+len(path))
	le.PutUint16(tc[0:], 9)
	le.PutUint16(tc[4:], hdrSize+8)
	le.PutUint16(tc[6:], uint16(len(path)))
	copy(tc[8:], path)
	r, st, err := c.roundTrip(cmdTreeConnect, tc, true)
	if err != nil {
		return 0, err
	}
	if st != statusOK || len(r) < hdrSize+16 {
		return 0, fmt.Errorf("bench: TREE_CONNECT %s: status %#x", c.cfg.Share, st)
	}
	c.treeID = le.Uint32(r[36:])
	return le.Uint32(r[hdrSize+4:]), nil
}

// Open opens name in the share for reading, or for writing (created if
// missing, not truncated).
func (c *Client) Open(name string, write bool) (FileID, error) {
	if write {
		return c.create(name, 0x0012019f, 3, 0x00000040) // FILE_GENERIC_READ|WRITE, FILE_OPEN_IF
	}
	return c.create(name, 0x00120089, 1, 0x00000040) // FILE_GENERIC_READ, FILE_OPEN
}

// create sends a CREATE for name with the given DesiredAccess,
// CreateDisposition and CreateOptions, sharing read|write|delete, and
// returns the open's FileId.
func (c *Client) create(name string, access, disposition, options uint32) (FileID, error) {
	r, st, err := c.roundTrip(cmdCreate, createBody(name, access, disposition, options), true)
	if err != nil {
		return FileID{}, err
	}
	if st != statusOK || len(r) < hdrSize+88 {
		return FileID{}, fmt.Errorf("bench: CREATE %s: status %#x", name, st)
	}
	var id FileID
	copy(id[:], r[hdrSize+64:hdrSize+80])
	return id, nil
}

// createBody is a CREATE request body for name (share read|write|delete,
// no oplock, no create contexts).
func createBody(name string, access, disposition, options uint32) []byte {
	le := binary.LittleEndian
	nm := utf16le(name)
	b := make([]byte, 56+len(nm))
	le.PutUint16(b[0:], 57)
	le.PutUint32(b[4:], 2) // impersonation
	le.PutUint32(b[24:], access)
	le.PutUint32(b[32:], 7) // share read|write|delete
	le.PutUint32(b[36:], disposition)
	le.PutUint32(b[40:], options)
	le.PutUint16(b[44:], hdrSize+56) // name offset
	le.PutUint16(b[46:], uint16(len(nm)))
	copy(b[56:], nm)
	return b
}

// CloseFile closes an open.
func (c *Client) CloseFile(id FileID) error {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint16(b, 24)
	copy(b[8:], id[:])
	_, st, err := c.roundTrip(cmdClose, b, true)
	if err == nil && st != statusOK {
		err = fmt.Errorf("bench: CLOSE: status %#x", st)
	}
	return err
}
