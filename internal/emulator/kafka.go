package emulator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Every Kafka read goes through kadm against the cluster's own listener, as any admin client's would.

// partitions lists the partition numbers of topic, sorted, from a metadata request sent to the broker.
// kadm answers from the client's metadata cache, which may predate partitions added since (by the start-up
// or by any Kafka client); a direct request is never cached and refreshes that cache for the kadm calls
// that follow.
func (e *Emulator) partitions(ctx context.Context, topic string) ([]int32, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	req.AllowAutoTopicCreation = false // asking must not create
	resp, err := req.RequestWith(ctx, e.kcl)
	if err != nil {
		return nil, err
	}
	var out []int32
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return nil, fmt.Errorf("topic %s: %w", topic, err)
		}
		for _, p := range t.Partitions {
			out = append(out, p.Partition)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("topic %s has no partitions", topic)
	}
	slices.Sort(out)
	return out, nil
}

// listOffsets runs one kadm listing for every partition of topic, and fails rather than answer for only
// some of them.
func (e *Emulator) listOffsets(ctx context.Context, topic string, list func() (kadm.ListedOffsets, error)) (map[int32]int64, error) {
	parts, err := e.partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	listed, err := list()
	if err != nil {
		return nil, err
	}
	if err := listed.Error(); err != nil {
		return nil, err
	}
	out := make(map[int32]int64, len(parts))
	for _, p := range parts {
		o, ok := listed[topic][p]
		if !ok {
			return nil, fmt.Errorf("topic %s: no offset listed for partition %d", topic, p)
		}
		out[p] = o.Offset
	}
	return out, nil
}

// startOffsets are the log start offsets (the earliest record still stored).
func (e *Emulator) startOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	return e.listOffsets(ctx, topic, func() (kadm.ListedOffsets, error) { return e.adm.ListStartOffsets(ctx, topic) })
}

// endOffsets are the high watermarks (the offset the next record will get).
func (e *Emulator) endOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	return e.listOffsets(ctx, topic, func() (kadm.ListedOffsets, error) { return e.adm.ListEndOffsets(ctx, topic) })
}

// offsetsAfter uses the timestamp index: the first offset whose record timestamp is at or after millis, or
// the end offset when there is none. A time before the epoch is before every record, so it is the log start;
// Kafka must not see it, as ListOffsets reads negative timestamps as special queries (-1 latest, -2
// earliest, ...) and refuses the others.
func (e *Emulator) offsetsAfter(ctx context.Context, topic string, millis int64) (map[int32]int64, error) {
	if millis < 0 {
		return e.startOffsets(ctx, topic)
	}
	return e.listOffsets(ctx, topic, func() (kadm.ListedOffsets, error) { return e.adm.ListOffsetsAfterMilli(ctx, millis, topic) })
}

// oldestRetained is DTS's earliest offset: the first record that retention (RetentionHours before now) has
// not dropped, or the log start when Kafka itself dropped more.
func (e *Emulator) oldestRetained(ctx context.Context, topic string) (map[int32]int64, error) {
	horizon := e.opts.Now().Add(-time.Duration(e.retentionHours()) * time.Hour)
	start, err := e.startOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	kept, err := e.offsetsAfter(ctx, topic, horizon.UnixMilli())
	if err != nil {
		return nil, err
	}
	for p, o := range kept {
		start[p] = max(start[p], o)
	}
	return start, nil
}

// offsetsAt is what DTS answers for a time: the checkpoint at or before it (see checkpointAt), that is the
// log end at that moment, no earlier than the oldest retained offset.
func (e *Emulator) offsetsAt(ctx context.Context, topic string, t time.Time) (map[int32]int64, error) {
	cp := checkpointAt(t, e.opts.Now(), e.checkpointEvery())
	at, err := e.offsetsAfter(ctx, topic, cp.UnixMilli())
	if err != nil {
		return nil, err
	}
	oldest, err := e.oldestRetained(ctx, topic)
	if err != nil {
		return nil, err
	}
	for p, o := range at {
		at[p] = max(o, oldest[p])
	}
	return at, nil
}

// checkpointAt is the newest checkpoint at or before t: DTS takes one every `every` at the Unix times
// divisible by it, and none after now. It holds the log end of that moment, so a record stamped exactly at
// the checkpoint is after it (the checkpoint's offset is that record's).
func checkpointAt(t, now time.Time, every time.Duration) time.Time {
	if now.Before(t) {
		t = now
	}
	step := int64(every / time.Second)
	sec := t.Unix()
	sec -= ((sec % step) + step) % step // floor, also before 1970
	return time.Unix(sec, 0)
}

// kafkaGroup is what Kafka says about a group: its state and, per member, the partitions of topic assigned.
type kafkaGroup struct {
	state   string // Dead when Kafka has no such group
	members []member
}

type member struct {
	clientID   string
	partitions []int32
}

func (e *Emulator) describeGroups(ctx context.Context, topic string, groups ...string) (map[string]kafkaGroup, error) {
	out := map[string]kafkaGroup{}
	if len(groups) == 0 {
		return out, nil
	}
	described, err := e.adm.DescribeGroups(ctx, groups...)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		d, ok := described[g]
		if !ok || errors.Is(d.Err, kerr.GroupIDNotFound) || d.State == "" {
			out[g] = kafkaGroup{state: "Dead"}
			continue
		}
		if d.Err != nil {
			return nil, fmt.Errorf("describing group %s: %w", g, d.Err)
		}
		kg := kafkaGroup{state: d.State}
		for _, m := range d.Members {
			mm := member{clientID: m.ClientID, partitions: []int32{}}
			if a, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range a.Topics {
					if t.Topic == topic {
						mm.partitions = append(mm.partitions, t.Partitions...)
					}
				}
			}
			slices.Sort(mm.partitions)
			kg.members = append(kg.members, mm)
		}
		out[g] = kg
	}
	return out, nil
}

// committed returns the committed offsets of each group on topic; a partition never committed is absent.
func (e *Emulator) committed(ctx context.Context, topic string, groups ...string) (map[string]map[int32]int64, error) {
	out := map[string]map[int32]int64{}
	if len(groups) == 0 {
		return out, nil
	}
	resps := e.adm.FetchManyOffsets(ctx, groups...)
	for _, g := range groups {
		m := map[int32]int64{}
		r, ok := resps[g]
		if ok && r.Err != nil && !errors.Is(r.Err, kerr.GroupIDNotFound) {
			return nil, fmt.Errorf("fetching offsets of %s: %w", g, r.Err)
		}
		for p, o := range r.Fetched[topic] {
			if o.Err == nil && o.At >= 0 {
				m[p] = o.At
			}
		}
		out[g] = m
	}
	return out, nil
}

// commit sets the group's offsets. Kafka refuses a commit without a generation once the group has members;
// the caller treats that as the silent no-op DTS answers.
func (e *Emulator) commit(ctx context.Context, group, topic string, offsets map[int32]int64) error {
	var offs kadm.Offsets
	for p, at := range offsets {
		offs.Add(kadm.Offset{Topic: topic, Partition: p, At: at, LeaderEpoch: -1})
	}
	resps, err := e.adm.CommitOffsets(ctx, group, offs)
	if err != nil {
		return err
	}
	return resps.Error()
}

// recordTimes returns, for each requested partition and offset, the timestamp (Unix ms) of the record at that
// offset, or the first one after it; partitions with nothing there are absent. It is best effort: Latency is
// informative, so a failed fetch yields no times rather than an error.
func (e *Emulator) recordTimes(ctx context.Context, topic string, at map[int32]int64) map[int32]int64 {
	out := map[int32]int64{}
	if len(at) == 0 {
		return out
	}
	details, err := e.adm.ListTopics(ctx, topic)
	if err != nil {
		return out
	}
	// One fetch per partition: Kafka answers a batch larger than PartitionMaxBytes only for the first non-empty
	// partition of a fetch (so that a consumer always progresses), and PartitionMaxBytes is 1 here because only
	// the first batch is wanted. Several partitions in one fetch would leave all but the first without a time.
	for p, o := range at {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 0
		req.MinBytes = 0
		req.MaxBytes = 1 << 20
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = topic
		rt.TopicID = details[topic].ID
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p
		rp.FetchOffset = o
		rp.PartitionMaxBytes = 1 // Kafka still answers the first whole batch
		rp.CurrentLeaderEpoch = -1
		rp.LogStartOffset = -1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, e.kcl)
		if err != nil {
			return out
		}
		for _, t := range resp.Topics {
			for _, rp := range t.Partitions {
				if rp.ErrorCode != 0 || rp.Partition != p {
					continue
				}
				if ts, ok := firstTimestamp(rp.RecordBatches, o); ok {
					out[p] = ts
				}
			}
		}
	}
	return out
}

// firstTimestamp scans raw record batches for the first record at or after offset.
func firstTimestamp(raw []byte, offset int64) (int64, bool) {
	for len(raw) > 0 {
		var b kmsg.RecordBatch
		if err := b.ReadFrom(raw); err != nil {
			return 0, false
		}
		size := int(b.Length) + 12
		if size <= 12 || size > len(raw) {
			return 0, false
		}
		raw = raw[size:]
		if b.FirstOffset+int64(b.LastOffsetDelta) < offset || b.Attributes&0x20 != 0 { // before it, or a control batch
			continue
		}
		recs, err := kfake.BatchRecords(b)
		if err != nil {
			return b.FirstTimestamp, true
		}
		for _, r := range recs {
			if b.FirstOffset+int64(r.OffsetDelta) >= offset {
				return b.FirstTimestamp + r.TimestampDelta64, true
			}
		}
	}
	return 0, false
}
