package dialogue

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the dialogue engine's Prometheus collectors, shared by all
// calls. Register them with Register.
type Metrics struct {
	TurnLatency   prometheus.Histogram
	StageSeconds  *prometheus.HistogramVec
	Turns         prometheus.Counter
	Interruptions *prometheus.CounterVec
	Errors        *prometheus.CounterVec
}

// NewMetrics builds the collectors.
func NewMetrics() *Metrics {
	buckets := []float64{.05, .1, .15, .2, .25, .3, .35, .4, .45, .5, .56, .65, .75, 1, 1.5, 2, 3, 5, 10}
	return &Metrics{
		TurnLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "duplex_turn_latency_seconds", Help: "End of user speech to first reply audio sent.", Buckets: buckets,
		}),
		StageSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "duplex_turn_stage_seconds", Help: "Time spent per stage of a turn (endpoint, stt, llm_ttft, tts_ttfb).", Buckets: buckets,
		}, []string{"stage"}),
		Turns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "duplex_turns_total", Help: "User turns answered.",
		}),
		Interruptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duplex_interruptions_total", Help: "Replies paused by user speech, by outcome (interrupted, resumed, cancelled).",
		}, []string{"outcome"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duplex_stage_errors_total", Help: "Backend failures by stage (stt, llm, tts).",
		}, []string{"stage"}),
	}
}

// Register adds the collectors to r.
func (m *Metrics) Register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.TurnLatency, m.StageSeconds, m.Turns, m.Interruptions, m.Errors} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
