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
	"time"
)

// A minimal SMB1 (NT LM 0.12) load client for the NT1 protection: it logs
// on with NTLMv2 in SPNEGO (extended security), opens one file and streams
// READ_ANDX or WRITE_ANDX requests (CAP_LARGE_READX/WRITEX) with up to
// depth outstanding, the way Client streams SMB2 READ/WRITE. It builds its
// few requests by offset (MS-CIFS 2.2.4), like Client.

const (
	s1HdrSize = 32

	s1ComClose     = 0x04
	s1ComReadX     = 0x2E
	s1ComWriteX    = 0x2F
	s1ComNegotiate = 0x72
	s1ComSessSetup = 0x73
	s1ComTreeConn  = 0x75
	s1ComNTCreate  = 0xA2

	s1Flags  = 0x18   // case insensitive, canonical paths
	s1Flags2 = 0xC841 // UNICODE, NT_STATUS, EXTENDED_SECURITY, IS_LONG_NAME, LONG_NAMES

	s1CapUnicode    = 0x00000004
	s1CapLargeFiles = 0x00000008
	s1CapNTSMBs     = 0x00000010
	s1CapStatus32   = 0x00000040
	s1CapLargeReadX = 0x00004000
	s1CapLargeWrite = 0x00008000
	s1CapExtSec     = 0x80000000
	s1ClientCaps    = s1CapUnicode | s1CapLargeFiles | s1CapNTSMBs | s1CapStatus32 | s1CapLargeReadX | s1CapLargeWrite | s1CapExtSec
)

// smb1Client is one SMB1 connection with one open file.
type smb1Client struct {
	conn          net.Conn
	br            *bufio.Reader
	cfg           ClientConfig
	uid, tid, fid uint16
	caps          uint32 // the server's
}

// dialSMB1 connects, negotiates NT LM 0.12, logs on and connects to the
// share.
func dialSMB1(cfg ClientConfig) (*smb1Client, error) {
	conn, err := net.DialTimeout("tcp", cfg.Addr, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("bench: dial %s: %w", cfg.Addr, err)
	}
	c := &smb1Client{conn: conn, br: bufio.NewReaderSize(conn, 256<<10), cfg: cfg}
	if err := c.logon(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w (SMB1)", err)
	}
	return c, nil
}

// msg builds an SMB1 request frame (4-byte frame header first): header,
// words, bytes.
func (c *smb1Client) msg(cmd byte, mid uint16, words, data []byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 4+s1HdrSize, 4+s1HdrSize+3+len(words)+len(data))
	copy(b[4:], "\xffSMB")
	b[8] = cmd
	b[13] = s1Flags
	le.PutUint16(b[14:], s1Flags2)
	le.PutUint16(b[4+24:], c.tid)
	le.PutUint16(b[4+26:], 1) // PID
	le.PutUint16(b[4+28:], c.uid)
	le.PutUint16(b[4+30:], mid)
	b = append(b, byte(len(words)/2))
	b = append(b, words...)
	b = le.AppendUint16(b, uint16(len(data)))
	b = append(b, data...)
	putFrame(b, len(b)-4)
	return b
}

// readFrame reads one SMB1 message into buf (grown as needed) and returns
// it with its status.
func (c *smb1Client) readFrame(buf []byte) ([]byte, uint32, error) {
	var fh [4]byte
	if _, err := io.ReadFull(c.br, fh[:]); err != nil {
		return nil, 0, err
	}
	n := int(fh[1])<<16 | int(fh[2])<<8 | int(fh[3])
	if n < s1HdrSize+3 {
		return nil, 0, fmt.Errorf("bench: SMB1 message of %d bytes", n)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(c.br, buf); err != nil {
		return nil, 0, err
	}
	if string(buf[:4]) != "\xffSMB" || buf[9]&0x80 == 0 {
		return nil, 0, errors.New("bench: not an SMB1 response")
	}
	return buf, binary.LittleEndian.Uint32(buf[5:]), nil
}

// call sends one request and reads its response.
func (c *smb1Client) call(cmd byte, words, data []byte) ([]byte, uint32, error) {
	if _, err := c.conn.Write(c.msg(cmd, 1, words, data)); err != nil {
		return nil, 0, err
	}
	return c.readFrame(nil)
}

// block returns the words and bytes of a response.
func s1Block(r []byte) (words, data []byte, err error) {
	wc := int(r[s1HdrSize])
	end := s1HdrSize + 1 + 2*wc
	if end+2 > len(r) {
		return nil, nil, errors.New("bench: short SMB1 response")
	}
	bc := int(binary.LittleEndian.Uint16(r[end:]))
	if end+2+bc > len(r) {
		return nil, nil, errors.New("bench: SMB1 ByteCount past the message")
	}
	return r[s1HdrSize+1 : end], r[end+2 : end+2+bc], nil
}

func (c *smb1Client) logon() error {
	le := binary.LittleEndian
	r, st, err := c.call(s1ComNegotiate, nil, []byte("\x02NT LM 0.12\x00"))
	if err != nil {
		return err
	}
	w, _, err := s1Block(r)
	if err != nil || st != statusOK || len(w) < 34 || le.Uint16(w) != 0 {
		return fmt.Errorf("bench: SMB1 NEGOTIATE: status %#x (%v)", st, err)
	}
	c.caps = le.Uint32(w[19:])
	if c.caps&s1CapExtSec == 0 {
		return errors.New("bench: SMB1 server without extended security")
	}
	nc := &ntlmClient{user: c.cfg.User, password: c.cfg.Password, domain: c.cfg.Domain}
	tok := spnegoInit(nc.negotiate())
	for round := 0; ; round++ {
		words := make([]byte, 24)
		words[0] = 0xFF
		le.PutUint16(words[4:], 0xFFFF) // MaxBufferSize
		le.PutUint16(words[6:], 50)     // MaxMpxCount
		le.PutUint16(words[14:], uint16(len(tok)))
		le.PutUint32(words[20:], s1ClientCaps)
		data := append([]byte{}, tok...)
		if (s1HdrSize+1+24+2+len(data))%2 != 0 {
			data = append(data, 0)
		}
		data = append(data, utf16le("Unix\x00zerosmb-bench\x00")...)
		r, st, err := c.call(s1ComSessSetup, words, data)
		if err != nil {
			return err
		}
		c.uid = le.Uint16(r[28:])
		if st == statusOK {
			return c.treeConnect()
		}
		rw, rd, err := s1Block(r)
		if st != statusMoreProcess || round > 0 || err != nil || len(rw) < 8 || int(le.Uint16(rw[6:])) > len(rd) {
			return fmt.Errorf("bench: SMB1 SESSION_SETUP_ANDX: status %#x", st)
		}
		chal, err := spnegoToken(rd[:le.Uint16(rw[6:])])
		if err != nil {
			return err
		}
		am, err := nc.authenticate(chal)
		if err != nil {
			return err
		}
		tok = spnegoResp(am)
	}
}

func (c *smb1Client) treeConnect() error {
	host, _, _ := net.SplitHostPort(c.cfg.Addr)
	words := []byte{0xFF, 0, 0, 0, 0, 0, 1, 0} // no AndX, Flags 0, PasswordLength 1
	data := append([]byte{0}, utf16le(`\\`+host+`\`+c.cfg.Share+"\x00")...)
	data = append(data, "?????\x00"...)
	r, st, err := c.call(s1ComTreeConn, words, data)
	if err != nil {
		return err
	}
	if st != statusOK {
		return fmt.Errorf("bench: SMB1 TREE_CONNECT_ANDX %s: status %#x", c.cfg.Share, st)
	}
	c.tid = binary.LittleEndian.Uint16(r[24:])
	return nil
}

// open opens name like Client.Open, with NT_CREATE_ANDX.
func (c *smb1Client) open(name string, write bool) error {
	le := binary.LittleEndian
	access, disp := uint32(0x00120089), uint32(1) // FILE_GENERIC_READ, FILE_OPEN
	if write {
		access, disp = 0x0012019f, 3 // GENERIC_READ|WRITE, FILE_OPEN_IF
	}
	nm := utf16le(`\` + name + "\x00")
	w := make([]byte, 48)
	w[0] = 0xFF
	le.PutUint16(w[5:], uint16(len(nm)-2))
	le.PutUint32(w[15:], access)
	le.PutUint32(w[27:], 0x80) // FILE_ATTRIBUTE_NORMAL
	le.PutUint32(w[31:], 7)    // share read|write|delete
	le.PutUint32(w[35:], disp)
	le.PutUint32(w[39:], 0x40) // FILE_NON_DIRECTORY_FILE
	le.PutUint32(w[43:], 2)    // impersonation
	r, st, err := c.call(s1ComNTCreate, w, append([]byte{0}, nm...))
	if err != nil {
		return err
	}
	rw, _, err := s1Block(r)
	if st != statusOK || err != nil || len(rw) < 7 {
		return fmt.Errorf("bench: SMB1 NT_CREATE_ANDX %s: status %#x", name, st)
	}
	c.fid = le.Uint16(rw[5:])
	return nil
}

// close closes the file and the connection.
func (c *smb1Client) close() {
	w := make([]byte, 6)
	binary.LittleEndian.PutUint16(w, c.fid)
	w[2], w[3], w[4], w[5] = 0xFF, 0xFF, 0xFF, 0xFF // LastTimeModified: leave it
	c.call(s1ComClose, w, nil)
	c.conn.Close()
}

// ioRequest builds the READ_ANDX or WRITE_ANDX header (for WRITE without
// the payload, which follows it) of n bytes at off.
func (c *smb1Client) ioRequest(write bool, mid uint16, off int64, n int) []byte {
	le := binary.LittleEndian
	if !write {
		w := make([]byte, 24)
		w[0] = 0xFF
		le.PutUint16(w[4:], c.fid)
		le.PutUint32(w[6:], uint32(off))
		le.PutUint16(w[10:], uint16(n))     // MaxCountOfBytesToReturn
		le.PutUint32(w[14:], uint32(n>>16)) // MaxCountHigh
		le.PutUint32(w[20:], uint32(off>>32))
		return c.msg(s1ComReadX, mid, w, nil)
	}
	w := make([]byte, 28)
	w[0] = 0xFF
	le.PutUint16(w[4:], c.fid)
	le.PutUint32(w[6:], uint32(off))
	le.PutUint16(w[18:], uint16(n>>16)) // DataLengthHigh
	le.PutUint16(w[20:], uint16(n))
	le.PutUint16(w[22:], s1HdrSize+1+28+2+1) // DataOffset: after one pad byte
	le.PutUint32(w[24:], uint32(off>>32))
	b := c.msg(s1ComWriteX, mid, w, []byte{0})
	le.PutUint16(b[len(b)-3:], uint16(1+n)) // ByteCount (low 16 bits for large writes)
	putFrame(b, len(b)-4+n)
	return b
}

// transfer moves length bytes from off in ioSize requests, depth at a
// time, and returns the payload bytes moved.
func (c *smb1Client) transfer(write bool, off, length int64, ioSize, depth int) (int64, error) {
	if ioSize > 0xFFFF && c.caps&(s1CapLargeReadX|s1CapLargeWrite) == 0 {
		return 0, errors.New("bench: SMB1 server without large READ_ANDX/WRITE_ANDX")
	}
	n := int((length + int64(ioSize) - 1) / int64(ioSize))
	tokens := make(chan struct{}, depth)
	done := make(chan struct{})
	var wg sync.WaitGroup
	var sendErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		payload := make([]byte, ioSize)
		for i := range payload {
			payload[i] = byte(i*7 + i>>12)
		}
		for i := range n {
			select {
			case tokens <- struct{}{}:
			case <-done:
				return
			}
			pos := off + int64(i)*int64(ioSize)
			sz := int(min(int64(ioSize), off+length-pos))
			req := c.ioRequest(write, uint16(i%0xFFF0)+1, pos, sz)
			bufs := net.Buffers{req}
			if write {
				bufs = append(bufs, payload[:sz])
			}
			if _, err := bufs.WriteTo(c.conn); err != nil {
				sendErr = err
				return
			}
		}
	}()
	var moved int64
	var err error
	buf := make([]byte, ioSize+256)
	for range n {
		var r []byte
		var st uint32
		if r, st, err = c.readFrame(buf); err != nil {
			break
		}
		if st != statusOK {
			err = fmt.Errorf("bench: SMB1 I/O: status %#x", st)
			break
		}
		w, _, berr := s1Block(r)
		switch {
		case berr != nil && write:
			err = berr
		case write && len(w) >= 12:
			moved += int64(binary.LittleEndian.Uint16(w[4:])) | int64(binary.LittleEndian.Uint16(w[8:]))<<16
		case !write && len(r) >= s1HdrSize+1+24:
			wd := r[s1HdrSize+1:]
			moved += int64(binary.LittleEndian.Uint16(wd[10:])) | int64(binary.LittleEndian.Uint16(wd[14:]))<<16
		default:
			err = errors.New("bench: short SMB1 READ_ANDX/WRITE_ANDX response")
		}
		if err != nil {
			break
		}
		<-tokens
	}
	close(done)
	if err != nil {
		c.conn.Close() // unblocks the sender
	}
	wg.Wait()
	if err == nil {
		err = sendErr
	}
	return moved, err
}

// smb1Mover is an SMB1 client moving one file.
type smb1Mover struct {
	c     *smb1Client
	write bool
	io    int
	depth int
}

func (m *smb1Mover) move(off, n int64) (int64, error) {
	return m.c.transfer(m.write, off, n, m.io, m.depth)
}

func (m *smb1Mover) close() { m.c.close() }
