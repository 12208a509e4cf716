package codec

import (
	"strings"

	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/realtime"
)

// Client-committed turns (turn_detection null) and client stills; the
// caller holds c.mu.

// commit ends the user's spoken turn: committed at once, the item and its
// transcript when the recogniser is done.
func (c *Codec) commit(id string) pipeline.Command {
	u := c.user
	if u == nil || u.typed {
		return reply(&realtime.ErrorEvent{Error: realtime.ErrorObject{Type: realtime.ErrorTypeInvalidRequest,
			Code: realtime.CodeCommitEmpty, EventID: id, Message: "the input audio buffer holds no speech since the last commit"}})
	}
	u.committed = true
	c.user, c.committed = nil, u
	return pipeline.Command{Kind: pipeline.CmdInputAudioCommit,
		Reply: []realtime.Event{&realtime.InputAudioBufferCommitted{PreviousItemID: c.prev(), ItemID: u.id}}}
}

// clear drops the speech not yet committed.
func (c *Codec) clear() pipeline.Command {
	if c.user != nil && !c.user.typed {
		c.user = nil
	}
	return pipeline.Command{Kind: pipeline.CmdInputAudioClear, Reply: []realtime.Event{&realtime.InputAudioBufferCleared{}}}
}

// responseCreate asks the pipeline to answer the committed turn; the
// response's events come with its reply, an error names the request.
func (c *Codec) responseCreate(id string) pipeline.Command {
	if c.resp != nil || c.createID != "" {
		return reply(&realtime.ErrorEvent{Error: realtime.ErrorObject{Type: realtime.ErrorTypeInvalidRequest,
			Code: realtime.CodeActiveResponse, EventID: id, Message: "a response is already in progress"}})
	}
	c.createID = id
	return pipeline.Command{Kind: pipeline.CmdResponseCreate}
}

// pipelineError names the client event a pipeline's error answers.
func (c *Codec) pipelineError(e *realtime.ErrorEvent) {
	switch {
	case strings.HasPrefix(e.Error.Message, "response.create") && c.createID != "":
		e.Error.EventID, c.createID = c.createID, ""
	case strings.HasPrefix(e.Error.Message, "input audio commit"):
		e.Error.Code = realtime.CodeCommitEmpty
	}
}

// imageItem adds a user item holding only a picture: the next turn's.
func (c *Codec) imageItem(iid string, still *media.Snapshot) pipeline.Command {
	if iid == "" {
		iid = c.ids.Item()
	}
	prev := c.prev()
	item := realtime.Item{ID: iid, Object: "realtime.item", Type: realtime.ItemMessage, Role: realtime.RoleUser,
		Status: realtime.StatusCompleted, Content: []realtime.ContentPart{{Type: realtime.PartInputImage}}}
	c.last = iid
	c.remember(item)
	return pipeline.Command{Kind: pipeline.CmdInputImage, Image: still, Reply: []realtime.Event{
		&realtime.ConversationItemAdded{PreviousItemID: prev, Item: item},
		&realtime.ConversationItemDone{PreviousItemID: prev, Item: item},
	}}
}
