package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// runReport writes docs/PERFORMANCE.md (to stdout) from the JSON the other parts wrote, the Go benchmark
// output and the package.
func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	dir := fs.String("dir", "", "directory holding coldstart.json, warm.json, batch.json, gobench.txt")
	zip := fs.String("zip", "dist/main.zip", "the deployment package")
	bin := fs.String("bin", "bin/main", "the function binary")
	load := fs.String("load", "", "the load average before the run (/proc/loadavg)")
	fs.Parse(args)

	var cold ColdStart
	var warm Warm
	var batch Batch
	for name, v := range map[string]any{"coldstart.json": &cold, "warm.json": &warm, "batch.json": &batch} {
		if err := readJSON(*dir, name, v); err != nil {
			return err
		}
	}
	gobench, err := os.ReadFile(*dir + "/gobench.txt")
	if err != nil {
		return err
	}
	benches := parseBench(string(gobench))
	zipInfo, err := os.Stat(*zip)
	if err != nil {
		return err
	}
	binInfo, err := os.Stat(*bin)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	writeReport(w, reportData{cold: cold, warm: warm, batch: batch, benches: benches, gobench: string(gobench),
		zipBytes: zipInfo.Size(), binBytes: binInfo.Size(), loadBefore: strings.TrimSpace(*load)})
	return nil
}

type bench struct {
	nsOp, allocsOp, bytesOp, nsReset float64
}

// parseBench reads `go test -bench -benchmem` lines: name-P N value unit value unit ...
func parseBench(out string) map[string]bench {
	res := map[string]bench{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		var b bench
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				b.nsOp = v
			case "allocs/op":
				b.allocsOp = v
			case "B/op":
				b.bytesOp = v
			case "ns/reset":
				b.nsReset = v
			}
		}
		res[name] = b
	}
	return res
}

type reportData struct {
	cold               ColdStart
	warm               Warm
	batch              Batch
	benches            map[string]bench
	gobench            string
	zipBytes, binBytes int64
	loadBefore         string
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func writeReport(w io.Writer, d reportData) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	loadAfter := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		loadAfter = strings.Join(strings.Fields(string(b))[:3], " ")
	}

	p("# Performance")
	p("")
	p("Written by `make bench` (`bash bench/run.sh`) from scratch on every run; do not edit by hand. How each figure is")
	p("measured is in the notes below the table and in the comments of `bench/perf` and `handler/bench_test.go`. The")
	p("last section, before/after comparisons of code changes, is kept by hand in `bench/comparisons.md` and copied in.")
	p("")
	p("- **Command:** `make bench` (builds `bin/main` and `dist/main.zip`, runs the Go benchmarks, then `bench/perf coldstart|warm|batch` against the DTS emulator on loopback)")
	p("- **Date:** %s", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("- **Machine:** %d CPUs (`nproc`), %s (`/proc/cpuinfo`), %s/%s", runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH)
	p("- **Go:** %s", runtime.Version())
	if d.loadBefore != "" {
		p("- **Load average** before / after the run: %s / %s (other work on the machine shows up in the tails and in the cold starts)", d.loadBefore, loadAfter)
	}
	p("")

	direct, apigw, batch50, emu := d.benches["BenchmarkInvokeDirect"], d.benches["BenchmarkInvokeAPIGateway"], d.benches["BenchmarkInvokeBatch50"], d.benches["BenchmarkInvokeEmulator"]
	worstNs := max(direct.nsOp, apigw.nsOp, batch50.nsOp/50)
	worstAllocs := max(direct.allocsOp, apigw.allocsOp, batch50.allocsOp/50)
	rssKiB := max(d.cold.RSSKiB, d.warm.RSSKiB, d.batch.RSSKiB)
	const mb = 1_000_000
	throttleFailures := d.batch.FailCodes["RequestLimitExceeded"]
	throttledAnswers := 0
	for _, n := range d.batch.Throttled {
		throttledAnswers += n
	}
	accepted := float64(d.batch.Calls[d.batch.Busiest]-d.batch.Throttled[d.batch.Busiest]) / d.batch.DurationS

	coldGap := ""
	if d.cold.RefusedFirst.P50 > 15 {
		coldGap = fmt.Sprintf(" Gap %.1f ms. The smallest scf-go-lib function (`bench/floor`: exec, Go runtime, net/rpc server, nothing of ours) takes %.1f ms median to its first reply on this machine in the same run, so %.1f ms of the gap is this machine's floor and %.1f ms is ours: a 2× larger binary to page in (%.1f MB vs the floor's ~5.8 MB: the TencentCloud SDK, go-playground/validator and its mimetype/regexp dependencies, embedded tzdata) and package init (validator's, gob's for net/rpc); every client and the validator are already built lazily or once.",
			d.cold.RefusedFirst.P50-15, d.cold.FloorFirst.P50, max(0, d.cold.FloorFirst.P50-15), d.cold.RefusedFirst.P50-max(15, d.cold.FloorFirst.P50), float64(d.binBytes)/mb)
	}
	batchNote := fmt.Sprintf("Busiest action %s: %d calls in %.2f s (%.1f/s over the batch; %.1f/s after the first 20: the API admits 20 in any second, our client sends at most 19 in any 1.05 s); %.1f resets/s, all actions %.1f requests/s.",
		d.batch.Busiest, d.batch.Calls[d.batch.Busiest], d.batch.DurationS, d.batch.BusiestRPS, d.batch.SustainedRPS, d.batch.ResetsPerS, d.batch.TotalRPS)
	throttleNote := "No RequestLimitExceeded answer at the emulator."
	if throttledAnswers > 0 {
		throttleNote = fmt.Sprintf("0 failed items, but the emulator answered RequestLimitExceeded %d times (%v), which the SDK's bounded retries absorbed at the cost of a 250–350 ms sleep each. Our client limiter sends at most 19 calls of an action in any 1.05 s against the API's 20 per second, precisely to leave headroom for arrival jitter (see internal/dts NewClient); throttling here means the jitter exceeded that headroom on this run.",
			throttledAnswers, d.batch.Throttled)
	}

	p("## Figures against the targets")
	p("")
	p("| figure | measured | target | verdict / notes |")
	p("|---|---|---|---|")
	p("| cold start: exec → first reply (Ping, then Invoke of a refused event: `events/bad-subscribe-id.json`, rejected by validation without any API call), %d starts | median **%.1f ms**, p90 %.1f ms (Ping answered: median %.1f ms) | ≤ 15 ms median | %s.%s |",
		d.cold.Starts, d.cold.RefusedFirst.P50, d.cold.RefusedFirst.P90, d.cold.RefusedReady.P50, verdict(d.cold.RefusedFirst.P50 <= 15), coldGap)
	p("| cold start: exec → first reply of a real dry-run reset (`events/direct-dryrun-all.json`: 3 concurrent API calls on new connections to the emulator), %d starts | median **%.1f ms**, p90 %.1f ms | (≤ 15 ms median) | %s; includes the three API round trips to the emulator. |",
		d.cold.Starts, d.cold.DryRunFirst.P50, d.cold.DryRunFirst.P90, verdict(d.cold.DryRunFirst.P50 <= 15))
	overheadGap := ""
	if worstNs > 100_000 {
		overheadGap = fmt.Sprintf(" Gap %.1f µs on the API Gateway path, which costs %.0f allocations more than the direct one: decoding the event (`handler.DecodeEvent`: the shape probe, the whole HTTPEvent, the duplicate-key scan of the event with json.Decoder.Token), the bearer-token check and the integration-response envelope. Wall-clock ns/op also rises with the machine's load (see the load average above): rerun on a quiet machine before reading much into it.",
			worstNs/1000-100, apigw.allocsOp-direct.allocsOp)
	}
	p("| handler overhead per reset, API excluded (in-memory DTS port; decode, validate, precheck/plan/reset/verify, log line, encode) | direct %.1f µs, API Gateway %.1f µs, batch of 50: %.1f µs per reset | ≤ 100 µs | %s.%s |",
		direct.nsOp/1000, apigw.nsOp/1000, batch50.nsOp/50/1000, verdict(worstNs <= 100_000), overheadGap)
	p("| allocations per reset, API excluded | direct %.0f, API Gateway %.0f, batch of 50: %.0f per reset | ≤ 300 | %s |",
		direct.allocsOp, apigw.allocsOp, batch50.allocsOp/50, verdict(worstAllocs <= 300))
	p("| peak RSS of the function process (VmHWM) under load | **%.1f MB** (warm, checks on %.1f MB, off %.1f MB; batch %.1f MB; fresh process after its first reply %.1f MB) | ≤ 20 MB | %s |",
		float64(rssKiB)*1024/mb, float64(d.warm.On.RSSKiB)*1024/mb, float64(d.warm.Off.RSSKiB)*1024/mb, float64(d.batch.RSSKiB)*1024/mb, float64(d.cold.RSSKiB)*1024/mb, verdict(float64(rssKiB)*1024 <= 20*mb))
	p("| `dist/main.zip` | **%.2f MB** (%d bytes; `bin/main` %.2f MB) | ≤ 8 MB | %s |", float64(d.zipBytes)/mb, d.zipBytes, float64(d.binBytes)/mb, verdict(d.zipBytes <= 8*mb))
	p("| batch of %d resets against the emulator's 20 requests/s per action: accepted requests/s of the busiest action | **%.1f /s** | ≥ 18 /s | %s. %s |", d.batch.Resets, accepted, verdict(accepted >= 18), batchNote)
	p("| throttling failures in that batch | **%d** failed items with RequestLimitExceeded (%d failed items in all) | 0 | %s. %s |", throttleFailures, d.batch.Failed, verdict(throttleFailures == 0 && d.batch.Failed == 0), throttleNote)
	p("| sequential API round trips per applied reset, checks on | **%.2f** | ≤ 3 | %s: precheck (DescribeConsumerGroups ∥ DescribeSubscribeDetail ∥ DescribeOffsetByTime) → ResetConsumerGroupOffset → verify DescribeConsumerGroups. |",
		d.warm.SequentialRoundTrips, verdict(d.warm.SequentialRoundTrips <= 3))
	p("| warm latency through the protocol, checks on (%d invocations, one every %.0f ms) | p50 **%.2f ms**, p90 %.2f ms, p99 **%.2f ms**, max %.2f ms | — | %.2f API calls per reset: %s |",
		d.warm.On.Invocations, d.warm.On.IntervalMs, d.warm.On.Latency.P50, d.warm.On.Latency.P90, d.warm.On.Latency.P99, d.warm.On.Latency.Max, d.warm.On.CallsPerOp, callList(d.warm.On.Calls, d.warm.On.Invocations))
	p("| warm latency through the protocol, checks off (%d invocations, one every %.0f ms) | p50 **%.2f ms**, p90 %.2f ms, p99 **%.2f ms**, max %.2f ms | — | %.2f API calls per reset: %s |",
		d.warm.Off.Invocations, d.warm.Off.IntervalMs, d.warm.Off.Latency.P50, d.warm.Off.Latency.P90, d.warm.Off.Latency.P99, d.warm.Off.Latency.Max, d.warm.Off.CallsPerOp, callList(d.warm.Off.Calls, d.warm.Off.Invocations))
	p("| warm, checks on, back to back (%d invocations, no pacing) | p50 %.2f ms, p99 %.2f ms; %.1f resets/s | — | Our client limiter (19 calls per action in any 1.05 s, about 18/s, against the API's 20/s) at work: two DescribeConsumerGroups per reset cap a warm instance at about 9 resets/s once a window's calls are spent, by design (the API's own limit). |",
		d.warm.Unpaced.Invocations, d.warm.Unpaced.Latency.P50, d.warm.Unpaced.Latency.P99, d.warm.Unpaced.ResetsPerS)
	p("| full path in-process (`BenchmarkInvokeEmulator`: real client, signed HTTP on loopback, emulator + Kafka; client limiter raised) | %.0f µs per reset, %.0f allocs/op (both sides of the HTTP exchange and the emulator's Kafka admin calls) | — | |",
		emu.nsOp/1000, emu.allocsOp)
	p("")
	p("## How the figures are measured")
	p("")
	p("- **Cold start** (`bench/perf coldstart`): exec of `bin/main` with an SCF-like environment, dial of `_LAMBDA_SERVER_PORT` every 200 µs until it accepts, `Function.Ping`, then `Function.Invoke` with a 15 s deadline; the time is taken when the Invoke answer arrives. The process is killed after each start. The refused event goes through decode and validation (the lazily built validator included) and never reaches the API. The dry-run start also opens its connections to the emulator (rate limit off). `bench/floor` is timed the same way in the same loop, as the machine's floor.")
	p("- **Warm latency** (`bench/perf warm`): one long-lived function process, %d direct resets alternating earliest and latest on partitions 0–2 of the demo group (so the offsets really move and the verify step has work), each through `Function.Invoke`; the latency is the wall time of each net/rpc call, as the SCF runtime would see it. The emulator's rate limit is off; our client's limit (19 calls per action in any 1.05 s) is not, so invocations are paced start to start just under it (125 ms with checks on: two DescribeConsumerGroups per reset; 60 ms with checks off) — otherwise each invocation would measure the limiter's wait, which the back-to-back row shows separately. API calls per reset are the emulator's own `Calls(action)` deltas divided by the invocations.", d.warm.On.Invocations)
	p("- **Sequential round trips**: %d more resets with checks on, while a wrapper in front of the emulator holds every request %d ms, so calls sent together surely overlap; a request arriving while none is in flight starts a new round trip (latency of those resets: p50 %.1f ms ≈ %.1f × %d ms).",
		d.warm.ProbeResets, d.warm.ProbeDelayMs, d.warm.ProbeLatency.P50, d.warm.ProbeLatency.P50/float64(max(1, d.warm.ProbeDelayMs)), d.warm.ProbeDelayMs)
	p("- **Peak RSS**: `VmHWM` from `/proc/<pid>/status` of the function process at the end of each series (high-water mark of the whole process life).")
	p("- **Batch** (`bench/perf batch`): a fresh function process (checks on, the defaults) and one direct invocation of `{\"Resets\": [50 items]}` against the emulator with its limit of 20 requests/s per action on. RequestLimitExceeded answers are counted by a wrapper in front of the emulator (its own counter counts requests before the limit); failed items and their codes come from the reply.")
	p("- **Go benchmarks**: `go test -run '^$' -bench . -benchmem` in `handler` (`bench_test.go`), `internal/reset`, `internal/dts` and `validate`. The handler's benchmarks use a hand-written in-memory DTS port that answers at once, with precheck and verify on and the JSON outcome log line written to `io.Discard`.")
	p("")
	p("## Go benchmark output")
	p("")
	p("```")
	p("%s", strings.TrimSpace(d.gobench))
	p("```")
}

func callList(calls map[string]int, n int) string {
	keys := make([]string, 0, len(calls))
	for k := range calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if calls[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(calls[k])/float64(n)))
		}
	}
	return strings.Join(parts, ", ")
}
