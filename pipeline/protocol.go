package pipeline

// Protocol is one client wire protocol (a codec): it turns a call's events
// into wire messages and client messages into commands. A session makes
// one per call; Encode is called from one goroutine and Decode from
// another, so a codec with state shared between them must guard it.
type Protocol interface {
	// Name is the protocol's name, e.g. the data channel label "events".
	Name() string
	// Encode returns the text messages that carry ev (none if the
	// protocol has nothing to say about it).
	Encode(ev Event) ([][]byte, error)
	// Decode parses one client message. A message the client got wrong
	// returns an *Error, which the session sends back through Encode.
	Decode(msg []byte, text bool) (Command, error)
}

// Opener is a Protocol with commands for the pipeline when its channel
// opens, e.g. the session defaults a client key was minted with.
type Opener interface {
	Open() []Command
}
