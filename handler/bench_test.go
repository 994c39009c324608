package handler

// Benchmarks of one invocation (issue 8). The Invoke* benchmarks with the in-memory port measure the
// handler's own work per invocation — decode the event, validate, plan through reset.Service (precheck,
// plan, execute, verify: every step on, as configured by default), log the outcome line, encode the reply —
// with a DTS port that answers at once, so that the figures exclude the API. BenchmarkInvokeEmulator is the
// full path: the real DTS client, signed HTTP on loopback, the emulator and its in-process Kafka.
//
// bench/run.sh runs them with -benchmem and writes the figures to docs/PERFORMANCE.md.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/dts"
	"dtsreset/internal/emulator"
	"dtsreset/internal/reset"
	"dtsreset/internal/testkit"
)

// benchToken is the bearer token of events/apigw-reset-earliest.json.
const benchToken = "demo-token-0123456789abcdef"

// benchDTS is the DTS port answering from fixed values, at once: the demo subscription's three partitions,
// every offset already at its earliest target, so the verify step succeeds at its first poll. Its answers are
// shared and never modified by the use case.
type benchDTS struct {
	page    reset.GroupPage
	offsets reset.Offsets
	sub     reset.Subscription
}

func newBenchDTS() *benchDTS {
	d := &benchDTS{sub: reset.Subscription{SubscribeID: testkit.SubscribeID, Topic: testkit.Topic, Status: "normal"}}
	g := reset.Group{Name: testkit.Group, State: "Empty"}
	for p := range 3 {
		d.offsets.Partitions = append(d.offsets.Partitions, reset.PartitionOffset{PartitionNo: p})
		// Committed at the log end (lag 0): a static port cannot move the offsets, so every mode's target
		// (latest's is offset + lag) must be where the group already is for the verify to pass.
		g.Partitions = append(g.Partitions, reset.PartitionState{PartitionNo: p})
	}
	d.page = reset.GroupPage{TotalCount: 1, Groups: []reset.Group{g}}
	return d
}

func (d *benchDTS) ConsumerGroupPage(context.Context, string, string, string, int, int) (reset.GroupPage, error) {
	return d.page, nil
}

func (d *benchDTS) DescribeOffsetByTime(context.Context, string, string, string) (reset.Offsets, error) {
	return d.offsets, nil
}

func (d *benchDTS) DescribeSubscribeDetail(context.Context, string, string) (reset.Subscription, error) {
	return d.sub, nil
}

func (d *benchDTS) ResetConsumerGroupOffset(context.Context, string, reset.ResetCall) (string, error) {
	return "4b1f0f4e-0000-4000-8000-00000000bench", nil
}

// benchHandler is the handler as main wires it (precheck and verify on, JSON log lines at info), on port.
func benchHandler(port reset.DTS) *Handler {
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc := reset.New(port, reset.Options{Precheck: true, Verify: true, Logger: logger})
	return New(svc, Options{APIToken: benchToken, Logger: logger})
}

func benchEvent(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "events", name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// batchEvent is a direct batch of n resets of the demo group, alternating earliest and latest.
func batchEvent(n int) []byte {
	items := make([]string, n)
	for i := range items {
		mode := "earliest"
		if i%2 == 1 {
			mode = "latest"
		}
		items[i] = fmt.Sprintf(`{"SubscribeId": %q, "TopicName": %q, "ConsumerGroupName": "g1", "PartitionNos": [0, 1, 2], "ResetMode": %q}`,
			testkit.SubscribeID, testkit.Topic, mode)
	}
	return []byte(`{"Resets": [` + strings.Join(items, ", ") + `]}`)
}

// runInvoke invokes h with event b.N times, failing on any error reply; resets is how many resets one
// event carries, for the per-reset metric.
func runInvoke(b *testing.B, h *Handler, event []byte, resets int, ok func([]byte) bool) {
	b.Helper()
	// SCF gives every invocation a deadline; the verify step sizes its window from it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if out, err := h.Invoke(ctx, event); err != nil || !ok(out) {
		b.Fatalf("Invoke: %v\n%s", err, out)
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := h.Invoke(ctx, event)
		if err != nil || len(out) == 0 {
			b.Fatalf("Invoke: %v", err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*resets), "ns/reset")
}

func verified(out []byte) bool { return strings.Contains(string(out), `"Verified":true`) }

// BenchmarkInvokeDirect is one reset of three partitions from a direct invocation.
func BenchmarkInvokeDirect(b *testing.B) {
	runInvoke(b, benchHandler(newBenchDTS()), benchEvent(b, "direct-reset-earliest.json"), 1, verified)
}

// BenchmarkInvokeAPIGateway is the same reset from an API Gateway event: bearer token, integration response.
func BenchmarkInvokeAPIGateway(b *testing.B) {
	runInvoke(b, benchHandler(newBenchDTS()), benchEvent(b, "apigw-reset-earliest.json"), 1, func(out []byte) bool {
		return strings.Contains(string(out), `"statusCode":200`) && strings.Contains(string(out), `\"Verified\":true`)
	})
}

// BenchmarkInvokeBatch50 is a batch of 50 resets in one direct invocation; ns/reset divides by 50 (and so
// does docs/PERFORMANCE.md for allocs/op).
func BenchmarkInvokeBatch50(b *testing.B) {
	runInvoke(b, benchHandler(newBenchDTS()), batchEvent(50), 50, func(out []byte) bool {
		return strings.Contains(string(out), `"Failed":0`)
	})
}

// BenchmarkInvokeEmulator is the full path of one reset (precheck, plan, reset, verify: 5 API calls) against
// the in-process emulator over loopback HTTP. The client's own limit of 20 requests/s per action is raised
// here, or the benchmark would measure our pacing (10 resets/s: two DescribeConsumerGroups each) instead of
// the path; bench/run.sh measures the paced latency through the SCF protocol.
func BenchmarkInvokeEmulator(b *testing.B) {
	if testing.Short() {
		b.Skip("starts the emulator and its Kafka")
	}
	d := testkit.StartDTS(b, nil, emulator.Options{NoRateLimit: true})
	for k, v := range d.Env() {
		b.Setenv(k, v)
	}
	d.Produce(b, testkit.Topic, 3, 10)
	client, err := dts.NewClient(dts.Options{Region: d.Region, Endpoint: d.URL, RateLimitPerSecond: 1_000_000})
	if err != nil {
		b.Fatal(err)
	}
	runInvoke(b, benchHandler(client), benchEvent(b, "direct-reset-earliest.json"), 1, verified)
	b.ReportMetric(float64(d.Emu.Calls("DescribeConsumerGroups")+d.Emu.Calls("DescribeOffsetByTime")+
		d.Emu.Calls("DescribeSubscribeDetail")+d.Emu.Calls("ResetConsumerGroupOffset"))/float64(b.N+1), "calls/reset")
}
