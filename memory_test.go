package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/scflocal"
	"dtsreset/internal/testkit"
)

// TestLargeSubscriptionPeakRSS is the regression test of the memory of large subscriptions (issue 12, item
// 9): one DescribeConsumerGroups page of 100 groups × 1024 partitions (~9 MB) was decoded whole at ~9× its
// size, 78 MB peak for a dry run, above the 64 MB the function is given (SCF kills it). With 120 groups and
// the group on the last page, the compiled function's peak RSS (VmHWM) must stay within 48 MB, 75% of it,
// through a dry run and a reset (precheck, verify), with ceil(120/100) = 2 DescribeConsumerGroups calls per
// lookup. `make bench` (bench/perf memory) reports the same figure in docs/PERFORMANCE.md.
func TestLargeSubscriptionPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("renders ~40 MB of DescribeConsumerGroups replies")
	}
	const limitKiB = 48 * 1000 * 1000 / 1024
	d, err := testkit.StartLargeDTS(120, 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	env := map[string]string{"DTS_ENDPOINT": d.URL, "TENCENTCLOUD_REGION": "ap-guangzhou",
		"TENCENTCLOUD_SECRETID": "AKIDmemory", "TENCENTCLOUD_SECRETKEY": "memory-secret-key", "LOG_LEVEL": "warn"}
	ctx, cancel := context.WithTimeout(t.Context(), 2*scflocal.StartTimeout)
	defer cancel()
	p, err := scflocal.Start(ctx, fnBin, scflocal.SCFEnv("dtsreset-e2e", "ap-guangzhou", env), scflocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, tt := range []struct {
		dryRun    bool
		wantCalls int // DescribeConsumerGroups: a lookup is 2 pages
	}{{true, 2}, {false, 4}} {
		before := d.DescribeCalls()
		event := fmt.Sprintf(`{"SubscribeId": %q, "TopicName": %q, "ConsumerGroupName": %q, "AllPartitions": true, "ResetMode": "earliest", "DryRun": %v}`,
			testkit.LargeSubscribeID, testkit.LargeTopic, d.Target, tt.dryRun)
		ictx, icancel := context.WithTimeout(t.Context(), 30*time.Second+2*scflocal.InvokeGrace)
		r, err := p.Invoke(ictx, scflocal.Invocation{Payload: []byte(event), Timeout: 30 * time.Second, Env: env,
			FunctionName: "dtsreset-e2e", Region: "ap-guangzhou", MemoryMB: 64})
		icancel()
		if err != nil {
			t.Fatal(err)
		}
		if r.Error != nil {
			t.Fatalf("dry run %v: got error %.300s", tt.dryRun, r.Error.Message)
		}
		if !strings.Contains(string(r.Payload), `"PartitionNo":1023`) {
			t.Errorf("dry run %v: the reply does not plan all 1024 partitions: %.200s", tt.dryRun, r.Payload)
		}
		if n := d.DescribeCalls() - before; n != tt.wantCalls {
			t.Errorf("dry run %v: got %d DescribeConsumerGroups calls, want %d", tt.dryRun, n, tt.wantCalls)
		}
		hwm := vmHWM(t, p.PID())
		t.Logf("dry run %v: VmHWM %d KiB (%.1f MB)", tt.dryRun, hwm, float64(hwm)*1024/1e6)
		if hwm > limitKiB {
			t.Errorf("dry run %v: peak RSS %.1f MB, want at most 48 MB", tt.dryRun, float64(hwm)*1024/1e6)
		}
	}
}

// vmHWM is the peak resident set size of pid, in KiB (/proc/<pid>/status).
func vmHWM(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb int
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
