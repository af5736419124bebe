package server

import (
	"encoding/binary"
	"github.com/zerosmb/zerosmb/internal/acl"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func TestGrantAccess(t *testing.T) {
	tests := []struct {
		name    string
		desired uint32
		max     uint32
		want    uint32
		st      smb2.Status
	}{
		{"generic read rw", smb2.GenericRead, accessReadWrite, smb2.FileGenericRead, smb2.StatusSuccess},
		{"generic all rw", smb2.GenericAll, accessReadWrite, smb2.FileAllAccess, smb2.StatusSuccess},
		{"maximum rw", maximumAllowed, accessReadWrite, accessReadWrite, smb2.StatusSuccess},
		{"maximum ro", maximumAllowed, accessReadOnly, accessReadOnly, smb2.StatusSuccess},
		{"maximum plus read ro", maximumAllowed | fileReadData, accessReadOnly, accessReadOnly, smb2.StatusSuccess},
		{"generic read ro", smb2.GenericRead, accessReadOnly, smb2.FileGenericRead, smb2.StatusSuccess},
		{"generic write ro", smb2.GenericWrite, accessReadOnly, 0, smb2.StatusAccessDenied},
		{"delete ro", accessDelete, accessReadOnly, 0, smb2.StatusAccessDenied},
		{"write attrs ro", fileWriteAttributes, accessReadOnly, 0, smb2.StatusAccessDenied},
		{"read attrs ro", fileReadAttributes, accessReadOnly, fileReadAttributes, smb2.StatusSuccess},
		{"zero", 0, accessReadWrite, 0, smb2.StatusSuccess},
		{"reserved bit", 0x00000200, accessReadWrite, 0, smb2.StatusAccessDenied},
		{"system security", smb2.AccessSystemSec, accessReadWrite, 0, smb2.StatusPrivilegeNotHeld},
	}
	for _, tt := range tests {
		got, st := grantAccess(tt.desired, tt.max)
		if got != tt.want || st != tt.st {
			t.Errorf("%s: grantAccess(%#x, %#x) = %#x, %v; want %#x, %v", tt.name, tt.desired, tt.max, got, st, tt.want, tt.st)
		}
	}
}

func TestShareConflict(t *testing.T) {
	const (
		r   = smb2.FileShareRead
		w   = smb2.FileShareWrite
		d   = smb2.FileShareDelete
		all = r | w | d
	)
	tests := []struct {
		name          string
		oldAcc, oldSh uint32
		acc, sh       uint32
		conflict      bool
	}{
		{"readers sharing read", fileReadData, r, fileReadData, r, false},
		{"reader not sharing write vs writer", fileReadData, r, fileWriteData, all, true},
		{"writer vs reader not sharing write", fileWriteData, all, fileReadData, r, true},
		{"writer sharing write vs writer", fileWriteData, w, fileWriteData, w | r, false},
		{"exclusive vs anything", fileReadData, 0, fileReadData, all, true},
		{"attributes only never conflict", fileReadAttributes, 0, fileReadData | fileWriteData, 0, false},
		{"new attributes only", fileReadData, 0, fileReadAttributes | synchronize, 0, false},
		{"delete without share delete", fileReadData, r | w, accessDelete, all, true},
		{"delete with share delete", fileReadData, all, accessDelete, all, false},
		{"append counts as write", fileAppendData, all, fileReadData, r, true},
		{"execute counts as read", fileExecute, all, fileWriteData, w, true},
	}
	for _, tt := range tests {
		if got := shareConflict(tt.oldAcc, tt.oldSh, tt.acc, tt.sh); got != tt.conflict {
			t.Errorf("%s: shareConflict = %v, want %v", tt.name, got, tt.conflict)
		}
	}
	n := &node{opens: []*open{{access: fileReadData, shareAccess: r}}}
	if st := n.checkShareModes(fileWriteData, all); st != smb2.StatusSharingViolation {
		t.Errorf("checkShareModes = %v", st)
	}
	if st := n.checkShareModes(fileReadData, all); st != smb2.StatusSuccess {
		t.Errorf("checkShareModes compatible = %v", st)
	}
}

func TestValidateCreate(t *testing.T) {
	base := smb2.CreateRequest{ImpersonationLevel: smb2.ImpersonationImpersonation,
		DesiredAccess: smb2.GenericRead, CreateDisposition: smb2.FileOpen}
	tests := []struct {
		name string
		mod  func(r *smb2.CreateRequest)
		st   smb2.Status
	}{
		{"ok", func(r *smb2.CreateRequest) {}, smb2.StatusSuccess},
		{"bad disposition", func(r *smb2.CreateRequest) { r.CreateDisposition = 6 }, smb2.StatusInvalidParameter},
		{"bad impersonation", func(r *smb2.CreateRequest) { r.ImpersonationLevel = 4 }, smb2.StatusBadImpersonationLevel},
		{"dir and nondir", func(r *smb2.CreateRequest) {
			r.CreateOptions = smb2.FileDirectoryFile | smb2.FileNonDirectoryFile
		}, smb2.StatusInvalidParameter},
		{"dir overwrite", func(r *smb2.CreateRequest) {
			r.CreateOptions = smb2.FileDirectoryFile
			r.CreateDisposition = smb2.FileOverwriteIf
		}, smb2.StatusInvalidParameter},
		{"dir open_if", func(r *smb2.CreateRequest) {
			r.CreateOptions = smb2.FileDirectoryFile
			r.CreateDisposition = smb2.FileOpenIf
		}, smb2.StatusSuccess},
		{"delete on close without delete", func(r *smb2.CreateRequest) {
			r.CreateOptions = smb2.FileDeleteOnClose
		}, smb2.StatusInvalidParameter},
		{"delete on close with delete", func(r *smb2.CreateRequest) {
			r.CreateOptions = smb2.FileDeleteOnClose
			r.DesiredAccess |= smb2.Delete
		}, smb2.StatusSuccess},
		{"both sync modes", func(r *smb2.CreateRequest) {
			r.CreateOptions = smb2.FileSynchronousIOAlert | smb2.FileSynchronousIONonalert
		}, smb2.StatusInvalidParameter},
		{"bad attribute", func(r *smb2.CreateRequest) { r.FileAttributes = 0x00000008 }, smb2.StatusInvalidParameter},
		{"bad oplock", func(r *smb2.CreateRequest) { r.RequestedOplockLevel = 3 }, smb2.StatusInvalidParameter},
		{"reserved options", func(r *smb2.CreateRequest) { r.CreateOptions = 0xF0000000 }, smb2.StatusInvalidParameter},
		{"tree connection option", func(r *smb2.CreateRequest) { r.CreateOptions = fileCreateTreeConnection }, smb2.StatusNotSupported},
		{"temporary directory", func(r *smb2.CreateRequest) {
			r.CreateOptions = smb2.FileDirectoryFile
			r.FileAttributes = smb2.FileAttributeTemporary
		}, smb2.StatusInvalidParameter},
		{"temporary file", func(r *smb2.CreateRequest) { r.FileAttributes = smb2.FileAttributeTemporary }, smb2.StatusSuccess},
	}
	for _, tt := range tests {
		r := base
		tt.mod(&r)
		if st := validateCreate(&r); st != tt.st {
			t.Errorf("%s: validateCreate = %v, want %v", tt.name, st, tt.st)
		}
	}
}

func TestShortName(t *testing.T) {
	for in, want := range map[string]string{
		"readme.txt":       "README.TXT",
		"a":                "A",
		"longfilename.txt": "LONGFI~1.TXT",
		"x.html":           "X~1.HTM",
		"with space.doc":   "WITHSP~1.DOC",
		".hidden":          "HIDDEN~1",
	} {
		if got := shortName(in); got != want {
			t.Errorf("shortName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFitOutput(t *testing.T) {
	data := make([]byte, 40)
	if r := fitOutput(data, 40, 0); r.status != smb2.StatusSuccess || len(r.body) != 8+40 {
		t.Errorf("fits: %v %d", r.status, len(r.body))
	}
	if r := fitOutput(data, 39, 0); r.status != smb2.StatusInfoLengthMismatch {
		t.Errorf("fixed too small: %v", r.status)
	}
	if r := fitOutput(data, 30, 24); r.status != smb2.StatusBufferOverflow || len(r.body) != 8+30 {
		t.Errorf("variable truncated: %v %d", r.status, len(r.body))
	}
	if r := fitOutput(data, 10, 24); r.status != smb2.StatusInfoLengthMismatch {
		t.Errorf("variable below fixed part: %v", r.status)
	}
}

func TestDefaultSecurityDescriptor(t *testing.T) {
	le := binary.LittleEndian
	sd, err := acl.Filter(acl.Default(acl.SIDAdmins, smb2.SIDUsers, othersAccess(&Share{})), smb2.OwnerSecurityInformation|smb2.GroupSecurityInformation|smb2.DACLSecurityInformation).Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if sd[0] != 1 || le.Uint16(sd[2:])&0x8004 != 0x8004 {
		t.Fatalf("header %x", sd[:4])
	}
	owner, group, dacl := le.Uint32(sd[4:]), le.Uint32(sd[8:]), le.Uint32(sd[16:])
	if owner != 20 || group != 36 || dacl != 52 {
		t.Errorf("offsets owner %d group %d dacl %d", owner, group, dacl)
	}
	if int(dacl)+int(le.Uint16(sd[dacl+2:])) != len(sd) {
		t.Errorf("ACL size %d does not end the descriptor (len %d)", le.Uint16(sd[dacl+2:]), len(sd))
	}
	d, err := smb2.DecodeSecurityDescriptor(sd)
	if err != nil {
		t.Fatal(err)
	}
	if g := acl.Granted(d, &acl.Token{SIDs: []string{"S-1-5-21-1-2-3-1000", acl.SIDEveryone}}); g&smb2.FileWriteData == 0 || g&smb2.Delete == 0 ||
		g&(smb2.WriteDAC|smb2.WriteOwner|smb2.FileDeleteChild) != 0 {
		t.Errorf("Everyone on a writable share's default SD gets %#x: want read/write/delete, no ACL changes or DELETE_CHILD", g)
	}
	root, _ := smb2.DecodeSecurityDescriptor(must(acl.Filter(defaultSD(&Share{}, ""), smb2.DACLSecurityInformation).Append(nil)))
	if g := acl.Granted(root, &acl.Token{SIDs: []string{acl.SIDEveryone}}); g != smb2.FileAllAccess {
		t.Errorf("Everyone on the root of a writable share gets %#x", g)
	}
	if g := acl.Granted(d, &acl.Token{SIDs: []string{acl.SIDAdmins}}); g != smb2.FileAllAccess {
		t.Errorf("Administrators on a default SD get %#x", g)
	}
	ro, _ := smb2.DecodeSecurityDescriptor(must(acl.Filter(defaultSD(&Share{ReadOnly: true}, ""), smb2.DACLSecurityInformation).Append(nil)))
	if g := acl.Granted(ro, &acl.Token{SIDs: []string{acl.SIDEveryone}}); g&smb2.FileWriteData != 0 || g&smb2.FileReadData == 0 {
		t.Errorf("Everyone on a read-only share's default SD gets %#x", g)
	}
	only, _ := acl.Filter(defaultSD(&Share{}, "f"), smb2.DACLSecurityInformation).Append(nil)
	outside, _ := smb2.DecodeSecurityDescriptor(must(acl.Filter(defaultSD(&Share{}, "f"), smb2.DACLSecurityInformation).Append(nil)))
	if g := acl.Granted(outside, &acl.Token{SIDs: []string{acl.SIDEveryone}}); g != smb2.FileAllAccess {
		t.Errorf("Everyone on a file made outside the server gets %#x", g)
	}
	if le.Uint32(only[4:]) != 0 || le.Uint32(only[8:]) != 0 || le.Uint32(only[16:]) != 20 {
		t.Errorf("DACL-only descriptor has owner/group: %x", only[:20])
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
