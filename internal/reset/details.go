package reset

// GroupDetails is Error.Details of CodeGroupActive and CodeResetNotApplied: what the group looked like, so
// that the caller can find and stop its consumers.
type GroupDetails struct {
	GroupState string           `json:"GroupState"` // empty when the group was not listed
	Members    []Member         `json:"Members"`
	Partitions []PartitionCheck `json:"Partitions,omitempty"` // CodeResetNotApplied only
}

// Member is one consumer of the group and the partitions it holds.
type Member struct {
	ClientID     string `json:"ClientId"`
	PartitionNos []int  `json:"PartitionNos"`
}

// PartitionCheck is one partition whose offset was not the target when the verify gave up. Offset is absent
// when the group had no committed offset for the partition.
type PartitionCheck struct {
	PartitionNo  int    `json:"PartitionNo"`
	TargetOffset int64  `json:"TargetOffset"`
	Offset       *int64 `json:"Offset"`
}
