package reset

import "context"

// DTS is the part of the DTS API the use case needs, declared here by its consumer. Implementations honour
// ctx (the invocation deadline), retry within it, use region unless it is empty (then their configured one),
// and return *Error so that codes and the upstream RequestId survive. Every answer carries the RequestId of
// the call that produced it too: an error the use case builds from an answer (a missing or active group, an
// unknown partition, a wrong topic) replies with it, so that the caller can quote it to support.
type DTS interface {
	// ConsumerGroupPage returns one page of DescribeConsumerGroups (from offset, at most limit groups) with
	// only the group whose full name is name in Groups, and every group's name in Names. A page can hold 100
	// groups of 1024 partitions each (~9 MB of JSON) and the use case needs one of them: the port can keep
	// just that one, and the memory of a lookup stays small.
	ConsumerGroupPage(ctx context.Context, region, subscribeID, name string, offset, limit int) (GroupPage, error)
	// DescribeOffsetByTime returns, for every partition of the subscription topic, DTS's offset for at: the
	// newest checkpoint at or before it ("YYYY-MM-DD hh:mm:ss", Beijing time; never empty, the API requires
	// it: EarliestTime asks for the oldest offset).
	DescribeOffsetByTime(ctx context.Context, region, subscribeID, at string) (Offsets, error)
	// DescribeSubscribeDetail returns the subscription's topic and status.
	DescribeSubscribeDetail(ctx context.Context, region, subscribeID string) (Subscription, error)
	// ResetConsumerGroupOffset asks for the reset and returns the API's RequestId. Note the API answers
	// success without doing anything when the group is not Dead or Empty.
	ResetConsumerGroupOffset(ctx context.Context, region string, call ResetCall) (requestID string, err error)
}

// GroupPage is one page of DescribeConsumerGroups.
type GroupPage struct {
	RequestID  string // of the DescribeConsumerGroups call that answered this page
	TotalCount int
	Groups     []Group  // the groups asked for (ConsumerGroupPage: the one named, if it is on the page)
	Names      []string // every group on the page, in order: len(Names) is the page's size
}

// Group is a consumer group as DescribeConsumerGroups reports it; Name is the full name
// (consumer-grp-<SubscribeId>-<name>).
type Group struct {
	Name       string
	State      string // Dead, Empty, Stable, PreparingRebalance, CompletingRebalance
	Partitions []PartitionState
	Assignment []Assignment
}

// PartitionState is a group's committed position on one partition.
type PartitionState struct {
	PartitionNo int
	Offset      int64
	Lag         int64
}

// Assignment is the partitions one member of the group holds.
type Assignment struct {
	ClientID     string
	PartitionNos []int
}

// Offsets is the answer of DescribeOffsetByTime.
type Offsets struct {
	RequestID  string // of the DescribeOffsetByTime call
	Partitions []PartitionOffset
}

// PartitionOffset is one partition's offset at a point in time.
type PartitionOffset struct {
	PartitionNo int
	Offset      int64
}

// Subscription is what the use case needs of DescribeSubscribeDetail.
type Subscription struct {
	RequestID   string // of the DescribeSubscribeDetail call
	SubscribeID string
	Topic       string
	Region      string
	Status      string
	SubsStatus  string
}

// ResetCall is the ResetConsumerGroupOffset request as the API takes it.
type ResetCall struct {
	SubscribeID       string
	TopicName         string
	ConsumerGroupName string // the full name
	PartitionNos      []int
	ResetMode         string // earliest, latest, datetime
	ResetDatetime     string // Beijing time, only for datetime
}
