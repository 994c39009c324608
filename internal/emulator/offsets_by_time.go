package emulator

import (
	"context"
	"slices"
)

type offsetItem struct {
	PartitionNo int64  `json:"PartitionNo"`
	Offset      uint64 `json:"Offset"`
}

// describeOffsetByTime lists, for every partition of the subscription topic, DTS's offset for Time (Beijing
// time): the checkpoint at or before it, never before the oldest retained offset. DTS documents Time as
// required, so an empty one is refused as missing (unlike an empty ResetDatetime, which DTS reads as time 0).
func (e *Emulator) describeOffsetByTime(r *request) (any, error) {
	sub, err := e.subscription(r)
	if err != nil {
		return nil, err
	}
	if r.p.str("Time") == "" {
		return nil, errorf("MissingParameter", "the parameter Time is required and must not be empty")
	}
	offsets, err := e.offsetsForTime(r.ctx, sub.TopicName, "Time", r.p.str("Time"))
	if err != nil {
		return nil, err
	}
	items := make([]offsetItem, 0, len(offsets))
	for p, o := range offsets {
		items = append(items, offsetItem{PartitionNo: int64(p), Offset: uint64(max(0, o))})
	}
	slices.SortFunc(items, func(a, b offsetItem) int { return int(a.PartitionNo - b.PartitionNo) })
	return struct {
		Items []offsetItem `json:"Items"`
	}{items}, nil
}

// offsetsForTime reads the time parameter name (empty: time 0) and answers offsetsAt, or the oldest retained
// offsets for time 0.
func (e *Emulator) offsetsForTime(ctx context.Context, topic, name, value string) (map[int32]int64, error) {
	t, ok, err := parseDTSTime(name, value)
	if err != nil {
		return nil, err
	}
	var offsets map[int32]int64
	if ok {
		offsets, err = e.offsetsAt(ctx, topic, t)
	} else {
		offsets, err = e.oldestRetained(ctx, topic)
	}
	if err != nil {
		return nil, internal(err)
	}
	return offsets, nil
}
