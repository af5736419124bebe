package server

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Status is a snapshot of who is connected and what they hold, for
// operators (zerosmb status). All fields are plain values: a Status may be
// kept, compared and encoded (it has JSON tags) after the server moved on.
type Status struct {
	Started     time.Time          `json:"started"`
	Connections []ConnectionStatus `json:"connections"`
	Shares      []string           `json:"shares"` // share names served now (IPC$ excluded)
}

// ConnectionStatus is one client connection.
type ConnectionStatus struct {
	Client   string          `json:"client"` // remote address
	Local    string          `json:"local"`  // local address
	Since    time.Time       `json:"since"`
	Dialect  string          `json:"dialect"` // "" before NEGOTIATE finished
	Sessions []SessionStatus `json:"sessions"`
}

// SessionStatus is one established session.
type SessionStatus struct {
	ID        uint64 `json:"id"`
	User      string `json:"user"`
	Domain    string `json:"domain"`
	Guest     bool   `json:"guest"`
	Anonymous bool   `json:"anonymous"`
	// SigningRequired: every request must be signed. Signed: the client
	// sent at least one signed request.
	SigningRequired bool `json:"signing_required"`
	Signed          bool `json:"signed"`
	// EncryptionRequired: plaintext requests are refused. Encrypted: the
	// client sent at least one encrypted request. Cipher is the negotiated
	// cipher, "" if none.
	EncryptionRequired bool         `json:"encryption_required"`
	Encrypted          bool         `json:"encrypted"`
	Cipher             string       `json:"cipher,omitempty"`
	Trees              []TreeStatus `json:"trees"`
}

// TreeStatus is one tree connect.
type TreeStatus struct {
	ID    uint32       `json:"id"`
	Share string       `json:"share"`
	Opens []OpenStatus `json:"opens"`
}

// OpenStatus is one open handle.
type OpenStatus struct {
	FileID    uint64 `json:"file_id"` // FileId.Volatile (= Persistent)
	Path      string `json:"path"`    // share-relative, '/'-separated; "" is the root
	Stream    string `json:"stream,omitempty"`
	Directory bool   `json:"directory"`
	Access    uint32 `json:"access"`     // granted access mask
	ShareMode string `json:"share_mode"` // "RWD" letters for FILE_SHARE_READ/WRITE/DELETE, '-' when not shared
	Oplock    string `json:"oplock"`     // granted oplock level: "none", "II", "exclusive", "batch", "lease"
	Lease     string `json:"lease"`      // granted lease state ("RWH" letters) or "none"
	Locks     []Lock `json:"locks,omitzero"`
}

// Lock is one granted byte-range lock.
type Lock struct {
	Offset    uint64 `json:"offset"`
	Length    uint64 `json:"length"`
	Exclusive bool   `json:"exclusive"`
}

// sessionInfo is what a session publishes for Status once it is
// established; the serve goroutine replaces it on re-authentication.
type sessionInfo struct {
	user, domain       string
	guest, anonymous   bool
	signingRequired    bool
	encryptionRequired bool
	cipher             string
}

// sessionSeen records traffic properties other goroutines may read.
type sessionSeen struct {
	signed, encrypted atomic.Bool
}

func (s *sessionSeen) markSigned() {
	if !s.signed.Load() {
		s.signed.Store(true)
	}
}

func (s *sessionSeen) markEncrypted() {
	if !s.encrypted.Load() {
		s.encrypted.Store(true)
	}
}

// publish makes the session's identity visible to Status.
func (s *session) publish() {
	c := s.c
	in := &sessionInfo{user: s.user, domain: s.domain, guest: s.guest, anonymous: s.anonymous,
		signingRequired: s.signingRequired && s.signer != nil, encryptionRequired: s.encryptData}
	if s.sealer != nil {
		in.cipher = c.cipher.String()
	}
	s.info.Store(in)
}

// Status returns who is connected and what they hold. It takes each
// connection's locks briefly.
func (s *Server) Status() Status {
	st := Status{Started: s.start}
	for _, sh := range s.shareTable().list {
		st.Shares = append(st.Shares, sh.Name)
	}
	conns := s.connList()
	slices.SortFunc(conns, func(a, b *conn) int { return a.since.Compare(b.since) })
	for _, c := range conns {
		st.Connections = append(st.Connections, c.status())
	}
	return st
}

func (c *conn) status() ConnectionStatus {
	cs := ConnectionStatus{Client: c.nc.RemoteAddr().String(), Local: c.nc.LocalAddr().String(), Since: c.since}
	if d := c.dialectSeen.Load(); d != 0 {
		cs.Dialect = dialectName(uint16(d))
	}
	c.mu.Lock()
	sessions := make([]*session, 0, len(c.sessions))
	for _, s := range c.sessions {
		sessions = append(sessions, s)
	}
	opens := make([]*open, 0, len(c.opens))
	for _, o := range c.opens {
		opens = append(opens, o)
	}
	c.mu.Unlock()
	slices.SortFunc(sessions, func(a, b *session) int { return cmpU64(a.id, b.id) })
	slices.SortFunc(opens, func(a, b *open) int { return cmpU64(a.id.Volatile, b.id.Volatile) })
	for _, s := range sessions {
		in := s.info.Load()
		if in == nil {
			continue // logon in progress
		}
		ss := SessionStatus{ID: s.id, User: in.user, Domain: in.domain, Guest: in.guest, Anonymous: in.anonymous,
			SigningRequired: in.signingRequired, Signed: s.seen.signed.Load(),
			EncryptionRequired: in.encryptionRequired, Encrypted: s.seen.encrypted.Load(), Cipher: in.cipher}
		s.mu.Lock()
		trees := make([]*tree, 0, len(s.trees))
		for _, t := range s.trees {
			trees = append(trees, t)
		}
		s.mu.Unlock()
		slices.SortFunc(trees, func(a, b *tree) int { return int(a.id) - int(b.id) })
		for _, t := range trees {
			ts := TreeStatus{ID: t.id, Share: t.share.Name}
			for _, o := range opens {
				if o.tree == t {
					ts.Opens = append(ts.Opens, o.status(c.srv.state))
				}
			}
			ss.Trees = append(ss.Trees, ts)
		}
		cs.Sessions = append(cs.Sessions, ss)
	}
	return cs
}

func (o *open) status(state nodeState) OpenStatus {
	o.mu.Lock()
	os := OpenStatus{FileID: o.id.Volatile, Path: o.name, Stream: o.stream, Directory: o.isDir,
		Access: o.access, ShareMode: shareModeString(o.shareAccess), Oplock: "none", Lease: "none"}
	o.mu.Unlock()
	if o.node != nil {
		st := state.describe(o)
		os.Oplock = oplockName(st.oplock)
		if st.hasLease {
			os.Lease = cacheLetters(st.lease.LeaseState)
		}
		for _, l := range st.locks {
			os.Locks = append(os.Locks, Lock{Offset: l.off, Length: l.len, Exclusive: l.exclusive})
		}
	}
	return os
}

// shareModeString renders FILE_SHARE_READ/WRITE/DELETE as smbstatus does.
func shareModeString(m uint32) string {
	var b strings.Builder
	for i, ch := range "RWD" {
		if m&(1<<i) != 0 {
			b.WriteRune(ch)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// oplockName names an SMB2 oplock level (MS-SMB2 2.2.13).
func oplockName(l uint8) string {
	switch l {
	case 0x00:
		return "none"
	case 0x01:
		return "II"
	case 0x08:
		return "exclusive"
	case 0x09:
		return "batch"
	case 0xFF:
		return "lease"
	}
	return "unknown"
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cacheLetters renders lease caching bits as "RWH" letters, "none" when empty.
func cacheLetters(st uint32) string {
	var b strings.Builder
	for _, f := range []struct {
		bit uint32
		ch  byte
	}{{cacheR, 'R'}, {cacheW, 'W'}, {cacheH, 'H'}} {
		if st&f.bit != 0 {
			b.WriteByte(f.ch)
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}
