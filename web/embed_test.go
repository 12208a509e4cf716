package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestIndex(t *testing.T) {
	res, body := get(t, "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / status = %d, want 200", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET / Content-Type = %q, want text/html", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("GET / Cache-Control = %q, want no-cache", cc)
	}
	if !strings.Contains(body, "<title>Duplex</title>") {
		t.Errorf("GET / body has no <title>Duplex</title>")
	}
	for _, ref := range []string{`src="app.js"`, `href="style.css"`} {
		if !strings.Contains(body, ref) {
			t.Errorf("index.html does not reference %s", ref)
		}
	}
}

func TestAssets(t *testing.T) {
	for _, tc := range []struct{ path, ctype string }{
		{"/app.js", "javascript"},
		{"/style.css", "text/css"},
	} {
		res, body := get(t, tc.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s status = %d, want 200", tc.path, res.StatusCode)
			continue
		}
		if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, tc.ctype) {
			t.Errorf("GET %s Content-Type = %q, want it to contain %q", tc.path, ct, tc.ctype)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s Cache-Control = %q, want no-cache", tc.path, cc)
		}
		if len(body) == 0 {
			t.Errorf("GET %s: empty body", tc.path)
		}
	}
}

func TestNoExternalResources(t *testing.T) {
	for _, p := range []string{"/", "/app.js", "/style.css"} {
		_, body := get(t, p)
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q: the client must load nothing from outside the server", p, bad)
			}
		}
	}
}

func TestUnknownPath(t *testing.T) {
	for _, p := range []string{"/nope.js", "/static/app.js", "/v1/calls"} {
		res, _ := get(t, p)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s status = %d, want 404", p, res.StatusCode)
		}
	}
}
