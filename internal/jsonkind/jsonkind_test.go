package jsonkind

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestOf(t *testing.T) {
	var p *int
	for _, tc := range []struct {
		v    any
		want string
	}{{"", "a string"}, {true, "a boolean"}, {uint8(1), "an integer"}, {p, "an integer"}, {1.5, "a number"},
		{[]int{}, "an array"}, {[2]int{}, "an array"}, {map[string]int{}, "an object"}, {struct{}{}, "an object"}} {
		if got := Of(reflect.TypeOf(tc.v)); got != tc.want {
			t.Errorf("Of(%T) = %q, want %q", tc.v, got, tc.want)
		}
	}
	if !IsNull(json.RawMessage(" null\n")) || IsNull(json.RawMessage(`"null"`)) || IsNull(nil) {
		t.Error("IsNull")
	}
}
