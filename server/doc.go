// Package server is the SMB2/SMB3 server state machine: connections,
// sessions, tree connects, opens, credits, compound and async handling, and
// the command handlers. It decides what to answer; how payload bytes move
// (copy, sendfile, splice) is left to package zerocopy, and the wire format
// to package smb2.
//
// A Go program embeds zerosmb by building a Config with one or more Shares
// (each backed by a vfs.FS) and calling Serve on a listener:
//
//	srv, err := server.New(server.Config{Shares: []*server.Share{{Name: "share", FS: fsys}}})
//	...
//	err = srv.Serve(ln)
//
// # Where things are
//
// conn.go holds a connection's state and lifecycle, readloop.go the read
// loop, write.go every response write, dispatch.go the command table (one
// row per command: handler and rules) and the compound/dispatch logic,
// frame.go the response frame builder; each command's handler lives in a
// file named after it (readwrite.go, create.go, lock.go, ...). Directory
// enumerations keep bounded state in dirstream.go; sparse-file FSCTLs and
// allocation are in sparse.go; the file-level limits' defaults in
// limits_file.go; peer_unix.go tells long requests the client has gone.
// Connection-level limits: limits.go (admission, handshake timeout,
// eviction, per-address caps, request memory), throttle.go (failed-logon
// delay and lockout), eventlog.go (aggregated log lines for refusals and
// failures).
//
// # Life of a READ
//
//  1. readloop.go: readLoop waits in frameBatch.fill, which with one recv
//     (zerocopy.ReadAccepted) takes every complete small frame at the head
//     of the stream into a 4 KiB batch buffer; next hands them out one by
//     one. Without peek support, readFrame reads the 4-byte frame header
//     and the body into a pooled buffer (bufpool.go).
//  2. readloop.go: handleFrame sees a lone READ (smb2.LoneCommand and the
//     table's cork rule), so corked responses may stay corked, and passes
//     the SMB2 frame to handleCompound.
//  3. dispatch.go: handleCompound cuts the frame into elements
//     (smb2.DecodeHeader); handleOne looks the command up in the commands
//     table, charges credits (credits.go), and dispatch resolves session
//     and tree, checks the signature (session.go) and the per-connection
//     limits (open.go), then calls the row's handler.
//  4. readwrite.go: handleRead decodes the request (smb2.DecodeReadRequest),
//     finds the open, checks locks and access, and answers a READ response
//     header plus a readData{file, offset, length}: no file byte is read.
//  5. frame.go: frameBuilder.add appends the SMB2 header and body; for an
//     unsigned, unencrypted, lone READ on a file that is a zerocopy.Source,
//     canSendfile keeps the payload out of the buffer, and flush calls
//     sendWithFile.
//  6. frame.go / write.go: sendWithFile takes the write lock, puts any
//     corked responses in front of the header (takeCorked) and calls
//     zerocopy.SendFile (internal/zerocopy/sendfile_linux.go): the header goes out
//     with MSG_MORE, then sendfile(2) moves the data from the page cache to
//     the socket, zero-padding if the file shrank. Signed or encrypted
//     READs take the copy path: appendData preads once into the frame
//     buffer, which is then signed in place, or, for an encrypted frame
//     (built after room for the transform header, frameBuilder.init),
//     sealed in place by sealFrame (transform.go) and written once. With
//     --signed-sendfile a signed READ may take the mmap-hash path instead
//     (signsend_linux.go).
//
// # Life of a WRITE
//
//  1. readloop.go: acceptFrames never batches a frame big enough to be a
//     spliceable WRITE (smb2.SplitWriteHeaderSize + Config.RecvfileMin), so
//     its payload stays in the socket; headLen and readLargeFrame take it.
//  2. recvfile.go: readSplitWrite reads exactly the frame header, the SMB2
//     header and the WRITE fixed part (4+112 bytes); splitEligible checks
//     them with smb2.PeekSplitWrite (lone, unsigned WRITE whose payload is
//     the rest of the frame) and that the session needs neither signing nor
//     encryption. Otherwise the rest is read and handled as any frame.
//  3. dispatch.go: the 112 bytes go through handleCompound/handleOne as
//     above with a splitPayload saying how many payload bytes are still in
//     the socket; if the handler did not take them, handleOne discards them
//     so the stream stays in step. A signed or encrypted WRITE is never
//     split: readFrame reads the whole frame into one pooled buffer,
//     dispatch verifies the signature over it, or handleTransform
//     (transform.go) decrypts it where it lies, and handleWrite's single
//     WriteAt is the only other pass over the payload.
//  4. readwrite.go: handleWrite checks the open, access and locks, then
//     receivePayload (recvfile.go) moves the payload with
//     zerocopy.Receiver.RecvFile: splice(2) socket -> pipe -> file
//     (internal/zerocopy/splice_linux.go), or zerocopy.CopyRecv on other systems.
//  5. frame.go / write.go: the small WRITE response is queued with
//     queueFrame, corked while more requests wait (Response corking in
//     write.go), and leaves with the next frame or before the read loop
//     parks. readAfterSplit (recvfile.go) then reads the next WRITE header
//     straight away, since pipelined WRITEs come back to back.
package server
