package turnsrv

import (
	"bytes"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCredentials: what Credentials mints, pion/turn's TURN REST handler
// (the one Listen installs) accepts with the same secret, and refuses with
// another secret or once expired.
func TestCredentials(t *testing.T) {
	secret := []byte("shared")
	auth := turn.LongTermTURNRESTAuthHandler(string(secret), logging.NewDefaultLoggerFactory().NewLogger("test"))
	const realm = "duplex"
	check := func(user, pass string) (ok, match bool) {
		_, key, ok := auth(&turn.RequestAttributes{Username: user, Realm: realm, SrcAddr: &net.UDPAddr{}})
		return ok, bytes.Equal(key, turn.GenerateAuthKey(user, realm, pass))
	}
	user, pass := Credentials(secret, "abc123", time.Now().Add(time.Hour))
	if ok, match := check(user, pass); !ok || !match {
		t.Fatalf("fresh credentials refused (ok %v, key match %v)", ok, match)
	}
	_, wrong := Credentials([]byte("other"), "abc123", time.Now().Add(time.Hour))
	if _, match := check(user, wrong); match {
		t.Fatal("a password minted with another secret matched")
	}
	old, oldPass := Credentials(secret, "abc123", time.Now().Add(-time.Minute))
	if ok, _ := check(old, oldPass); ok {
		t.Fatal("expired credentials accepted")
	}
}

func TestListenNeedsSecretAndRelay(t *testing.T) {
	if _, err := Listen(Options{Listen: "127.0.0.1:0", RelayIP: net.ParseIP("127.0.0.1")}); err == nil {
		t.Fatal("no secret: started")
	}
	if _, err := Listen(Options{Listen: "127.0.0.1:0", Secret: []byte("s")}); err == nil {
		t.Fatal("no relay IP: started")
	}
	s, err := Listen(Options{Listen: "127.0.0.1:0", RelayIP: net.ParseIP("127.0.0.1"), Secret: []byte("s")})
	if err != nil {
		t.Fatal(err)
	}
	// UDP and TCP share the port.
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port())))
	if err != nil {
		t.Fatalf("no TCP listener on the UDP port %d: %v", s.Port(), err)
	}
	_ = c.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
