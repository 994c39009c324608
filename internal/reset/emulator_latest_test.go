package reset_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"dtsreset/internal/emulator/emuclient"
	"dtsreset/internal/reset"
	"dtsreset/internal/testkit"
)

// produceAfterNow appends n records to every partition stamped an hour ahead: DescribeOffsetByTime at "now"
// does not reach them (the newest checkpoint at or before now, on DTS and on the emulator alike), while the
// log end DescribeConsumerGroups reports (offset + lag) does.
func produceAfterNow(t *testing.T, d *testkit.DTS, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for p := range partitions {
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: testkit.Topic, Partition: int32(p), Value: fmt.Appendf(nil, "late-%d", i),
				Timestamp: time.Now().Add(time.Hour)})
		}
	}
	if err := emuclient.Produce(ctx, d.Emu.KafkaAddrs(), d.Superuser, recs...); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// TestEmulatorLatestTargetsTheLogEnd is the regression test of issue 12, item 3: a latest reset's target is
// the log end (ConsumerGroupOffset + ConsumerGroupLag of DescribeConsumerGroups), not DescribeOffsetByTime at
// now, which lags the end (on DTS by up to a checkpoint interval; here by records stamped after now). The dry
// run planned the checkpoint and the reset applied the end ("0 planned, 4 applied"); now both say the end, with
// the precheck on and off.
func TestEmulatorLatestTargetsTheLogEnd(t *testing.T) {
	const late = 3
	const end = records + late
	for _, opts := range []reset.Options{allOn(), {Verify: true}} {
		t.Run(fmt.Sprintf("precheck %v", opts.Precheck), func(t *testing.T) {
			s, d := newEmuService(t, nil, opts)
			seeded(t, d)
			produceAfterNow(t, d, late)

			req := emuRequest(reset.ModeLatest, 0, 1, 2)
			req.DryRun = true
			plan, err := s.Reset(emuCtx(t), req)
			if err != nil {
				t.Fatalf("dry run: %v", err)
			}
			for _, p := range plan.Partitions {
				if *p.TargetOffset != end || p.CurrentOffset == nil || *p.CurrentOffset != committed {
					t.Errorf("dry run partition %d: got %s → %d, want %d → the log end %d", p.PartitionNo,
						ptrString(p.CurrentOffset), *p.TargetOffset, committed, end)
				}
			}
			res, err := s.Reset(emuCtx(t), emuRequest(reset.ModeLatest, 0, 1, 2))
			if err != nil {
				t.Fatalf("reset: %v", err)
			}
			for _, p := range res.Partitions {
				if *p.TargetOffset != end || p.ResultOffset == nil || *p.ResultOffset != end {
					t.Errorf("partition %d: got target %d, result %s; want both %d", p.PartitionNo, *p.TargetOffset,
						ptrString(p.ResultOffset), end)
				}
			}
			if got := d.Committed(t, testkit.Group); !maps.Equal(got, map[int32]int64{0: end, 1: end, 2: end}) {
				t.Errorf("Kafka: got %v, want every partition at %d", got, end)
			}
		})
	}
}

// TestEmulatorLatestNeverConsumedGroup: a group nobody has committed with. DTS reports it Dead with
// ConsumerGroupOffset -1; such a partition has no lag to add, so its target falls back to DescribeOffsetByTime
// at now, shown with CurrentOffset -1 ("none"), and the verify accepts the end beyond it.
func TestEmulatorLatestNeverConsumedGroup(t *testing.T) {
	s, d := newEmuService(t, nil, allOn())
	d.Produce(t, testkit.Topic, partitions, records) // no commit: the group never consumed
	res, err := s.Reset(emuCtx(t), emuRequest(reset.ModeLatest, 0, 1, 2))
	if err != nil {
		t.Fatalf("reset: %v", err)
	}
	for _, p := range res.Partitions {
		if p.CurrentOffset == nil || p.ResultOffset == nil || *p.ResultOffset != records {
			t.Fatalf("partition %d: got current %s, result %s; want a current offset and the result %d",
				p.PartitionNo, ptrString(p.CurrentOffset), ptrString(p.ResultOffset), records)
		}
		if *p.CurrentOffset != -1 {
			t.Errorf("partition %d: got current %d, want -1 (none), as DTS reports a group that never committed",
				p.PartitionNo, *p.CurrentOffset)
		}
		if *p.TargetOffset > records {
			t.Errorf("partition %d: got target %d, want at most the end %d (the checkpoint at or before now)",
				p.PartitionNo, *p.TargetOffset, records)
		}
	}
	if !res.Verified {
		t.Errorf("got Verified false, want true")
	}
}

func ptrString(p *int64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
