package openai

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxSSELine caps one SSE line (a chat chunk is a few hundred bytes).
const maxSSELine = 1 << 20

// sseEvent is one server-sent event.
type sseEvent struct {
	Event string // the "event:" field, "" for the default "message"
	Data  string // "data:" lines joined with "\n"
}

// sseReader parses a text/event-stream as the WHATWG HTML spec defines it:
// lines end in LF, CRLF or CR; a blank line dispatches the event; "data:"
// lines accumulate (joined by LF); lines starting with ":" are comments
// (keep-alives); one space after the colon is dropped; unknown fields are
// ignored. Events may arrive split across any number of reads.
type sseReader struct {
	sc *bufio.Scanner
}

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSSELine)
	sc.Split(scanSSELines)
	return &sseReader{sc: sc}
}

// next returns the next event with data. At the end of the body it returns
// io.EOF, or io.ErrUnexpectedEOF when data lines were pending without the
// blank line that ends an event.
func (r *sseReader) next() (sseEvent, error) {
	var (
		ev      sseEvent
		data    strings.Builder
		hasData bool
	)
	for r.sc.Scan() {
		line := r.sc.Bytes()
		if len(line) == 0 {
			if hasData {
				ev.Data = data.String()
				return ev, nil
			}
			ev = sseEvent{} // an event without data is not dispatched
			continue
		}
		if line[0] == ':' {
			continue // comment, e.g. ": keep-alive"
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			value = bytes.TrimPrefix(value, []byte(" "))
		}
		switch string(field) {
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			hasData = true
		case "event":
			ev.Event = string(value)
		}
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return sseEvent{}, fmt.Errorf("%w: an SSE line is longer than %d bytes", ErrBadResponse, maxSSELine)
		}
		return sseEvent{}, err
	}
	if hasData {
		ev.Data = data.String()
		return ev, io.ErrUnexpectedEOF
	}
	return sseEvent{}, io.EOF
}

// scanSSELines splits on LF, CRLF or a lone CR. A CR at the end of the
// buffer waits for more data to tell CR from CRLF.
func scanSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
