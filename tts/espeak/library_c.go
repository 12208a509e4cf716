//go:build cgo

package espeak

/*
#cgo pkg-config: espeak-ng
#include <espeak-ng/speak_lib.h>

extern int duplexSynthCallback(short *wav, int numsamples, espeak_EVENT *events);

int duplex_espeak_init(int buflen) {
	int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, buflen, NULL, espeakINITIALIZE_DONT_EXIT);
	if (rate > 0) {
		espeak_SetSynthCallback(duplexSynthCallback);
	}
	return rate;
}
*/
import "C"
