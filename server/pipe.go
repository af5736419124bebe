package server

import (
	"errors"

	"github.com/zerosmb/zerosmb/internal/rpc"
	"github.com/zerosmb/zerosmb/smb2"
)

// Named pipes on IPC$: READ, WRITE and FSCTL_PIPE_TRANSCEIVE map onto the
// message-mode rpc.Pipe. The RPC pipe is request/response, so after a
// WRITE the response is normally queued at once; a READ that finds the pipe
// empty pends until the next WRITE on the same open queues data, the
// handle closes (STATUS_PIPE_BROKEN) or the client cancels.

// pipeRead is a pending READ on a named pipe.
type pipeRead struct {
	op       *asyncOp
	max      uint32
	closeKey uint64 // handle-close hook, dropped when the read finishes
}

// pipeStatus maps an rpc.Pipe error to NTSTATUS.
func pipeStatus(err error) smb2.Status {
	if errors.Is(err, rpc.ErrLimit) {
		return smb2.StatusInsufficientResources
	}
	return smb2.StatusInvalidPipeState
}

// readPipeResponse builds a READ response from a pipe read of buf.
func readPipeResponse(p *rpc.Pipe, max uint32) (response, bool) {
	buf := make([]byte, max)
	n, more, err := p.Read(buf)
	if errors.Is(err, rpc.ErrNoData) {
		return response{}, false
	}
	if err != nil {
		return errResp(pipeStatus(err)), true
	}
	body := smb2.AppendReadResponseHeader(make([]byte, 0, 16+n), uint32(n), 0)
	body = append(body, buf[:n]...)
	resp := response{body: body}
	if more {
		resp.status = smb2.StatusBufferOverflow
	}
	return resp, true
}

// readPipe answers a READ on a named pipe, pending it when no data is
// queued.
func (c *conn) readPipe(r *request, o *open, req *smb2.ReadRequest) response {
	if req.Length > c.maxIO {
		return errResp(smb2.StatusInvalidParameter)
	}
	if req.Length == 0 {
		return response{body: smb2.AppendReadResponseHeader(nil, 0, 0)}
	}
	if resp, ok := readPipeResponse(o.pipe, req.Length); ok {
		return resp
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pipeRead != nil {
		// One outstanding read per pipe, as Windows allows for message
		// pipes opened without overlapped I/O.
		return errResp(smb2.StatusPipeBusy)
	}
	pr := &pipeRead{max: req.Length}
	pr.op = c.goAsync(r, func() { o.finishPipeRead(pr, errResp(smb2.StatusCancelled)) })
	o.pipeRead = pr
	pr.closeKey = o.atClose(func() { o.finishPipeRead(pr, errResp(smb2.StatusPipeBroken)) })
	return response{pending: pr.op}
}

// finishPipeRead completes pr with resp if it is still the pending read.
func (o *open) finishPipeRead(pr *pipeRead, resp response) {
	o.mu.Lock()
	if o.pipeRead != pr {
		o.mu.Unlock()
		return
	}
	o.pipeRead = nil
	delete(o.onClose, pr.closeKey)
	o.mu.Unlock()
	go pr.op.complete(resp)
}

// wakePipeRead satisfies a pending READ after a WRITE queued data.
func (o *open) wakePipeRead() {
	o.mu.Lock()
	pr := o.pipeRead
	if pr == nil {
		o.mu.Unlock()
		return
	}
	resp, ok := readPipeResponse(o.pipe, pr.max)
	if !ok {
		o.mu.Unlock()
		return
	}
	o.pipeRead = nil
	o.mu.Unlock()
	go pr.op.complete(resp)
}

// writePipe answers a WRITE of data to a named pipe.
func (c *conn) writePipe(o *open, data []byte) response {
	n, err := o.pipe.Write(data)
	if err != nil {
		c.log.Debug("named pipe write failed", "err", err)
		return errResp(pipeStatus(err))
	}
	o.wakePipeRead()
	return response{body: (&smb2.WriteResponse{Count: uint32(n)}).Append(nil)}
}

// transceivePipe is FSCTL_PIPE_TRANSCEIVE: write in, read one message of
// at most maxOut bytes.
func (c *conn) transceivePipe(o *open, in []byte, maxOut uint32) ([]byte, smb2.Status) {
	out, more, err := o.pipe.Transact(in, int(maxOut))
	switch {
	case errors.Is(err, rpc.ErrNoData):
		return nil, smb2.StatusSuccess
	case err != nil:
		c.log.Debug("named pipe transceive failed", "err", err)
		return nil, pipeStatus(err)
	case more:
		return out, smb2.StatusBufferOverflow
	}
	return out, smb2.StatusSuccess
}
