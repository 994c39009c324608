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
// one's state from Kafka. A group Kafka does not know (nobody consumed with it yet, or deleted) is Dead, as
// DTS reports it, and a partition without a committed offset reports offset -1 with no lag or latency.
func (e *Emulator) describeConsumerGroups(r *request) (any, error) {
	sub, err := e.subscription(r)
	if err != nil {
		return nil, err
	}
	offset, limit, err := pageParams(r.p)
	if err != nil {
		return nil, err
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
	k, err := e.kafkaView(r, sub.TopicName, names)
	if err != nil {
		return nil, internal(err)
	}
	for i, g := range page {
		resp.Items = append(resp.Items, e.groupInfo(r, sub, g, names[i], k))
	}
	return resp, nil
}

func pageParams(p *params) (offset, limit int64, err error) {
	offset, limit = p.intOr("Offset", 0), p.intOr("Limit", 10)
	if offset < 0 {
		return 0, 0, errorf("InvalidParameterValue", "the parameter Offset must be 0 or more, got %d", offset)
	}
	if limit == 0 {
		limit = 10
	}
	if limit < 0 || limit > MaxLimit {
		return 0, 0, errorf("InvalidParameterValue", "the parameter Limit must be 1-%d, got %d", MaxLimit, limit)
	}
	return offset, limit, nil
}

// kafkaView is what Kafka says about a page of groups: their states and members, their committed offsets,
// and the topic's end offsets by sorted partition.
type kafkaView struct {
	groups  map[string]kafkaGroup
	commits map[string]map[int32]int64
	end     map[int32]int64
	parts   []int32
}

func (e *Emulator) kafkaView(r *request, topic string, names []string) (kafkaView, error) {
	var k kafkaView
	var err error
	if k.groups, err = e.describeGroups(r.ctx, topic, names...); err != nil {
		return k, err
	}
	if k.commits, err = e.committed(r.ctx, topic, names...); err != nil {
		return k, err
	}
	if k.end, err = e.endOffsets(r.ctx, topic); err != nil {
		return k, err
	}
	for p := range k.end {
		k.parts = append(k.parts, p)
	}
	slices.Sort(k.parts)
	return k, nil
}

func (e *Emulator) groupInfo(r *request, sub *Subscription, g dtsGroup, full string, k kafkaView) groupInfo {
	kg := k.groups[full]
	info := groupInfo{
		Account:             accountPrefix(sub.SubscribeID) + g.Account,
		ConsumerGroupName:   full,
		Description:         g.Description,
		CreatedAt:           formatDTSTime(g.CreatedAt),
		UpdatedAt:           formatDTSTime(g.UpdatedAt),
		StateOfPartition:    []partitionState{},
		PartitionAssignment: []assignment{},
		ConsumerGroupState:  kg.state,
	}
	for _, m := range kg.members {
		a := assignment{ClientID: m.clientID, PartitionNo: []int64{}}
		for _, p := range m.partitions {
			a.PartitionNo = append(a.PartitionNo, int64(p))
		}
		info.PartitionAssignment = append(info.PartitionAssignment, a)
	}
	commits := k.commits[full]
	if kg.state == "Dead" {
		commits = nil // Kafka forgot the group: DTS shows -1 however it got there
	}
	lagging := map[int32]int64{}
	for _, p := range k.parts {
		if at, ok := commits[p]; ok && at < k.end[p] {
			lagging[p] = at
		}
	}
	times := e.recordTimes(r.ctx, sub.TopicName, lagging)
	now := e.opts.Now()
	for _, p := range k.parts {
		ps := partitionState{PartitionNo: int64(p), ConsumerGroupOffset: -1}
		if at, ok := commits[p]; ok {
			ps.ConsumerGroupOffset, ps.ConsumerGroupLag = at, max(0, k.end[p]-at)
		}
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
	return info
}
