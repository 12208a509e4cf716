package callbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

const (
	maxAnswerBytes = 1 << 20
	maxErrorBytes  = 64 << 10
)

// SignalingError is returned by Run when the server refused the offer.
type SignalingError struct {
	Method  string
	URL     string
	Status  int    // HTTP status code
	Message string // the server's {"error": …} text, or the start of its body
}

func (e *SignalingError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "(no error message)"
	}
	return fmt.Sprintf("callbot: %s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), msg)
}

// callsURL is {server}/v1/calls, keeping any path prefix of the server URL.
func callsURL(server string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil {
		return nil, fmt.Errorf("callbot: server URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("callbot: server URL %q: need http:// or https:// and a host", server)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/v1/calls"
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}

// postOffer sends the offer and returns the answer SDP and the call URL.
func postOffer(ctx context.Context, hc *http.Client, endpoint *url.URL, token, offer string) (answer, callURL string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), strings.NewReader(offer))
	if err != nil {
		return "", "", fmt.Errorf("callbot: %w", err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Accept", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("callbot: %w", err) // *url.Error names method and URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", "", &SignalingError{Method: http.MethodPost, URL: endpoint.String(), Status: resp.StatusCode, Message: errorText(resp.Body)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return "", "", fmt.Errorf("callbot: POST %s: reading the answer: %w", endpoint, err)
	}
	if len(body) > maxAnswerBytes {
		return "", "", fmt.Errorf("callbot: POST %s: answer larger than %d bytes", endpoint, maxAnswerBytes)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := endpoint.Parse(loc)
		if err != nil {
			return "", "", fmt.Errorf("callbot: POST %s: bad Location %q: %w", endpoint, loc, err)
		}
		callURL = u.String()
	}
	return string(body), callURL, nil
}

// errorText extracts {"error": "..."} from an error body, or its start.
func errorText(r io.Reader) string {
	body, _ := io.ReadAll(io.LimitReader(r, maxErrorBytes))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	s := strings.TrimSpace(string(bytes.ToValidUTF8(body, []byte("?"))))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// hangUp deletes the call. 404/410 mean the server already ended it.
func hangUp(ctx context.Context, hc *http.Client, callURL, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, callURL, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBytes))
		return nil
	}
	return &SignalingError{Method: http.MethodDelete, URL: callURL, Status: resp.StatusCode, Message: errorText(resp.Body)}
}

var errNoLocation = errors.New("the server's 201 carried no Location header, so the call cannot be hung up")

// clientOr returns hc, or else a private client (up to idlePerHost idle
// connections per host; 0: Go's default) and the func that closes its idle
// connections.
func clientOr(hc *http.Client, idlePerHost int) (*http.Client, func()) {
	if hc != nil {
		return hc, func() {}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if idlePerHost > 0 {
		tr.MaxIdleConnsPerHost = idlePerHost
	}
	return &http.Client{Transport: tr}, tr.CloseIdleConnections
}
