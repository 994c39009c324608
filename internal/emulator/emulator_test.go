package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dtsreset/internal/emulator"
)

func resetParams(mode, datetime string, partitions ...any) map[string]any {
	p := map[string]any{
		"SubscribeId": emulator.DemoSubscribeID, "TopicName": emulator.DemoTopicName,
		"ConsumerGroupName": demoGroup, "PartitionNos": partitions, "ResetMode": mode,
	}
	if datetime != "" {
		p["ResetDatetime"] = datetime
	}
	return p
}

// TestResetFollowsKafkaGroupState drives the whole DTS model with a real kgo consumer: an active group
// reports Stable with its assignment and silently ignores resets; once the consumer leaves, the group is
// Empty, resets commit the right offsets, and the next consumer starts exactly there.
func TestResetFollowsKafkaGroupState(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	produce(t, env, 3, 5)

	g := env.describeGroup(t, demoGroup)
	if g.ConsumerGroupState != "Dead" || !slices.Equal(offsetsOf(g), []int64{-1, -1, -1}) {
		t.Fatalf("new group: state %s offsets %v, want Dead [-1 -1 -1]", g.ConsumerGroupState, offsetsOf(g))
	}
	if g.Account != "account-subs-demo000001-acct1" || g.ConsumerGroupOffset != -1 || g.ConsumerGroupLag != 0 || g.Latency != 0 {
		t.Errorf("new group: account %q offset %d lag %d latency %d, want account-subs-demo000001-acct1, -1, 0, 0",
			g.Account, g.ConsumerGroupOffset, g.ConsumerGroupLag, g.Latency)
	}

	c1 := consumer(t, env, "consumer-one")
	if got := firstRecords(t, c1, 3); len(got) != 3 {
		t.Fatalf("first consumer read %d partitions, want 3", len(got))
	}
	g = waitState(t, env, "Stable")
	if len(g.PartitionAssignment) != 1 || g.PartitionAssignment[0].ClientId != "consumer-one" ||
		!slices.Equal(g.PartitionAssignment[0].PartitionNo, []int64{0, 1, 2}) {
		t.Errorf("assignment %+v, want consumer-one on [0 1 2]", g.PartitionAssignment)
	}

	env.mustCall(t, "ResetConsumerGroupOffset", resetParams("latest", "", 0, 1, 2), nil)
	if g := env.describeGroup(t, demoGroup); !slices.Equal(offsetsOf(g), []int64{-1, -1, -1}) {
		t.Errorf("reset of a Stable group changed offsets to %v, want [-1 -1 -1] (silently ignored)", offsetsOf(g))
	}

	commitSync(t, c1, map[int32]int64{0: 1, 1: 1, 2: 1})
	c1.Close() // leaves the group
	g = waitState(t, env, "Empty")
	if !slices.Equal(offsetsOf(g), []int64{1, 1, 1}) || g.ConsumerGroupLag != 4 {
		t.Errorf("after the consumer committed and left: offsets %v lag %d, want [1 1 1] and 4", offsetsOf(g), g.ConsumerGroupLag)
	}
	// Every lagging partition has its own latency, not only the first one Kafka answers a fetch for.
	for _, p := range g.StateOfPartition {
		if p.Latency <= 0 {
			t.Errorf("partition %d lags %d with latency %d, want > 0 (its records are older than DTS's clock)", p.PartitionNo, p.ConsumerGroupLag, p.Latency)
		}
	}

	beijingOf := func(i int) string { return recordTime(i).In(emulator.Beijing).Format("2006-01-02 15:04:05") }
	tests := []struct {
		name   string
		params map[string]any
		want   []int64
	}{
		{"latest", resetParams("latest", "", 0, 1, 2), []int64{5, 5, 5}},
		{"earliest one partition", resetParams("earliest", "", 1), []int64{5, 0, 5}},
		{"datetime at a record", resetParams("datetime", beijingOf(2), 0, 1, 2), []int64{2, 2, 2}},
		{"datetime between records, partitions as strings", resetParams("datetime", recordTime(3).Add(-time.Second).In(emulator.Beijing).Format("2006-01-02 15:04:05"), "0", "2"), []int64{3, 2, 3}},
		{"datetime after every record", resetParams("datetime", "2030-01-01 00:00:00", 0), []int64{5, 2, 3}},
		{"datetime empty is earliest, short group name", func() map[string]any {
			p := resetParams("datetime", "", 0, 2)
			p["ConsumerGroupName"] = "g1"
			return p
		}(), []int64{0, 2, 0}},
		{"datetime at record 4", resetParams("datetime", beijingOf(4), 0, 1, 2), []int64{4, 4, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.mustCall(t, "ResetConsumerGroupOffset", tt.params, nil)
			g := env.describeGroup(t, demoGroup)
			if got := offsetsOf(g); !slices.Equal(got, tt.want) {
				t.Errorf("offsets %v, want %v", got, tt.want)
			}
			for _, p := range g.StateOfPartition {
				if p.ConsumerGroupLag != 5-p.ConsumerGroupOffset {
					t.Errorf("partition %d lag %d, want %d", p.PartitionNo, p.ConsumerGroupLag, 5-p.ConsumerGroupOffset)
				}
			}
		})
	}

	c2 := consumer(t, env, "consumer-two")
	got := firstRecords(t, c2, 3)
	for p := int32(0); p < 3; p++ {
		r := got[p]
		if r == nil || r.Offset != 4 || string(r.Value) != fmt.Sprintf("%d-4", p) || !r.Timestamp.Equal(recordTime(4)) {
			t.Errorf("partition %d: next consumer's first record %+v, want offset 4 value %d-4", p, r, p)
		}
	}
}

func TestDescribeOffsetByTime(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	produce(t, env, 3, 5)
	tests := []struct {
		time string
		want int64
	}{
		{"1970-01-01 08:00:00", 0},
		{recordTime(3).In(emulator.Beijing).Format("2006-01-02 15:04:05"), 3},
		{"2099-12-31 23:59:59", 5},
	}
	for _, tt := range tests {
		t.Run(tt.time, func(t *testing.T) {
			var resp struct {
				Items []struct{ PartitionNo, Offset int64 }
			}
			env.mustCall(t, "DescribeOffsetByTime", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Time": tt.time}, &resp)
			if len(resp.Items) != 3 {
				t.Fatalf("%d items, want 3", len(resp.Items))
			}
			for i, it := range resp.Items {
				if it.PartitionNo != int64(i) || it.Offset != tt.want {
					t.Errorf("item %d: %+v, want partition %d offset %d", i, it, i, tt.want)
				}
			}
		})
	}
}

// TestTimeBeforeEpoch: a valid time before 1970 is before every record, so both actions that read the
// timestamp index answer the oldest offsets. The log start is moved past 0 so "oldest" is not a literal 0.
func TestTimeBeforeEpoch(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	produce(t, env, 3, 5)
	const start = 2
	deleteRecordsBefore(t, env, 3, start)
	tests := []struct {
		time string
		want int64
	}{
		{"1970-01-01 08:00:00", start}, // the epoch itself: already worked, kept as the boundary
		{"1970-01-01 07:59:59", start},
		{"1969-12-31 00:00:00", start},
		{"0001-01-01 00:00:00", start},
		{recordTime(3).In(emulator.Beijing).Format("2006-01-02 15:04:05"), 3},
	}
	for _, tt := range tests {
		t.Run(tt.time, func(t *testing.T) {
			var resp struct {
				Items []struct{ PartitionNo, Offset int64 }
			}
			if err := env.call(t, "DescribeOffsetByTime", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Time": tt.time}, &resp); err != nil {
				t.Errorf("DescribeOffsetByTime: %v", err)
			} else if len(resp.Items) != 3 {
				t.Errorf("DescribeOffsetByTime: %d items, want 3", len(resp.Items))
			}
			for i, it := range resp.Items {
				if it.PartitionNo != int64(i) || it.Offset != tt.want {
					t.Errorf("DescribeOffsetByTime item %d: %+v, want partition %d offset %d", i, it, i, tt.want)
				}
			}

			env.mustCall(t, "ResetConsumerGroupOffset", resetParams("latest", "", 0, 1, 2), nil)
			if err := env.call(t, "ResetConsumerGroupOffset", resetParams("datetime", tt.time, 0, 1, 2), nil); err != nil {
				t.Fatalf("ResetConsumerGroupOffset datetime: %v", err)
			}
			if got, want := offsetsOf(env.describeGroup(t, demoGroup)), []int64{tt.want, tt.want, tt.want}; !slices.Equal(got, want) {
				t.Errorf("ResetConsumerGroupOffset datetime: offsets %v, want %v", got, want)
			}
		})
	}
}

func TestDescribeSubscribeDetail(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	var resp map[string]any
	env.mustCall(t, "DescribeSubscribeDetail", map[string]any{"SubscribeId": emulator.DemoSubscribeID}, &resp)
	want := map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Region": "ap-guangzhou", "Topic": emulator.DemoTopicName,
		"Broker": env.emu.KafkaAddrs()[0], "SubsStatus": "running", "SubscribeVersion": "kafka", "Product": "mysql", "InstanceId": "cdb-1"}
	for k, v := range want {
		if resp[k] != v {
			t.Errorf("%s = %v, want %v", k, resp[k], v)
		}
	}
	for _, k := range []string{"SubscribeName", "Status", "KafkaVersion"} {
		if s, _ := resp[k].(string); s == "" {
			t.Errorf("%s missing", k)
		}
	}
}

// TestConsumerGroupsPagingAndLifecycle fills the subscription to DTS's limit of 10 groups, pages through them
// in creation order, refuses the 11th, and deletes one (with a BackendJobId, as the API allows) to make room.
func TestConsumerGroupsPagingAndLifecycle(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	create := func(name string) error {
		return env.call(t, "CreateConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID,
			"ConsumerGroupName": name, "AccountName": "acct", "Password": "pass1234", "Description": "d"}, nil)
	}
	for i := 2; i <= 10; i++ {
		if err := create(fmt.Sprintf("g%d", i)); err != nil {
			t.Fatalf("CreateConsumerGroup g%d: %v", i, err)
		}
	}
	var page1, page2, all groupsResponse
	env.mustCall(t, "DescribeConsumerGroups", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Limit": 7}, &page1)
	env.mustCall(t, "DescribeConsumerGroups", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Offset": 7}, &page2)
	env.mustCall(t, "DescribeConsumerGroups", map[string]any{"SubscribeId": emulator.DemoSubscribeID}, &all)
	if page1.TotalCount != 10 || len(page1.Items) != 7 || len(page2.Items) != 3 || len(all.Items) != 10 {
		t.Fatalf("pages: total %d, sizes %d+%d, default page %d; want 10, 7+3, 10", page1.TotalCount, len(page1.Items), len(page2.Items), len(all.Items))
	}
	var names []string
	for _, g := range append(page1.Items, page2.Items...) {
		names = append(names, strings.TrimPrefix(g.ConsumerGroupName, "consumer-grp-"+emulator.DemoSubscribeID+"-"))
		if g.ConsumerGroupState != "Dead" || len(g.StateOfPartition) != 3 || g.CreatedAt == "" {
			t.Errorf("%s: state %s, %d partitions, created %q; want a Dead group of 3 partitions", g.ConsumerGroupName, g.ConsumerGroupState, len(g.StateOfPartition), g.CreatedAt)
		}
	}
	want := []string{"g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9", "g10"}
	if !slices.Equal(names, want) {
		t.Errorf("order %v, want creation order %v", names, want)
	}

	// TestEleventhGroupRefused: DTS holds at most 10 groups per subscription.
	err := create("g11")
	if codeOf(err) != "FailedOperation" || !strings.Contains(err.Error(), "the limit is 10") {
		t.Errorf("11th group: got %v, want FailedOperation saying the limit is 10", err)
	}
	if err := create("g2"); codeOf(err) != "FailedOperation" {
		t.Errorf("duplicate create: got %v, want FailedOperation", err)
	}
	env.mustCall(t, "DeleteConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID,
		"ConsumerGroupName": "consumer-grp-subs-demo000001-g2", "AccountName": "account-subs-demo000001-acct",
		"BackendJobId": "job-123"}, nil)
	var after groupsResponse
	env.mustCall(t, "DescribeConsumerGroups", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Offset": 1, "Limit": 1}, &after)
	if after.TotalCount != 9 || len(after.Items) != 1 || after.Items[0].ConsumerGroupName != "consumer-grp-subs-demo000001-g3" {
		t.Errorf("after delete: total %d items %+v, want 9 and g3 second", after.TotalCount, after.Items)
	}
	if err := create("g11"); err != nil {
		t.Errorf("create after a delete made room: %v", err)
	}
}

func TestErrors(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	with := func(k string, v any) map[string]any {
		p := resetParams("earliest", "", 0)
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
		return p
	}
	tests := []struct {
		name, action string
		params       map[string]any
		want         string
	}{
		{"unknown subscription", "ResetConsumerGroupOffset", with("SubscribeId", "subs-nope"), "ResourceNotFound"},
		{"unknown group", "ResetConsumerGroupOffset", with("ConsumerGroupName", "nope"), "ResourceNotFound"},
		{"unknown partition", "ResetConsumerGroupOffset", with("PartitionNos", []int{0, 3}), "InvalidParameterValue"},
		{"negative partition", "ResetConsumerGroupOffset", with("PartitionNos", []int{-1}), "InvalidParameterValue"},
		{"no partitions", "ResetConsumerGroupOffset", with("PartitionNos", []int{}), "InvalidParameterValue"},
		{"partition not a number", "ResetConsumerGroupOffset", with("PartitionNos", []string{"x"}), "InvalidParameter"},
		{"other topic", "ResetConsumerGroupOffset", with("TopicName", "topic-other"), "InvalidParameterValue"},
		{"bad mode", "ResetConsumerGroupOffset", with("ResetMode", "newest"), "InvalidParameterValue"},
		{"bad datetime", "ResetConsumerGroupOffset", func() map[string]any {
			p := resetParams("datetime", "2024-05-16T00:00:00Z", 0)
			return p
		}(), "InvalidParameterValue"},
		{"missing parameter", "ResetConsumerGroupOffset", with("ResetMode", nil), "MissingParameter"},
		{"unknown parameter", "ResetConsumerGroupOffset", with("ResetMod", "earliest"), "UnknownParameter"},
		{"wrong type", "ResetConsumerGroupOffset", with("TopicName", 7), "InvalidParameter"},
		{"unknown action", "ResetEverything", map[string]any{}, "InvalidAction"},
		{"describe unknown subscription", "DescribeConsumerGroups", map[string]any{"SubscribeId": "subs-nope"}, "ResourceNotFound"},
		{"describe bad limit", "DescribeConsumerGroups", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Limit": 1000}, "InvalidParameterValue"},
		{"offsets bad time", "DescribeOffsetByTime", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Time": "yesterday"}, "InvalidParameterValue"},
		{"offsets without Time", "DescribeOffsetByTime", map[string]any{"SubscribeId": emulator.DemoSubscribeID}, "MissingParameter"},
		{"offsets with a null Time", "DescribeOffsetByTime", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Time": nil}, "MissingParameter"},
		{"offsets with an empty Time", "DescribeOffsetByTime", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Time": ""}, "MissingParameter"},
		{"delete with a BackendJobId of the wrong type", "DeleteConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "ConsumerGroupName": "g1", "AccountName": "acct1", "BackendJobId": 7}, "InvalidParameter"},
		{"create short password", "CreateConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "ConsumerGroupName": "g9", "AccountName": "a", "Password": "abc"}, "InvalidParameterValue"},
		{"delete wrong account", "DeleteConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "ConsumerGroupName": "g1", "AccountName": "other"}, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codeOf(env.call(t, tt.action, tt.params, nil)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}

	// Another region does not hold the subscription.
	other := sdkClient(t, env.srv.URL, emulator.DemoConfig().Credentials[0], "ap-shanghai")
	env2 := &testEnv{emu: env.emu, srv: env.srv, client: other}
	if got := codeOf(env2.call(t, "DescribeSubscribeDetail", map[string]any{"SubscribeId": emulator.DemoSubscribeID}, nil)); got != "ResourceNotFound" {
		t.Errorf("other region: got %s, want ResourceNotFound", got)
	}
	// A key the emulator does not know.
	bad := &testEnv{emu: env.emu, srv: env.srv, client: sdkClient(t, env.srv.URL, emulator.Credential{SecretID: "AKIDnope", SecretKey: "x"}, "ap-guangzhou")}
	if got := codeOf(bad.call(t, "DescribeSubscribeDetail", map[string]any{"SubscribeId": emulator.DemoSubscribeID}, nil)); got != "AuthFailure.SecretIdNotFound" {
		t.Errorf("unknown key: got %s, want AuthFailure.SecretIdNotFound", got)
	}
}

// fakeClock is a clock the test moves by hand; requests read it concurrently with the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// admitted sends one DescribeSubscribeDetail and reports whether the rate limit let it through.
func (env *testEnv) admitted(t *testing.T) bool {
	t.Helper()
	switch err := env.call(t, "DescribeSubscribeDetail", map[string]any{"SubscribeId": emulator.DemoSubscribeID}, nil); codeOf(err) {
	case "":
		return true
	case "RequestLimitExceeded":
		return false
	default:
		t.Fatalf("got %v, want success or RequestLimitExceeded", err)
		return false
	}
}

// TestRateLimit drives the limit with a clock that only moves when told: at each step, n requests at the
// same instant, of which exactly the first ok must pass.
func TestRateLimit(t *testing.T) {
	type step struct {
		at    time.Duration
		n, ok int
	}
	tests := []struct {
		name  string
		limit int // RateLimitPerSecond
		steps []step
	}{
		{"0 is 20/s; a spent second stays spent until it has passed", 0, []step{
			{0, 21, 20}, {500 * time.Millisecond, 5, 0}, {999 * time.Millisecond, 1, 0}, {time.Second, 21, 20},
		}},
		{"exactly as many as have aged out", 20, []step{
			{0, 10, 10}, {500 * time.Millisecond, 15, 10}, {999 * time.Millisecond, 1, 0},
			{time.Second, 15, 10}, {1499 * time.Millisecond, 1, 0}, {1500 * time.Millisecond, 15, 10},
		}},
		{"throttled requests do not count", 3, []step{
			{0, 3, 3}, {100 * time.Millisecond, 10, 0}, {900 * time.Millisecond, 10, 0}, {time.Second, 4, 3},
		}},
		{"negative disables the limit", -1, []step{{0, 45, 45}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := emulator.DemoConfig()
			cfg.RateLimitPerSecond = tt.limit
			base := time.Now()
			clock := &fakeClock{t: base}
			env := newTestEmulatorWith(t, cfg, emulator.Options{Now: clock.now})
			calls := 0
			for _, st := range tt.steps {
				clock.set(base.Add(st.at))
				got := 0
				for i := 0; i < st.n; i++ {
					if env.admitted(t) {
						if got < i {
							t.Errorf("at %v: request %d admitted after a refusal at the same instant", st.at, i)
						}
						got++
					}
				}
				calls += st.n
				if got != st.ok {
					t.Errorf("at %v: %d of %d admitted, want %d", st.at, got, st.n, st.ok)
				}
			}
			if got := env.emu.Calls("DescribeSubscribeDetail"); got != calls {
				t.Errorf("Calls = %d, want %d (throttled calls count)", got, calls)
			}
		})
	}

	t.Run("per action", func(t *testing.T) {
		cfg := emulator.DemoConfig()
		cfg.RateLimitPerSecond = 3
		clock := &fakeClock{t: time.Now()}
		env := newTestEmulatorWith(t, cfg, emulator.Options{Now: clock.now})
		for i := 0; i < 4; i++ {
			if got, want := env.admitted(t), i < 3; got != want {
				t.Errorf("DescribeSubscribeDetail %d: admitted %v, want %v", i, got, want)
			}
		}
		env.mustCall(t, "DescribeOffsetByTime", byTimeNow, nil)
	})
}

// TestRateLimitWindows sends requests spread over time and checks the definition itself: a request is
// admitted iff fewer than the limit were admitted in the second before it, so no one-second window ever holds
// more than the limit.
func TestRateLimitWindows(t *testing.T) {
	const limit = 20
	every := func(gap time.Duration, n int) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = time.Duration(i) * gap
		}
		return out
	}
	tests := []struct {
		name  string
		times []time.Duration
		want  int // admitted in all
	}{
		// 20 in [0, 760 ms], refused until 1 s, 20 in [1 s, 1.76 s], refused to the end.
		{"one every 40 ms for 2 s", every(40*time.Millisecond, 50), 40},
		{"bursts of 7 every 300 ms", func() []time.Duration {
			var out []time.Duration
			for b := 0; b < 8; b++ {
				for i := 0; i < 7; i++ {
					out = append(out, time.Duration(b)*300*time.Millisecond)
				}
			}
			return out
		}(), -1},
		{"pseudo-random gaps of 0-90 ms", func() []time.Duration {
			var out []time.Duration
			at, x := time.Duration(0), uint32(12345)
			for i := 0; i < 80; i++ {
				x = x*1103515245 + 12345
				at += time.Duration(x>>16%91) * time.Millisecond
				out = append(out, at)
			}
			return out
		}(), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := emulator.DemoConfig()
			cfg.RateLimitPerSecond = limit
			base := time.Now()
			clock := &fakeClock{t: base}
			env := newTestEmulatorWith(t, cfg, emulator.Options{Now: clock.now})
			var admitted []time.Duration
			for _, at := range tt.times {
				clock.set(base.Add(at))
				inWindow := 0 // admitted in (at-1s, at]
				for _, a := range admitted {
					if a > at-time.Second {
						inWindow++
					}
				}
				ok := env.admitted(t)
				if want := inWindow < limit; ok != want {
					t.Errorf("at %v with %d admitted in the second before: admitted %v, want %v", at, inWindow, ok, want)
				}
				if ok {
					admitted = append(admitted, at)
				}
			}
			for _, from := range admitted {
				n := 0
				for _, a := range admitted {
					if a >= from && a < from+time.Second {
						n++
					}
				}
				if n > limit {
					t.Errorf("%d admitted in [%v, %v), want at most %d", n, from, from+time.Second, limit)
				}
			}
			if tt.want >= 0 && len(admitted) != tt.want {
				t.Errorf("%d admitted in all, want %d", len(admitted), tt.want)
			}
			if len(admitted) < limit {
				t.Errorf("only %d admitted, want at least %d (the first second's worth)", len(admitted), limit)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	detail := map[string]any{"SubscribeId": emulator.DemoSubscribeID}

	t.Run("code, Times 2", func(t *testing.T) {
		env := newTestEmulator(t, emulator.Options{})
		env.emu.InjectFault(emulator.Fault{Action: "DescribeSubscribeDetail", Code: "InternalError", Message: "boom", Times: 2})
		for i := 0; i < 2; i++ {
			if got := codeOf(env.call(t, "DescribeSubscribeDetail", detail, nil)); got != "InternalError" {
				t.Errorf("call %d: got %s, want InternalError", i, got)
			}
		}
		env.mustCall(t, "DescribeSubscribeDetail", detail, nil)
		env.mustCall(t, "DescribeOffsetByTime", byTimeNow, nil) // other actions are untouched
	})

	t.Run("drop, any action, from config", func(t *testing.T) {
		cfg := emulator.DemoConfig()
		cfg.Faults = []emulator.Fault{{Action: "*", Drop: true, Times: 1}}
		env := newTestEmulatorWith(t, cfg, emulator.Options{NoRateLimit: true})
		if got := codeOf(env.call(t, "DescribeOffsetByTime", byTimeNow, nil)); got != "ClientError.NetworkError" {
			t.Errorf("got %s, want ClientError.NetworkError", got)
		}
		env.mustCall(t, "DescribeOffsetByTime", byTimeNow, nil)
		if got := env.emu.Calls("DescribeOffsetByTime"); got != 2 {
			t.Errorf("Calls = %d, want 2", got)
		}
	})

	t.Run("forever", func(t *testing.T) {
		env := newTestEmulator(t, emulator.Options{})
		env.emu.InjectFault(emulator.Fault{Action: "DescribeSubscribeDetail", Code: "RequestLimitExceeded"})
		for i := 0; i < 3; i++ {
			if got := codeOf(env.call(t, "DescribeSubscribeDetail", detail, nil)); got != "RequestLimitExceeded" {
				t.Errorf("call %d: got %s, want RequestLimitExceeded", i, got)
			}
		}
	})

	t.Run("delay stops with the caller", func(t *testing.T) {
		env := newTestEmulator(t, emulator.Options{})
		env.emu.InjectFault(emulator.Fault{Action: "DescribeSubscribeDetail", DelayMs: 600000, Times: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := env.callCtx(t, ctx, "DescribeSubscribeDetail", detail, nil); err == nil {
			t.Fatal("got success, want the caller's deadline")
		}
		env.mustCall(t, "DescribeSubscribeDetail", detail, nil) // Times 1 is used up
		// The delayed handler must have returned, not be sleeping out its 600 s: Close waits for every
		// handler, so it returns at once only if the delay ended with the caller.
		closed := make(chan struct{})
		go func() { env.srv.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("the delayed handler is still running 10 s after its caller went away")
		}
	})

	t.Run("delay then the action runs", func(t *testing.T) {
		env := newTestEmulator(t, emulator.Options{})
		env.emu.InjectFault(emulator.Fault{Action: "ResetConsumerGroupOffset", DelayMs: 20, Times: 1})
		produce(t, env, 3, 5)
		env.mustCall(t, "ResetConsumerGroupOffset", resetParams("latest", "", 0), nil)
		if got := offsetsOf(env.describeGroup(t, demoGroup)); !slices.Equal(got, []int64{5, -1, -1}) {
			t.Errorf("offsets %v, want [5 -1 -1] (partitions never committed are -1)", got)
		}
	})

	t.Run("delayed reset is ignored once a consumer joined", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits out a 5 s delay")
		}
		env := newTestEmulator(t, emulator.Options{})
		produce(t, env, 3, 5)
		// The delay must outlast the consumer's join; 5 s is ample for a local kfake group.
		env.emu.InjectFault(emulator.Fault{Action: "ResetConsumerGroupOffset", DelayMs: 5000, Times: 1})
		done := make(chan error, 1)
		go func() {
			done <- env.call(t, "ResetConsumerGroupOffset", resetParams("latest", "", 0, 1, 2), nil)
		}()
		c := consumer(t, env, "late-joiner")
		firstRecords(t, c, 3)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("delayed reset: %v, want success", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("delayed reset did not answer")
		}
		if got := offsetsOf(env.describeGroup(t, demoGroup)); !slices.Equal(got, []int64{-1, -1, -1}) {
			t.Errorf("offsets %v, want [-1 -1 -1]: the reset of an active group is silently ignored", got)
		}
	})
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	first := newTestEmulator(t, emulator.Options{DataDir: dir})
	produce(t, first, 3, 5)
	first.mustCall(t, "CreateConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID,
		"ConsumerGroupName": "g2", "AccountName": "acct2", "Password": "pass1234"}, nil)
	first.mustCall(t, "ResetConsumerGroupOffset", resetParams("datetime", recordTime(3).In(emulator.Beijing).Format("2006-01-02 15:04:05"), 0, 1, 2), nil)
	if err := first.emu.Close(); err != nil {
		t.Fatal(err)
	}

	emu, err := emulator.New(ctx, emulator.DemoConfig(), emulator.Options{DataDir: dir, NoRateLimit: true})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	second := serve(t, emu)

	var resp groupsResponse
	second.mustCall(t, "DescribeConsumerGroups", map[string]any{"SubscribeId": emulator.DemoSubscribeID}, &resp)
	if resp.TotalCount != 2 || resp.Items[1].ConsumerGroupName != "consumer-grp-subs-demo000001-g2" {
		t.Fatalf("after restart: %+v, want g1 and g2", resp)
	}
	if got := offsetsOf(resp.Items[0]); !slices.Equal(got, []int64{3, 3, 3}) {
		t.Errorf("after restart: offsets %v, want [3 3 3]", got)
	}
	var byTime struct {
		Items []struct{ PartitionNo, Offset int64 }
	}
	second.mustCall(t, "DescribeOffsetByTime", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Time": "2099-01-01 00:00:00"}, &byTime)
	for _, it := range byTime.Items {
		if it.Offset != 5 {
			t.Errorf("after restart: partition %d ends at %d, want 5 (records kept)", it.PartitionNo, it.Offset)
		}
	}
}

// TestPartitionsAcrossRestart restarts on one data directory with a changed Partitions: more grows the topic,
// and the new partitions can be reset; fewer refuses to start, naming the field, and leaves the data as it
// was.
func TestPartitionsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		partitions int
		wantErr    []string // fragments of the start-up error; nil: it starts
	}{
		{3, nil},
		{5, nil},
		{5, nil},
		{2, []string{"Subscriptions[0].Partitions", emulator.DemoTopicName, "5 partitions", "the 2 configured"}},
		{4, []string{"Subscriptions[0].Partitions", "5 partitions", "the 4 configured"}},
		{6, nil},
	}
	ends := map[int32]int64{} // end offset per partition, from the records the steps produced
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d: %d partitions", i, tt.partitions), func(t *testing.T) {
			cfg := emulator.DemoConfig()
			cfg.Subscriptions[0].Partitions = tt.partitions
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			emu, err := emulator.New(ctx, cfg, emulator.Options{DataDir: dir, NoRateLimit: true})
			if tt.wantErr != nil {
				if err == nil {
					_ = emu.Close()
					t.Fatalf("started; want an error naming %v", tt.wantErr)
				}
				var ce *emulator.ConfigError
				if !errors.As(err, &ce) || ce.Path != "Subscriptions[0].Partitions" {
					t.Errorf("error %v (%T), want a *ConfigError at Subscriptions[0].Partitions", err, err)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not mention %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			defer func() {
				if err := emu.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			env := serve(t, emu)

			var byTime struct {
				Items []struct{ PartitionNo, Offset int64 }
			}
			env.mustCall(t, "DescribeOffsetByTime", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Time": "2099-01-01 00:00:00"}, &byTime)
			if len(byTime.Items) != tt.partitions {
				t.Fatalf("DescribeOffsetByTime lists %d partitions, want %d", len(byTime.Items), tt.partitions)
			}
			for _, it := range byTime.Items {
				if it.Offset != ends[int32(it.PartitionNo)] {
					t.Errorf("partition %d ends at %d, want %d (records kept)", it.PartitionNo, it.Offset, ends[int32(it.PartitionNo)])
				}
			}

			// The newest partition takes records and a reset, read back from Kafka itself.
			last := int32(tt.partitions - 1)
			produceTo(t, env, last, 2)
			ends[last] += 2
			env.mustCall(t, "ResetConsumerGroupOffset", resetParams("latest", "", last), nil)
			adm, done := admin(t, env)
			defer done()
			fetched, err := adm.FetchOffsets(ctx, demoGroup)
			if err == nil {
				err = fetched.Error()
			}
			if err != nil {
				t.Fatalf("fetch offsets: %v", err)
			}
			if o, ok := fetched.Lookup(emulator.DemoTopicName, last); !ok || o.At != ends[last] {
				t.Errorf("committed offset of partition %d: %+v (found %v), want %d", last, o, ok, ends[last])
			}
			if got := codeOf(env.call(t, "ResetConsumerGroupOffset", resetParams("latest", "", last+1), nil)); got != "InvalidParameterValue" {
				t.Errorf("reset of partition %d, which Kafka does not have: got %q, want InvalidParameterValue", last+1, got)
			}
		})
	}
}

// TestResetPartitionsFromKafka: the partitions a reset accepts are Kafka's, so one a Kafka client added
// after the start is as resettable as the configured ones.
func TestResetPartitionsFromKafka(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	adm, done := admin(t, env)
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resps, err := adm.UpdatePartitions(ctx, 4, emulator.DemoTopicName)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("adding a partition: %v", err)
	}
	produceTo(t, env, 3, 3)
	tests := []struct {
		name       string
		partitions []any
		want       string // error code; "" for success
		wantAt     int64
	}{
		{"added partition", []any{3}, "", 3},
		{"beyond Kafka's partitions", []any{4}, "InvalidParameterValue", 0},
		{"beyond int32", []any{int64(1) << 32}, "InvalidParameterValue", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codeOf(env.call(t, "ResetConsumerGroupOffset", resetParams("latest", "", tt.partitions...), nil)); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if tt.want != "" {
				return
			}
			if g := env.describeGroup(t, demoGroup); len(g.StateOfPartition) != 4 || g.StateOfPartition[3].ConsumerGroupOffset != tt.wantAt {
				t.Errorf("partitions %+v, want 4 with partition 3 at %d", g.StateOfPartition, tt.wantAt)
			}
		})
	}
}
