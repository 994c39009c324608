package emulator

import "slices"

// groupInfo is DTS's GroupInfo.
type groupInfo struct {
	Account             string           `json:"Account"`
	ConsumerGroupName   string           `json:"ConsumerGroupName"`
	Description         string           `json:"Description"`
	ConsumerGroupOffset int64            `json:"ConsumerGroupOffset"`
	ConsumerGroupLag    int64            `json:"ConsumerGroupLag"`
	Latency             int64            `json:"Latency"`
	StateOfPartition    []partitionState `json:"StateOfPartition"`
	CreatedAt           string           `json:"CreatedAt"`
	UpdatedAt           string           `json:"UpdatedAt"`
	ConsumerGroupState  string           `json:"ConsumerGroupState"`
	PartitionAssignment []assignment     `json:"PartitionAssignment"`
}

type partitionState struct {
	PartitionNo         int64 `json:"PartitionNo"`
	ConsumerGroupOffset int64 `json:"ConsumerGroupOffset"`
	ConsumerGroupLag    int64 `json:"ConsumerGroupLag"`
	Latency             int64 `json:"Latency"`
}

type assignment struct {
	ClientID    string  `json:"ClientId"`
	PartitionNo []int64 `json:"PartitionNo"`
}

type describeConsumerGroupsResponse struct {
	TotalCount int64       `json:"TotalCount"`
	Items      []groupInfo `json:"Items"`
}

// MaxLimit is the largest page DescribeConsumerGroups returns.
const MaxLimit = 100

// describeConsumerGroups pages through the subscription's DTS groups in creation order and reports each
// one's state from Kafka. A partition never committed reports offset 0 (a DTS offset is 0-based, and a new
// group shows 0), so its lag is the whole end offset. A group Kafka does not know yet is reported Empty: it
// exists in DTS, has no members and can be reset.
func (e *Emulator) describeConsumerGroups(r *request) (any, error) {
	sub, err := e.subscription(r)
	if err != nil {
		return nil, err
	}
	offset, limit := r.p.intOr("Offset", 0), r.p.intOr("Limit", 10)
	if offset < 0 {
		return nil, errorf("InvalidParameterValue", "the parameter Offset must be 0 or more, got %d", offset)
	}
	if limit == 0 {
		limit = 10
	}
	if limit < 0 || limit > MaxLimit {
		return nil, errorf("InvalidParameterValue", "the parameter Limit must be 1-%d, got %d", MaxLimit, limit)
	}
	all := e.store.list(sub.SubscribeID)
	resp := describeConsumerGroupsResponse{TotalCount: int64(len(all)), Items: []groupInfo{}}
	if offset >= int64(len(all)) {
		return resp, nil
	}
	page := all[offset:min(int64(len(all)), offset+limit)]
	names := make([]string, len(page))
	for i, g := range page {
		names[i] = groupPrefix(sub.SubscribeID) + g.Name
	}
	kgroups, err := e.describeGroups(r.ctx, sub.TopicName, names...)
	if err != nil {
		return nil, internal(err)
	}
	commits, err := e.committed(r.ctx, sub.TopicName, names...)
	if err != nil {
		return nil, internal(err)
	}
	end, err := e.endOffsets(r.ctx, sub.TopicName)
	if err != nil {
		return nil, internal(err)
	}
	parts := make([]int32, 0, len(end))
	for p := range end {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	now := e.opts.now()

	for i, g := range page {
		full := names[i]
		info := groupInfo{
			Account:             accountPrefix(sub.SubscribeID) + g.Account,
			ConsumerGroupName:   full,
			Description:         g.Description,
			CreatedAt:           formatDTSTime(g.CreatedAt),
			UpdatedAt:           formatDTSTime(g.UpdatedAt),
			StateOfPartition:    []partitionState{},
			PartitionAssignment: []assignment{},
			ConsumerGroupState:  kgroups[full].state,
		}
		if info.ConsumerGroupState == "Dead" {
			info.ConsumerGroupState = "Empty"
		}
		for _, m := range kgroups[full].members {
			a := assignment{ClientID: m.clientID, PartitionNo: []int64{}}
			for _, p := range m.partitions {
				a.PartitionNo = append(a.PartitionNo, int64(p))
			}
			info.PartitionAssignment = append(info.PartitionAssignment, a)
		}
		lagging := map[int32]int64{}
		for _, p := range parts {
			if at := commits[full][p]; at < end[p] {
				lagging[p] = at
			}
		}
		times := e.recordTimes(r.ctx, sub.TopicName, lagging)
		for _, p := range parts {
			at := commits[full][p]
			ps := partitionState{PartitionNo: int64(p), ConsumerGroupOffset: at, ConsumerGroupLag: max(0, end[p]-at)}
			if ts, ok := times[p]; ok && ps.ConsumerGroupLag > 0 {
				ps.Latency = max(0, (now.UnixMilli()-ts)/1000)
			}
			info.StateOfPartition = append(info.StateOfPartition, ps)
			info.Latency = max(info.Latency, ps.Latency)
		}
		if n := len(info.StateOfPartition); n > 0 {
			// DTS keeps these two group-level fields for compatibility: they are the last partition's.
			info.ConsumerGroupOffset = info.StateOfPartition[n-1].ConsumerGroupOffset
			info.ConsumerGroupLag = info.StateOfPartition[n-1].ConsumerGroupLag
		}
		resp.Items = append(resp.Items, info)
	}
	return resp, nil
}
