// Package kclient holds the Linux kernel client (cifs.ko) interop test.
//
// TestKernelClient boots a small Linux guest under QEMU (TCG; the guest
// image is built once by scripts/kclient/build-guest.sh and cached in
// $ZEROSMB_KCLIENT_CACHE, default ~/.cache/zerosmb-kclient), serves a share
// with the server package on 127.0.0.1, and lets the guest mount it with
// every dialect and the seal/sign variants and run the file-system
// workload of the guest program (./guest). Results come back per check on
// the serial console and are compared with knownKernelFailures.
//
// It lives in its own package, not in server/, because it drives the
// server only through its public embedding API (as a Go program would) and
// because it needs a guest binary and QEMU, which nothing else shares.
//
// By hand:
//
//	go test ./test/kclient -run TestKernelClient -v            # all variants
//	go test ./test/kclient -v -kclient.variants=3.1.1-seal      # one variant
//	go test ./test/kclient -v -long -timeout 60m               # 1 GiB transfers
//	go test ./test/kclient -v -kclient.keep                    # keep the console log
//	go test ./test/kclient -v -kclient.variants=3.1.1 -kclient.only=coherence \
//		-kclient.repeat=20 -kclient.noquiesce                  # hunt the 6.1 unmount race
//	go test ./test/kclient -v -kclient.peer=127.0.0.1:PORT -kclient.peerdir=DIR  # same guest vs smbd
package kclient
