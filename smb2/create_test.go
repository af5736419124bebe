package smb2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// wireMsg prefixes body with a 64-byte SMB2 header.
func wireMsg(cmd Command, body []byte) []byte {
	h := Header{Command: cmd}
	return append(h.Append(nil), body...)
}

// createRequestBody builds a CREATE request body by hand, following the
// field offsets of MS-SMB2 2.2.13.
func createRequestBody(name string, ctxs []byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 56)
	le.PutUint16(b[0:], 57)
	b[2] = 0                // SecurityFlags
	b[3] = OplockLevelBatch // RequestedOplockLevel
	le.PutUint32(b[4:], ImpersonationImpersonation)
	le.PutUint64(b[8:], 0)
	le.PutUint32(b[24:], GenericRead|Synchronize)
	le.PutUint32(b[28:], FileAttributeNormal)
	le.PutUint32(b[32:], FileShareRead|FileShareWrite)
	le.PutUint32(b[36:], FileOpenIf)
	le.PutUint32(b[40:], FileNonDirectoryFile)
	n := AppendUTF16(nil, name)
	le.PutUint16(b[44:], 64+56)
	le.PutUint16(b[46:], uint16(len(n)))
	b = append(b, n...)
	if len(ctxs) > 0 {
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		le.PutUint32(b[48:], uint32(64+len(b)))
		le.PutUint32(b[52:], uint32(len(ctxs)))
		b = append(b, ctxs...)
	}
	if len(b) == 56 {
		b = append(b, 0)
	}
	return b
}

func TestDecodeCreateRequest(t *testing.T) {
	ctxs := AppendCreateContexts(nil, []CreateContext{
		{Name: CreateContextQueryMaximalAccess},
		{Name: CreateContextQueryOnDiskID},
		{Name: CreateContextAllocationSize, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
	})
	msg := wireMsg(Create, createRequestBody(`dir\файл.txt`, ctxs))
	r, err := DecodeCreateRequest(msg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != `dir\файл.txt` {
		t.Errorf("Name = %q", r.Name)
	}
	if r.RequestedOplockLevel != OplockLevelBatch || r.ImpersonationLevel != ImpersonationImpersonation {
		t.Errorf("oplock/impersonation = %d/%d", r.RequestedOplockLevel, r.ImpersonationLevel)
	}
	if r.DesiredAccess != GenericRead|Synchronize || r.FileAttributes != FileAttributeNormal ||
		r.ShareAccess != FileShareRead|FileShareWrite || r.CreateDisposition != FileOpenIf ||
		r.CreateOptions != FileNonDirectoryFile {
		t.Errorf("fixed fields = %+v", r)
	}
	if len(r.CreateContexts) != 3 {
		t.Fatalf("got %d contexts", len(r.CreateContexts))
	}
	if _, ok := r.Context("MxAc"); !ok {
		t.Error("MxAc missing")
	}
	if d, ok := r.Context("AlSi"); !ok || !bytes.Equal(d, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("AlSi = %v %v", d, ok)
	}
	if _, ok := r.Context("DHnQ"); ok {
		t.Error("unexpected DHnQ")
	}
}

func TestCreateContextsLayout(t *testing.T) {
	b := AppendCreateContexts(nil, []CreateContext{
		{Name: "MxAc", Data: []byte{0xAA, 0xBB, 0xCC, 0xDD, 1, 2, 3, 4}},
		{Name: "QFid"},
	})
	le := binary.LittleEndian
	// First context: 16-byte header, name at 16, data at 24, 8 bytes.
	if next := le.Uint32(b); next != 32 {
		t.Errorf("Next = %d, want 32", next)
	}
	if le.Uint16(b[4:]) != 16 || le.Uint16(b[6:]) != 4 || le.Uint16(b[10:]) != 24 || le.Uint32(b[12:]) != 8 {
		t.Errorf("first header = % x", b[:16])
	}
	if string(b[16:20]) != "MxAc" || b[24] != 0xAA {
		t.Errorf("first body = % x", b[16:32])
	}
	// Second: no data, DataOffset 0, Next 0, 20 bytes long (not padded).
	if len(b) != 32+20 || le.Uint32(b[32:]) != 0 || le.Uint16(b[42:]) != 0 {
		t.Errorf("second = % x (len %d)", b[32:], len(b))
	}
}

func TestDecodeCreateRequestMalformed(t *testing.T) {
	good := createRequestBody("a", nil)
	tests := map[string]func(b []byte) []byte{
		"short":          func(b []byte) []byte { return b[:40] },
		"structure size": func(b []byte) []byte { b[0] = 56; return b },
		"name past end":  func(b []byte) []byte { binary.LittleEndian.PutUint16(b[46:], 200); return b },
		"name in header": func(b []byte) []byte { binary.LittleEndian.PutUint16(b[44:], 10); return b },
		"odd name":       func(b []byte) []byte { binary.LittleEndian.PutUint16(b[46:], 1); return b },
		"contexts past end": func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[48:], 120)
			binary.LittleEndian.PutUint32(b[52:], 0xFFFFFFF0)
			return b
		},
	}
	for name, mut := range tests {
		b := mut(append([]byte(nil), good...))
		if _, err := DecodeCreateRequest(wireMsg(Create, b)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestDecodeCreateContextsMalformed(t *testing.T) {
	good := AppendCreateContexts(nil, []CreateContext{{Name: "MxAc"}, {Name: "QFid"}})
	le := binary.LittleEndian
	tests := map[string]func(b []byte){
		"next past end":  func(b []byte) { le.PutUint32(b, 200) },
		"next too small": func(b []byte) { le.PutUint32(b, 4) },
		"empty name":     func(b []byte) { le.PutUint16(b[6:], 0) },
		"name past next": func(b []byte) { le.PutUint16(b[6:], 30) },
		"data past next": func(b []byte) { le.PutUint16(b[10:], 20); le.PutUint32(b[12:], 16) },
	}
	for name, mut := range tests {
		b := append([]byte(nil), good...)
		mut(b)
		if _, err := DecodeCreateContexts(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := DecodeCreateContexts(good[:10]); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated: err = %v", err)
	}
}

func TestCreateResponseAppend(t *testing.T) {
	r := CreateResponse{
		OplockLevel:    OplockLevelII,
		CreateAction:   FileCreated,
		CreationTime:   1,
		LastAccessTime: 2,
		LastWriteTime:  3,
		ChangeTime:     4,
		AllocationSize: 4096,
		EndOfFile:      10,
		FileAttributes: FileAttributeArchive,
		FileID:         FileID{7, 8},
	}
	le := binary.LittleEndian
	b := r.Append(nil)
	if len(b) != 89 || le.Uint16(b) != 89 || b[2] != OplockLevelII || le.Uint32(b[4:]) != FileCreated {
		t.Fatalf("no-context body = % x", b)
	}
	if le.Uint64(b[8:]) != 1 || le.Uint64(b[32:]) != 4 || le.Uint64(b[40:]) != 4096 || le.Uint64(b[48:]) != 10 {
		t.Errorf("times/sizes wrong: % x", b[8:56])
	}
	if le.Uint32(b[56:]) != FileAttributeArchive || DecodeFileID(b[64:]) != (FileID{7, 8}) {
		t.Errorf("attrs/fileid wrong")
	}
	if le.Uint32(b[80:]) != 0 || le.Uint32(b[84:]) != 0 {
		t.Errorf("context offset/length = %d/%d", le.Uint32(b[80:]), le.Uint32(b[84:]))
	}

	r.CreateContexts = []CreateContext{
		{Name: "MxAc", Data: MaximalAccessResponse(StatusSuccess, FileAllAccess)},
		{Name: "QFid", Data: QueryOnDiskIDResponse(42, 43)},
	}
	b = r.Append([]byte("prefix"))[6:]
	off, n := le.Uint32(b[80:]), le.Uint32(b[84:])
	if off != 64+88 || int(n) != len(b)-88 {
		t.Fatalf("contexts at %d len %d, body %d", off, n, len(b))
	}
	ctxs, err := DecodeCreateContexts(b[88:])
	if err != nil || len(ctxs) != 2 {
		t.Fatalf("decode contexts: %v %v", ctxs, err)
	}
	if le.Uint32(ctxs[0].Data[4:]) != FileAllAccess || le.Uint64(ctxs[1].Data[8:]) != 43 || len(ctxs[1].Data) != 32 {
		t.Errorf("context data = %x / %x", ctxs[0].Data, ctxs[1].Data)
	}
}

func TestMapGenericAccess(t *testing.T) {
	if got := MapGenericAccess(GenericAll); got != FileAllAccess {
		t.Errorf("GENERIC_ALL -> %#x", got)
	}
	got := MapGenericAccess(GenericRead | Delete)
	if got&GenericRead != 0 || got&FileReadData == 0 || got&Delete == 0 || got&FileWriteData != 0 {
		t.Errorf("GENERIC_READ|DELETE -> %#x", got)
	}
}

// TestCreateRequestAppendContexts: a request built by Append with create
// contexts decodes back to the same name and contexts.
func TestCreateRequestAppendContexts(t *testing.T) {
	in := CreateRequest{DesiredAccess: 1, CreateDisposition: FileCreate, Name: `d\f.txt`,
		CreateContexts: []CreateContext{{Name: CreateContextEABuffer, Data: []byte{1, 2, 3}}, {Name: CreateContextSecDesc, Data: []byte{4}}}}
	for _, name := range []string{in.Name, ""} {
		in.Name = name
		msg := AppendBody(nil, &Header{Command: Create}, in.Append(nil))
		out, err := DecodeCreateRequest(msg)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if out.Name != name || len(out.CreateContexts) != 2 || !bytes.Equal(out.CreateContexts[0].Data, []byte{1, 2, 3}) ||
			out.CreateContexts[1].Name != CreateContextSecDesc {
			t.Errorf("%q: decoded %+v", name, out)
		}
	}
}
