// Package clients holds the tests that run the official client libraries
// Duplex speaks to — @openai/agents-realtime (OpenAI Realtime over WebRTC)
// and @pipecat-ai/client-js with @pipecat-ai/small-webrtc-transport (RTVI
// over SmallWebRTC) — in headless Chromium. The libraries are pinned in
// package.json / package-lock.json and bundled for the browser into build/
// by build.mjs; scripts/deps.sh (make deps) installs and builds them.
//
// live_test.go runs each client against a real Duplex server (signaling,
// session and the offline assistant in process, loopback only) with a
// spoken fake microphone: the client's own API must report the user's
// transcript and the reply, reply audio must arrive (WebRTC stats), and a
// barge-in over a story must show as Pipecat and the SDK report one; the
// SDK's still (addImage) must be what the next turn sees, and with
// turn_detection null its own commit and response.create must drive the
// turn. A scripted wrapper of the offline model keeps the conversation's
// shape whatever the recogniser hears (live_test.go, storyTeller). The
// other tests check that each bundle loads and its classes construct,
// that the requests the clients send match docs/clients.md, that encoded
// turns replay into the SDK's history and Pipecat's callbacks, and that
// Pipecat's mic works with a media manager that needs no network.
package clients
