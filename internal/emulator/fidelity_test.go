package emulator_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"dtsreset/internal/emulator"
)

// t0 is a Unix time divisible by every checkpoint interval the tests use.
var t0 = time.Date(2024, 5, 16, 0, 0, 0, 0, time.UTC)

func bj(t time.Time) string { return t.In(emulator.Beijing).Format("2006-01-02 15:04:05") }

// byTime answers DescribeOffsetByTime at Time (Beijing time) as partition → offset.
func byTime(t *testing.T, env *testEnv, at string) map[int64]int64 {
	t.Helper()
	var resp struct {
		Items []struct{ PartitionNo, Offset int64 }
	}
	env.mustCall(t, "DescribeOffsetByTime", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Time": at}, &resp)
	out := map[int64]int64{}
	for _, it := range resp.Items {
		out[it.PartitionNo] = it.Offset
	}
	return out
}

// TestDescribeOffsetByTimeCheckpoints: DTS answers the newest checkpoint at or before the time, a checkpoint
// being the log end at a Unix time divisible by CheckpointSeconds, never one after now; Kafka's own timestamp
// lookup (the first record at or after the time) would skip the records written since that checkpoint.
// Partition 0 holds records stamped t0+3s, +7s, +10s, +11s, +15s and +25s; DTS's clock stands at t0+27s.
func TestDescribeOffsetByTimeCheckpoints(t *testing.T) {
	stamps := []time.Duration{3, 7, 10, 11, 15, 25}
	tests := []struct {
		name       string
		checkpoint int // CheckpointSeconds; 0 is the default 10
		at         time.Duration
		want       int64
	}{
		{"before the first checkpoint with records", 0, 5 * time.Second, 0},
		{"at a checkpoint boundary: the log end of that moment", 0, 10 * time.Second, 2},
		{"between two checkpoints: the earlier one", 0, 13 * time.Second, 2},
		{"just before the next checkpoint", 0, 19*time.Second + 999*time.Millisecond, 2},
		{"the next checkpoint", 0, 20 * time.Second, 5},
		{"after now: the newest checkpoint, behind the log end", 0, time.Hour, 5},
		{"5 s checkpoints, between", 5, 13 * time.Second, 2},
		{"5 s checkpoints, at 15 s", 5, 15 * time.Second, 4},
		{"5 s checkpoints, newest", 5, time.Hour, 5},
		{"1 s checkpoints, at a record", 1, 11 * time.Second, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := emulator.DemoConfig()
			cfg.CheckpointSeconds = tt.checkpoint
			env := newTestEmulatorWith(t, cfg, emulator.Options{NoRateLimit: true, Now: func() time.Time { return t0.Add(27 * time.Second) }})
			var recs []*kgo.Record
			for i, d := range stamps {
				recs = append(recs, &kgo.Record{Topic: emulator.DemoTopicName, Partition: 0, Value: fmt.Appendf(nil, "r%d", i), Timestamp: t0.Add(d * time.Second)})
			}
			produceRecords(t, env, recs...)
			if got := byTime(t, env, bj(t0.Add(tt.at)))[0]; got != tt.want {
				t.Errorf("DescribeOffsetByTime at t0+%v: got %d, want %d", tt.at, got, tt.want)
			}
			// A datetime reset lands on the same checkpoint.
			env.mustCall(t, "ResetConsumerGroupOffset", resetParams("datetime", bj(t0.Add(tt.at)), 0), nil)
			if got := offsetsOf(env.describeGroup(t, demoGroup))[0]; got != tt.want {
				t.Errorf("datetime reset to t0+%v: committed %d, want %d", tt.at, got, tt.want)
			}
		})
	}
}

// TestDatetimeResetReplaysRecordsSinceTheCheckpoint: after a reset to a time between two checkpoints, a
// consumer reads the records written between the earlier checkpoint and that time again; none is skipped.
func TestDatetimeResetReplaysRecordsSinceTheCheckpoint(t *testing.T) {
	env := newTestEmulatorWith(t, emulator.DemoConfig(), emulator.Options{NoRateLimit: true, Now: func() time.Time { return t0.Add(time.Minute) }})
	var recs []*kgo.Record
	for p := int32(0); p < 3; p++ {
		for i, d := range []time.Duration{4, 12, 16, 30} {
			recs = append(recs, &kgo.Record{Topic: emulator.DemoTopicName, Partition: p, Value: fmt.Appendf(nil, "%d-%d", p, i), Timestamp: t0.Add(d * time.Second)})
		}
	}
	produceRecords(t, env, recs...)
	env.mustCall(t, "ResetConsumerGroupOffset", resetParams("datetime", bj(t0.Add(18*time.Second)), 0, 1, 2), nil)
	got := firstRecords(t, consumer(t, env, "replayer"), 3)
	for p := int32(0); p < 3; p++ {
		// The checkpoint at t0+10s holds offset 1: the records at +12s and +16s come again.
		if r := got[p]; r == nil || r.Offset != 1 || string(r.Value) != fmt.Sprintf("%d-1", p) {
			t.Errorf("partition %d: resumed at %+v, want offset 1 (%d-1)", p, r, p)
		}
	}
}

// TestRetention: what is older than RetentionHours before DTS's now counts as gone, so earliest, an empty
// time and any time before the horizon answer the oldest retained offset.
func TestRetention(t *testing.T) {
	now := t0.Add(10 * time.Hour)
	cfg := emulator.DemoConfig()
	cfg.RetentionHours = 2
	env := newTestEmulatorWith(t, cfg, emulator.Options{NoRateLimit: true, Now: func() time.Time { return now }})
	ages := []time.Duration{5 * time.Hour, 3 * time.Hour, 90 * time.Minute, 30 * time.Minute} // offsets 0-3
	var recs []*kgo.Record
	for p := int32(0); p < 3; p++ {
		for i, age := range ages {
			recs = append(recs, &kgo.Record{Topic: emulator.DemoTopicName, Partition: p, Value: fmt.Appendf(nil, "%d-%d", p, i), Timestamp: now.Add(-age)})
		}
	}
	produceRecords(t, env, recs...)
	tests := []struct {
		name string
		at   string
		want int64
	}{
		{"before every record", bj(now.Add(-6 * time.Hour)), 2},
		{"before the horizon, after a dropped record", bj(now.Add(-150 * time.Minute)), 2},
		{"the epoch (the function's earliest)", "1970-01-01 08:00:00", 2},
		{"before 1970", "0001-01-01 00:00:00", 2},
		{"within retention", bj(now.Add(-60 * time.Minute)), 3},
		{"now", bj(now), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := byTime(t, env, tt.at); !slices.Equal([]int64{got[0], got[1], got[2]}, []int64{tt.want, tt.want, tt.want}) {
				t.Errorf("DescribeOffsetByTime %q: got %v, want %d on every partition", tt.at, got, tt.want)
			}
		})
	}
	env.mustCall(t, "ResetConsumerGroupOffset", resetParams("earliest", "", 0, 1, 2), nil)
	if got := offsetsOf(env.describeGroup(t, demoGroup)); !slices.Equal(got, []int64{2, 2, 2}) {
		t.Errorf("earliest reset: offsets %v, want the oldest retained [2 2 2]", got)
	}
}

// TestGroupDeadUntilConsumed: a group created through the API is Dead with offsets -1 until a consumer of
// its own account commits; once that consumer left, the group is Empty with its offsets.
func TestGroupDeadUntilConsumed(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	produce(t, env, 3, 4)
	env.mustCall(t, "CreateConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID,
		"ConsumerGroupName": "g2", "AccountName": "acct2", "Password": "pass2222"}, nil)
	const g2 = "consumer-grp-" + emulator.DemoSubscribeID + "-g2"
	g := env.describeGroup(t, g2)
	if g.ConsumerGroupState != "Dead" || !slices.Equal(offsetsOf(g), []int64{-1, -1, -1}) || g.ConsumerGroupOffset != -1 {
		t.Fatalf("new group: %s %v (group-level %d), want Dead [-1 -1 -1] (-1)", g.ConsumerGroupState, offsetsOf(g), g.ConsumerGroupOffset)
	}
	cl := subscriber(t, env, loginOf("acct2", "pass2222"), g2, "g2-consumer")
	if got := firstRecords(t, cl, 3); len(got) != 3 {
		t.Fatalf("read %d partitions, want 3", len(got))
	}
	commitSync(t, cl, map[int32]int64{0: 4, 1: 2, 2: 3})
	cl.Close()
	g = waitGroupState(t, env, g2, "Empty")
	if !slices.Equal(offsetsOf(g), []int64{4, 2, 3}) || g.ConsumerGroupLag != 1 {
		t.Errorf("after commit and leave: offsets %v lag %d, want [4 2 3] and 1", offsetsOf(g), g.ConsumerGroupLag)
	}
}

// TestCreateConsumerGroupOneAccountOnePassword: an account is one Kafka user, so a second group may share it
// only with the same password.
func TestCreateConsumerGroupOneAccountOnePassword(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	create := func(name, password string) error {
		return env.call(t, "CreateConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID,
			"ConsumerGroupName": name, "AccountName": "acct1", "Password": password}, nil)
	}
	if err := create("g2", "another1"); codeOf(err) != "InvalidParameterValue" {
		t.Errorf("same account, another password: got %v, want InvalidParameterValue", err)
	}
	if err := create("g3", "secret12"); err != nil {
		t.Errorf("same account, same password: %v", err)
	}
}
