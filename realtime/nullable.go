package realtime

import (
	"bytes"
	"encoding/json"
)

// Nullable is a JSON field where absent, null and a value mean three
// different things, e.g. audio.input.turn_detection: absent leaves the
// setting alone, null turns server VAD off, an object sets it. Use it with
// `json:",omitzero"` so an absent field stays absent on the wire.
type Nullable[T any] struct {
	Present bool // the key was in the JSON
	Value   *T   // nil when the JSON value was null
}

// Some is a present, non-null value.
func Some[T any](v T) Nullable[T] { return Nullable[T]{Present: true, Value: &v} }

// Null is a present JSON null.
func Null[T any]() Nullable[T] { return Nullable[T]{Present: true} }

// IsZero reports an absent field (for omitzero).
func (n Nullable[T]) IsZero() bool { return !n.Present }

// IsNull reports a present JSON null.
func (n Nullable[T]) IsNull() bool { return n.Present && n.Value == nil }

// MarshalJSON writes the value, or null.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if n.Value == nil {
		return []byte("null"), nil
	}
	return json.Marshal(*n.Value)
}

// UnmarshalJSON is called only for a key that is present, null included.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Present = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}
