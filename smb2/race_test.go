//go:build race

package smb2

// raceSlowdown scales time bounds in tests under the race detector.
const raceSlowdown = 20
