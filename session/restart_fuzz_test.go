package session

import (
	"strings"
	"testing"
)

// FuzzRestartFragment: any PATCH body is read for ICE credentials without
// panicking, and the restart offer built from any previous SDP carries the
// new credentials on every credential line and none of the old candidates.
func FuzzRestartFragment(f *testing.F) {
	f.Add("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef01234567\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n",
		"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:old\r\na=ice-pwd:oldpwd\r\na=mid:0\r\na=candidate:1 1 udp 1 192.0.2.9 9 typ host\r\na=end-of-candidates\r\n")
	f.Add("a=ice-ufrag:\r\n", "o=- x y\n")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, frag, prev string) {
		ufrag, pwd := iceCredentials(frag)
		if strings.ContainsAny(ufrag+pwd, "\r\n") {
			t.Fatalf("credentials %q %q span lines", ufrag, pwd)
		}
		if ufrag == "" || pwd == "" {
			return
		}
		offer := withICECredentials(prev, ufrag, pwd)
		for _, l := range strings.Split(offer, "\r\n") {
			switch {
			case strings.HasPrefix(l, "a=candidate:"), l == "a=end-of-candidates":
				t.Fatalf("old candidate line %q kept", l)
			case strings.HasPrefix(l, "a=ice-ufrag:") && l != "a=ice-ufrag:"+ufrag:
				t.Fatalf("credential line %q not replaced", l)
			}
		}
		_ = answerFragment(offer)
	})
}
