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
