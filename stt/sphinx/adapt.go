package sphinx

import "github.com/duplex-ai/duplex/stt"

// callState is what a call's stt.Adaptation holds.
type callState struct {
	cmn   []float32 // the call's cepstral mean (see stream.cmn)
	noise []int16   // the tail of its last utterance (see primeFor)
}

func loadCall(a *stt.Adaptation) callState {
	if a == nil {
		return callState{}
	}
	st, _ := a.Load().(callState)
	return st
}
