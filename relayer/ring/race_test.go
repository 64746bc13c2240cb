//go:build race

package ring

// raceEnabled trims the default sample sizes under -race, where the curve
// arithmetic runs about ten times slower.
const raceEnabled = true
