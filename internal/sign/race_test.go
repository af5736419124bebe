//go:build race

package sign

// raceEnabled skips allocation tests: under the race detector sync.Pool
// drops objects at random.
const raceEnabled = true
