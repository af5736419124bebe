//go:build linux

package bench

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/zerosmb/zerosmb/internal/sign"
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
	// Sign requires signing: the client asks for it in NEGOTIATE and
	// SESSION_SETUP and signs every request after the logon.
	Sign bool
	// RecvBuffer, when set, fixes the socket's receive buffer (SO_RCVBUF,
	// set before connecting, which turns off the kernel's autotuning), so
	// a test can make the server's replies back up quickly.
	RecvBuffer int
}

// Client is a minimal SMB 3.0.2 client that logs on with NTLMv2 and
// streams READ or WRITE requests with many outstanding at once. It does
// not verify response signatures (that would measure the client, not the
// server); it only checks that signed sessions get signed responses.
type Client struct {
	conn net.Conn
	br   *bufio.Reader
	cfg  ClientConfig

	sessionID uint64
	treeID    uint32
	signer    *sign.Signer
	// MaxRead and MaxWrite are the server's NEGOTIATE limits.
	MaxRead, MaxWrite uint32

	mu          sync.Mutex
	cond        *sync.Cond
	msgID       uint64
	credits     int // credits available for new requests
	outstanding int
	sendDone    bool
	err         error
	unsigned    int // responses that should have been signed but were not
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
		return nil, err
	}
	return c, nil
}

// Close closes the connection without logging off.
func (c *Client) Close() error { return c.conn.Close() }

// Unsigned reports how many responses on a signing session came unsigned.
func (c *Client) Unsigned() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unsigned
}

func (c *Client) secMode() uint8 {
	if c.cfg.Sign {
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

// readMsg reads one whole message (used outside the streaming phase).
func (c *Client) readMsg() ([]byte, error) {
	var f [4]byte
	if _, err := io.ReadFull(c.br, f[:]); err != nil {
		return nil, fmt.Errorf("bench: read frame: %w", err)
	}
	n := int(f[1])<<16 | int(f[2])<<8 | int(f[3])
	if f[0] != 0 || n < hdrSize {
		return nil, fmt.Errorf("bench: bad frame %x", f)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(c.br, msg); err != nil {
		return nil, fmt.Errorf("bench: read message: %w", err)
	}
	if string(msg[:4]) != "\xfeSMB" {
		return nil, fmt.Errorf("bench: not an SMB2 message (%x)", msg[:4])
	}
	return msg, nil
}

// roundTrip sends one request (charge 1) and waits for its final response.
func (c *Client) roundTrip(cmd uint16, body []byte, signIt bool) ([]byte, uint32, error) {
	msg := make([]byte, 4+hdrSize+len(body))
	c.header(msg[4:], cmd, 1, c.msgID, 64)
	c.msgID++
	c.credits--
	copy(msg[4+hdrSize:], body)
	putFrame(msg, hdrSize+len(body))
	if signIt && c.signer != nil {
		c.signer.Sign(msg[4:])
	}
	if _, err := c.conn.Write(msg); err != nil {
		return nil, 0, fmt.Errorf("bench: send: %w", err)
	}
	for {
		r, err := c.readMsg()
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
	le := binary.LittleEndian
	// NEGOTIATE: SMB 3.0.2 (keys need no preauth hash).
	neg := make([]byte, 36+4)
	le.PutUint16(neg[0:], 36)
	le.PutUint16(neg[2:], 2)
	le.PutUint16(neg[4:], uint16(c.secMode()))
	le.PutUint32(neg[8:], capLargeMTU)
	rand.Read(neg[12:28])
	le.PutUint16(neg[36:], 0x0302)
	le.PutUint16(neg[38:], 0x0300)
	r, st, err := c.roundTrip(cmdNegotiate, neg, false)
	if err != nil {
		return err
	}
	if st != statusOK || len(r) < hdrSize+65 {
		return fmt.Errorf("bench: NEGOTIATE: status %#x", st)
	}
	body := r[hdrSize:]
	dialect := le.Uint16(body[4:])
	c.MaxRead, c.MaxWrite = le.Uint32(body[32:]), le.Uint32(body[36:])
	sessionKey, err := c.sessionSetup()
	if err != nil {
		return err
	}
	if c.cfg.Sign {
		keys := sign.DeriveKeys(dialect, sessionKey, nil, 128)
		alg := sign.AESCMAC
		if dialect < 0x0300 {
			alg = sign.HMACSHA256
		}
		if c.signer, err = sign.NewSigner(alg, keys.Signing); err != nil {
			return fmt.Errorf("bench: signer: %w", err)
		}
	}
	return c.treeConnect()
}

// sessionSetup runs the NTLMv2 logon and returns the session key.
func (c *Client) sessionSetup() ([]byte, error) {
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
		r, st, err := c.roundTrip(cmdSessionSetup, ss, false)
		if err != nil {
			return nil, err
		}
		c.sessionID = le.Uint64(r[40:])
		if st == statusOK {
			return nc.sessionKey, nil
		}
		if st != statusMoreProcess || round > 0 || len(r) < hdrSize+8 {
			return nil, fmt.Errorf("bench: SESSION_SETUP: status %#x", st)
		}
		off, n := int(le.Uint16(r[hdrSize+4:])), int(le.Uint16(r[hdrSize+6:]))
		if off+n > len(r) {
			return nil, errors.New("bench: SESSION_SETUP: bad security buffer")
		}
		chal, err := spnegoToken(r[off : off+n])
		if err != nil {
			return nil, err
		}
		am, err := nc.authenticate(chal)
		if err != nil {
			return nil, err
		}
		tok = spnegoResp(am)
	}
}

// treeConnect connects to \\HOST\SHARE.
func (c *Client) treeConnect() error {
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
		return err
	}
	if st != statusOK {
		return fmt.Errorf("bench: TREE_CONNECT %s: status %#x", c.cfg.Share, st)
	}
	c.treeID = le.Uint32(r[36:])
	return nil
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
	r, st, err := c.roundTrip(cmdCreate, b, true)
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
