package local

import (
	"fmt"
	"strings"

	"github.com/duplex-ai/duplex/llm"
)

// Fixed replies.
const (
	helpReply = "I'm running offline with a few built-in skills. I can tell you the time or the date, " +
		"do arithmetic like twelve times seven, describe the colours and light my camera sees, " +
		"repeat what you just said, or tell you a story. You can interrupt me at any time."
	greetSkills   = "I'm an offline assistant: I can tell the time and date, do simple maths, describe what my camera sees, or tell a story."
	fallbackReply = "Sorry, I can't answer that. I'm running offline with a few built-in skills: " +
		"the time, the date, arithmetic, the camera, and stories. " +
		"For open questions, connect a model server with -llm openai -llm-url http://localhost:11434/v1, that's Ollama."
	emptyReply = "Sorry, I didn't catch that. Could you say it again?"
	// canDo follows what was heard but not understood.
	canDo = "Offline I can tell the time and date, do sums, remember what you said, tell a story, and describe colours the camera sees."
	// notCaught answers speech even the general model was unsure of.
	notCaught = "Sorry, I didn't catch that."
	// MinQuoteConfidence is the recogniser's confidence a turn it did not
	// understand needs for the reply to quote it.
	MinQuoteConfidence = 0.3
)

var (
	ackWords = setOf("okay", "yeah", "yes", "yep", "yup", "right", "sure", "fine", "good", "great", "cool",
		"nice", "all", "got", "it", "i", "see", "uh", "huh", "mm", "hmm", "mhm", "alright", "oh", "ah",
		"really", "wow", "perfect", "understood", "no", "nope", "well")
	thanksWords   = setOf("thanks", "thank", "you", "very", "much", "so", "a", "lot", "cheers", "okay", "great")
	greetingWords = setOf("hello", "hi", "hey", "hiya", "howdy", "greetings", "there", "good", "morning",
		"afternoon", "evening", "yo", "hallo", "helo", "hullo", "assistant", "duplex", "how", "are", "you", "doing", "is", "it", "going")
	// stopWords: the user wants the assistant to stop or hold on (often said
	// over a reply); the answer is a short acknowledgement, not the
	// fallback's speech.
	stopWords = setOf("stop", "wait", "please", "talking", "speaking", "be", "quiet", "cancel", "never", "mind",
		"enough", "that's", "thats", "that", "is", "hold", "on", "shut", "up", "pause", "okay", "ok", "now", "it",
		"a", "second", "moment", "minute", "just", "sec")
	byeWords = setOf("bye", "goodbye", "good", "night", "see", "you", "later", "bye-bye", "cheers", "okay", "then", "for", "now")
)

// skill answers one kind of request.
type skill struct {
	name   string
	match  func(w words) bool
	answer func(w words, req llm.Request) string
}

// skills are tried in order; the first match answers.
var skills = []skill{
	{"camera", isCamera, func(_ words, r llm.Request) string { return describe(r) }},
	{"story", isStory, func(_ words, r llm.Request) string { return pickStory(r) }},
	{"repeat-me", isRepeatMe, func(_ words, r llm.Request) string { return repeatUser(r) }},
	{"repeat-you", isRepeatYou, func(_ words, r llm.Request) string { return repeatAssistant(r) }},
	{"arithmetic", isArithmetic, func(w words, _ llm.Request) string { p, _ := parseArithmetic(w.toks); return p.answer() }},
	{"time", isTime, func(_ words, r llm.Request) string { return "It's " + r.Now.Format("3:04 PM") + "." }},
	{"date", isDate, func(_ words, r llm.Request) string {
		return "Today is " + r.Now.Format("Monday, January 2, 2006") + "."
	}},
	{"help", isHelp, func(words, llm.Request) string { return helpReply }},
	{"thanks", func(w words) bool { return w.has("thanks", "thank", "cheers") && w.only(thanksWords) }, func(words, llm.Request) string { return "You're welcome." }},
	{"goodbye", func(w words) bool { return w.has("bye", "goodbye", "night", "later") && w.only(byeWords) }, func(words, llm.Request) string { return "Goodbye! Talk to you soon." }},
	{"stop", func(w words) bool {
		return w.has("stop", "wait", "quiet", "cancel", "enough", "mind", "hold", "shut", "pause") && w.only(stopWords)
	}, func(words, llm.Request) string { return "Okay." }},
	{"greeting", isGreeting, greet},
	{"ack", func(w words) bool { return w.only(ackWords) }, func(words, llm.Request) string { return "Okay." }},
}

// heardSkills are the skills a turn the grammar rejected may still get:
// those asked for by whole phrases, which an unconstrained recogniser does
// not produce by chance (no sums, greetings or one-word acknowledgements).
var heardSkills = []skill{
	{"camera", func(w words) bool {
		return w.phrase("what do you see", "what can you see", "what you see", "what am i holding", "what color is", "describe what")
	}, func(_ words, r llm.Request) string { return describe(r) }},
	{"time", func(w words) bool {
		return w.phrase("what time is it", "what's the time", "what is the time", "tell me the time")
	},
		func(_ words, r llm.Request) string { return "It's " + r.Now.Format("3:04 PM") + "." }},
	{"date", func(w words) bool {
		return w.phrase("what is the date", "what's the date", "what day is it", "what day is today")
	},
		func(_ words, r llm.Request) string {
			return "Today is " + r.Now.Format("Monday, January 2, 2006") + "."
		}},
	{"story", func(w words) bool { return w.phrase("tell me a story", "tell me a fairy tale") },
		func(_ words, r llm.Request) string { return pickStory(r) }},
}

// respond picks the reply for the last user turn.
func respond(req llm.Request) (skillName, reply string) {
	last := req.History[len(req.History)-1]
	if last.NotUnderstood {
		// Speech outside the grammar: say what was heard, never a skill
		// answer made up from it — unless the general model's own words
		// ask for a skill in so many words ("what do you see").
		text := strings.TrimSpace(last.Text)
		if text == "" || last.Confidence < MinQuoteConfidence {
			return "not-caught", notCaught
		}
		w := newWords(text)
		for _, s := range heardSkills {
			if s.match(w) {
				return s.name, s.answer(w, req)
			}
		}
		return "heard", heard(text)
	}
	w := newWords(last.Text)
	if len(w.toks) == 0 {
		return "empty", emptyReply
	}
	if isDigits(w) {
		return "digits", heard(strings.Join(w.toks, " "))
	}
	for _, s := range skills {
		if s.match(w) {
			return s.name, s.answer(w, req)
		}
	}
	return "fallback", fallbackReply
}

// heard quotes what was heard and says what the offline brain can do.
func heard(text string) string {
	return "I heard '" + strings.TrimRight(text, ".!?") + "'. " + canDo
}

// isDigits: the turn is only a string of digits (a phone number, a code),
// as the recogniser writes spoken digit runs; not a sum to work out.
func isDigits(w words) bool {
	for _, t := range w.toks {
		for _, r := range t {
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	return true
}

func isCamera(w words) bool {
	return w.phrase("what do you see", "what can you see", "can you see", "do you see", "what you see",
		"look at this", "look at that", "look at me", "take a look", "have a look", "what is this", "what is that",
		"what am i holding", "what am i looking at", "describe", "what color", "what colors", "camera", "in front of me",
		"what does it look like", "how do i look", "what changed", "see this", "see that")
}

func isStory(w words) bool {
	for _, t := range w.toks {
		if strings.HasPrefix(t, "stor") || t == "fairytale" || t == "tale" {
			return true
		}
	}
	return w.phrase("fairy tale", "once upon a time")
}

func isRepeatMe(w words) bool {
	return w.phrase("what did i say", "what did i just say", "what i said", "what i just said", "what was i saying",
		"what did i tell you", "what did i ask", "what did i just ask", "what was my last", "repeat me", "what have i said",
		"did i just say", "did i say", "do you remember what i")
}

func isRepeatYou(w words) bool {
	return w.phrase("what did you say", "what did you just say", "say that again", "repeat that", "repeat yourself",
		"say it again", "come again", "what was that", "repeat please", "please repeat", "pardon") ||
		w.only(setOf("sorry", "pardon", "what", "huh", "again", "repeat", "please", "say"))
}

func isArithmetic(w words) bool {
	_, ok := parseArithmetic(w.toks)
	return ok
}

func isTime(w words) bool {
	if w.phrase("what time", "the time", "time is it", "time it is", "current time", "time now", "time please", "what hour", "clock") {
		return true
	}
	return w.has("time") && w.has("what", "tell", "know", "say")
}

func isDate(w words) bool {
	return w.has("date") ||
		w.phrase("what day", "which day", "day is it", "day is today", "day today", "what is today", "today is what",
			"what month", "which month", "what year", "which year", "day of the week")
}

func isHelp(w words) bool {
	return w.has("help") || w.phrase("what can you do", "what do you do", "what are you able", "what are your skills",
		"what skills", "what can i ask", "what can i say", "how do you work", "who are you", "what are you", "your skills",
		"what else can you", "can you do")
}

func isGreeting(w words) bool {
	return w.has("hello", "hi", "hey", "hiya", "howdy", "greetings", "hallo", "helo", "hullo", "yo") && w.only(greetingWords) ||
		w.phrase("good morning", "good afternoon", "good evening", "how are you") && w.only(greetingWords)
}

func greet(w words, _ llm.Request) string {
	hello := "Hello!"
	for _, p := range []string{"morning", "afternoon", "evening"} {
		if w.phrase("good " + p) {
			hello = "Good " + p + "!"
		}
	}
	if w.phrase("how are you") {
		hello += " I'm fine, thank you."
	}
	return hello + " " + greetSkills
}

// previous returns the last message of role before the new user turn.
func previous(req llm.Request, role llm.Role) (llm.Message, bool) {
	for i := len(req.History) - 2; i >= 0; i-- {
		m := req.History[i]
		if m.Role == role && strings.TrimSpace(m.Text) != "" {
			return m, true
		}
	}
	return llm.Message{}, false
}

func repeatUser(req llm.Request) string {
	m, ok := previous(req, llm.RoleUser)
	if !ok {
		return "You haven't said anything before this, so there's nothing to repeat yet."
	}
	return fmt.Sprintf("You said: \"%s\".", strings.TrimRight(strings.TrimSpace(m.Text), ".!?"))
}

func repeatAssistant(req llm.Request) string {
	m, ok := previous(req, llm.RoleAssistant)
	if !ok {
		return "I haven't said anything yet."
	}
	text := strings.TrimSpace(m.Text)
	if m.Interrupted {
		return "I was saying: " + text + " … and then you stopped me."
	}
	return "I said: " + text
}

// pickStory tells the stories in turn: the next one after the last told.
func pickStory(req llm.Request) string {
	told := 0
	for _, m := range req.History {
		if m.Role != llm.RoleAssistant {
			continue
		}
		for _, s := range stories {
			if len(m.Text) >= 40 && strings.HasPrefix(s, m.Text[:40]) {
				told++
			}
		}
	}
	return stories[told%len(stories)]
}
