package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"dtsreset/internal/emulator"
	"dtsreset/internal/scflocal"
)

// Batch is the result of `perf batch`.
type Batch struct {
	Resets     int            `json:"resets"`
	DurationS  float64        `json:"duration_s"`
	Calls      map[string]int `json:"calls"`
	Throttled  map[string]int `json:"throttled"` // RequestLimitExceeded answers of the emulator, per action
	Failed     int            `json:"failed"`    // items the reply reports failed
	FailCodes  map[string]int `json:"fail_codes"`
	TotalRPS   float64        `json:"total_requests_per_s"`
	Busiest    string         `json:"busiest_action"`
	BusiestRPS float64        `json:"busiest_requests_per_s"` // over the whole batch, initial burst included
	// SustainedRPS is the busiest action's rate after its first 20 requests (what the API admits in one second).
	SustainedRPS float64 `json:"busiest_sustained_requests_per_s"`
	ResetsPerS   float64 `json:"resets_per_s"`
	RSSKiB       int     `json:"rss_kib"`
}

// runBatch sends one batch of n resets (checks on, the default configuration) to a fresh function against the
// emulator with its rate limit of 20 requests/s per action on.
func runBatch(args []string) error {
	fs := flag.NewFlagSet("batch", flag.ExitOnError)
	bin := fs.String("bin", "bin/main", "the function binary")
	n := fs.Int("n", 50, "resets in the batch")
	out := fs.String("out", "", "directory for batch.json")
	fs.Parse(args)

	ctx := context.Background()
	d, err := startDTS(ctx, emulator.Options{}) // the emulator's limit on: 20 requests/s per action
	if err != nil {
		return err
	}
	defer d.close()
	p, err := scflocal.Start(ctx, *bin, scflocal.SCFEnv("dtsreset", d.cfg.Region, d.env(nil)), scflocal.Options{})
	if err != nil {
		return err
	}
	defer p.Close()

	items := make([]string, *n)
	for i := range items {
		mode := "earliest"
		if i%2 == 1 {
			mode = "latest"
		}
		items[i] = fmt.Sprintf(`{"SubscribeId": %q, "TopicName": %q, "ConsumerGroupName": "g1", "PartitionNos": [0, 1, 2], "ResetMode": %q}`,
			subscribeID, topic, mode)
	}
	event := `{"Resets": [` + strings.Join(items, ", ") + `]}`

	before := d.calls()
	_, th0, _ := d.meter.snapshot()
	r, err := p.Invoke(ctx, scflocal.Invocation{Payload: []byte(event), Timeout: 90 * time.Second, FunctionName: "dtsreset", Region: d.cfg.Region})
	if err != nil {
		return err
	}
	_, th1, arrivals := d.meter.snapshot()
	res := Batch{Resets: *n, DurationS: r.Duration.Seconds(), Calls: diff(d.calls(), before), Throttled: diff(th1, th0), FailCodes: map[string]int{}}
	if res.RSSKiB, err = vmHWM(p.PID()); err != nil {
		return err
	}
	var reply struct {
		Results []struct {
			Error *struct{ Code string } `json:"Error"`
		}
		Failed int
	}
	if r.Error != nil {
		// A batch answers its results even when items fail; an invocation error means the batch itself failed.
		return fmt.Errorf("batch invocation failed: %s", r.Error.Message)
	}
	if err := json.Unmarshal(r.Payload, &reply); err != nil {
		return fmt.Errorf("batch reply: %w: %s", err, r.Payload)
	}
	res.Failed = reply.Failed
	for _, it := range reply.Results {
		if it.Error != nil {
			res.FailCodes[it.Error.Code]++
		}
	}
	total := 0
	for a, c := range res.Calls {
		total += c
		if c > res.Calls[res.Busiest] || res.Busiest == "" {
			res.Busiest = a
		}
	}
	res.TotalRPS = float64(total) / res.DurationS
	res.BusiestRPS = float64(res.Calls[res.Busiest]) / res.DurationS
	res.ResetsPerS = float64(*n) / res.DurationS
	if ts := arrivals[res.Busiest]; len(ts) > 21 {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		res.SustainedRPS = float64(len(ts)-21) / ts[len(ts)-1].Sub(ts[20]).Seconds()
	}
	fmt.Printf("batch of %d resets (checks on) against the emulator's 20/s per action: %.2fs, %.1f resets/s\n", *n, res.DurationS, res.ResetsPerS)
	fmt.Printf("  calls %v, all actions %.1f requests/s\n", res.Calls, res.TotalRPS)
	fmt.Printf("  busiest action %s: %.1f requests/s over the batch, %.1f/s sustained after the first 20\n", res.Busiest, res.BusiestRPS, res.SustainedRPS)
	fmt.Printf("  RequestLimitExceeded answers %v; failed items %d %v; VmHWM %d KiB\n", res.Throttled, res.Failed, res.FailCodes, res.RSSKiB)
	return writeJSON(*out, "batch.json", res)
}
