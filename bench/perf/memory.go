package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"dtsreset/internal/scflocal"
	"dtsreset/internal/testkit"
)

// Memory is the result of `perf memory`.
type Memory struct {
	Groups     int `json:"groups"`
	Partitions int `json:"partitions"`
	PageBytes  int `json:"page_bytes"` // a full DescribeConsumerGroups page of 100 groups, as served
	// DescribeCalls are the DescribeConsumerGroups calls of the dry run (one lookup) and of the reset (the
	// precheck's lookup, then the verify's).
	DryRunDescribeCalls int `json:"dry_run_describe_calls"`
	ResetDescribeCalls  int `json:"reset_describe_calls"`
	DryRunRSSKiB        int `json:"dry_run_rss_kib"` // VmHWM of a fresh process after the dry run
	ResetRSSKiB         int `json:"reset_rss_kib"`   // VmHWM after the dry run and an earliest reset (precheck, verify)
	LimitKiB            int `json:"limit_kib"`
}

// memoryLimitKiB is 75% of the 64 MB serverless.yml gives the function (issue 12): SCF kills an instance
// above its memory size, and the runtime's own pages and the kernel's accounting need the rest.
const memoryLimitKiB = 48 * 1000 * 1000 / 1024

// runMemory measures the peak RSS of the function on a large subscription: groups consumer groups of
// partitions partitions each, the one reset last (on the last page of DescribeConsumerGroups), served by a
// stand-in DTS endpoint (testkit.LargeDTS) whose pages are the size the real API's would be. A fresh process runs a dry
// run, then a real earliest reset of every partition (precheck, plan, reset, verify); VmHWM is read after each.
func runMemory(args []string) error {
	fs := flag.NewFlagSet("memory", flag.ExitOnError)
	bin := fs.String("bin", "bin/main", "the function binary")
	groups := fs.Int("groups", 120, "consumer groups of the subscription; the reset's is the last")
	parts := fs.Int("partitions", 1024, "partitions of the topic")
	out := fs.String("out", "", "directory for memory.json")
	fs.Parse(args)

	d, err := testkit.StartLargeDTS(*groups, *parts)
	if err != nil {
		return err
	}
	defer d.Close()
	env := map[string]string{
		"DTS_ENDPOINT": d.URL, "TENCENTCLOUD_REGION": "ap-guangzhou", "TENCENTCLOUD_SECRETID": "AKIDmemory",
		"TENCENTCLOUD_SECRETKEY": "memory-secret-key", "TENCENTCLOUD_SESSIONTOKEN": "memory-token", "LOG_LEVEL": "warn",
	}
	ctx := context.Background()
	p, err := scflocal.Start(ctx, *bin, scflocal.SCFEnv("dtsreset", "ap-guangzhou", env), scflocal.Options{})
	if err != nil {
		return err
	}
	defer p.Close()

	res := Memory{Groups: *groups, Partitions: *parts, PageBytes: d.PageBytes(), LimitKiB: memoryLimitKiB}
	invoke := func(dryRun bool) (int, int, error) {
		before := d.DescribeCalls()
		event := fmt.Sprintf(`{"SubscribeId": %q, "TopicName": %q, "ConsumerGroupName": %q, "AllPartitions": true, "ResetMode": "earliest", "DryRun": %v}`,
			testkit.LargeSubscribeID, testkit.LargeTopic, d.Target, dryRun)
		r, err := p.Invoke(ctx, scflocal.Invocation{Payload: []byte(event), Timeout: 30 * time.Second, Env: env,
			FunctionName: "dtsreset", Region: "ap-guangzhou", MemoryMB: 64})
		if err != nil {
			return 0, 0, err
		}
		if r.Error != nil {
			return 0, 0, fmt.Errorf("invocation failed: %.300s", r.Error.Message)
		}
		rss, err := vmHWM(p.PID())
		return rss, d.DescribeCalls() - before, err
	}
	if res.DryRunRSSKiB, res.DryRunDescribeCalls, err = invoke(true); err != nil {
		return fmt.Errorf("dry run: %w", err)
	}
	if res.ResetRSSKiB, res.ResetDescribeCalls, err = invoke(false); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	fmt.Printf("memory: %d groups × %d partitions (a full page of DescribeConsumerGroups is %.1f MB), the group on the last page\n",
		res.Groups, res.Partitions, float64(res.PageBytes)/1e6)
	fmt.Printf("  VmHWM after a dry run %.1f MB (%d DescribeConsumerGroups calls), after a reset too %.1f MB (%d calls); limit %.1f MB\n",
		kibMB(res.DryRunRSSKiB), res.DryRunDescribeCalls, kibMB(res.ResetRSSKiB), res.ResetDescribeCalls, kibMB(res.LimitKiB))
	if err := writeJSON(*out, "memory.json", res); err != nil {
		return err
	}
	if res.ResetRSSKiB > res.LimitKiB {
		return fmt.Errorf("peak RSS %.1f MB is above the %.1f MB limit", kibMB(res.ResetRSSKiB), kibMB(res.LimitKiB))
	}
	return nil
}

func kibMB(kib int) float64 { return float64(kib) * 1024 / 1e6 }
