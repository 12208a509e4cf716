package sphinx

import "testing"

// The slack lets a one-word request through when the loop finds a few
// phones more than its pronunciation has, but not a sentence forced into
// a short phrase.
func TestPhoneRatioSlack(t *testing.T) {
	o := Options{}.withDefaults()
	in := func(grammar, loop int) bool {
		r := phoneRatio(grammar, loop, o.PhoneSlack)
		return r >= o.MinPhoneRatio && r <= o.MaxPhoneRatio
	}
	if !in(2, 5) || !in(4, 9) { // "yeah", "stop" with a few phones of breath and silence
		t.Error("short requests rejected")
	}
	if in(22, 64) || in(5, 69) { // a librivox sentence forced into a sum, a greeting
		t.Error("long speech accepted")
	}
	if phoneRatio(2, 5, 0) != 0.4 || phoneRatio(3, 0, 12) != 0 {
		t.Error("phoneRatio without slack or loop phones")
	}
	if (Options{PhoneSlack: -1}).withDefaults().PhoneSlack != 0 {
		t.Error("negative slack is not none")
	}
}
