package emulator

import "slices"

type offsetItem struct {
	PartitionNo int64 `json:"PartitionNo"`
	Offset      int64 `json:"Offset"`
}

// describeOffsetByTime lists, for every partition of the subscription topic, the first offset at or after
// Time (Beijing time) from the Kafka timestamp index: empty Time is time 0, the oldest offset; a time after
// the last record gives the end offset.
func (e *Emulator) describeOffsetByTime(r *request) (any, error) {
	sub, err := e.subscription(r)
	if err != nil {
		return nil, err
	}
	t, ok, err := parseDTSTime("Time", r.p.str("Time"))
	if err != nil {
		return nil, err
	}
	var offsets map[int32]int64
	if ok {
		offsets, err = e.offsetsAfter(r.ctx, sub.TopicName, t.UnixMilli())
	} else {
		offsets, err = e.startOffsets(r.ctx, sub.TopicName)
	}
	if err != nil {
		return nil, internal(err)
	}
	items := make([]offsetItem, 0, len(offsets))
	for p, o := range offsets {
		items = append(items, offsetItem{PartitionNo: int64(p), Offset: o})
	}
	slices.SortFunc(items, func(a, b offsetItem) int { return int(a.PartitionNo - b.PartitionNo) })
	return struct {
		Items []offsetItem `json:"Items"`
	}{items}, nil
}
