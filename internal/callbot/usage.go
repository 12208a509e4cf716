package callbot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// usageProbe reads a process's CPU time and resident memory.
type usageProbe interface {
	// sample returns the CPU seconds used so far (user + system) and the
	// resident set size in bytes.
	sample(ctx context.Context) (cpuSeconds float64, rss int64, err error)
	source() string
}

// procProbe reads /proc/PID (any process on this machine, Go or not).
type procProbe struct{ pid int }

func (p procProbe) source() string { return fmt.Sprintf("/proc/%d", p.pid) }

func (p procProbe) sample(context.Context) (float64, int64, error) {
	return procUsage(p.pid)
}

// procUsage reads utime+stime from /proc/PID/stat and the RSS from
// /proc/PID/statm.
func procUsage(pid int) (float64, int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: fields
	// are counted after its closing parenthesis.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseUint(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	m, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0, 0, err
	}
	mf := strings.Fields(string(m))
	if len(mf) < 2 {
		return 0, 0, fmt.Errorf("/proc/%d/statm: %q", pid, m)
	}
	pages, err := strconv.ParseInt(mf[1], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/statm: %w", pid, err)
	}
	return float64(utime+stime) / clockTicks, pages * int64(os.Getpagesize()), nil
}

// machineBusy returns the CPU seconds all processors of this machine have
// spent busy (not idle, not waiting for I/O), from /proc/stat.
func machineBusy() (float64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: %q", line)
	}
	var busy uint64
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest time is in user already
			continue
		}
		busy += n
	}
	return float64(busy) / clockTicks, nil
}

// metricsProbe reads the Prometheus process collector's figures from the
// server's /metrics.
type metricsProbe struct {
	url string
	hc  *http.Client
}

func (p metricsProbe) source() string { return p.url }

func (p metricsProbe) sample(ctx context.Context) (float64, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET %s: %s", p.url, resp.Status)
	}
	cpu, rss, err := parseProcessMetrics(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return 0, 0, fmt.Errorf("GET %s: %w", p.url, err)
	}
	return cpu, rss, nil
}

// parseProcessMetrics finds process_cpu_seconds_total and
// process_resident_memory_bytes in Prometheus text format.
func parseProcessMetrics(r io.Reader) (float64, int64, error) {
	var (
		cpu, rss         float64
		haveCPU, haveRSS bool
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(val)[0], 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_cpu_seconds_total":
			cpu, haveCPU = v, true
		case "process_resident_memory_bytes":
			rss, haveRSS = v, true
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if !haveCPU || !haveRSS {
		return 0, 0, errors.New("no process_cpu_seconds_total / process_resident_memory_bytes")
	}
	return cpu, int64(rss), nil
}
