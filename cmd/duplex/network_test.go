package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/testpeer"
)

// TestNetworkFlags: -node-id names the node in the call URL, -turn-listen
// puts the built-in TURN server with minted credentials in /v1/config,
// -tcp-port starts; a TURN server with no known relay
// address and a bad node id are errors at start-up.
func TestNetworkFlags(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpPort := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_ = ln.Close()
	base := startServer(t, "-pipeline", "echo", "-node-id", "n7", "-turn-listen", "127.0.0.1:0", "-tcp-port", tcpPort)
	resp, err := http.Get(base + "/v1/config")
	if err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ICEServers []struct {
			URLs       []string `json:"urls"`
			Username   string   `json:"username"`
			Credential string   `json:"credential"`
		} `json:"ice_servers"`
	}
	err = json.NewDecoder(resp.Body).Decode(&cfg)
	resp.Body.Close()
	if err != nil || len(cfg.ICEServers) != 1 {
		t.Fatalf("config %+v, %v: want the built-in TURN server", cfg, err)
	}
	s := cfg.ICEServers[0]
	if len(s.URLs) != 2 || !strings.HasPrefix(s.URLs[0], "turn:127.0.0.1:") || !strings.HasSuffix(s.URLs[1], "?transport=tcp") || s.Username == "" || s.Credential == "" {
		t.Fatalf("TURN entry %+v", s)
	}
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Post(base+"/v1/calls", "application/sdp", strings.NewReader(offer))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(resp.Header.Get("Location"), "/v1/calls/n7.") {
		t.Fatalf("create: %d, Location %q: want the node in it", resp.StatusCode, resp.Header.Get("Location"))
	}

	for _, args := range [][]string{
		{"-turn-listen", ":0"},  // relay address unknown
		{"-node-id", "has.dot"}, // not a node id
		{"-turn-listen", "127.0.0.1:0", "-turn-relay-ip", "nope"},
	} {
		cfg, err := parseConfig(append([]string{"-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-pipeline", "echo"}, args...), func(string) string { return "" })
		if err != nil {
			continue // refused while parsing: fine
		}
		// Cancelled: a server that did start returns at once, with no error.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = run(ctx, cfg, zerolog.Nop(), nil)
		if err == nil {
			t.Errorf("%v: the server started", args)
		}
		t.Logf("%v: %v", args, err)
	}
}
