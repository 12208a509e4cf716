package dialogue

import (
	"strings"
	"unicode"
)

// backchannels are the short acknowledgements a listener says while the
// other one talks; they must not end the assistant's reply.
var backchannels = map[string]bool{
	"yeah": true, "yes": true, "yep": true, "yup": true, "ok": true, "okay": true,
	"right": true, "sure": true, "uh huh": true, "uh-huh": true, "mm hmm": true,
	"mm-hmm": true, "mhm": true, "mm": true, "hmm": true, "hm": true, "uh": true,
	"um": true, "ah": true, "oh": true, "i see": true, "got it": true, "cool": true,
	"nice": true, "wow": true, "alright": true, "all right": true, "good": true,
	"yeah yeah": true, "okay okay": true, "right right": true, "true": true,
	"嗯": true, "对": true, "好": true, "好的": true, "是的": true, "哦": true,
}

// isBackchannel reports whether text is only an acknowledgement.
func isBackchannel(text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	t = strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) && r != '-' {
			return -1
		}
		return r
	}, t)
	t = strings.Join(strings.Fields(t), " ")
	return backchannels[t]
}
