package sphinx

import (
	"os"
	"path/filepath"
	"testing"
)

// namedPCM is one utterance of the measurement harnesses.
type namedPCM struct {
	name string
	pcm  []int16
}

// measureCorpus loads the librivox sentences of pocketsphinx-testdata and
// speaks the questions with espeak-ng (voices in turn) and festival (slt),
// for the timeline and loop-feeding harnesses; it skips the test unless
// the environment variable env is set (the harnesses are measurements).
func measureCorpus(t *testing.T, env string, espeakQs, festivalQs []string) (real, synth, fest []namedPCM) {
	t.Helper()
	if os.Getenv(env) == "" {
		t.Skipf("set %s=1", env)
	}
	requireTools(t, true)
	wavs, _ := filepath.Glob(testdataDir + "/librivox/*.wav")
	for _, f := range wavs {
		real = append(real, namedPCM{filepath.Base(f), soxPCM(t, f)})
	}
	for i, q := range espeakQs {
		v := []string{"en-us", "en-us+f2", "en-us+m3", "en-us+f4", "en+m5"}[i%5]
		synth = append(synth, namedPCM{v + ":" + q, speak(t, v, q)})
	}
	for _, q := range festivalQs {
		fest = append(fest, namedPCM{"slt:" + q, festival(t, q)})
	}
	return real, synth, fest
}
