package dialogue

import (
	"time"

	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
)

// clientTurnMax bounds a turn the client never commits: the recogniser
// is not fed for ever; the turn ends there as if the VAD had ended it
// (its reply still waits for response.create).
const clientTurnMax = time.Minute

// Client-committed turns (an OpenAI Realtime client with turn_detection
// null): the VAD still hears where speech starts, so the recogniser gets
// the audio, but only the client's commit ends the turn, speech does not
// barge in (the client cancels), and a spoken turn's reply waits for the
// client's response.create.

// setClientTurns switches client-committed turns on or off.
func (e *engine) setClientTurns(on bool) {
	if e.clientTurns == on {
		return
	}
	e.clientTurns = on
	e.log.Info().Bool("client_turns", on).Msg("turn taking changed")
	if !on && e.held != nil {
		// Back to the server's turns: a turn still waiting is answered.
		h := e.held
		e.held = nil
		h()
	}
}

// manualTurn makes the user turn just started by the VAD a client-ended
// one that does not interrupt the reply.
func (e *engine) manualTurn() {
	if u := e.user; u != nil && !u.ptt {
		u.manual, u.over = true, nil
	}
}

// commitTurn ends the user's spoken turn now, whatever the VAD says.
func (e *engine) commitTurn() {
	u := e.user
	if u == nil || u.ptt {
		e.emit(pipeline.Error{Code: pipeline.CodeBadMessage, Message: "input audio commit: no speech since the last commit"})
		return
	}
	u.manual = u.manual || e.clientTurns
	u.committed = true
	e.det.Reset()
	e.endUser()
}

// clearTurn drops the user's turn being spoken, unheard.
func (e *engine) clearTurn() {
	u := e.user
	if u == nil || u.ptt {
		return
	}
	e.user = nil
	e.det.Reset()
	e.eyes.speaking(false)
	_ = u.stream.Close()
	if u.over != nil && u.over == e.reply {
		e.resume()
	}
	if r := e.reply; r != nil {
		e.setState(replyState(r))
	} else {
		e.setState(pipeline.StateListening)
	}
}

// respond answers the committed turn (the client's response.create): at
// once when its transcript is in, else as soon as it is.
func (e *engine) respond() {
	switch {
	case e.reply != nil:
		e.emit(pipeline.Error{Code: pipeline.CodeBadMessage, Message: "response.create: a reply is already in progress"})
	case e.held != nil:
		h := e.held
		e.held = nil
		h()
	case e.finishing != nil:
		e.respondPending = true
	default:
		e.emit(pipeline.Error{Code: pipeline.CodeBadMessage, Message: "response.create: no user turn to answer"})
	}
}

// nothingToAnswer: a committed turn transcribed to nothing; a
// response.create waiting for it fails.
func (e *engine) nothingToAnswer() {
	if e.respondPending {
		e.respondPending = false
		e.emit(pipeline.Error{Code: pipeline.CodeBadMessage, Message: "response.create: nothing was heard in the committed audio"})
	}
}

// capClientTurn counts a manual turn's frames and ends it at clientTurnMax.
func (e *engine) capClientTurn() {
	u := e.user
	u.frames++
	if time.Duration(u.frames)*media.FrameDuration >= clientTurnMax {
		e.log.Info().Dur("after", clientTurnMax).Msg("client turn never committed: ended")
		e.det.Reset()
		e.endUser()
	}
}
