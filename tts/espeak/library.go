//go:build cgo

package espeak

/*
#cgo pkg-config: espeak-ng
#include <stdlib.h>
#include <espeak-ng/speak_lib.h>

int duplex_espeak_init(int buflen);
*/
import "C"

import (
	"context"
	"fmt"
	"sync"
	"unsafe"

	"github.com/duplex-ai/duplex/tts"
)

// libBufferMillis is the audio the library hands to each callback. Smaller
// gives an earlier first chunk at the cost of more callbacks.
const libBufferMillis = 50

var (
	// libSem is the process-wide lock around every library call (voice,
	// parameters, synthesis): a channel so a waiter can also select on a
	// free worker process or on cancellation.
	libSem = make(chan struct{}, 1)

	libOnce sync.Once
	libErr  error

	// Guarded by libSem.
	libJob   *libSynthesis // the synthesis the callback feeds
	libVoice string        // voice currently loaded
	libRate  int           // rate currently set
)

// initLibrary initializes libespeak-ng once per process, in synchronous
// mode: espeak_Synth calls the callback on the calling thread and returns
// when synthesis is done. It does not exit the process if the data files
// are missing (espeakINITIALIZE_DONT_EXIT); it reports ErrUnavailable.
func initLibrary() error {
	libOnce.Do(func() {
		libSem <- struct{}{}
		defer func() { <-libSem }()
		if rate := int(C.duplex_espeak_init(C.int(libBufferMillis))); rate != SampleRate {
			libErr = fmt.Errorf("%w: espeak_Initialize returned %d (espeak-ng-data missing?)", ErrUnavailable, rate)
		}
	})
	return libErr
}

// libSynthesis is the state the callback needs for one synthesis.
type libSynthesis struct {
	s       *stream
	base    int        // byte offset of the current segment in the text
	offsets []int      // byte offset of each rune of the current segment
	samples int        // samples pushed so far (start of the current segment)
	segBase int        // samples before the current segment
	pending []tts.Mark // marks seen in a callback without audio
	last    tts.Mark   // the last mark kept, if seen
	seen    bool
}

// synthLibrary speaks text through the library one segment (about a
// sentence, see segments) at a time, taking the process-wide lock for each
// segment, so concurrent syntheses interleave sentence by sentence instead
// of queueing behind whole texts. held says the caller already holds libSem
// for the first segment; synthLibrary releases it.
func synthLibrary(s *stream, text, voice string, rate int, held bool) error {
	j := &libSynthesis{s: s}
	for i, seg := range segments(text) {
		if i > 0 || !held {
			select {
			case libSem <- struct{}{}:
			case <-s.ctx.Done():
				return context.Cause(s.ctx)
			}
		}
		err := j.synthSegment(seg.text, seg.offset, voice, rate)
		<-libSem
		if err != nil {
			return err
		}
	}
	return nil
}

// synthSegment speaks one segment; the caller holds libSem.
func (j *libSynthesis) synthSegment(text string, base int, voice string, rate int) error {
	if err := j.s.stopped(); err != nil {
		return err
	}
	if voice != libVoice {
		cv := C.CString(voice)
		rc := C.espeak_SetVoiceByName(cv)
		C.free(unsafe.Pointer(cv))
		if rc != C.EE_OK {
			libVoice = ""
			if rc == C.EE_NOT_FOUND {
				return fmt.Errorf("%w: %q", ErrUnknownVoice, voice)
			}
			return fmt.Errorf("%w: espeak_SetVoiceByName(%q) = %d", ErrSynthesis, voice, int(rc))
		}
		libVoice, libRate = voice, 0
	}
	if rate != libRate {
		if rc := C.espeak_SetParameter(C.espeakRATE, C.int(rate), 0); rc != C.EE_OK {
			libRate = 0
			return fmt.Errorf("%w: espeak_SetParameter(rate %d) = %d", ErrSynthesis, rate, int(rc))
		}
		libRate = rate
	}

	j.base, j.segBase = base, j.samples
	j.offsets = j.offsets[:0]
	for i := range text {
		j.offsets = append(j.offsets, base+i)
	}
	ct := C.CString(text)
	defer C.free(unsafe.Pointer(ct))
	libJob = j
	rc := C.espeak_Synth(unsafe.Pointer(ct), C.size_t(len(text)+1), 0, C.POS_CHARACTER, 0,
		C.espeakCHARS_UTF8, nil, nil)
	libJob = nil
	if err := j.s.stopped(); err != nil {
		return err
	}
	if rc != C.EE_OK {
		return fmt.Errorf("%w: espeak_Synth = %d", ErrSynthesis, int(rc))
	}
	return nil
}

// byteOffset converts espeak's 1-based character position to a byte offset.
func (j *libSynthesis) byteOffset(pos int) int {
	switch {
	case len(j.offsets) == 0 || pos < 1:
		return j.base
	case pos > len(j.offsets):
		return j.offsets[len(j.offsets)-1]
	}
	return j.offsets[pos-1]
}

//export duplexSynthCallback
func duplexSynthCallback(wav *C.short, n C.int, events *C.espeak_EVENT) C.int {
	j := libJob
	if j == nil || j.s.stopped() != nil {
		return 1 // abort synthesis
	}
	for ev := events; ev != nil && ev._type != C.espeakEVENT_LIST_TERMINATED; ev = (*C.espeak_EVENT)(unsafe.Add(unsafe.Pointer(ev), C.sizeof_espeak_EVENT)) {
		if ev._type != C.espeakEVENT_WORD {
			continue
		}
		m := tts.Mark{TextOffset: j.byteOffset(int(ev.text_position)), Sample: j.segBase + int(ev.sample)}
		// espeak-ng 1.51 sometimes repeats an earlier word's position at a
		// clause boundary (seen after switching voices): keep marks
		// strictly increasing in the text.
		if j.seen && (m.TextOffset <= j.last.TextOffset || m.Sample < j.last.Sample) {
			continue
		}
		j.pending = append(j.pending, m)
		j.last, j.seen = m, true
	}
	if wav == nil || n <= 0 {
		return 0 // no audio in this call (or the end): marks wait for the next chunk
	}
	pcm := make([]int16, int(n))
	copy(pcm, unsafe.Slice((*int16)(unsafe.Pointer(wav)), int(n)))
	j.s.push(tts.Chunk{PCM: pcm, SampleRate: SampleRate, Marks: j.pending})
	j.pending = nil
	j.samples += len(pcm)
	return 0
}
