package main_test

import (
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"
)

type groupsReply struct {
	Items []struct {
		ConsumerGroupName  string
		ConsumerGroupState string
		StateOfPartition   []struct{ PartitionNo, ConsumerGroupOffset, ConsumerGroupLag int64 }
	}
}

type offsetsReply struct {
	Items []struct{ PartitionNo, Offset int64 }
}

func groupOffsets(t *testing.T, api string) (state string, offsets, lags []int64) {
	t.Helper()
	var g groupsReply
	call(t, sdk(api), "DescribeConsumerGroups", map[string]any{"SubscribeId": "subs-demo000001"}, &g)
	if len(g.Items) != 1 {
		t.Fatalf("DescribeConsumerGroups: %d groups, want g1 only", len(g.Items))
	}
	for _, p := range g.Items[0].StateOfPartition {
		offsets, lags = append(offsets, p.ConsumerGroupOffset), append(lags, p.ConsumerGroupLag)
	}
	return g.Items[0].ConsumerGroupState, offsets, lags
}

func offsetsAt(t *testing.T, api, at string) []int64 {
	t.Helper()
	var r offsetsReply
	call(t, sdk(api), "DescribeOffsetByTime", map[string]any{"SubscribeId": "subs-demo000001", "Time": at}, &r)
	var out []int64
	for _, it := range r.Items {
		out = append(out, it.Offset)
	}
	return out
}

// TestDtslocalServesTheDemoData: without -config, dtslocal holds `make run`'s data, so the README's manual
// dry run plans real offsets: g1 at 115 of 120, and the events' fixed dates (days before the data, so before
// retention) at the oldest retained offset 24, not 0. With -data it seeds only a new directory.
func TestDtslocalServesTheDemoData(t *testing.T) {
	dir := t.TempDir()
	for run := 0; run < 2; run++ {
		cmd, st := start(t, "-http", "127.0.0.1:0", "-kafka", "127.0.0.1:0", "-data", dir)
		state, offsets, lags := groupOffsets(t, st.api)
		if state != "Empty" || !slices.Equal(offsets, []int64{115, 115, 115}) || !slices.Equal(lags, []int64{5, 5, 5}) {
			t.Errorf("run %d: g1 %s at %v lag %v, want Empty at 115 with lag 5 on every partition", run, state, offsets, lags)
		}
		for _, at := range []string{"2026-11-28 08:00:00", "2026-11-28 08:30:00", "1970-01-01 08:00:00"} {
			if got := offsetsAt(t, st.api, at); !slices.Equal(got, []int64{24, 24, 24}) {
				t.Errorf("run %d: DescribeOffsetByTime %s: %v, want the oldest retained offset 24 on every partition", run, at, got)
			}
		}
		if got := offsetsAt(t, st.api, "2099-01-01 00:00:00"); !slices.Equal(got, []int64{120, 120, 120}) {
			t.Errorf("run %d: DescribeOffsetByTime after the data: %v, want 120 (seeded once)", run, got)
		}
		stopDtslocal(t, cmd)
	}
}

// TestDtslocalDemoOff: -demo=false serves the demo subscription empty, its group never consumed (Dead, -1).
func TestDtslocalDemoOff(t *testing.T) {
	_, st := start(t, "-http", "127.0.0.1:0", "-kafka", "127.0.0.1:0", "-demo=false")
	state, offsets, _ := groupOffsets(t, st.api)
	if state != "Dead" || !slices.Equal(offsets, []int64{-1, -1, -1}) {
		t.Errorf("g1 %s at %v, want Dead at -1", state, offsets)
	}
	if got := offsetsAt(t, st.api, "2099-01-01 00:00:00"); !slices.Equal(got, []int64{0, 0, 0}) {
		t.Errorf("DescribeOffsetByTime: %v, want an empty log", got)
	}
}

// stopDtslocal sends SIGTERM and waits (bounded) for a clean exit.
func stopDtslocal(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("dtslocal did not exit after SIGTERM")
	}
}
