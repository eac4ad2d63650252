//go:build race

package simulator

// raceEnabled reports whether the race detector is on (timing checks are skipped).
const raceEnabled = true
