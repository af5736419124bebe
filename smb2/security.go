package smb2

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Well-known SIDs.
const (
	SIDEveryone       = "S-1-1-0"
	SIDAdministrators = "S-1-5-32-544"
	SIDUsers          = "S-1-5-32-545"
	SIDSystem         = "S-1-5-18"
)

// Security descriptor control bits (MS-DTYP 2.4.6).
const (
	SEDACLPresent  uint16 = 0x0004
	SESelfRelative uint16 = 0x8000
)

const (
	sdHeaderSize       = 20
	aclHeaderSize      = 8
	aceHeaderSize      = 4
	accessAllowedACE   = 0x00
	aclRevision        = 2
	sidRevision        = 1
	sidMaxSubAuthority = 15
)

// EncodeSID converts a SID string such as "S-1-5-32-544" to its binary
// form (MS-DTYP 2.4.2.2).
func EncodeSID(s string) ([]byte, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || !strings.EqualFold(parts[0], "S") || parts[1] != "1" {
		return nil, fmt.Errorf("smb2: bad SID %q", s)
	}
	auth, err := strconv.ParseUint(parts[2], 10, 48)
	if err != nil {
		return nil, fmt.Errorf("smb2: bad SID authority in %q", s)
	}
	subs := parts[3:]
	if len(subs) > sidMaxSubAuthority {
		return nil, fmt.Errorf("smb2: too many SID sub-authorities in %q", s)
	}
	b := make([]byte, 8, 8+4*len(subs))
	b[0] = sidRevision
	b[1] = byte(len(subs))
	for i := 0; i < 6; i++ {
		b[2+i] = byte(auth >> (8 * (5 - i))) // big-endian
	}
	for _, p := range subs {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("smb2: bad SID sub-authority in %q", s)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b, nil
}

// DecodeSID converts a binary SID to its string form. n is the number of
// bytes it occupies.
func DecodeSID(b []byte) (s string, n int, err error) {
	if len(b) < 8 || b[0] != sidRevision {
		return "", 0, ErrMalformed
	}
	cnt := int(b[1])
	n = 8 + 4*cnt
	if cnt > sidMaxSubAuthority || len(b) < n {
		return "", 0, ErrMalformed
	}
	var auth uint64
	for i := 0; i < 6; i++ {
		auth = auth<<8 | uint64(b[2+i])
	}
	var sb strings.Builder
	sb.WriteString("S-1-")
	sb.WriteString(strconv.FormatUint(auth, 10))
	for i := 0; i < cnt; i++ {
		sb.WriteByte('-')
		sb.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	return sb.String(), n, nil
}

// mustSID encodes a SID string, falling back to Everyone for a bad one
// so a misconfigured owner never produces a malformed descriptor.
func mustSID(s string) []byte {
	b, err := EncodeSID(s)
	if err != nil {
		b, _ = EncodeSID(SIDEveryone)
	}
	return b
}

// AppendSecurityDescriptor appends a self-relative security descriptor
// (MS-DTYP 2.4.6) holding the parts additionalInfo asks for: the owner
// (OwnerSecurityInformation), the group (GroupSecurityInformation) and a
// DACL (DACLSecurityInformation) with one ACE granting Everyone
// FILE_ALL_ACCESS. owner and group are SID strings; an invalid one is
// replaced by Everyone.
//
// The ACE carries no inheritance flags: the server sends this same
// descriptor for files and directories, and it is the one smbtorture's
// smb2.getinfo/setinfo suites and the server tests have always seen.
func AppendSecurityDescriptor(dst []byte, owner, group string, additionalInfo uint32) []byte {
	le := binary.LittleEndian
	control := SESelfRelative
	var ownerSID, groupSID []byte
	if additionalInfo&OwnerSecurityInformation != 0 {
		ownerSID = mustSID(owner)
	}
	if additionalInfo&GroupSecurityInformation != 0 {
		groupSID = mustSID(group)
	}
	wantDACL := additionalInfo&DACLSecurityInformation != 0
	if wantDACL {
		control |= SEDACLPresent
	}
	// Layout: header, owner, group, DACL.
	off := sdHeaderSize
	ownerOff, groupOff, daclOff := 0, 0, 0
	if ownerSID != nil {
		ownerOff, off = off, off+len(ownerSID)
	}
	if groupSID != nil {
		groupOff, off = off, off+len(groupSID)
	}
	if wantDACL {
		daclOff = off
	}
	dst = append(dst, 1, 0) // Revision, Sbz1
	dst = le.AppendUint16(dst, control)
	dst = le.AppendUint32(dst, uint32(ownerOff))
	dst = le.AppendUint32(dst, uint32(groupOff))
	dst = le.AppendUint32(dst, 0) // no SACL
	dst = le.AppendUint32(dst, uint32(daclOff))
	dst = append(dst, ownerSID...)
	dst = append(dst, groupSID...)
	if wantDACL {
		everyone := mustSID(SIDEveryone)
		aceSize := aceHeaderSize + 4 + len(everyone)
		dst = append(dst, aclRevision, 0)
		dst = le.AppendUint16(dst, uint16(aclHeaderSize+aceSize))
		dst = le.AppendUint16(dst, 1) // AceCount
		dst = le.AppendUint16(dst, 0)
		dst = append(dst, accessAllowedACE, 0) // AceType, AceFlags

		dst = le.AppendUint16(dst, uint16(aceSize))
		dst = le.AppendUint32(dst, FileAllAccess)
		dst = append(dst, everyone...)
	}
	return dst
}

// More security descriptor control bits (MS-DTYP 2.4.6).
const (
	SEOwnerDefaulted     uint16 = 0x0001
	SEGroupDefaulted     uint16 = 0x0002
	SEDACLDefaulted      uint16 = 0x0008
	SESACLPresent        uint16 = 0x0010
	SESACLDefaulted      uint16 = 0x0020
	SEDACLAutoInheritReq uint16 = 0x0100
	SESACLAutoInheritReq uint16 = 0x0200
	SEDACLAutoInherited  uint16 = 0x0400
	SESACLAutoInherited  uint16 = 0x0800
	SEDACLProtected      uint16 = 0x1000
	SESACLProtected      uint16 = 0x2000
)

// ACE types (MS-DTYP 2.4.4.1) the access check understands; others are
// kept verbatim.
const (
	ACEAccessAllowed uint8 = 0x00
	ACEAccessDenied  uint8 = 0x01
	ACESystemAudit   uint8 = 0x02
)

// ACE flags (MS-DTYP 2.4.4.1).
const (
	ACEObjectInherit      uint8 = 0x01
	ACEContainerInherit   uint8 = 0x02
	ACENoPropagateInherit uint8 = 0x04
	ACEInheritOnly        uint8 = 0x08
	ACEInherited          uint8 = 0x10
	ACESuccessfulAccess   uint8 = 0x40
	ACEFailedAccess       uint8 = 0x80
)

// ACE is one access control entry. Allowed, denied and audit ACEs
// (MS-DTYP 2.4.4.2-2.4.4.4, and every type with the same mask+SID
// layout) are decoded into Mask and SID; for other types Body holds the
// bytes after the 4-byte header and Mask/SID are unset.
type ACE struct {
	Type  uint8
	Flags uint8
	Mask  uint32
	SID   string
	Body  []byte // opaque body of an ACE type not decoded
}

// ACL is an access control list (MS-DTYP 2.4.5).
type ACL struct {
	Revision uint8
	ACEs     []ACE
}

// SecurityDescriptor is a decoded self-relative security descriptor
// (MS-DTYP 2.4.6). Owner and Group are SID strings, "" when absent; a
// nil DACL or SACL is absent (for a DACL: SEDACLPresent clear, or set
// with a NULL DACL when NullDACL is true).
type SecurityDescriptor struct {
	Control  uint16
	Owner    string
	Group    string
	SACL     *ACL
	DACL     *ACL
	NullDACL bool // DACL present but NULL: everyone has every right
}

// MaxSecurityDescriptorSize bounds an encoded security descriptor: the
// largest SD zerosmb accepts or stores.
const MaxSecurityDescriptorSize = 64 << 10

// simpleACE reports ACE types whose body is Mask + SID.
func simpleACE(t uint8) bool {
	switch t {
	case 0x00, 0x01, 0x02, 0x03, 0x09, 0x0A, 0x0D, 0x11, 0x13:
		return true
	}
	return false
}

// DecodeSecurityDescriptor parses a self-relative security descriptor.
// Every offset and size is checked against b; a bad revision, an ACE
// running past its ACL, or an ACL past the buffer is ErrMalformed.
func DecodeSecurityDescriptor(b []byte) (*SecurityDescriptor, error) {
	le := binary.LittleEndian
	if len(b) < sdHeaderSize || len(b) > MaxSecurityDescriptorSize || b[0] != 1 {
		return nil, ErrMalformed
	}
	sd := &SecurityDescriptor{Control: le.Uint16(b[2:])}
	if sd.Control&SESelfRelative == 0 {
		return nil, ErrMalformed
	}
	ownerOff, groupOff := le.Uint32(b[4:]), le.Uint32(b[8:])
	saclOff, daclOff := le.Uint32(b[12:]), le.Uint32(b[16:])
	sidAt := func(off uint32) (string, error) {
		if off == 0 {
			return "", nil
		}
		if off < sdHeaderSize || uint64(off) >= uint64(len(b)) {
			return "", ErrMalformed
		}
		s, _, err := DecodeSID(b[off:])
		return s, err
	}
	var err error
	if sd.Owner, err = sidAt(ownerOff); err != nil {
		return nil, err
	}
	if sd.Group, err = sidAt(groupOff); err != nil {
		return nil, err
	}
	aclAt := func(present bool, off uint32) (*ACL, error) {
		if !present || off == 0 {
			return nil, nil
		}
		if off < sdHeaderSize || uint64(off) >= uint64(len(b)) {
			return nil, ErrMalformed
		}
		return decodeACL(b[off:])
	}
	if sd.SACL, err = aclAt(sd.Control&SESACLPresent != 0, saclOff); err != nil {
		return nil, err
	}
	if sd.DACL, err = aclAt(sd.Control&SEDACLPresent != 0, daclOff); err != nil {
		return nil, err
	}
	sd.NullDACL = sd.Control&SEDACLPresent != 0 && daclOff == 0
	return sd, nil
}

func decodeACL(b []byte) (*ACL, error) {
	le := binary.LittleEndian
	if len(b) < aclHeaderSize {
		return nil, ErrMalformed
	}
	rev, size, count := b[0], int(le.Uint16(b[2:])), int(le.Uint16(b[4:]))
	if (rev != 2 && rev != 4) || size < aclHeaderSize || size > len(b) || count > (size-aclHeaderSize)/aceHeaderSize {
		return nil, ErrMalformed
	}
	acl := &ACL{Revision: rev, ACEs: make([]ACE, 0, count)}
	rest := b[aclHeaderSize:size]
	for i := 0; i < count; i++ {
		if len(rest) < aceHeaderSize {
			return nil, ErrMalformed
		}
		n := int(le.Uint16(rest[2:]))
		if n < aceHeaderSize || n > len(rest) || n%4 != 0 {
			return nil, ErrMalformed
		}
		a := ACE{Type: rest[0], Flags: rest[1]}
		body := rest[aceHeaderSize:n]
		if simpleACE(a.Type) {
			if len(body) < 4 {
				return nil, ErrMalformed
			}
			a.Mask = le.Uint32(body)
			s, sn, err := DecodeSID(body[4:])
			if err != nil {
				return nil, err
			}
			a.SID = s
			if extra := body[4+sn:]; len(extra) > 0 {
				a.Body = append([]byte(nil), extra...) // application data (callback ACEs) or padding
			}
		} else {
			a.Body = append([]byte(nil), body...)
		}
		acl.ACEs = append(acl.ACEs, a)
		rest = rest[n:]
	}
	return acl, nil
}

// appendACL encodes acl. It fails when the ACL exceeds 64 KiB or holds a
// bad SID.
func appendACL(dst []byte, acl *ACL) ([]byte, error) {
	le := binary.LittleEndian
	start := len(dst)
	rev := acl.Revision
	if rev == 0 {
		rev = aclRevision
	}
	dst = append(dst, rev, 0, 0, 0)
	dst = le.AppendUint16(dst, uint16(len(acl.ACEs)))
	dst = append(dst, 0, 0)
	for _, a := range acl.ACEs {
		aceStart := len(dst)
		dst = append(dst, a.Type, a.Flags, 0, 0)
		if simpleACE(a.Type) {
			sid, err := EncodeSID(a.SID)
			if err != nil {
				return nil, err
			}
			dst = le.AppendUint32(dst, a.Mask)
			dst = append(dst, sid...)
		}
		dst = append(dst, a.Body...)
		for (len(dst)-aceStart)%4 != 0 {
			dst = append(dst, 0)
		}
		if len(dst)-aceStart > 0xffff {
			return nil, fmt.Errorf("smb2: ACE too large")
		}
		le.PutUint16(dst[aceStart+2:], uint16(len(dst)-aceStart))
	}
	if len(dst)-start > 0xffff || len(acl.ACEs) > 0xffff {
		return nil, fmt.Errorf("smb2: ACL of %d ACEs too large", len(acl.ACEs))
	}
	le.PutUint16(dst[start+2:], uint16(len(dst)-start))
	return dst, nil
}

// Append encodes sd as a self-relative security descriptor: header,
// owner, group, SACL, DACL. Control's present bits follow the fields.
func (sd *SecurityDescriptor) Append(dst []byte) ([]byte, error) {
	le := binary.LittleEndian
	start := len(dst)
	control := sd.Control&^(SEDACLPresent|SESACLPresent) | SESelfRelative
	if sd.DACL != nil || sd.NullDACL {
		control |= SEDACLPresent
	}
	if sd.SACL != nil {
		control |= SESACLPresent
	}
	dst = append(dst, 1, 0)
	dst = le.AppendUint16(dst, control)
	dst = append(dst, make([]byte, 16)...)
	put := func(field int) { le.PutUint32(dst[start+field:], uint32(len(dst)-start)) }
	for _, f := range []struct {
		sid   string
		field int
	}{{sd.Owner, 4}, {sd.Group, 8}} {
		if f.sid == "" {
			continue
		}
		b, err := EncodeSID(f.sid)
		if err != nil {
			return nil, err
		}
		put(f.field)
		dst = append(dst, b...)
	}
	var err error
	if sd.SACL != nil {
		put(12)
		if dst, err = appendACL(dst, sd.SACL); err != nil {
			return nil, err
		}
	}
	if sd.DACL != nil {
		put(16)
		if dst, err = appendACL(dst, sd.DACL); err != nil {
			return nil, err
		}
	}
	if len(dst)-start > MaxSecurityDescriptorSize {
		return nil, fmt.Errorf("smb2: security descriptor of %d bytes too large", len(dst)-start)
	}
	return dst, nil
}
