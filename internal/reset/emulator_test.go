package reset_test

// The tests of issue 5 against the emulator: the real chain reset.New(dts client) over signed HTTP to the DTS
// emulator and its in-process Kafka, with real kgo consumers where a group must be active. The fakes of the
// unit tests only know what we believed about the API; these find out whether the use case, the client and
// the API stand-in agree.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"dtsreset/internal/dts"
	"dtsreset/internal/emulator"
	"dtsreset/internal/reset"
	"dtsreset/internal/testkit"
	"dtsreset/validate"
)

// The actions one reset calls, as the emulator counts them.
const (
	actDescribeGroups = "DescribeConsumerGroups"
	actDescribeTimes  = "DescribeOffsetByTime"
	actDescribeDetail = "DescribeSubscribeDetail"
	actReset          = "ResetConsumerGroupOffset"
)

var actions = []string{actDescribeGroups, actDescribeTimes, actDescribeDetail, actReset}

// emuTimeout bounds one Reset (or Batch) against the emulator: generous, so that a slow -race run fails on
// an assertion rather than on a deadline.
const emuTimeout = 20 * time.Second

// uuidRE is the form of the RequestIds the API (and the emulator) answer with.
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// records is how many records Produce writes to each partition in these tests; committed is where the group
// stands before a reset.
const (
	partitions = 3
	records    = 10
	committed  = 5
)

// newEmuService starts the emulator (cfg nil means the demo configuration) and returns the use case wired to
// it through the real DTS client, precheck and verify on as the configuration defaults them.
func newEmuService(t *testing.T, cfg *emulator.Config, opts reset.Options) (*reset.Service, *testkit.DTS) {
	t.Helper()
	d := testkit.StartDTS(t, cfg, emulator.Options{})
	d.SetEnv(t)
	c, err := dts.NewClient(dts.Options{Region: d.Region, Endpoint: d.URL})
	if err != nil {
		t.Fatalf("dts.NewClient: %v", err)
	}
	return reset.New(c, opts), d
}

func allOn() reset.Options { return reset.Options{Precheck: true, Verify: true} }

// seeded produces records to every partition and commits the demo group at offset committed on each.
func seeded(t *testing.T, d *testkit.DTS) {
	t.Helper()
	d.Produce(t, testkit.Topic, partitions, records)
	d.Commit(t, testkit.Group, testkit.Topic, map[int32]int64{0: committed, 1: committed, 2: committed})
}

func emuRequest(mode string, nos ...int) validate.Request {
	return validate.Request{SubscribeID: testkit.SubscribeID, TopicName: testkit.Topic,
		ConsumerGroupName: testkit.Group, PartitionNos: nos, ResetMode: mode}
}

// between is the Beijing time half-way between records i-1 and i: a datetime reset to it targets offset i.
func between(i int) string {
	return validate.BeijingTime(testkit.RecordTime(i).Add(-7*time.Minute - 30*time.Second))
}

func emuCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), emuTimeout)
	t.Cleanup(cancel)
	return ctx
}

// calls is the emulator's count of every action one reset may call.
func calls(d *testkit.DTS) map[string]int {
	m := make(map[string]int, len(actions))
	for _, a := range actions {
		m[a] = d.Emu.Calls(a)
	}
	return m
}

// callsSince is how many calls of each action reached the emulator since before.
func callsSince(d *testkit.DTS, before map[string]int) map[string]int {
	now := calls(d)
	for a := range now {
		now[a] -= before[a]
	}
	return now
}

func wantEmuError(t *testing.T, err error, kind reset.Kind, code string) *reset.Error {
	t.Helper()
	var e *reset.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want *reset.Error %s", err, err, code)
	}
	if e.Kind != kind || e.Code != code {
		t.Fatalf("got %s/%s (%s), want %s/%s", e.Kind, e.Code, e.Message, kind, code)
	}
	return e
}

func targets(res reset.Result) []int64 {
	out := make([]int64, len(res.Partitions))
	for i, p := range res.Partitions {
		out[i] = *p.TargetOffset
	}
	return out
}

func results(res reset.Result) []string {
	out := make([]string, len(res.Partitions))
	for i, p := range res.Partitions {
		out[i] = "nil"
		if p.ResultOffset != nil {
			out[i] = fmt.Sprint(*p.ResultOffset)
		}
	}
	return out
}

func memberIDs(details any) []string {
	gd, ok := details.(reset.GroupDetails)
	if !ok {
		return nil
	}
	var ids []string
	for _, m := range gd.Members {
		ids = append(ids, m.ClientID)
	}
	return ids
}

func TestEmulatorActiveGroupRefusedWithoutReset(t *testing.T) {
	s, d := newEmuService(t, nil, allOn())
	seeded(t, d)
	const client = "billing-consumer-1"
	d.Join(t, testkit.Group, testkit.Topic, client)

	_, err := s.Reset(emuCtx(t), emuRequest(reset.ModeEarliest, 0, 1, 2))
	e := wantEmuError(t, err, reset.KindConflict, reset.CodeGroupActive)
	if !strings.Contains(e.Message, client) {
		t.Errorf("got message %q, want it to name member %s", e.Message, client)
	}
	// Regression: the refusal used to reply "RequestId": "" although DescribeConsumerGroups answered with one.
	if !uuidRE.MatchString(e.RequestID) {
		t.Errorf("got RequestId %q, want the UUID of the DescribeConsumerGroups answer that showed the group active", e.RequestID)
	}
	if got := memberIDs(e.Details); !slices.Equal(got, []string{client}) {
		t.Errorf("got Details members %v (%#v), want [%s]", got, e.Details, client)
	}
	if got := d.Emu.Calls(actReset); got != 0 {
		t.Errorf("got %d %s calls, want 0", got, actReset)
	}
	if got, want := d.Committed(t, testkit.Group), map[int32]int64{0: committed, 1: committed, 2: committed}; !maps.Equal(got, want) {
		t.Errorf("got committed offsets %v, want %v (untouched)", got, want)
	}
}

// manyGroups is the demo configuration with n consumer groups g001..gNNN (no g1), at most
// emulator.MaxConsumerGroups (DTS's limit per subscription).
func manyGroups(n int) *emulator.Config {
	cfg := emulator.DemoConfig()
	groups := make([]emulator.ConsumerGroup, n)
	for i := range groups {
		groups[i] = emulator.ConsumerGroup{ConsumerGroupName: fmt.Sprintf("g%03d", i+1),
			AccountName: fmt.Sprintf("acct%03d", i+1), Password: "secret12"}
	}
	cfg.Subscriptions[0].ConsumerGroups = groups
	return &cfg
}

func fullName(short string) string { return "consumer-grp-" + testkit.SubscribeID + "-" + short }

func TestEmulatorPrecheckAndPlan(t *testing.T) {
	// A subscription holds at most 10 groups and the use case asks for pages of 100, so a full subscription
	// is one DescribeConsumerGroups page on DTS as in the emulator; paging itself is tested on the fake.
	const n = emulator.MaxConsumerGroups
	s, d := newEmuService(t, manyGroups(n), allOn())
	d.Produce(t, testkit.Topic, partitions, records)

	t.Run("never consumed group: Dead, one page", func(t *testing.T) {
		req := emuRequest(reset.ModeEarliest, 0)
		req.ConsumerGroupName, req.DryRun = fullName(fmt.Sprintf("g%03d", n)), true
		before := calls(d)
		res, err := s.Reset(emuCtx(t), req)
		if err != nil {
			t.Fatalf("Reset: %v", err)
		}
		if res.GroupState != "Dead" {
			t.Errorf("got GroupState %q, want Dead (nobody consumed with it)", res.GroupState)
		}
		if got := callsSince(d, before)[actDescribeGroups]; got != 1 {
			t.Errorf("got %d %s calls, want 1 page", got, actDescribeGroups)
		}
	})
	t.Run("last group of a full subscription", func(t *testing.T) {
		req := emuRequest(reset.ModeEarliest, 0)
		req.ConsumerGroupName = fullName(fmt.Sprintf("g%03d", n))
		before := calls(d)
		res, err := s.Reset(emuCtx(t), req)
		if err != nil {
			t.Fatalf("Reset: %v", err)
		}
		if res.GroupState != "Dead" || !res.Verified {
			t.Errorf("got GroupState %q Verified %v, want Dead true", res.GroupState, res.Verified)
		}
		// One page for the precheck, one for the verify poll.
		if got := callsSince(d, before)[actDescribeGroups]; got != 2 {
			t.Errorf("got %d %s calls, want 2 (1 page, precheck and verify)", got, actDescribeGroups)
		}
	})
	t.Run("missing group", func(t *testing.T) {
		req := emuRequest(reset.ModeEarliest, 0)
		req.ConsumerGroupName = fullName("nope")
		_, err := s.Reset(emuCtx(t), req)
		e := wantEmuError(t, err, reset.KindNotFound, reset.CodeGroupNotFound)
		for _, want := range []string{req.ConsumerGroupName, fullName("g001")} {
			if !strings.Contains(e.Message, want) {
				t.Errorf("got message %q, want it to contain %q", e.Message, want)
			}
		}
		if got := d.Emu.Calls(actReset); got != 1 { // the last-group subtest's
			t.Errorf("got %d %s calls in all, want 1", got, actReset)
		}
	})
	t.Run("unknown partition", func(t *testing.T) {
		req := emuRequest(reset.ModeEarliest, 0, 7, 9)
		req.ConsumerGroupName = fullName("g001")
		_, err := s.Reset(emuCtx(t), req)
		e := wantEmuError(t, err, reset.KindInvalid, reset.CodeInvalidParameter)
		for _, want := range []string{"7, 9", "its partitions are 0-2"} {
			if !strings.Contains(e.Message, want) {
				t.Errorf("got message %q, want it to contain %q", e.Message, want)
			}
		}
		if len(e.Fields) != 1 || e.Fields[0].Field != "PartitionNos" {
			t.Errorf("got Fields %+v, want one about PartitionNos", e.Fields)
		}
	})
}

func TestEmulatorDryRunPlansWhatResetApplies(t *testing.T) {
	s, d := newEmuService(t, nil, allOn())
	seeded(t, d)
	req := emuRequest(reset.ModeDatetime)
	req.AllPartitions, req.ResetDatetime = true, between(3)

	req.DryRun = true
	dry, err := s.Reset(emuCtx(t), req)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if got := d.Emu.Calls(actReset); got != 0 {
		t.Errorf("got %d %s calls after the dry run, want 0", got, actReset)
	}
	if !dry.DryRun || dry.RequestID != "" || dry.Verified {
		t.Errorf("got DryRun %v RequestId %q Verified %v, want true \"\" false", dry.DryRun, dry.RequestID, dry.Verified)
	}
	if got, want := targets(dry), []int64{3, 3, 3}; !slices.Equal(got, want) {
		t.Errorf("got dry-run targets %v, want %v", got, want)
	}
	for _, p := range dry.Partitions {
		if p.CurrentOffset == nil || *p.CurrentOffset != committed || p.ResultOffset != nil {
			t.Errorf("partition %d: got CurrentOffset %v ResultOffset %v, want %d nil",
				p.PartitionNo, p.CurrentOffset, p.ResultOffset, committed)
		}
	}
	if got := d.Committed(t, testkit.Group); !maps.Equal(got, map[int32]int64{0: committed, 1: committed, 2: committed}) {
		t.Errorf("got committed offsets %v after the dry run, want all %d", got, committed)
	}

	req.DryRun = false
	res, err := s.Reset(emuCtx(t), req)
	if err != nil {
		t.Fatalf("reset: %v", err)
	}
	if !res.Verified || res.RequestID == "" {
		t.Errorf("got Verified %v RequestId %q, want true and non-empty", res.Verified, res.RequestID)
	}
	if got, want := targets(res), targets(dry); !slices.Equal(got, want) {
		t.Errorf("got reset targets %v, want the dry run's %v", got, want)
	}
	want := make([]string, len(dry.Partitions))
	wantCommitted := map[int32]int64{}
	for i, p := range dry.Partitions {
		want[i] = fmt.Sprint(*p.TargetOffset)
		wantCommitted[int32(p.PartitionNo)] = *p.TargetOffset
	}
	if got := results(res); !slices.Equal(got, want) {
		t.Errorf("got ResultOffsets %v, want the dry run's targets %v", got, want)
	}
	if got := d.Committed(t, testkit.Group); !maps.Equal(got, wantCommitted) {
		t.Errorf("got Kafka committed offsets %v, want the dry run's targets %v", got, wantCommitted)
	}
}

// Regression guard for the API's trap: a consumer that joins between the precheck and the reset makes DTS
// ignore the reset and still answer success. The emulator holds the reset for resetDelay; the consumer joins
// as soon as the reset request has arrived, that is after the precheck. resetDelay is long (4s) because a kgo
// join under -race on a loaded 2-core machine can take well over a second, and the join must finish inside
// the delay for the scenario to happen at all.
//
// In the latest case the consumer also commits its own progress past the planned targets (the end of the log
// at the plan), as a working consumer soon does: offsets beyond a latest target must not pass for the reset.
func TestEmulatorConsumerJoinsAfterPrecheck(t *testing.T) {
	tests := []struct {
		mode          string
		commitBeyond  bool  // the consumer commits records+2 on every partition once it has joined
		wantCommitted int64 // where Kafka has the group afterwards
	}{
		{reset.ModeEarliest, false, committed},
		{reset.ModeLatest, true, records + 2},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			consumerJoinsAfterPrecheck(t, tt.mode, tt.commitBeyond, tt.wantCommitted)
		})
	}
}

func consumerJoinsAfterPrecheck(t *testing.T, mode string, commitBeyond bool, wantCommitted int64) {
	const resetDelay = 4000 * time.Millisecond
	s, d := newEmuService(t, nil, allOn())
	seeded(t, d)
	d.Emu.InjectFault(emulator.Fault{Action: actReset, DelayMs: int(resetDelay / time.Millisecond), Times: 1})

	const client = "late-consumer"
	var (
		wg               sync.WaitGroup
		arrived, joined  time.Time
		joinCtx, stopTry = context.WithTimeout(t.Context(), emuTimeout)
	)
	defer stopTry()
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; d.Emu.Calls(actReset) == 0; i++ {
			if i == 4000 { // 4000 x 5ms, the same 20s as joinCtx
				return
			}
			select {
			case <-tick.C:
			case <-joinCtx.Done():
				return // Reset returned (or gave up) before asking for the reset
			}
		}
		arrived = time.Now()
		c := d.Join(goroutineTB{t}, testkit.Group, testkit.Topic, client)
		if commitBeyond {
			offs := map[int32]kgo.EpochOffset{}
			for p := range int32(partitions) {
				offs[p] = kgo.EpochOffset{Epoch: -1, Offset: records + 2}
			}
			var commitErr error
			c.CommitOffsetsSync(joinCtx, map[string]map[int32]kgo.EpochOffset{testkit.Topic: offs},
				func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
					commitErr = err
					if err == nil {
						for _, rt := range resp.Topics {
							for _, rp := range rt.Partitions {
								if commitErr == nil {
									commitErr = kerr.ErrorForCode(rp.ErrorCode)
								}
							}
						}
					}
				})
			if commitErr != nil {
				t.Errorf("the consumer's own commit failed: %v", commitErr)
				return
			}
		}
		joined = time.Now()
	}()

	res, err := s.Reset(emuCtx(t), emuRequest(mode, 0, 1, 2))
	stopTry()
	wg.Wait()
	if arrived.IsZero() {
		t.Fatalf("got Reset %+v, %v before any reset request reached the emulator, want the reset held", res, err)
	}
	if joined.IsZero() {
		t.FailNow() // Join or the commit reported why
	}
	t.Logf("consumer joined %s after the reset request arrived (held %s)", joined.Sub(arrived).Round(time.Millisecond), resetDelay)
	// The test's precondition, not a speed check: only a consumer that joined while the reset was held makes
	// the API ignore it. If the join took longer, the scenario never happened and nothing below means anything.
	if took := joined.Sub(arrived); took >= resetDelay {
		t.Fatalf("precondition not met: the consumer took %s to join, want less than the reset's delay %s "+
			"(the join must land while the reset is held, or the scenario under test never happens)",
			took, resetDelay)
	}
	if err == nil {
		t.Fatalf("got success %+v, want %s", res, reset.CodeResetNotApplied)
	}
	e := wantEmuError(t, err, reset.KindConflict, reset.CodeResetNotApplied)
	if e.RequestID == "" {
		t.Errorf("got empty RequestId, want the reset's")
	}
	if !strings.Contains(e.Message, client) || !strings.Contains(e.Message, e.RequestID) {
		t.Errorf("got message %q, want it to name %s and RequestId %s", e.Message, client, e.RequestID)
	}
	if got := memberIDs(e.Details); !slices.Equal(got, []string{client}) {
		t.Errorf("got Details members %v, want [%s]", got, client)
	}
	want := map[int32]int64{0: wantCommitted, 1: wantCommitted, 2: wantCommitted}
	if got := d.Committed(t, testkit.Group); !maps.Equal(got, want) {
		t.Errorf("got committed offsets %v, want %v (the reset was ignored)", got, want)
	}
}

// goroutineTB lets a testkit helper run off the test's goroutine: a fatal failure ends that goroutine, not
// the test, and is reported through Errorf (FailNow must not be called from other goroutines).
type goroutineTB struct{ testing.TB }

func (g goroutineTB) Fatal(args ...any) { g.TB.Error(args...); runtime.Goexit() }
func (g goroutineTB) Fatalf(format string, args ...any) {
	g.TB.Errorf(format, args...)
	runtime.Goexit()
}
func (g goroutineTB) FailNow() { g.TB.Fail(); runtime.Goexit() }

func TestEmulatorModesApplyAndConsumerResumesAtTarget(t *testing.T) {
	tests := []struct {
		name    string
		req     validate.Request
		produce bool            // one more record per partition after the reset, for latest
		want    map[int32]int64 // the offset the next consumer reads first, per partition
		value   map[int32]string
	}{
		{
			name:  "earliest",
			req:   emuRequest(reset.ModeEarliest, 0, 2),
			want:  map[int32]int64{0: 0, 1: committed, 2: 0},
			value: map[int32]string{0: "0-0", 1: "1-5", 2: "2-0"},
		},
		{
			name: "datetime between records",
			req: func() validate.Request {
				r := emuRequest(reset.ModeDatetime, 2, 0)
				r.ResetDatetime = between(8)
				return r
			}(),
			want:  map[int32]int64{0: 8, 1: committed, 2: 8},
			value: map[int32]string{0: "0-8", 1: "1-5", 2: "2-8"},
		},
		{
			// The target is the end of the log; the record produced after the reset is the first one read.
			name:    "latest",
			req:     emuRequest(reset.ModeLatest, 0, 2),
			produce: true,
			want:    map[int32]int64{0: records, 1: committed, 2: records},
			value:   map[int32]string{0: "0-0", 1: "1-5", 2: "2-0"},
		},
		{
			name: "all partitions",
			req: func() validate.Request {
				r := emuRequest(reset.ModeDatetime)
				r.AllPartitions, r.ResetDatetime = true, between(2)
				return r
			}(),
			want:  map[int32]int64{0: 2, 1: 2, 2: 2},
			value: map[int32]string{0: "0-2", 1: "1-2", 2: "2-2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, d := newEmuService(t, nil, allOn())
			seeded(t, d)
			res, err := s.Reset(emuCtx(t), tt.req)
			if err != nil {
				t.Fatalf("Reset: %v", err)
			}
			if !res.Verified || res.RequestID == "" {
				t.Errorf("got Verified %v RequestId %q, want true and non-empty", res.Verified, res.RequestID)
			}
			wantParts := len(tt.req.PartitionNos)
			if tt.req.AllPartitions {
				wantParts = partitions
			}
			if len(res.Partitions) != wantParts {
				t.Fatalf("got %d partitions, want %d", len(res.Partitions), wantParts)
			}
			for _, p := range res.Partitions {
				want := tt.want[int32(p.PartitionNo)]
				if *p.TargetOffset != want || p.ResultOffset == nil || *p.ResultOffset != want {
					t.Errorf("partition %d: got TargetOffset %d ResultOffset %s, want %d %d",
						p.PartitionNo, *p.TargetOffset, results(reset.Result{Partitions: []reset.PartitionResult{p}})[0],
						want, want)
				}
			}
			if tt.produce {
				d.Produce(t, testkit.Topic, partitions, 1)
			}
			first := d.FirstRecords(t, testkit.Group, testkit.Topic, partitions)
			for p, want := range tt.want {
				r := first[p]
				if r.Offset != want || string(r.Value) != tt.value[p] {
					t.Errorf("partition %d: consumer read first offset %d value %q, want %d %q",
						p, r.Offset, r.Value, want, tt.value[p])
				}
			}
		})
	}
}

func TestEmulatorBatchWithinRateLimit(t *testing.T) {
	const n = 30
	s, d := newEmuService(t, nil, allOn()) // the emulator's default limit: 20 requests/s per action
	seeded(t, d)
	reqs := make([]validate.Request, n)
	for i := range reqs {
		reqs[i] = emuRequest(reset.ModeDatetime, 0, 1, 2)
		reqs[i].ResetDatetime = between(i % records)
	}

	before := calls(d)
	start := time.Now()
	out := s.Batch(emuCtx(t), reqs)
	took := time.Since(start)
	t.Logf("%d resets in %s", n, took.Round(time.Millisecond))

	if out.Failed != 0 {
		for i, it := range out.Items {
			if it.Err != nil {
				t.Errorf("reset %d: %v", i, it.Err)
			}
		}
		t.Fatalf("got %d failed resets, want 0", out.Failed)
	}
	for i, it := range out.Items {
		if it.Result == nil || !it.Result.Verified {
			t.Errorf("reset %d: got %+v, want a verified result", i, it.Result)
		}
	}
	// Each reset that applies at once costs one page of groups for the precheck and one verify poll, one
	// subscription detail, one offset lookup and the reset. More calls are retries: RequestLimitExceeded.
	perReset := map[string]int{actDescribeGroups: 2, actDescribeDetail: 1, actDescribeTimes: 1, actReset: 1}
	got := callsSince(d, before)
	for _, a := range actions {
		if want := n * perReset[a]; got[a] != want {
			t.Errorf("%s: got %d calls, want %d: %d retries (the SDK retries RequestLimitExceeded, our client "+
				"network failures and InternalError)", a, got[a], want, got[a]-want)
		}
	}
	// At most 19 calls per action in any 1.05s: the 60 DescribeConsumerGroups go in four windows, the last
	// starting 3 x 1.05s after the first. This is a behavioural check of the pacing, not a speed check: it is a
	// lower bound, which a slow machine only makes easier to meet, so it cannot flake; only a client that sends
	// faster than its limit fails it.
	if took < 3150*time.Millisecond {
		t.Errorf("got %s for %d resets, want at least 3.15s: the client's limiter did not pace them", took, n)
	}
}

func TestEmulatorPrecheckAndVerifySwitches(t *testing.T) {
	t.Run("precheck off, active group: verify catches the ignored reset", func(t *testing.T) {
		s, d := newEmuService(t, nil, reset.Options{Precheck: false, Verify: true})
		seeded(t, d)
		const client = "unchecked-consumer"
		d.Join(t, testkit.Group, testkit.Topic, client)

		res, err := s.Reset(emuCtx(t), emuRequest(reset.ModeEarliest, 0, 1))
		if err == nil {
			t.Fatalf("got success %+v, want %s", res, reset.CodeResetNotApplied)
		}
		e := wantEmuError(t, err, reset.KindConflict, reset.CodeResetNotApplied)
		if e.RequestID == "" {
			t.Errorf("got empty RequestId, want the reset's")
		}
		if got := d.Emu.Calls(actReset); got != 1 {
			t.Errorf("got %d %s calls, want 1 (answered success, silently ignored)", got, actReset)
		}
		if got := memberIDs(e.Details); !slices.Equal(got, []string{client}) {
			t.Errorf("got Details members %v, want [%s]", got, client)
		}
	})

	tests := []struct {
		name       string
		opts       reset.Options
		wantGroups int // DescribeConsumerGroups calls in all
		wantDetail int
		wantTimes  int // DescribeOffsetByTime: the plan, which both checks off skip (the reset is the only call)
	}{
		{"verify off", reset.Options{Precheck: true, Verify: false}, 1, 1, 1},
		{"precheck and verify off", reset.Options{}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, d := newEmuService(t, nil, tt.opts)
			seeded(t, d)
			res, err := s.Reset(emuCtx(t), emuRequest(reset.ModeEarliest, 0, 1))
			if err != nil {
				t.Fatalf("Reset: %v", err)
			}
			if res.Verified || res.RequestID == "" {
				t.Errorf("got Verified %v RequestId %q, want false and non-empty", res.Verified, res.RequestID)
			}
			if got := results(res); !slices.Equal(got, []string{"nil", "nil"}) {
				t.Errorf("got ResultOffsets %v, want none", got)
			}
			got := calls(d)
			want := map[string]int{actDescribeGroups: tt.wantGroups, actDescribeDetail: tt.wantDetail,
				actDescribeTimes: tt.wantTimes, actReset: 1}
			if !maps.Equal(got, want) {
				t.Errorf("got calls %v, want %v", got, want)
			}
			// Unverified is not unapplied: the group was Empty, so the reset took effect.
			if got := d.Committed(t, testkit.Group); !maps.Equal(got, map[int32]int64{0: 0, 1: 0, 2: committed}) {
				t.Errorf("got committed offsets %v, want 0 0 %d", got, committed)
			}
		})
	}
}
