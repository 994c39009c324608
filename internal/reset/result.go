package reset

// Result is the reply of one reset (SPEC §5).
type Result struct {
	RequestID         string            `json:"RequestId"` // of the ResetConsumerGroupOffset call; empty on DryRun
	SubscribeID       string            `json:"SubscribeId"`
	TopicName         string            `json:"TopicName"`
	ConsumerGroupName string            `json:"ConsumerGroupName"`
	ResetMode         string            `json:"ResetMode"`
	ResetDatetime     string            `json:"ResetDatetime,omitempty"`
	ResetDatetimeUTC  string            `json:"ResetDatetimeUTC,omitempty"` // the same instant, RFC 3339 in UTC
	DryRun            bool              `json:"DryRun"`
	GroupState        string            `json:"GroupState,omitempty"` // empty when the group was not read
	Verified          bool              `json:"Verified"`
	Partitions        []PartitionResult `json:"Partitions"`
	Warnings          []string          `json:"Warnings,omitempty"` // what the caller should know; none: absent
}

// PartitionResult is the plan and outcome for one partition. CurrentOffset is absent when the group was not read
// (the precheck off, except for latest, whose targets come from the group) or does not list the partition, and
// -1 when the group has no committed offset there ("none"; no Replay/Skip figure exists yet for any partition).
// TargetOffset is absent when nothing was planned (both checks off: the reset is the only call, SPEC §4 step 6).
// ResultOffset is absent when nothing was verified (DryRun, or RESET_VERIFY=false).
type PartitionResult struct {
	PartitionNo   int    `json:"PartitionNo"`
	CurrentOffset *int64 `json:"CurrentOffset,omitempty"`
	TargetOffset  *int64 `json:"TargetOffset,omitempty"`
	ResultOffset  *int64 `json:"ResultOffset,omitempty"`
	// Replay is how many messages the group reads again (CurrentOffset − TargetOffset when positive, else 0)
	// and Skip how many it never reads (TargetOffset − CurrentOffset when positive, else 0). Both are absent
	// when either offset is unknown or the group never committed on the partition (-1: it starts wherever the
	// reset puts it, so nothing is replayed or skipped relative to a position it never had).
	Replay *int64 `json:"Replay,omitempty"`
	Skip   *int64 `json:"Skip,omitempty"`
}

// BatchItem is the outcome of one reset of a batch: exactly one of Result and Err is set.
type BatchItem struct {
	Result *Result
	Err    error
}

// BatchResult is the outcome of a batch, in the order of its items.
type BatchResult struct {
	Items  []BatchItem
	Failed int
}
