#!/usr/bin/env bash
# Runs every check and test: vet, cross-builds of the platform layers,
# unit + fuzz-seed + interop tests (go-smb2, smbclient, smbtorture, the
# Linux kernel client in a QEMU guest), then
# the short tests again under the race detector.
# Under CI=true a missing smbclient/smbtorture fails the interop tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

echo "== go version"; go version
echo "== go mod download"; go mod download
echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt needed:"; echo "$bad"; exit 1; fi
echo "== go vet"; go vet ./...
echo "== cross builds"
# go build of several packages compiles and discards: nothing is written in the tree.
for os in freebsd darwin windows; do
  echo "   GOOS=$os"; GOOS=$os GOARCH=amd64 go build ./...
done
# The tests of the Unix ports compile too (Linux-only test files are tagged).
for os in freebsd darwin; do
  echo "   GOOS=$os go vet"; GOOS=$os GOARCH=amd64 go vet ./...
done
echo "== go test"
# The kernel-client test (QEMU) runs on its own afterwards: it keeps a CPU
# busy for minutes, which would skew the timing-sensitive tests beside it.
go test -count=1 -timeout 20m $(go list ./... | grep -v '/test/kclient$')
echo "== go test ./test/kclient (Linux kernel client in a QEMU guest)"
go test -count=1 -timeout 20m ./test/kclient
echo "== go test -race (short)"
go test -race -short -count=1 -timeout 10m ./...
echo "== ok"
