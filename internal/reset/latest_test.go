package reset

import (
	"context"
	"slices"
	"testing"
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
			if deref(p.CurrentOffset) != deref(&w.current) || p.TargetOffset != w.target || deref(p.ResultOffset) != deref(&w.result) {
				t.Errorf("precheck %v, partition %d: got %s → %d (result %s), want %d → %d (result %d)", precheck,
					p.PartitionNo, deref(p.CurrentOffset), p.TargetOffset, deref(p.ResultOffset), w.current, w.target, w.result)
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

// TestLatestWithoutPrecheckAddsNoRoundTrip: with both checks off a latest reset reads the group (its targets)
// concurrently with DescribeOffsetByTime: two sequential round trips in all, as for any other mode.
func TestLatestWithoutPrecheckAddsNoRoundTrip(t *testing.T) {
	s := latestSim()
	f := s.newFake(t)
	f.meet = newBarrier(2) // the group and DescribeOffsetByTime must be in flight together
	if _, err := New(f, Options{Now: allOn().Now}).Reset(t.Context(), request(ModeLatest, 0)); err != nil {
		t.Fatal(err)
	}
	if f.phases != 2 {
		t.Errorf("got %d sequential round trips (%v), want 2", f.phases, f.callList())
	}
}

// TestLatestGroupMissingWithoutPrecheck: without the precheck a group DescribeConsumerGroups does not list is
// not refused here (DTS answers the reset itself); the targets fall back to DescribeOffsetByTime.
func TestLatestGroupMissingWithoutPrecheck(t *testing.T) {
	s := latestSim()
	s.groups = nil
	f := s.newFake(t)
	f.reset = func(context.Context, ResetCall) (string, error) { return "rid-x", nil }
	res, err := New(f, Options{Now: allOn().Now}).Reset(t.Context(), request(ModeLatest, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	if res.Partitions[0].TargetOffset != 1000 || res.Partitions[1].TargetOffset != 1020 || res.Partitions[0].CurrentOffset != nil {
		t.Errorf("got %+v, want the DescribeOffsetByTime targets 1000, 1020 and no current offsets", res.Partitions)
	}
}
