package smb2

import (
	"encoding/binary"
	"fmt"
)

// NetworkResiliencyRequestSize is the size of NETWORK_RESILIENCY_REQUEST
// (MS-SMB2 2.2.31.3), the input of FSCTL_LMR_REQUEST_RESILIENCY.
const NetworkResiliencyRequestSize = 8

// NetworkResiliencyRequest is NETWORK_RESILIENCY_REQUEST: how long, in
// milliseconds, the client asks the server to keep the open after a
// disconnect. The 4 reserved bytes after it are ignored.
type NetworkResiliencyRequest struct {
	Timeout uint32
}

// DecodeNetworkResiliencyRequest decodes FSCTL_LMR_REQUEST_RESILIENCY's
// input. A buffer shorter than 8 bytes is an error (the server answers
// STATUS_INVALID_PARAMETER, MS-SMB2 3.3.5.15.9); bytes past 8 are ignored.
func DecodeNetworkResiliencyRequest(b []byte) (NetworkResiliencyRequest, error) {
	if len(b) < NetworkResiliencyRequestSize {
		return NetworkResiliencyRequest{}, fmt.Errorf("smb2: NETWORK_RESILIENCY_REQUEST of %d bytes, want %d", len(b), NetworkResiliencyRequestSize)
	}
	return NetworkResiliencyRequest{Timeout: binary.LittleEndian.Uint32(b)}, nil
}

// Append encodes r (reserved field zero).
func (r NetworkResiliencyRequest) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, r.Timeout)
	return binary.LittleEndian.AppendUint32(dst, 0)
}
