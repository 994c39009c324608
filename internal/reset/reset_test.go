package reset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"dtsreset/validate"
)

func TestPrecheckFindsGroupOnLaterPage(t *testing.T) {
	s := newSim()
	s.addGroups(15) // the API pages by 10 whatever we ask: the group is on page 2
	f := s.newFake(t)
	res, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 1))
	if err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if res.GroupState != "Empty" || !res.Verified {
		t.Errorf("got GroupState %q Verified %v, want Empty true", res.GroupState, res.Verified)
	}
	if got, want := f.pages[:2], []int{0, 10}; !slices.Equal(got, want) {
		t.Errorf("got page offsets %v, want %v", got, want)
	}
	if got := deref(res.Partitions[0].CurrentOffset); got != "710" {
		t.Errorf("got CurrentOffset %s, want 710 (from the group on page 2)", got)
	}
}

// TestPrecheckMatchesTheFullNameOnly: the group is found by its full name, never by a short form. Regression: a
// short-name fallback matched consumer-grp-<sid>-consumer-grp-<sid>-g2 to the group ...-g2, and the dry run
// answered 200 with another group's state.
func TestPrecheckMatchesTheFullNameOnly(t *testing.T) {
	tests := []struct {
		name     string
		reported string // the name DescribeConsumerGroups reports for the group
		asked    string // the ConsumerGroupName of the request
	}{
		{"nested full name", testGroup, "consumer-grp-" + testSub + "-" + testGroup},
		{"a group reported by its short name", strings.TrimPrefix(testGroup, "consumer-grp-"+testSub+"-"), testGroup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim()
			s.groups[0].Name = tt.reported
			f := s.newFake(t)
			f.reset = func(context.Context, ResetCall) (string, error) {
				t.Error("the reset ran")
				return "rid", nil
			}
			req := request(ModeEarliest, 0)
			req.ConsumerGroupName = tt.asked
			req.DryRun = true
			_, err := New(f, allOn()).Reset(t.Context(), req)
			wantError(t, err, KindNotFound, CodeGroupNotFound)
		})
	}
}

func TestPrecheckMissingGroup(t *testing.T) {
	s := newSim()
	s.groups = nil
	s.addGroups(23)
	f := s.newFake(t)
	_, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 0))
	e := wantError(t, err, KindNotFound, CodeGroupNotFound)
	for _, want := range []string{testGroup, testSub, "consumer-grp-subs-abc123-other0", "other9", "and 13 more"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message %q lacks %q", e.Message, want)
		}
	}
	if strings.Contains(e.Message, "other10") {
		t.Errorf("message %q lists more than 10 groups", e.Message)
	}
	if n := f.count("DescribeConsumerGroups"); n != 3 {
		t.Errorf("got %d pages asked, want 3 (23 groups, 10 a page)", n)
	}
	if n := f.count("ResetConsumerGroupOffset"); n != 0 {
		t.Errorf("got %d reset calls, want 0", n)
	}
}

func TestPrecheckActiveGroup(t *testing.T) {
	s := newSim()
	g := &s.groups[0]
	g.State = "Stable"
	g.Assignment = []Assignment{{ClientID: "kgo-a", PartitionNos: []int{0, 1}}, {ClientID: "kgo-b", PartitionNos: []int{2, 3}}}
	f := s.newFake(t)
	_, err := New(f, allOn()).Reset(t.Context(), request(ModeLatest, 0))
	e := wantError(t, err, KindConflict, CodeGroupActive)
	for _, want := range []string{"Stable", "kgo-a (partitions 0-1)", "kgo-b (partitions 2-3)", "silently ignore",
		"leave the group"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message %q lacks %q", e.Message, want)
		}
	}
	d, ok := e.Details.(GroupDetails)
	if !ok {
		t.Fatalf("got Details %T, want GroupDetails", e.Details)
	}
	want := GroupDetails{GroupState: "Stable", Members: []Member{{"kgo-a", []int{0, 1}}, {"kgo-b", []int{2, 3}}}}
	if fmt.Sprint(d) != fmt.Sprint(want) {
		t.Errorf("got Details %+v, want %+v", d, want)
	}
	if n := f.count("ResetConsumerGroupOffset"); n != 0 {
		t.Errorf("got %d reset calls, want 0", n)
	}
}

func TestPrecheckPagingBounded(t *testing.T) {
	tests := []struct {
		name  string
		page  func(offset int) GroupPage
		kind  Kind
		code  string
		calls int
	}{
		{"TotalCount lies high, pages never end", func(offset int) GroupPage {
			return GroupPage{TotalCount: 1 << 30, Groups: []Group{{Name: fmt.Sprint("x", offset), State: "Empty"}}}
		}, KindUpstream, CodeUpstreamFailure, maxGroupPages},
		{"TotalCount lies high, then an empty page", func(offset int) GroupPage {
			if offset >= 20 {
				return GroupPage{TotalCount: 1 << 30}
			}
			return GroupPage{TotalCount: 1 << 30, Groups: make([]Group, 10)}
		}, KindNotFound, CodeGroupNotFound, 3},
		{"TotalCount lies low", func(offset int) GroupPage {
			return GroupPage{TotalCount: 1, Groups: make([]Group, 10)}
		}, KindNotFound, CodeGroupNotFound, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSim().newFake(t)
			f.groups = func(_ context.Context, offset, _ int) (GroupPage, error) { return tt.page(offset), nil }
			_, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 0))
			wantError(t, err, tt.kind, tt.code)
			if n := f.count("DescribeConsumerGroups"); n != tt.calls {
				t.Errorf("got %d DescribeConsumerGroups calls, want %d", n, tt.calls)
			}
		})
	}
}

func TestTopicMismatch(t *testing.T) {
	s := newSim()
	s.topic = "topic-subs-abc123-cdb-9"
	f := s.newFake(t)
	_, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 0))
	e := wantError(t, err, KindInvalid, CodeInvalidParameter)
	if len(e.Fields) != 1 || e.Fields[0].Field != "TopicName" || !strings.Contains(e.Fields[0].Message, s.topic) {
		t.Errorf("got Fields %+v, want one on TopicName naming %s", e.Fields, s.topic)
	}
	if n := f.count("ResetConsumerGroupOffset"); n != 0 {
		t.Errorf("got %d reset calls, want 0", n)
	}
}

// TestErrorsCarryTheDescribeRequestID guards the bug where the errors the use case builds from a Describe*
// answer replied "RequestId": "" although DTS answered the call with one (SPEC §5: the error carries the
// upstream RequestId when there is one). Each error carries the RequestId of the answer that produced it; the
// sim names them rid-groups-<page offset>, rid-offsets, rid-detail and rid-<n> for the n-th reset.
func TestErrorsCarryTheDescribeRequestID(t *testing.T) {
	tests := []struct {
		name    string
		set     func(s *sim, f *fakeDTS)
		req     validate.Request
		kind    Kind
		code    string
		wantRID string
	}{
		{"group missing, no groups", func(s *sim, _ *fakeDTS) { s.groups = nil },
			request(ModeEarliest, 0), KindNotFound, CodeGroupNotFound, "rid-groups-0"},
		{"group missing, the last page searched", func(s *sim, _ *fakeDTS) { s.groups = nil; s.addGroups(23) },
			request(ModeEarliest, 0), KindNotFound, CodeGroupNotFound, "rid-groups-20"},
		{"group active, first page", func(s *sim, _ *fakeDTS) { s.groups[0].State = "Stable" },
			request(ModeEarliest, 0), KindConflict, CodeGroupActive, "rid-groups-0"},
		{"group active, on the page that showed it", func(s *sim, _ *fakeDTS) {
			s.groups[0].State = "PreparingRebalance"
			s.addGroups(15) // the group is the 16th: on the page at offset 10
		}, request(ModeEarliest, 0), KindConflict, CodeGroupActive, "rid-groups-10"},
		{"paging gave up", func(_ *sim, f *fakeDTS) {
			f.groups = func(_ context.Context, offset, _ int) (GroupPage, error) {
				return GroupPage{RequestID: fmt.Sprint("rid-page-", offset), TotalCount: 1 << 30,
					Groups: []Group{{Name: fmt.Sprint("x", offset), State: "Empty"}}}, nil
			}
		}, request(ModeEarliest, 0), KindUpstream, CodeUpstreamFailure, fmt.Sprint("rid-page-", maxGroupPages-1)},
		{"topic mismatch", func(s *sim, _ *fakeDTS) { s.topic = "topic-subs-abc123-cdb-9" },
			request(ModeEarliest, 0), KindInvalid, CodeInvalidParameter, "rid-detail"},
		{"unknown partitions", func(*sim, *fakeDTS) {},
			request(ModeEarliest, 1, 7, 9), KindInvalid, CodeInvalidParameter, "rid-offsets"},
		{"no partitions listed", func(_ *sim, f *fakeDTS) {
			f.offsets = func(context.Context, string) (Offsets, error) { return Offsets{RequestID: "rid-offsets"}, nil }
		}, request(ModeEarliest, 0), KindUpstream, CodeUpstreamFailure, "rid-offsets"},
		{"reset not applied keeps the reset's", func(s *sim, _ *fakeDTS) { s.ignore = true },
			request(ModeEarliest, 0), KindConflict, CodeResetNotApplied, "rid-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim()
			f := s.newFake(t)
			tt.set(s, f)
			_, err := New(f, allOn()).Reset(t.Context(), tt.req)
			e := wantError(t, err, tt.kind, tt.code)
			if e.RequestID != tt.wantRID {
				t.Errorf("got RequestID %q, want %q (%s)", e.RequestID, tt.wantRID, e.Message)
			}
		})
	}
}

func TestPlanAsksAtTheModesTime(t *testing.T) {
	tests := []struct {
		mode   string
		at     string
		target int64
		sent   string // ResetDatetime sent and reported
	}{
		{ModeEarliest, EarliestTime, 110, ""},
		{ModeLatest, "2024-05-16 09:02:03", 1010, ""}, // fixedNow in Beijing time
		{ModeDatetime, testAt, 510, testAt},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			f := newSim().newFake(t)
			res, err := New(f, allOn()).Reset(t.Context(), request(tt.mode, 1))
			if err != nil {
				t.Fatalf("Reset: %v", err)
			}
			if !slices.Equal(f.ats, []string{tt.at}) {
				t.Errorf("got DescribeOffsetByTime at %q, want [%q]", f.ats, tt.at)
			}
			p := res.Partitions[0]
			if *p.TargetOffset != tt.target || deref(p.ResultOffset) != fmt.Sprint(tt.target) {
				t.Errorf("got target %d result %s, want %d", *p.TargetOffset, deref(p.ResultOffset), tt.target)
			}
			if res.ResetDatetime != tt.sent || f.resets[0].ResetDatetime != tt.sent {
				t.Errorf("got ResetDatetime %q, sent %q, want %q", res.ResetDatetime, f.resets[0].ResetDatetime, tt.sent)
			}
			if f.resets[0].ResetMode != tt.mode || f.resets[0].ConsumerGroupName != testGroup {
				t.Errorf("got reset call %+v", f.resets[0])
			}
		})
	}
}

func TestPlanUnknownPartition(t *testing.T) {
	f := newSim().newFake(t)
	_, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 1, 7, 9))
	e := wantError(t, err, KindInvalid, CodeInvalidParameter)
	if len(e.Fields) != 1 || e.Fields[0].Field != "PartitionNos" || e.Fields[0].Rule != "exists" {
		t.Fatalf("got Fields %+v, want one PartitionNos/exists", e.Fields)
	}
	for _, want := range []string{"partitions 7, 9", "0-3"} {
		if !strings.Contains(e.Fields[0].Message, want) {
			t.Errorf("message %q lacks %q", e.Fields[0].Message, want)
		}
	}
	if n := f.count("ResetConsumerGroupOffset"); n != 0 {
		t.Errorf("got %d reset calls, want 0", n)
	}
}

func TestPlanAllPartitionsSorted(t *testing.T) {
	s := newSim()
	s.reverse = true
	f := s.newFake(t)
	req := request(ModeLatest)
	req.AllPartitions = true
	res, err := New(f, allOn()).Reset(t.Context(), req)
	if err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if got := partitionNos(res.Partitions); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("got partitions %v, want 0..3 sorted", got)
	}
	if got := f.resets[0].PartitionNos; !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("sent PartitionNos %v, want 0..3", got)
	}
}

func TestPlanKeepsRequestOrderAndCurrentOffsets(t *testing.T) {
	s := newSim()
	s.groups[0].Partitions = s.groups[0].Partitions[:2] // no committed offset for 2 and 3
	f := s.newFake(t)
	res, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 3, 0))
	if err != nil {
		t.Fatalf("Reset: %v", err)
	}
	got := fmt.Sprintf("%d:%s %d:%s", res.Partitions[0].PartitionNo, deref(res.Partitions[0].CurrentOffset),
		res.Partitions[1].PartitionNo, deref(res.Partitions[1].CurrentOffset))
	if want := "3:nil 0:700"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestDryRunThenReset(t *testing.T) {
	s := newSim()
	f := s.newFake(t)
	svc := New(f, allOn())
	req := request(ModeDatetime, 0, 2)
	req.DryRun = true
	dry, err := svc.Reset(t.Context(), req)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if n := f.count("ResetConsumerGroupOffset"); n != 0 {
		t.Fatalf("dry run made %d reset calls, want 0", n)
	}
	if dry.RequestID != "" || !dry.DryRun || dry.Verified {
		t.Errorf("dry run got RequestID %q DryRun %v Verified %v, want \"\" true false", dry.RequestID, dry.DryRun, dry.Verified)
	}
	for _, p := range dry.Partitions {
		if p.ResultOffset != nil || p.CurrentOffset == nil {
			t.Errorf("dry run partition %d: got current %s result %s, want set and nil", p.PartitionNo,
				deref(p.CurrentOffset), deref(p.ResultOffset))
		}
	}

	req.DryRun = false
	res, err := svc.Reset(t.Context(), req)
	if err != nil {
		t.Fatalf("reset: %v", err)
	}
	if res.RequestID != "rid-1" || !res.Verified {
		t.Errorf("got RequestID %q Verified %v, want rid-1 true", res.RequestID, res.Verified)
	}
	for i, p := range res.Partitions {
		if *p.TargetOffset != *dry.Partitions[i].TargetOffset || deref(p.ResultOffset) != fmt.Sprint(*p.TargetOffset) {
			t.Errorf("partition %d: dry target %d, target %d, result %s", p.PartitionNo,
				*dry.Partitions[i].TargetOffset, *p.TargetOffset, deref(p.ResultOffset))
		}
	}
}

func TestVerify(t *testing.T) {
	joins := func(s *sim) { // a consumer joins between the precheck and the reset
		s.groups[len(s.groups)-1].State = "Stable"
		s.groups[len(s.groups)-1].Assignment = []Assignment{{ClientID: "late-joiner", PartitionNos: []int{0, 1, 2, 3}}}
	}
	tests := []struct {
		name    string
		mode    string
		setup   func(*sim)
		code    string // "" for success
		polls   int    // DescribeConsumerGroups calls after the reset; 0: don't check
		results []int64
	}{
		{"applied at once", ModeDatetime, func(*sim) {}, "", 1, []int64{500, 520}},
		{"applied on the 3rd poll", ModeEarliest, func(s *sim) { s.applyAfter = 2 }, "", 3, []int64{100, 120}},
		{"never applied", ModeEarliest, func(s *sim) { s.ignore = true }, CodeResetNotApplied, 0, nil},
		{"group turned Stable", ModeEarliest, func(s *sim) { s.beforeReset = joins }, CodeResetNotApplied, 1, nil},
		{"latest, end moved beyond target", ModeLatest, func(s *sim) {
			s.beforeReset = func(s *sim) { s.latest = []int64{1005, 1015, 1025, 1035} }
		}, "", 1, []int64{1005, 1025}},
	}
	// In a synctest bubble: the verify's waits and timeout are fake time, so its bound is exact.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSim()
				tt.setup(s)
				f := s.newFake(t)
				opts := allOn()
				opts.VerifyTimeout = 300 * time.Millisecond
				if tt.polls == 3 {
					opts.VerifyTimeout = 5 * time.Second // 3rd poll comes 300ms after the reset
				}
				start := time.Now()
				res, err := New(f, opts).Reset(t.Context(), request(tt.mode, 0, 2))
				elapsed := time.Since(start)
				if tt.polls > 0 {
					if n := len(f.callsAfterReset()); n != tt.polls {
						t.Errorf("got %d polls, want %d", n, tt.polls)
					}
				}
				if tt.code != "" {
					e := wantError(t, err, KindConflict, tt.code)
					if e.RequestID != "rid-1" || !strings.Contains(e.Message, "rid-1") {
						t.Errorf("got RequestID %q message %q, want rid-1 in both", e.RequestID, e.Message)
					}
					// The verify gives up at its timeout rather than polling on.
					if elapsed > opts.VerifyTimeout {
						t.Errorf("took %v, want at most VerifyTimeout %v", elapsed, opts.VerifyTimeout)
					}
					d := e.Details.(GroupDetails)
					if len(d.Partitions) != 2 || d.Partitions[0].TargetOffset != 100 || *d.Partitions[0].Offset != 700 {
						t.Errorf("got Details %+v, want partitions 0 and 2 at 700/720 expected 100/120", d)
					}
					if !strings.Contains(e.Message, "partition 0 is at 700, expected 100") {
						t.Errorf("message %q lacks the expected vs actual offsets", e.Message)
					}
					if tt.name == "group turned Stable" && (d.GroupState != "Stable" || !strings.Contains(e.Message, "late-joiner")) {
						t.Errorf("got state %q message %q, want Stable and the member", d.GroupState, e.Message)
					}
					return
				}
				if err != nil {
					t.Fatalf("Reset: %v", err)
				}
				if !res.Verified || res.RequestID != "rid-1" {
					t.Errorf("got Verified %v RequestID %q, want true rid-1", res.Verified, res.RequestID)
				}
				for i, p := range res.Partitions {
					if deref(p.ResultOffset) != fmt.Sprint(tt.results[i]) {
						t.Errorf("partition %d: got ResultOffset %s, want %d", p.PartitionNo, deref(p.ResultOffset), tt.results[i])
					}
				}
			})
		})
	}
}

// TestVerifyLatestWithMembers: the API ignored a latest reset because a consumer joined just before it, and the
// consumer then committed its own progress past the planned targets (the end of the log at the plan). Offsets
// beyond a latest target must not count as applied while the group has members: nobody but a member moves
// them, so they prove nothing about the reset.
func TestVerifyLatestWithMembers(t *testing.T) {
	tests := []struct {
		name  string
		state string
		code  string // "" for success
	}{
		{"member committed past the target", "Stable", CodeResetNotApplied},
		{"member rebalancing", "PreparingRebalance", CodeResetNotApplied},
		// Control: the same offsets in an idle group are the end of a log that grew before the reset applied.
		{"idle group beyond the target", "Empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim()
			s.beforeReset = func(s *sim) {
				g := &s.groups[len(s.groups)-1]
				g.State = tt.state
				if active(tt.state) {
					g.Assignment = []Assignment{{ClientID: "late-joiner", PartitionNos: []int{0, 1, 2, 3}}}
				}
				if !active(tt.state) { // the log grew: the reset moves the idle group past the planned targets
					s.latest = []int64{1007, 1017, 1027, 1037}
					return
				}
				for i := range g.Partitions { // the member's commits, past the planned targets 1000…1030
					g.Partitions[i].Offset = s.latest[i] + 7
				}
			}
			f := s.newFake(t)
			opts := allOn()
			opts.VerifyTimeout = 300 * time.Millisecond
			res, err := New(f, opts).Reset(t.Context(), request(ModeLatest, 0, 2))
			if tt.code == "" {
				if err != nil || !res.Verified || deref(res.Partitions[0].ResultOffset) != "1007" {
					t.Fatalf("got %+v, %v; want verified at 1007", res, err)
				}
				return
			}
			e := wantError(t, err, KindConflict, tt.code)
			if !strings.Contains(e.Message, "partition 0 is at 1007, expected 1000") || !strings.Contains(e.Message, "late-joiner") {
				t.Errorf("message %q lacks the offsets or the member", e.Message)
			}
			if d := e.Details.(GroupDetails); len(d.Partitions) != 2 || d.GroupState != tt.state {
				t.Errorf("got Details %+v, want partitions 0 and 2 and state %s", d, tt.state)
			}
		})
	}
}

// TestVerifyPollErrorKeepsResetRequestID: a poll refused after the reset was accepted leaves its outcome
// unknown (504 with the reset's RequestId), and says what refused it.
func TestVerifyPollErrorKeepsResetRequestID(t *testing.T) {
	s := newSim()
	f := s.newFake(t)
	auth := &Error{Kind: KindUpstream, Code: "AuthFailure.UnauthorizedOperation", Message: "no permission",
		RequestID: "describe-rid"}
	f.reset = func(ctx context.Context, call ResetCall) (string, error) {
		rid, err := s.resetOffsets(ctx, call)
		f.groups = func(context.Context, int, int) (GroupPage, error) { return GroupPage{}, auth }
		return rid, err
	}
	_, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 0))
	e := wantError(t, err, KindTimeout, CodeDeadlineExceeded)
	if e.RequestID != "rid-1" || !strings.Contains(e.Message, "describe-rid") || !strings.Contains(e.Message, auth.Code) {
		t.Errorf("got RequestID %q message %q, want rid-1 and the describe's RequestId", e.RequestID, e.Message)
	}
	var inner *Error
	if !errors.As(e.Err, &inner) || inner != auth {
		t.Errorf("the port's error is not in the chain: %v", e.Err)
	}
}

func TestVerifyStopsBeforeDeadline(t *testing.T) {
	s := newSim()
	s.ignore = true
	f := s.newFake(t)
	opts := allOn()
	opts.VerifyTimeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	_, err := New(f, opts).Reset(ctx, request(ModeEarliest, 0))
	wantError(t, err, KindConflict, CodeResetNotApplied)
	if ctx.Err() != nil || time.Now().After(deadline) {
		t.Errorf("answered after the deadline, want a margin before it")
	}
}

func TestStepsOff(t *testing.T) {
	tests := []struct {
		name              string
		precheck, verify  bool
		before, after     []string // calls before and after the reset, sorted
		current, verified bool
	}{
		{"precheck off", false, true, []string{"DescribeOffsetByTime"}, []string{"DescribeConsumerGroups"}, false, true},
		{"verify off", true, false,
			[]string{"DescribeConsumerGroups", "DescribeOffsetByTime", "DescribeSubscribeDetail"}, []string{}, true, false},
		{"both off: the reset alone", false, false, []string{}, []string{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSim().newFake(t)
			opts := allOn()
			opts.Precheck, opts.Verify = tt.precheck, tt.verify
			res, err := New(f, opts).Reset(t.Context(), request(ModeEarliest, 0, 1))
			if err != nil {
				t.Fatalf("Reset: %v", err)
			}
			calls := f.callList()
			i := slices.Index(calls, "ResetConsumerGroupOffset")
			before, after := slices.Sorted(slices.Values(calls[:i])), slices.Sorted(slices.Values(calls[i+1:]))
			if !slices.Equal(before, tt.before) || !slices.Equal(after, tt.after) {
				t.Errorf("got calls %v, want %v, reset, %v", calls, tt.before, tt.after)
			}
			p := res.Partitions[0]
			if (p.CurrentOffset != nil) != tt.current || (p.ResultOffset != nil) != tt.verified || res.Verified != tt.verified {
				t.Errorf("got current %s result %s Verified %v", deref(p.CurrentOffset), deref(p.ResultOffset), res.Verified)
			}
			if (res.GroupState != "") != tt.precheck {
				t.Errorf("got GroupState %q with precheck %v", res.GroupState, tt.precheck)
			}
		})
	}
}

// The precheck (groups, subscription) and the plan's DescribeOffsetByTime must overlap: the fake holds each
// until all three have started, which only concurrent calls can do. Then the reset and one verify poll: three
// sequential round trips in all.
func TestPrecheckAndPlanRunConcurrently(t *testing.T) {
	f := newSim().newFake(t)
	f.meet = newBarrier(3)
	if _, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 0)); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if f.phases != 3 {
		t.Errorf("got %d sequential round trips (%v), want 3", f.phases, f.callList())
	}
}

func TestDeadline(t *testing.T) {
	block := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	tests := []struct {
		name string
		set  func(f *fakeDTS)
	}{
		{"plan blocks", func(f *fakeDTS) {
			f.offsets = func(ctx context.Context, _ string) (Offsets, error) { return Offsets{}, block(ctx) }
		}},
		{"precheck blocks", func(f *fakeDTS) {
			f.groups = func(ctx context.Context, _, _ int) (GroupPage, error) { return GroupPage{}, block(ctx) }
		}},
		{"reset blocks", func(f *fakeDTS) {
			f.reset = func(ctx context.Context, _ ResetCall) (string, error) { return "", block(ctx) }
		}},
		{"port answers with its own timeout", func(f *fakeDTS) {
			f.reset = func(ctx context.Context, _ ResetCall) (string, error) {
				<-ctx.Done()
				return "", &Error{Kind: KindTimeout, Code: CodeDeadlineExceeded, Message: "DTS did not answer"}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSim().newFake(t)
			tt.set(f)
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			_, err := New(f, allOn()).Reset(ctx, request(ModeEarliest, 0))
			wantError(t, err, KindTimeout, CodeDeadlineExceeded)
		})
	}
}

func TestPortErrorPassesThrough(t *testing.T) {
	auth := func() *Error {
		return &Error{Kind: KindUpstream, Code: "AuthFailure.SecretIdNotFound", Message: "secret id not found",
			RequestID: "up-rid"}
	}
	tests := []struct {
		name string
		set  func(f *fakeDTS, e *Error)
	}{
		{"DescribeConsumerGroups", func(f *fakeDTS, e *Error) {
			f.groups = func(context.Context, int, int) (GroupPage, error) { return GroupPage{}, e }
		}},
		{"DescribeSubscribeDetail", func(f *fakeDTS, e *Error) {
			f.detail = func(context.Context) (Subscription, error) { return Subscription{}, e }
		}},
		{"DescribeOffsetByTime", func(f *fakeDTS, e *Error) {
			f.offsets = func(context.Context, string) (Offsets, error) { return Offsets{}, e }
		}},
		{"ResetConsumerGroupOffset", func(f *fakeDTS, e *Error) {
			f.reset = func(context.Context, ResetCall) (string, error) { return "", fmt.Errorf("wrapped: %w", e) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSim().newFake(t)
			want := auth()
			tt.set(f, want)
			_, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 0))
			if err != want {
				t.Errorf("got %v (%T), want the port's *Error unchanged", err, err)
			}
			if want.RequestID != "up-rid" || want.Message != "secret id not found" {
				t.Errorf("the port's error was modified: %+v", want)
			}
		})
	}
	t.Run("plain error", func(t *testing.T) {
		f := newSim().newFake(t)
		f.reset = func(context.Context, ResetCall) (string, error) { return "", errors.New("boom") }
		_, err := New(f, allOn()).Reset(t.Context(), request(ModeEarliest, 0))
		e := wantError(t, err, KindUpstream, CodeUpstreamFailure)
		if strings.Contains(e.Message, "boom") {
			t.Errorf("message %q shows the cause, want it only in Err", e.Message)
		}
	})
}

func TestRefusesWhatValidateShouldHave(t *testing.T) {
	tests := []struct {
		name  string
		req   validate.Request
		field string
	}{
		{"datetime without a time", func() validate.Request {
			r := request(ModeDatetime, 0)
			r.ResetDatetime = ""
			return r
		}(), "ResetDatetime"},
		{"unknown mode", request("EARLIEST", 0), "ResetMode"},
		{"no partitions", request(ModeEarliest), "PartitionNos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeDTS{t: t} // any call is unexpected
			_, err := New(f, allOn()).Reset(t.Context(), tt.req)
			e := wantError(t, err, KindInvalid, CodeInvalidParameter)
			if len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Errorf("got Fields %+v, want %s", e.Fields, tt.field)
			}
		})
	}
}

func TestBatch(t *testing.T) {
	s := newSim()
	f := s.newFake(t)
	svc := New(f, allOn())
	reqs := []validate.Request{request(ModeEarliest, 0), request(ModeEarliest, 9), request(ModeLatest, 1)}
	br := svc.Batch(t.Context(), reqs)
	if len(br.Items) != 3 || br.Failed != 1 {
		t.Fatalf("got %d items %d failed, want 3 and 1", len(br.Items), br.Failed)
	}
	if r := br.Items[0].Result; r == nil || br.Items[0].Err != nil || r.RequestID != "rid-1" || r.Partitions[0].PartitionNo != 0 {
		t.Errorf("item 0: got %+v", br.Items[0])
	}
	if br.Items[1].Result != nil || KindOf(br.Items[1].Err) != KindInvalid {
		t.Errorf("item 1: got %+v, want an invalid partition", br.Items[1])
	}
	if r := br.Items[2].Result; r == nil || r.RequestID != "rid-2" || r.ResetMode != ModeLatest {
		t.Errorf("item 2: got %+v", br.Items[2])
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := len(f.callList())
	br = svc.Batch(ctx, reqs[:2])
	if br.Failed != 2 || KindOf(br.Items[0].Err) != KindTimeout || KindOf(br.Items[1].Err) != KindTimeout {
		t.Errorf("expired ctx: got %+v, want 2 timeouts", br)
	}
	if n := len(f.callList()); n != calls {
		t.Errorf("expired ctx made %d calls, want 0", n-calls)
	}
}

func TestFormatInts(t *testing.T) {
	tests := []struct {
		in   []int
		want string
	}{
		{nil, "none"}, {[]int{3}, "3"}, {[]int{0, 1, 2, 3}, "0-3"}, {[]int{0, 2, 3, 4, 7, 9, 10}, "0, 2-4, 7, 9-10"},
		{[]int{5, 1, 2}, "5, 1-2"},
	}
	for _, tt := range tests {
		if got := formatInts(tt.in); got != tt.want {
			t.Errorf("formatInts(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestVerifyDeadline(t *testing.T) {
	now := time.Now()
	ctx, cancel := context.WithDeadline(t.Context(), now.Add(time.Second))
	defer cancel()
	if got, want := verifyDeadline(ctx, now, 5*time.Second), now.Add(900*time.Millisecond); !got.Equal(want) {
		t.Errorf("1s left: got %v, want %v (a tenth kept as margin)", got.Sub(now), want.Sub(now))
	}
	if got, want := verifyDeadline(t.Context(), now, 5*time.Second), now.Add(5*time.Second); !got.Equal(want) {
		t.Errorf("no deadline: got %v, want %v", got.Sub(now), want.Sub(now))
	}
	ctx, cancel = context.WithDeadline(t.Context(), now.Add(time.Minute))
	defer cancel()
	if got, want := verifyDeadline(ctx, now, 5*time.Second), now.Add(5*time.Second); !got.Equal(want) {
		t.Errorf("1m left: got %v, want %v", got.Sub(now), want.Sub(now))
	}
}
