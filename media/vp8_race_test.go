//go:build race

package media

// raceEnabled: timing targets are not checked under the race detector
// (it slows decoding about tenfold).
const raceEnabled = true
