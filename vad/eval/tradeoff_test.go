package eval

import (
	"math"
	"testing"
)

func TestAUC(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		{"separated", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"reversed", []float64{0.1, 0.2, 0.8, 0.9}, []bool{true, true, false, false}, 0},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []bool{true, false, true, false}, 0.5},
		// Pairs (pos, neg): (0.3, 0.1) win, (0.3, 0.3) tie, (0.3, 0.7) loss;
		// (0.9, each) three wins: 4.5 of 6.
		{"mixed with a tie", []float64{0.1, 0.3, 0.3, 0.7, 0.9}, []bool{false, true, false, false, true}, 4.5 / 6},
		{"one class", []float64{0.1, 0.2}, []bool{true, true}, 0.5},
		{"empty", nil, nil, 0.5},
	}
	for _, c := range cases {
		if got := AUC(c.scores, c.labels); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: AUC %v, want %v", c.name, got, c.want)
		}
	}
}
