// Package web serves the browser client: a single page (index.html, app.js,
// style.css) embedded in the binary. It has no build step and loads nothing
// from outside the server.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var staticFiles embed.FS

// Handler serves the embedded client. "/" is index.html; any path that is
// not one of the embedded files is 404. Every response carries
// Cache-Control: no-cache so a redeployed server is picked up on reload.
// Content types come from the file extension (.html, .js, .css).
func Handler() http.Handler {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		// Cannot happen: "static" is embedded at build time.
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
