// Package bench is the side-by-side benchmark behind `zerosmb bench`: it
// starts zerosmb (zero-copy and copy path), two private Samba instances
// (sendfile/recvfile tuned, and defaults) and minimal kernel-floor programs
// (sendfile only, splice only, read+write), drives each with a pipelining
// SMB 3.0.2 load client, and reports server CPU seconds per GiB moved
// (utime+stime of the server process tree from /proc) and GiB/s as a
// Markdown table, a CSV and a PNG chart.
//
// It is Linux-only (it reads /proc and uses sendfile/splice directly). It
// holds no server code: the server under test is the zerosmb binary.
package bench
