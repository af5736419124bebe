package smb2

// ExpectedPayload is the larger of a request's send payload and its
// expected response size, which CreditCharge must cover (MS-SMB2 3.1.5.2).
// Only the fixed part of the body is consulted, so it also works for a
// header-split WRITE whose data is still in the socket. msg starts at the
// SMB2 header; a field past its end counts as 0.
func ExpectedPayload(cmd Command, msg []byte) int64 {
	b := msg[min(len(msg), HeaderSize):]
	u32 := func(off int) int64 {
		if len(b) < off+4 {
			return 0
		}
		return int64(le.Uint32(b[off:]))
	}
	switch cmd {
	case Read, Write:
		return u32(4) // Length
	case Ioctl:
		return max(u32(28), u32(40), u32(44)) // InputCount, OutputCount, MaxOutputResponse
	case QueryDirectory:
		return u32(28) // OutputBufferLength
	case QueryInfo:
		return max(u32(4), u32(12)) // OutputBufferLength, InputBufferLength
	case ChangeNotify, SetInfo:
		return u32(4) // OutputBufferLength, BufferLength
	}
	return 0
}
