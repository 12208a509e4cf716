// Package realtime holds the wire types of the OpenAI Realtime API (GA
// dialect) that Duplex serves on the WebRTC "oai-events" data channel and
// that the speech-to-speech backend speaks as a client: the session object,
// conversation items and their content parts, response objects, the error
// object with typed codes, every client and server event Duplex sends or
// accepts, an event-id generator, and the two parsers (ParseClientEvent for
// the server side, ParseServerEvent for the client side, which also accepts
// the beta event names).
//
// It is a leaf: JSON in, typed values out; no I/O. The shapes follow the
// API reference (platform.openai.com/docs/api-reference/realtime) and the
// official clients as read in docs/clients.md.
package realtime
