package reset

import (
	"context"
	"testing"
)

// staticDTS answers every call from fixed values without allocating: what BenchmarkReset measures is the use
// case's own cost.
type staticDTS struct {
	page    GroupPage
	offsets Offsets
	sub     Subscription
}

// ConsumerGroupPage answers the page as it is: the benchmark's page holds the group and Names already.
func (d *staticDTS) ConsumerGroupPage(context.Context, string, string, string, int, int) (GroupPage, error) {
	return d.page, nil
}

func (d *staticDTS) DescribeOffsetByTime(context.Context, string, string, string) (Offsets, error) {
	return d.offsets, nil
}

func (d *staticDTS) DescribeSubscribeDetail(context.Context, string, string) (Subscription, error) {
	return d.sub, nil
}

func (d *staticDTS) ResetConsumerGroupOffset(context.Context, string, ResetCall) (string, error) {
	return "rid-bench", nil
}

// BenchmarkReset is one full reset (precheck, plan, execute, verify applied at the first poll) of 4
// partitions of a group on the first page of 10, against a port that costs nothing.
func BenchmarkReset(b *testing.B) {
	d := &staticDTS{sub: Subscription{SubscribeID: testSub, Topic: testTopic}}
	for p := range 4 {
		d.offsets.Partitions = append(d.offsets.Partitions, PartitionOffset{PartitionNo: p, Offset: int64(100 + p)})
	}
	for i := range 9 {
		d.page.Groups = append(d.page.Groups, Group{Name: "consumer-grp-" + testSub + "-other" + string(rune('a'+i)), State: "Empty"})
	}
	g := Group{Name: testGroup, State: "Empty"}
	for _, o := range d.offsets.Partitions {
		g.Partitions = append(g.Partitions, PartitionState{PartitionNo: o.PartitionNo, Offset: o.Offset})
	}
	d.page.Groups = append(d.page.Groups, g)
	d.page.TotalCount = len(d.page.Groups)

	svc := New(d, allOn())
	req := request(ModeEarliest, 0, 1, 2, 3)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := svc.Reset(ctx, req)
		if err != nil || !res.Verified {
			b.Fatalf("Reset: %v (verified %v)", err, res.Verified)
		}
	}
}
