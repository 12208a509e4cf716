// Package eval measures the vad package on a generated, labelled corpus.
//
// The corpus is built by [Build] from utterances spoken by espeak-ng (several
// voices, speeds, English and Mandarin) separated by random pauses; frame
// labels come from the clean signal (frame energy within LabelFloorDB of the
// utterance's loudest frame, with short gaps bridged). [Mix] adds white, pink
// or babble noise (babble = several espeak talkers mixed) at a given SNR
// relative to the active speech level. Everything is driven by one seed, so
// the same seed and the same espeak-ng give the same corpus.
//
// [Evaluate] runs a classifier and a turn detector over a mixture and scores
// frames (precision/recall/F1) and turns (onset delay, end-of-turn delay,
// misses, splits); [FalseStarts] counts turns started on noise-only audio
// and the time spent in them. [Collect] and [Train] fit the spectral VAD's
// learnt score (cmd/vad-train).
// [DigitStrings] and [Sentences] read real recordings (FSDD digits joined
// into strings; read sentences), and [BuildReal] places them like the
// synthetic corpus, labelled by the same rule; [Corpus.Relabel] scores the
// same audio against a stricter label floor.
// [Report] runs the whole matrix and renders it as Markdown; cmd/vad-eval
// prints it and writes it into BENCHMARKS.md.
package eval
