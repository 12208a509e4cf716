// Package browser holds the real-browser end-to-end tests of Duplex: a
// headless Chromium, driven with chromedp, loads the embedded web client
// from an in-process server on loopback and places calls with fake media
// (an espeak-ng WAV as the microphone, a generated Y4M as the camera).
//
// The tests need Debian's chromium (or $DUPLEX_CHROMIUM) and espeak-ng.
// Without them they skip, or fail when the environment variable CI is set. Set
// DUPLEX_E2E_SCREENSHOTS to a directory to keep the final screenshot of
// every test there (by default they go to the test's temporary directory,
// which is removed when the test ends).
package browser
