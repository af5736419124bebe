package smb2

import "math"

// Sparse-file FSCTLs (MS-FSCC 2.3.33, 2.3.57, 2.3.64): the checks on top
// of the layouts in fsctl.go.

// AllocatedRangeSize is the size of one FILE_ALLOCATED_RANGE_BUFFER.
const AllocatedRangeSize = 16

// End is the first byte past the range.
func (r FileRange) End() int64 { return r.Offset + r.Length }

// DecodeAllocatedRangeQuery decodes FSCTL_QUERY_ALLOCATED_RANGES' input,
// one FILE_ALLOCATED_RANGE_BUFFER. A short buffer, negative values and
// ranges ending past the largest int64 are STATUS_INVALID_PARAMETER.
func DecodeAllocatedRangeQuery(b []byte) (FileRange, error) {
	r, err := DecodeFileRange(b)
	if err != nil || r.Offset < 0 || r.Length < 0 || r.Offset > math.MaxInt64-r.Length {
		return FileRange{}, StatusInvalidParameter
	}
	return r, nil
}

// DecodeZeroDataRange decodes FSCTL_SET_ZERO_DATA's input,
// FILE_ZERO_DATA_INFORMATION, into the range to zero. A short buffer,
// negative values and BeyondFinalZero < FileOffset are
// STATUS_INVALID_PARAMETER.
func DecodeZeroDataRange(b []byte) (FileRange, error) {
	z, err := DecodeZeroDataInfo(b)
	if err != nil || z.FileOffset < 0 || z.BeyondFinalZero < z.FileOffset {
		return FileRange{}, StatusInvalidParameter
	}
	return FileRange{Offset: z.FileOffset, Length: z.BeyondFinalZero - z.FileOffset}, nil
}

// DecodeSetSparse decodes FSCTL_SET_SPARSE's optional input,
// FILE_SET_SPARSE_BUFFER: no buffer means set; otherwise the first byte
// is the SetSparse boolean (extra bytes are ignored, as Windows does).
func DecodeSetSparse(b []byte) bool {
	return len(b) == 0 || b[0] != 0
}
