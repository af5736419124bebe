package server

import (
	"container/list"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/internal/rpc"
	"github.com/zerosmb/zerosmb/vfs"
	"golang.org/x/sync/semaphore"
)

// Share is one exported directory tree.
type Share struct {
	Name     string // share name as clients type it (case-insensitive)
	FS       vfs.FS // backend; nil only for IPC$ (added automatically)
	ReadOnly bool   // refuse every modification with STATUS_ACCESS_DENIED
	Guest    bool   // guest and anonymous sessions may connect
	Comment  string // shown by `smbclient -L`
	Path     string // local path, for display in share enumeration

	// retired is set when Reconfigure removed the share: existing tree
	// connects stay, new opens through them are refused, and the FS is
	// closed when the last of them is gone (see holdShare).
	retired  atomic.Bool
	trees    atomic.Int64 // tree connects using the share
	fsClosed atomic.Bool
	// Access lists (shareaccess.go). Entries are user names or "@group"
	// for the members of a group of Config.Users. A user not allowed gets
	// STATUS_ACCESS_DENIED at TREE_CONNECT.
	ValidUsers []string // may connect; empty: every user (and the lists below)
	ReadUsers  []string // connect read-only even when the share is writable
	WriteUsers []string // connect read-write even when the share is ReadOnly
	AdminUsers []string // may change any ACL, take ownership and set SACLs

	// TimeMachine marks the share as a macOS Time Machine destination
	// (timemachine.go): it must be writable, and the zerosmb command
	// advertises it in _adisk._tcp. Durable handles and a FLUSH that is a
	// real fsync, which Time Machine needs, are there on every share.
	TimeMachine bool
	// TimeMachineMaxSize, when positive, is the volume size a Time
	// Machine share reports (FileFsSizeInformation and kin), so Time
	// Machine keeps its backups below it; the space used is that of the
	// share's top-level *.sparsebundle band files.
	TimeMachineMaxSize int64
	// tmUsage caches the bytes of the share's sparse bundles.
	tmUsage tmUsage

	// CreateMask and DirectoryMask bound the permission bits of files
	// and directories a CREATE makes: 0666 & CreateMask and 0777 &
	// DirectoryMask, less the process umask (a POSIX client's explicit
	// mode is applied as asked). 0 means no mask. With Unix identities
	// (Config.UnixUsers) they decide what other users may do with a new
	// file, e.g. 0640 for group-readable, private-to-others files.
	CreateMask, DirectoryMask fs.FileMode
}

// Config configures a Server. The zero value of each field is a sane default.
type Config struct {
	Shares          []*Share
	Users           *auth.UserDB // users allowed to log on; nil means none
	SigningRequired bool         // require signed requests on authenticated sessions
	ServerName      string       // NetBIOS name; default "ZEROSMB"
	Domain          string       // workgroup; default "WORKGROUP"
	Logger          *slog.Logger // default slog.Default()

	// Sendfile enables the zero-copy READ path (header + sendfile).
	Sendfile bool
	// SignedSendfile (Linux, opt-in) lets signed READs use sendfile too:
	// the signature is computed over an mmap of the file range and the
	// payload then goes out with sendfile. Needs Sendfile. Refused while
	// any SMB open of the file may write it or caches writes. A local
	// change is caught while hashing (copy path) or while sending (the
	// connection closes before the frame completes), but one after
	// sendfile returned can alter queued bytes and the client then
	// refuses a badly signed response (server/signsend_linux.go).
	SignedSendfile bool
	// SignedSendfileHash is how signed sendfile reads the payload to MAC
	// it: through a mapping kept per open (default), pread into a small
	// buffer, or a mapping per READ (signhash_linux.go).
	SignedSendfileHash SignedHash
	// RecvfileMin is the smallest WRITE payload moved with splice; 0
	// disables the zero-copy WRITE path.
	RecvfileMin int

	// MaxIOSize caps MaxReadSize, MaxWriteSize and MaxTransactSize;
	// default 8 MiB.
	MaxIOSize uint32
	// SMB1 enables the legacy SMB1 dialect NT LM 0.12 alongside SMB2/3
	// for clients that speak nothing else (smb1*.go). Off by default:
	// SMB1 is a deprecated protocol without the integrity protections of
	// SMB2/3; without it an SMB1-only client is refused.
	SMB1 bool
	// MaxConnections bounds concurrent connections; default
	// DefaultMaxConnections (16384). When every slot is taken, a new
	// connection takes the slot of the oldest connection that has not yet
	// completed a SESSION_SETUP ("pending"); only when every slot holds a
	// logged-on connection is it refused. Each connection needs a file
	// descriptor (plus one per open file): see RLIMIT_NOFILE.
	MaxConnections int
	// MaxConnectionsPerAddr bounds concurrent connections from one client
	// IP address; 0 means no bound beyond MaxConnections.
	MaxConnectionsPerAddr int
	// MaxHandshakesPerAddr bounds the pending connections (accepted, no
	// SESSION_SETUP completed yet) from one client IP address; default
	// DefaultMaxHandshakesPerAddr (64), negative means no bound.
	MaxHandshakesPerAddr int
	// HandshakeTimeout closes a connection that has not completed a
	// SESSION_SETUP this long after it was accepted; default
	// DefaultHandshakeTimeout (30 s).
	HandshakeTimeout time.Duration
	// IdleTimeout closes connections without any request for this long;
	// default 15 minutes.
	IdleTimeout time.Duration
	// NoPosixExtensions refuses the SMB 3.1.1 POSIX extensions (the
	// Linux client's "posix" mount option), which are otherwise granted
	// to clients that ask (posix.go).
	NoPosixExtensions bool
	// MaxRequestMemory bounds the bytes of request frames larger than
	// 64 KiB held server-wide while they are read and handled; a
	// connection whose frame does not fit waits for others. Default
	// DefaultMaxRequestMemory (512 MiB); raised to MaxIOSize + 64 KiB if
	// set lower. Before a connection's first SESSION_SETUP succeeds its
	// frames are limited to 64 KiB.
	MaxRequestMemory int64
	// Encrypt is the encryption policy: EncryptOff (default),
	// EncryptDesired or EncryptRequired.
	Encrypt EncryptMode
	// EncryptData is the old switch: true means EncryptDesired when Encrypt
	// is EncryptOff.
	//
	// Deprecated: set Encrypt.
	EncryptData bool
	// Throttle slows down and locks out password guessing.
	Throttle AuthThrottle

	// File-level limits (limits_file.go has the defaults).

	// DOSAttribCache bounds the stored DOS attribute records the server
	// keeps after reading them, each used while the file's change time
	// is unchanged (dosattr.go). Default 65536 (a few MiB); negative
	// caches none (every listing reads each entry's xattr).
	DOSAttribCache int
	// SDCache bounds the security descriptors the server keeps after
	// reading them from the backend, by path, each used while the
	// file's inode and change time are unchanged; a descriptor set
	// through the server drops its entry (sdcache.go). An entry whose
	// descriptor and path exceed 1 KiB is not kept. Default 65536;
	// negative caches none (every CREATE of an existing file reads its
	// xattr).
	SDCache int
	// MaxSearchPattern bounds a QUERY_DIRECTORY search pattern, in UTF-16
	// code units; longer ones get STATUS_OBJECT_NAME_INVALID. Default
	// 255, as Windows.
	MaxSearchPattern int
	// MaxDirStreams bounds the directory enumerations, server-wide, that
	// keep their listing open between requests; MaxDirStreamsPerConn
	// bounds them per connection. Others reopen the listing for each
	// request. Defaults 4096 and 64.
	MaxDirStreams, MaxDirStreamsPerConn int
	// MaxZeroFill bounds the bytes one FSCTL_SET_ZERO_DATA may
	// write as zeros when the backend cannot punch holes; a larger
	// range is refused with STATUS_NOT_SUPPORTED. Default 64 MiB.
	MaxZeroFill int64
	// StrictAllocate makes FileAllocationInformation beyond the data
	// reserve the space for real (fallocate KEEP_SIZE, STATUS_DISK_FULL
	// when it is not there). Off by default, as Samba's "strict
	// allocate": the size is then only remembered and reported, so one
	// request cannot fill the disk.
	StrictAllocate bool
	// MaxStreamSize bounds a named stream (alternate data stream, e.g. a
	// Mac resource fork) kept in the backend's sidecar store: a WRITE or
	// end-of-file beyond it fails with STATUS_DISK_FULL. Default (0): as
	// large as a file may be (16 TiB - 64 KiB). Streams kept as extended
	// attributes stay below 64 KiB whatever this says.
	MaxStreamSize int64
	// AccessBasedShareEnum lists, in share enumeration (smbclient -L),
	// only the shares the asking user may connect to; by default every
	// share is listed, as Windows does.
	AccessBasedShareEnum bool

	// OplockBreakTimeout is how long an oplock or lease break waits for the
	// client's acknowledgment before the holder loses its caching and the
	// opens waiting for it proceed; default 35 s (as Windows).
	OplockBreakTimeout time.Duration
	// MaxDurableOpens bounds the durable handles of the whole server,
	// connected or disconnected; beyond it CREATEs are not granted
	// durability (legal: the client just gets no durable context back).
	// Default 16384.
	MaxDurableOpens int
	// MaxDurableOpensPerSession bounds the durable (and resilient) handles
	// one session made, connected or disconnected; beyond it CREATEs are
	// not granted durability and FSCTL_LMR_REQUEST_RESILIENCY fails with
	// STATUS_INSUFFICIENT_RESOURCES. Default 4096; negative: none.
	MaxDurableOpensPerSession int
	// MaxResiliencyTimeout is the longest a resilient handle
	// (FSCTL_LMR_REQUEST_RESILIENCY) is kept after its connection is
	// lost: a request asking more fails with STATUS_INVALID_PARAMETER
	// (MS-SMB2 3.3.5.15.9), one asking 0 gets 120 s (at most this).
	// Resilient handles count against MaxDurableOpens. Default 5 minutes.
	MaxResiliencyTimeout time.Duration
	// KernelLeases (Linux only) backs the read caching granted to clients
	// with kernel file leases (F_SETLEASE), so that a local process
	// opening a file for writing first breaks the clients' caching, as
	// Samba's "kernel oplocks"; write caching is then never granted, and
	// opens whose lease cannot be taken get no caching (kernlease.go).
	// New fails elsewhere.
	KernelLeases bool
	// NoDirectoryLeases turns SMB 3.x directory leases off: NEGOTIATE no
	// longer advertises SMB2_GLOBAL_CAP_DIRECTORY_LEASING and directory
	// opens get no lease (dirlease.go). They are also off under
	// KernelLeases, whose kernel leases cannot be taken on directories.
	NoDirectoryLeases bool
	// UnixUsers (Linux, server running as root) makes every file call of
	// a session run as a Unix identity: the user of the same name, one
	// configured in UnixUsers.IDs, or UnixUsers.Guest for guests; the
	// kernel checks permissions as that identity and new files belong to
	// it (unixusers.go). A user without one is refused at TREE_CONNECT
	// with STATUS_ACCESS_DENIED. nil (default): the server's identity is
	// used and ACLs are the only check. New fails where it cannot work.
	UnixUsers *UnixUsers

	// AppleModel is the model string of the answer to Apple's AAPL
	// server query (aapl.go); default DefaultAppleModel.
	AppleModel string
	// NoAppleExtensions leaves Apple's AAPL create context unanswered, so
	// macOS clients use plain SMB (no READDIR_ATTR).
	NoAppleExtensions bool
}

// EncryptMode is the server's SMB 3.x encryption policy.
type EncryptMode int

const (
	// EncryptOff encrypts only what a client encrypts itself.
	EncryptOff EncryptMode = iota
	// EncryptDesired makes every session that can encrypt (SMB 3.x with a
	// cipher, a user logon) encrypt everything; its plaintext requests are
	// refused. SMB 2.x, guest and anonymous sessions stay plaintext.
	EncryptDesired
	// EncryptRequired is EncryptDesired, and a SESSION_SETUP that would
	// yield a session unable to encrypt (SMB 2.x dialect, no cipher
	// negotiated, guest or anonymous logon) fails with
	// STATUS_ACCESS_DENIED (MS-SMB2 3.3.5.5, as Samba's
	// "server smb encrypt = required").
	EncryptRequired
)

// DefaultMaxIOSize is the default MaxReadSize/MaxWriteSize/MaxTransactSize.
const DefaultMaxIOSize = 8 << 20

// Server is an SMB2/SMB3 file server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	guid    [16]byte
	start   time.Time
	ipc     *Share
	live    atomic.Pointer[shareSet] // shares and users; replaced by Reconfigure
	rpc     *rpc.Server
	nodes   nodeTable
	state   stateStore // &nodes
	clients clientTable
	nextID  atomic.Uint64 // session ids and async ids
	shuting atomic.Bool
	data    dataCounters
	// dirSlots counts enumerations holding an open listing (dirstream.go).
	dirSlots dirSlots
	ops      opCounters

	reloadMu sync.Mutex          // serialises Reconfigure
	reqMem   *semaphore.Weighted // request frame memory (MaxRequestMemory)
	// reqMemHeld is the request memory reserved now (large frames only).
	reqMemHeld atomic.Int64
	throttle   *throttle // failed logons by user and address
	events     *eventLog // refused, evicted, timed-out connections
	authLog    *eventLog // failed and locked-out logons

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{} // every connection until its goroutine ends
	slots     int                // connections holding a slot
	perAddr   map[string]*addrConns
	pending   *list.List // of *conn: slots held before a logon, oldest first
	connWG    sync.WaitGroup
}

// limitLogInterval is how often aggregated limit lines are logged at most.
const limitLogInterval = 10 * time.Second

// New validates cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.ServerName == "" {
		cfg.ServerName = "ZEROSMB"
	}
	if cfg.Domain == "" {
		cfg.Domain = "WORKGROUP"
	}
	if cfg.AppleModel == "" {
		cfg.AppleModel = DefaultAppleModel
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxIOSize == 0 {
		cfg.MaxIOSize = DefaultMaxIOSize
	}
	if cfg.MaxIOSize < 65536 || cfg.MaxIOSize > 8<<20 {
		return nil, fmt.Errorf("server: MaxIOSize %d outside [64 KiB, 8 MiB]", cfg.MaxIOSize)
	}
	if err := cfg.setLimitDefaults(); err != nil {
		return nil, err
	}
	if err := cfg.fileLimitDefaults(); err != nil {
		return nil, err
	}
	if err := checkUnixUsers(cfg.UnixUsers); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		start:     time.Now(),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		perAddr:   make(map[string]*addrConns),
		pending:   newPendingList(),
		reqMem:    semaphore.NewWeighted(cfg.MaxRequestMemory),
		throttle:  newThrottle(cfg.Throttle),
	}
	s.events = newEventLog(cfg.Logger, "connections refused or closed before logon", limitLogInterval)
	s.authLog = newEventLog(cfg.Logger, "authentication failed", limitLogInterval)
	rand.Read(s.guid[:])
	s.nextID.Store(uint64(time.Now().UnixNano()) & 0xffffffff << 16)
	s.nodes.breakTimeout = cfg.OplockBreakTimeout
	s.nodes.clientConn = s.clients.first
	s.nodes.maxDurable = cfg.MaxDurableOpens
	s.nodes.maxDurablePerSess = cfg.MaxDurableOpensPerSession
	s.nodes.maxResiliency = cfg.MaxResiliencyTimeout
	s.nodes.dirLeases = !cfg.NoDirectoryLeases && !cfg.KernelLeases
	s.nodes.log = cfg.Logger
	s.nodes.init()
	if cfg.KernelLeases {
		k, err := newKernelLeases(&s.nodes)
		if err != nil {
			return nil, err
		}
		s.nodes.kernel = k
	}
	s.state = &s.nodes
	s.ipc = &Share{Name: "IPC$", Comment: "IPC Service", Guest: true}
	set, err := s.newShareSet(cfg.Shares, cfg.Users, nil)
	if err != nil {
		return nil, err
	}
	s.live.Store(set)
	s.rpc = &rpc.Server{ServerName: cfg.ServerName, Comment: "zerosmb", Workgroup: cfg.Domain, Shares: s.shareInfos, Names: lsaNames{s}}
	return s, nil
}

func (s *Server) shareInfos() []rpc.ShareInfo {
	list := s.shareTable().list
	out := make([]rpc.ShareInfo, 0, len(list)+1)
	for _, sh := range list {
		out = append(out, rpc.ShareInfo{Name: sh.Name, Type: 0, Comment: sh.Comment, Path: sh.Path})
	}
	return append(out, rpc.ShareInfo{Name: "IPC$", Type: 3 | 0x80000000, Comment: "IPC Service"})
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("server: closed")

// ListenAndServe listens on the TCP address addr and serves it.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts connections on ln until Shutdown or a permanent error.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shuting.Load() {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shuting.Load() {
				return ErrServerClosed
			}
			if isTemporaryAccept(err) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		addr := clientAddr(nc.RemoteAddr())
		s.mu.Lock()
		c, why, evicted := s.admit(nc, addr)
		s.mu.Unlock()
		if evicted != "" {
			s.events.note("evicted_pending", evicted)
		}
		if c == nil {
			s.ops.refused.Add(1)
			s.events.note(why, addr)
			nc.Close()
			continue
		}
		s.ops.accepted.Add(1)
		go c.serve()
	}
}

// isTemporaryAccept reports accept errors worth retrying (timeouts,
// EMFILE/ENFILE, aborted connections).
func isTemporaryAccept(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.ENOBUFS)
}

func (s *Server) removeConn(c *conn) {
	if c.hsTimer != nil {
		c.hsTimer.Stop()
	}
	s.mu.Lock()
	delete(s.conns, c)
	s.releaseSlot(c)
	s.mu.Unlock()
	s.connWG.Done()
}

// Shutdown stops accepting connections, lets requests in flight finish,
// then closes every connection. If ctx ends first, connections are closed
// at once and ctx.Err() is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shuting.Store(true)
	if k := s.nodes.kernel; k != nil && k.stop != nil {
		k.stopped.Do(k.stop)
	}
	s.mu.Lock()
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.beginShutdown()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.connWG.Wait(); close(done) }()
	select {
	case <-done:
		s.flushLogs()
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.kill()
		}
		s.mu.Unlock()
		<-done
		s.flushLogs()
		return ctx.Err()
	}
}

// flushLogs writes the aggregated log lines still counting.
func (s *Server) flushLogs() {
	s.events.flush()
	s.authLog.flush()
}

func (s *Server) newID() uint64 { return s.nextID.Add(1) }
