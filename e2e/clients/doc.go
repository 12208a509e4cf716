// Package clients holds the tests that run the official client libraries
// Duplex speaks to — @openai/agents-realtime (OpenAI Realtime over WebRTC)
// and @pipecat-ai/client-js with @pipecat-ai/small-webrtc-transport (RTVI
// over SmallWebRTC) — in headless Chromium. The libraries are pinned in
// package.json / package-lock.json and bundled for the browser into build/
// by build.mjs; scripts/deps.sh (make deps) installs and builds them.
//
// The protocol tests against a Duplex server come with the two codecs;
// what runs now checks that each bundle loads and its classes construct,
// that the requests the clients send match docs/clients.md, that a turn
// encoded by package realtime replays into the SDK's session history, that
// messages encoded by package rtvi reach Pipecat's callbacks, and
// that Pipecat's mic works with a media manager that needs no network.
package clients
