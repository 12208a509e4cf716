// Package vad decides, frame by frame, whether the user is speaking, and turns
// those decisions into turns: when an utterance starts, when it ends, and which
// audio before the start speech-to-text needs to hear the onset.
//
// Two layers:
//
//   - A [Classifier] maps one PCM frame to a speech probability. [SpectralVAD]
//     (from [NewClassifier]) compares smoothed sub-band energies against an
//     adaptive reference (a minimum-statistics floor, or the running mean of
//     the background where that is higher, as with babble) and scores the
//     per-band SNRs, with how much the background fluctuates and how the
//     levels ran over the last 320 ms, by a small neural network trained
//     offline (cmd/vad-train, weights in model_weights.go); [EnergyVAD]
//     (from [NewEnergyVAD]) is a plain energy threshold kept as the
//     baseline.
//   - A [Detector] runs a classifier over a stream of frames stamped with media
//     time and emits [Event]s: [SpeechStarted] after TurnOptions.MinSpeech of
//     speech, [SpeechEnded] after TurnOptions.MinSilence of silence or when the
//     utterance reaches TurnOptions.MaxUtterance. Where the classifier reports
//     a fluctuating background (other voices; see [BackgroundReporter]) it is
//     stricter: a turn starts only on a sure frame (StartThreshold) or on
//     near-sure syllables that add up within a second (StartEvidence), and
//     after a gap speech keeps a turn going only once it lasts MinResume,
//     so other voices neither start turns nor hold them open. A less sure
//     frame counts as speech there too (FluctuatingThreshold; in a turn,
//     in runs of MinResume), so the user's own voice under the others is
//     not let go of mid-sentence. The only
//     clock it knows is the media timestamp passed to [Detector.Push];
//     tests drive it frame by frame.
//
// Both layers are single-goroutine objects (one per call, owned by the
// dialogue engine) and do not allocate per frame in steady state.
//
// docs/vad.md explains the design. The accuracy of both classifiers is
// measured on a generated, labelled corpus by the vad/eval package
// (`go run ./cmd/vad-eval`); the numbers live in BENCHMARKS.md.
package vad
