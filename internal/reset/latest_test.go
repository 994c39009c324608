package reset

import (
	"context"
	"slices"
	"strings"
	"testing"

	"dtsreset/validate"
)

// latestSim is a sim whose DescribeOffsetByTime at now (s.latest, the newest checkpoint) lags the log end the
// group reports (offset + lag): partition 0 ends at 1005, 1 has no committed offset (-1), 2 ends at 1030.
// Its reset moves every partition to the real end, as DTS does.
func latestSim() *sim {
	s := newSim()
	s.latest = []int64{1000, 1010, 1020, 1030}
	s.groups[0].Partitions = []PartitionState{{0, 700, 305}, {1, -1, 0}, {2, 720, 310}, {3, 730, 300}}
	ends := []int64{1005, 1012, 1030, 1030}
	s.beforeReset = func(s *sim) { s.latest = ends }
	return s
}

// TestLatestTargetsTheLogEndNotTheCheckpoint is the regression test of issue 12, item 3, on the fake port: a
// latest target is ConsumerGroupOffset + ConsumerGroupLag of the partition, not DescribeOffsetByTime at now; a
// partition without a committed offset (-1) keeps the DescribeOffsetByTime answer (the verify accepts the end
// beyond it) and shows CurrentOffset -1. With the precheck off the plan still reads the group, beside
// DescribeOffsetByTime (one round trip before the reset, not two).
func TestLatestTargetsTheLogEndNotTheCheckpoint(t *testing.T) {
	for _, precheck := range []bool{true, false} {
		s := latestSim()
		f := s.newFake(t)
		opts := allOn()
		opts.Precheck = precheck
		res, err := New(f, opts).Reset(t.Context(), request(ModeLatest, 0, 1, 2))
		if err != nil {
			t.Fatalf("precheck %v: %v", precheck, err)
		}
		want := []struct {
			current, target, result int64
		}{{700, 1005, 1005}, {-1, 1010, 1012}, {720, 1030, 1030}}
		for i, p := range res.Partitions {
			w := want[i]
			if deref(p.CurrentOffset) != deref(&w.current) || *p.TargetOffset != w.target || deref(p.ResultOffset) != deref(&w.result) {
				t.Errorf("precheck %v, partition %d: got %s → %d (result %s), want %d → %d (result %d)", precheck,
					p.PartitionNo, deref(p.CurrentOffset), *p.TargetOffset, deref(p.ResultOffset), w.current, w.target, w.result)
			}
		}
		if !res.Verified || res.GroupState != "Empty" {
			t.Errorf("precheck %v: got Verified %v, GroupState %q; want true, Empty", precheck, res.Verified, res.GroupState)
		}
		// Before the reset: one phase (the group and DescribeOffsetByTime overlap), then the reset, then the verify.
		calls := f.callList()
		i := slices.Index(calls, "ResetConsumerGroupOffset")
		if i < 0 || !slices.Contains(calls[:i], "DescribeConsumerGroups") || !slices.Contains(calls[:i], "DescribeOffsetByTime") {
			t.Errorf("precheck %v: got calls %v, want the group and DescribeOffsetByTime before the reset", precheck, calls)
		}
	}
}

// TestLatestWithoutPrecheckAddsNoRoundTrip: with the precheck off a latest reset reads the group (its targets)
// concurrently with DescribeOffsetByTime: plan, reset and verify, three sequential round trips in all, as for
// any other mode.
func TestLatestWithoutPrecheckAddsNoRoundTrip(t *testing.T) {
	s := latestSim()
	f := s.newFake(t)
	f.meet = newBarrier(2) // the group and DescribeOffsetByTime must be in flight together
	opts := allOn()
	opts.Precheck = false
	if _, err := New(f, opts).Reset(t.Context(), request(ModeLatest, 0)); err != nil {
		t.Fatal(err)
	}
	if f.phases != 3 {
		t.Errorf("got %d sequential round trips (%v), want 3", f.phases, f.callList())
	}
}

// TestLatestGroupMissingWithoutPrecheck: without the precheck a group DescribeConsumerGroups does not list is
// not refused here (DTS answers the reset itself); the targets fall back to DescribeOffsetByTime. A dry run,
// since with both checks off a reset would not plan at all.
func TestLatestGroupMissingWithoutPrecheck(t *testing.T) {
	s := latestSim()
	s.groups = nil
	f := s.newFake(t)
	req := request(ModeLatest, 0, 2)
	req.DryRun = true
	res, err := New(f, Options{Now: allOn().Now}).Reset(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if *res.Partitions[0].TargetOffset != 1000 || *res.Partitions[1].TargetOffset != 1020 || res.Partitions[0].CurrentOffset != nil {
		t.Errorf("got %+v, want the DescribeOffsetByTime targets 1000, 1020 and no current offsets", res.Partitions)
	}
}

// TestBothChecksOffOneCall: with RESET_PRECHECK and RESET_VERIFY off a reset is ResetConsumerGroupOffset and
// nothing else (SPEC §4 step 6): no plan, so no TargetOffset, and a Warning that nothing was checked. A dry run
// and AllPartitions still read what they need.
func TestBothChecksOffOneCall(t *testing.T) {
	tests := []struct {
		name  string
		req   func() validate.Request
		calls []string
	}{
		{"earliest", func() validate.Request { return request(ModeEarliest, 0, 2) },
			[]string{"ResetConsumerGroupOffset"}},
		{"latest", func() validate.Request { return request(ModeLatest, 0, 2) },
			[]string{"ResetConsumerGroupOffset"}},
		{"datetime", func() validate.Request { return request(ModeDatetime, 0, 2) },
			[]string{"ResetConsumerGroupOffset"}},
		{"all partitions: listed first", func() validate.Request {
			r := request(ModeEarliest)
			r.AllPartitions = true
			return r
		}, []string{"DescribeOffsetByTime", "ResetConsumerGroupOffset"}},
		{"dry run: planned", func() validate.Request {
			r := request(ModeEarliest, 0, 2)
			r.DryRun = true
			return r
		}, []string{"DescribeOffsetByTime"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := latestSim().newFake(t)
			var sent []ResetCall
			f.reset = func(_ context.Context, c ResetCall) (string, error) { sent = append(sent, c); return "rid-1", nil }
			req := tt.req()
			res, err := New(f, Options{Now: allOn().Now}).Reset(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.callList(); !slices.Equal(got, tt.calls) {
				t.Fatalf("got calls %v, want %v", got, tt.calls)
			}
			if req.DryRun || req.AllPartitions {
				if len(res.Warnings) != 0 || res.Partitions[0].TargetOffset == nil {
					t.Errorf("got Warnings %q, partitions %+v; want a plan and no warning", res.Warnings, res.Partitions)
				}
				return
			}
			if len(sent) != 1 || !slices.Equal(sent[0].PartitionNos, []int{0, 2}) || sent[0].ResetMode != req.ResetMode ||
				sent[0].ResetDatetime != req.ResetDatetime || sent[0].ConsumerGroupName != testGroup {
				t.Errorf("sent %+v, want one %s reset of partitions 0 and 2", sent, req.ResetMode)
			}
			if res.RequestID != "rid-1" || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "RESET_VERIFY") {
				t.Errorf("got RequestID %q Warnings %q, want rid-1 and the unchecked warning", res.RequestID, res.Warnings)
			}
			for _, p := range res.Partitions {
				if p.TargetOffset != nil || p.CurrentOffset != nil || p.ResultOffset != nil {
					t.Errorf("partition %d: got %+v, want only its number (nothing was read)", p.PartitionNo, p)
				}
			}
		})
	}
}
