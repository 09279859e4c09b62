//go:build race

package authz

// raceEnabled reports a build with the race detector, which adds allocations
// of its own (sync.Pool drops items at random), so allocation counts are not
// the program's.
const raceEnabled = true
