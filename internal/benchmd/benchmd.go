// Package benchmd holds what the measurement commands (cmd/bench,
// cmd/vad-eval, cmd/stt-eval) share when they write BENCHMARKS.md: the
// machine's description and the replacement of one marked section.
package benchmd

import (
	"errors"
	"os"
	"strings"
)

// CPU returns the CPU model and the number of logical cores from
// /proc/cpuinfo ("unknown CPU" and 0 when it cannot be read).
func CPU() (model string, cores int) {
	model = "unknown CPU"
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return model, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			model = strings.TrimSpace(v)
		case "processor":
			cores++
		}
	}
	return model, cores
}

// WriteSection replaces the text between <!-- name:begin --> and
// <!-- name:end --> in path with body. When the markers are absent it
// appends heading (if any) and the marked section, creating the file with
// a "# Benchmarks" title if needed.
func WriteSection(path, name, heading, body string) error {
	begin, end := "<!-- "+name+":begin -->", "<!-- "+name+":end -->"
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(old)
	block := begin + "\n" + body + end
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i >= 0 && j > i {
		s = s[:i] + block + s[j+len(end):]
	} else {
		if s == "" {
			s = "# Benchmarks\n"
		}
		if !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		if heading != "" {
			s += "\n" + heading + "\n"
		}
		s += "\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// CPUModel returns the CPU model alone.
func CPUModel() string {
	model, _ := CPU()
	return model
}
