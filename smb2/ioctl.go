package smb2

import (
	"encoding/binary"
	"fmt"
)

// FSCTL and IOCTL control codes (MS-SMB2 2.2.31, MS-FSCC 2.3).
const (
	FsctlDFSGetReferrals           uint32 = 0x00060194
	FsctlDFSGetReferralsEx         uint32 = 0x000601B0
	FsctlIsPathnameValid           uint32 = 0x0009002C
	FsctlGetCompression            uint32 = 0x0009003C
	FsctlGetObjectID               uint32 = 0x0009009C
	FsctlSetReparsePoint           uint32 = 0x000900A4
	FsctlGetReparsePoint           uint32 = 0x000900A8
	FsctlDeleteReparsePoint        uint32 = 0x000900AC
	FsctlCreateOrGetObjectID       uint32 = 0x000900C0
	FsctlSetSparse                 uint32 = 0x000900C4
	FsctlGetIntegrityInformation   uint32 = 0x0009027C
	FsctlQueryFileRegions          uint32 = 0x00090284
	FsctlQueryAllocatedRanges      uint32 = 0x000940CF
	FsctlOffloadRead               uint32 = 0x00094264
	FsctlSetZeroData               uint32 = 0x000980C8
	FsctlFileLevelTrim             uint32 = 0x00098208
	FsctlDuplicateExtentsToFile    uint32 = 0x00098344
	FsctlSetCompression            uint32 = 0x0009C040
	FsctlPipeWait                  uint32 = 0x00110018
	FsctlPipePeek                  uint32 = 0x0011400C
	FsctlPipeTransceive            uint32 = 0x0011C017
	FsctlSrvRequestResumeKey       uint32 = 0x00140078
	FsctlLMRRequestResiliency      uint32 = 0x001401D4
	FsctlQueryNetworkInterfaceInfo uint32 = 0x001401FC
	FsctlValidateNegotiateInfo     uint32 = 0x00140204
	FsctlSrvEnumerateSnapshots     uint32 = 0x00144064
	FsctlSrvCopychunk              uint32 = 0x001440F2
	FsctlSrvReadHash               uint32 = 0x001441BB
	FsctlSrvCopychunkWrite         uint32 = 0x001480F2
)

// IoctlFlagIsFsctl is SMB2_0_IOCTL_IS_FSCTL: CtlCode is a file system
// control. Servers fail requests without it with STATUS_NOT_SUPPORTED.
const IoctlFlagIsFsctl uint32 = 0x00000001

const (
	ioctlRequestFixedSize               = 56
	ioctlResponseFixedSize              = 48
	ioctlRequestStructureSize           = 57
	ioctlResponseStructureSize          = 49
	validateNegotiateInfoRequestMinimum = 24
)

// IoctlRequest is a decoded IOCTL request (MS-SMB2 2.2.31). Input and
// Output alias the message.
type IoctlRequest struct {
	CtlCode           uint32
	FileID            FileID
	Input             []byte
	MaxInputResponse  uint32
	Output            []byte // rarely used; servers ignore it
	MaxOutputResponse uint32
	Flags             uint32
}

// IsFsctl reports whether Flags has SMB2_0_IOCTL_IS_FSCTL.
func (r *IoctlRequest) IsFsctl() bool { return r.Flags&IoctlFlagIsFsctl != 0 }

// DecodeIoctlRequest decodes an IOCTL request message.
func DecodeIoctlRequest(msg []byte) (IoctlRequest, error) {
	var r IoctlRequest
	b, err := bodyOf(msg, ioctlRequestFixedSize, ioctlRequestStructureSize)
	if err != nil {
		return r, err
	}
	le := binary.LittleEndian
	r.CtlCode = le.Uint32(b[4:])
	r.FileID = DecodeFileID(b[8:])
	r.Input, err = bufferAt(msg, uint64(le.Uint32(b[24:])), uint64(le.Uint32(b[28:])))
	if err != nil {
		return r, fmt.Errorf("ioctl input: %w", err)
	}
	r.MaxInputResponse = le.Uint32(b[32:])
	r.Output, err = bufferAt(msg, uint64(le.Uint32(b[36:])), uint64(le.Uint32(b[40:])))
	if err != nil {
		return r, fmt.Errorf("ioctl output: %w", err)
	}
	r.MaxOutputResponse = le.Uint32(b[44:])
	r.Flags = le.Uint32(b[48:])
	return r, nil
}

// IoctlResponse is an IOCTL response (MS-SMB2 2.2.32). Servers send an
// empty Input; Output follows the fixed part, 8-byte aligned.
type IoctlResponse struct {
	CtlCode uint32
	FileID  FileID
	Input   []byte
	Output  []byte
	Flags   uint32
}

// Append appends the response body.
func (r *IoctlResponse) Append(dst []byte) []byte {
	le := binary.LittleEndian
	start := len(dst)
	inOff, outOff := 0, 0
	pos := HeaderSize + ioctlResponseFixedSize
	if len(r.Input) > 0 {
		inOff = pos
		pos = (pos + len(r.Input) + 7) &^ 7
	}
	if len(r.Output) > 0 {
		outOff = pos
	}
	if inOff == 0 {
		inOff = HeaderSize + ioctlResponseFixedSize
	}
	if outOff == 0 {
		outOff = pos
	}
	dst = le.AppendUint16(dst, ioctlResponseStructureSize)
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint32(dst, r.CtlCode)
	dst = appendFileID(dst, r.FileID)
	dst = le.AppendUint32(dst, uint32(inOff))
	dst = le.AppendUint32(dst, uint32(len(r.Input)))
	dst = le.AppendUint32(dst, uint32(outOff))
	dst = le.AppendUint32(dst, uint32(len(r.Output)))
	dst = le.AppendUint32(dst, r.Flags)
	dst = le.AppendUint32(dst, 0)
	if len(r.Input) > 0 {
		dst = append(dst, r.Input...)
		if len(r.Output) > 0 {
			dst = pad8(dst, start)
		}
	}
	return append(dst, r.Output...)
}

// ValidateNegotiateInfoRequest is the input of
// FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 2.2.31.4).
type ValidateNegotiateInfoRequest struct {
	Capabilities uint32
	GUID         [16]byte
	SecurityMode uint16
	Dialects     []uint16
}

// DecodeValidateNegotiateInfoRequest decodes the IOCTL input buffer of a
// VALIDATE_NEGOTIATE_INFO request.
func DecodeValidateNegotiateInfoRequest(b []byte) (ValidateNegotiateInfoRequest, error) {
	var r ValidateNegotiateInfoRequest
	if len(b) < validateNegotiateInfoRequestMinimum {
		return r, ErrMalformed
	}
	le := binary.LittleEndian
	r.Capabilities = le.Uint32(b)
	copy(r.GUID[:], b[4:20])
	r.SecurityMode = le.Uint16(b[20:])
	n := int(le.Uint16(b[22:]))
	if n*2 > len(b)-validateNegotiateInfoRequestMinimum {
		return r, fmt.Errorf("validate negotiate dialect count %d: %w", n, ErrMalformed)
	}
	r.Dialects = make([]uint16, n)
	for i := range r.Dialects {
		r.Dialects[i] = le.Uint16(b[24+2*i:])
	}
	return r, nil
}

// ValidateNegotiateInfoResponse is the output of
// FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 2.2.32.6).
type ValidateNegotiateInfoResponse struct {
	Capabilities uint32
	GUID         [16]byte
	SecurityMode uint16
	Dialect      uint16
}

// Append appends the 24-byte encoding.
func (r *ValidateNegotiateInfoResponse) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, r.Capabilities)
	dst = append(dst, r.GUID[:]...)
	dst = le.AppendUint16(dst, r.SecurityMode)
	return le.AppendUint16(dst, r.Dialect)
}
