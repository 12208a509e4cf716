// Package faults holds the network fault tests of Duplex: a real server
// (session manager and signaling handler) and the headless caller
// (internal/callbot) talk over a pion vnet virtual network whose router
// drops, delays or cuts packets, while signaling runs over real loopback
// HTTP. No packet leaves the process: the media path exists only inside
// vnet (addresses from 192.0.2.0/24, TEST-NET-1).
//
// Scenarios: random loss on the caller's audio (5 % and 20 %), a 300 ms
// burst loss in the middle of an utterance, 0–80 ms jitter, a caller that
// vanishes mid-reply (reaped by the ICE timeouts) and a 2 s partition that
// heals. They use the turn-based echo pipeline (VAD end of turn, then the
// utterance played back), and for the partition the offline assistant
// (pocketsphinx → local → espeak-ng) so that a transcript is checked.
// Utterances are rendered with espeak-ng at test time.
//
// The tests need espeak-ng, and the partition scenario pocketsphinx's
// en-us model and libespeak-ng: without them they skip, or fail when the
// environment variable CI is set. DUPLEX_FAULTS_SEED overrides the seed of
// the random loss and jitter, to measure other draws; DUPLEX_FAULTS_LOGS=1
// prints the server's and the caller's logs of passing tests too (failing
// tests always print them).
package faults
