package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"dtsreset/internal/emulator"
	"dtsreset/internal/scflocal"
)

// Warm is the result of `perf warm`.
type Warm struct {
	On  WarmRun `json:"checks_on"`  // RESET_PRECHECK=true RESET_VERIFY=true (the defaults)
	Off WarmRun `json:"checks_off"` // both false
	// Unpaced is checks on, invoked back to back: what our own limiter (20 requests/s per action) does.
	Unpaced WarmRun `json:"unpaced_checks_on"`
	// SequentialRoundTrips per applied reset with checks on, counted with every API answer delayed by
	// ProbeDelayMs so that concurrent calls are sure to overlap.
	SequentialRoundTrips float64 `json:"sequential_round_trips"`
	ProbeResets          int     `json:"probe_resets"`
	ProbeDelayMs         int     `json:"probe_delay_ms"`
	ProbeLatency         Stats   `json:"probe_latency"`
	RSSKiB               int     `json:"rss_kib_max"`
}

// WarmRun is one series of invocations through the protocol.
type WarmRun struct {
	Invocations int            `json:"invocations"`
	IntervalMs  float64        `json:"interval_ms"` // start-to-start pacing; 0 = back to back
	Latency     Stats          `json:"latency"`
	Calls       map[string]int `json:"calls"` // at the emulator, per action
	CallsPerOp  float64        `json:"calls_per_reset"`
	ResetsPerS  float64        `json:"resets_per_s"`
	RSSKiB      int            `json:"rss_kib"`
}

// runWarm runs n applied resets (alternately earliest and latest on partitions 0-2, so offsets really move)
// through the protocol against the emulator without its rate limit, with checks on and off.
//
// Our client sends at most 19 requests per action in any 1.05 s (the API admits 20 per second), about 18/s
// sustained. A reset with checks on makes two DescribeConsumerGroups calls (precheck, verify), so back to back
// the function sustains about 9 resets/s and, once a window's 19 calls are spent, each invocation would mostly
// measure the limiter's wait. The latency series are therefore paced (start to start) so that no 1.05 s window
// holds more than 19 calls of an action: 125 ms with checks on (10 invocations, 20 calls, span more than
// 1.05 s), 60 ms with them off (one call of each action per reset; 19 invocations span more than 1.05 s). The
// unpaced series shows the limiter's effect separately.
func runWarm(args []string) error {
	fs := flag.NewFlagSet("warm", flag.ExitOnError)
	bin := fs.String("bin", "bin/main", "the function binary")
	n := fs.Int("n", 500, "invocations per series")
	unpaced := fs.Int("unpaced", 60, "back-to-back invocations with checks on")
	probe := fs.Int("probe", 20, "resets for the sequential round-trip count")
	out := fs.String("out", "", "directory for warm.json")
	fs.Parse(args)

	ctx := context.Background()
	d, err := startDTS(ctx, emulator.Options{NoRateLimit: true})
	if err != nil {
		return err
	}
	defer d.close()

	var res Warm
	on := map[string]string{"RESET_PRECHECK": "true", "RESET_VERIFY": "true"}
	off := map[string]string{"RESET_PRECHECK": "false", "RESET_VERIFY": "false"}

	p, err := scflocal.Start(ctx, *bin, scflocal.SCFEnv("dtsreset", d.cfg.Region, d.env(on)), scflocal.Options{})
	if err != nil {
		return err
	}
	defer p.Close()
	if res.On, err = series(ctx, d, p, *n, 125*time.Millisecond, true); err != nil {
		return fmt.Errorf("checks on: %w", err)
	}
	fmt.Printf("warm, checks on, paced 125ms:   %v; %.2f API calls/reset %v\n", res.On.Latency, res.On.CallsPerOp, res.On.Calls)

	// Sequential round trips: let the bucket refill, then hold every answer so that concurrent calls overlap.
	time.Sleep(time.Second)
	const delay = 20 * time.Millisecond
	d.meter.setDelay(delay)
	phases0, _, _ := d.meter.snapshot()
	probeRun, err := series(ctx, d, p, *probe, 125*time.Millisecond, true)
	if err != nil {
		return fmt.Errorf("round-trip probe: %w", err)
	}
	phases1, _, _ := d.meter.snapshot()
	d.meter.setDelay(0)
	res.ProbeResets, res.ProbeDelayMs, res.ProbeLatency = *probe, int(delay/time.Millisecond), probeRun.Latency
	res.SequentialRoundTrips = float64(phases1-phases0) / float64(*probe)
	fmt.Printf("sequential round trips per applied reset (checks on): %.2f (answers held %v; latency %v)\n",
		res.SequentialRoundTrips, delay, probeRun.Latency)

	time.Sleep(time.Second)
	if res.Unpaced, err = series(ctx, d, p, *unpaced, 0, true); err != nil {
		return fmt.Errorf("unpaced: %w", err)
	}
	fmt.Printf("warm, checks on, back to back:  %v; %.1f resets/s\n", res.Unpaced.Latency, res.Unpaced.ResetsPerS)
	if res.On.RSSKiB, err = vmHWM(p.PID()); err != nil {
		return err
	}
	res.Unpaced.RSSKiB = res.On.RSSKiB
	p.Close()

	p2, err := scflocal.Start(ctx, *bin, scflocal.SCFEnv("dtsreset", d.cfg.Region, d.env(off)), scflocal.Options{})
	if err != nil {
		return err
	}
	defer p2.Close()
	if res.Off, err = series(ctx, d, p2, *n, 60*time.Millisecond, false); err != nil {
		return fmt.Errorf("checks off: %w", err)
	}
	if res.Off.RSSKiB, err = vmHWM(p2.PID()); err != nil {
		return err
	}
	fmt.Printf("warm, checks off, paced 60ms:   %v; %.2f API calls/reset %v\n", res.Off.Latency, res.Off.CallsPerOp, res.Off.Calls)
	res.RSSKiB = max(res.On.RSSKiB, res.Off.RSSKiB)
	fmt.Printf("peak RSS (VmHWM): checks on %d KiB, checks off %d KiB\n", res.On.RSSKiB, res.Off.RSSKiB)
	return writeJSON(*out, "warm.json", res)
}

// series invokes p n times, starting one every interval (or back to back), each a direct reset, and returns
// the per-invocation wall times of the net/rpc call and the calls the emulator saw.
func series(ctx context.Context, d *dts, p *scflocal.Process, n int, interval time.Duration, verify bool) (WarmRun, error) {
	before := d.calls()
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	next := start
	for i := range n {
		// Starts are at least interval apart and a late one never brings the next forward: catching up would
		// run into the client's limiter, after which every invocation would wait for it and stay late.
		time.Sleep(time.Until(next))
		next = time.Now().Add(interval)
		mode := "earliest"
		if i%2 == 1 {
			mode = "latest"
		}
		ev := fmt.Sprintf(`{"SubscribeId": %q, "TopicName": %q, "ConsumerGroupName": "g1", "PartitionNos": [0, 1, 2], "ResetMode": %q}`,
			subscribeID, topic, mode)
		r, err := p.Invoke(ctx, scflocal.Invocation{Payload: []byte(ev), Timeout: 15 * time.Second, FunctionName: "dtsreset", Region: d.cfg.Region})
		if err != nil {
			return WarmRun{}, err
		}
		if r.Error != nil {
			return WarmRun{}, fmt.Errorf("invocation %d failed: %s", i, r.Error.Message)
		}
		if verify && !strings.Contains(string(r.Payload), `"Verified":true`) {
			return WarmRun{}, fmt.Errorf("invocation %d not verified: %s", i, r.Payload)
		}
		lat = append(lat, r.Duration)
	}
	elapsed := time.Since(start)
	calls := diff(d.calls(), before)
	total := 0
	for _, c := range calls {
		total += c
	}
	return WarmRun{
		Invocations: n,
		IntervalMs:  ms(interval),
		Latency:     summarize(lat),
		Calls:       calls,
		CallsPerOp:  float64(total) / float64(n),
		ResetsPerS:  float64(n) / elapsed.Seconds(),
	}, nil
}
