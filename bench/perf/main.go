// Command perf measures the compiled function (bin/main) from outside, through scf-go-lib's net/rpc protocol,
// against the DTS emulator on loopback: cold start, warm latency and API round trips, peak RSS, and a batch
// against the API's rate limit. bench/run.sh runs every part and then `perf report`, which writes
// docs/PERFORMANCE.md. Each part prints what it measured and writes it as JSON for the report.
//
//	perf coldstart -bin bin/main -n 30 -out DIR
//	perf warm      -bin bin/main -n 500 -out DIR
//	perf batch     -bin bin/main -out DIR
//	perf memory    -bin bin/main -groups 120 -partitions 1024 -out DIR
//	perf report    -dir DIR -zip dist/main.zip -gobench DIR/gobench.txt > docs/PERFORMANCE.md
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "coldstart":
		err = runColdStart(os.Args[2:])
	case "warm":
		err = runWarm(os.Args[2:])
	case "batch":
		err = runBatch(os.Args[2:])
	case "memory":
		err = runMemory(os.Args[2:])
	case "report":
		err = runReport(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: perf coldstart|warm|batch|memory|report [flags] (see -h of each)")
	os.Exit(2)
}

// Stats summarises a sample of durations, in milliseconds.
type Stats struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

func summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	// Nearest rank: the smallest value at or above which q of the sample lies.
	q := func(p float64) float64 {
		i := int(float64(len(s))*p+0.999999) - 1
		return ms(s[max(0, min(i, len(s)-1))])
	}
	return Stats{N: len(s), P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: ms(s[len(s)-1]), Mean: ms(sum / time.Duration(len(s)))}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (s Stats) String() string {
	return fmt.Sprintf("n=%d p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms", s.N, s.P50, s.P90, s.P99, s.Max)
}

func writeJSON(dir, name string, v any) error {
	if dir == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644)
}

func readJSON(dir, name string, v any) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// vmHWM is the peak resident set size of pid, in KiB (VmHWM in /proc/<pid>/status).
func vmHWM(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	var kb int
	for _, line := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
