package smb2

import "testing"

func TestSparseLayouts(t *testing.T) {
	zd := FileRange{Offset: 100, Length: 200}.Append(nil) // FileOffset 100, BeyondFinalZero 200
	if r, err := DecodeZeroDataRange(zd); err != nil || r != (FileRange{Offset: 100, Length: 100}) {
		t.Errorf("zero data = %+v, %v", r, err)
	}
	if _, err := DecodeZeroDataRange(FileRange{Offset: 200, Length: 100}.Append(nil)); err != StatusInvalidParameter {
		t.Errorf("BeyondFinalZero < FileOffset: %v", err)
	}
	if _, err := DecodeZeroDataRange(zd[:15]); err != StatusInvalidParameter {
		t.Errorf("short zero data: %v", err)
	}
	q := FileRange{Offset: 4096, Length: 1024}.Append(nil)
	if r, err := DecodeAllocatedRangeQuery(q); err != nil || r.End() != 5120 {
		t.Errorf("query = %+v, %v", r, err)
	}
	if _, err := DecodeAllocatedRangeQuery(FileRange{Offset: 1 << 62, Length: 1<<62 + 1<<61}.Append(nil)); err != StatusInvalidParameter {
		t.Errorf("overflowing query: %v", err)
	}
	if !DecodeSetSparse(nil) || !DecodeSetSparse([]byte{0xff, 0}) || DecodeSetSparse([]byte{0, 1}) {
		t.Error("SetSparse decoding")
	}
}
