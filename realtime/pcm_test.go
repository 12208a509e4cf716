package realtime

import (
	"errors"
	"slices"
	"testing"
)

func TestPCMRoundTrip(t *testing.T) {
	pcm := []int16{0, 1, -1, 32767, -32768, 1234}
	got, err := DecodePCM(EncodePCM(pcm))
	if err != nil || !slices.Equal(got, pcm) {
		t.Fatalf("%v %v", got, err)
	}
	if EncodePCM([]int16{1, -2}) != "AQD+/w==" {
		t.Fatal(EncodePCM([]int16{1, -2}))
	}
	for _, bad := range []string{"AQD+", "!!", "AQ=="} {
		if _, err := DecodePCM(bad); !errors.Is(err, ErrNotPCM16) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}
