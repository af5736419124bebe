package server

import (
	"sync"
	"unsafe"
)

// Buffer pool for request frames, by power-of-two size class. The pools
// hold the start of each buffer as an unsafe.Pointer (a buffer of class
// cl is 1<<cl bytes): a pointer goes into an interface without an
// allocation, where a *[]byte would cost one per putBuf.
var bufPools [25]sync.Pool

func sizeClass(n int) int {
	cl := 12 // 4 KiB minimum
	for 1<<cl < n {
		cl++
	}
	return cl
}

func getBuf(n int) []byte {
	cl := sizeClass(n)
	if cl >= len(bufPools) {
		return make([]byte, n)
	}
	if p, ok := bufPools[cl].Get().(unsafe.Pointer); ok {
		return unsafe.Slice((*byte)(p), 1<<cl)[:n]
	}
	return make([]byte, n, 1<<cl)
}

func putBuf(b []byte) {
	c := cap(b)
	cl := sizeClass(c)
	if cl >= len(bufPools) || 1<<cl != c {
		return
	}
	bufPools[cl].Put(unsafe.Pointer(unsafe.SliceData(b)))
}

// frameBuf returns a buffer for a request frame of n bytes, n+extra long,
// reserving request memory for it (see acquireFrame); free it with
// freeFrameBuf(buf, n).
func (c *conn) frameBuf(n, extra int) ([]byte, error) {
	if err := c.acquireFrame(n); err != nil {
		return nil, err
	}
	return getBuf(n + extra), nil
}

// freeFrameBuf releases a buffer from frameBuf.
func (c *conn) freeFrameBuf(buf []byte, n int) {
	putBuf(buf)
	c.releaseFrame(n)
}
