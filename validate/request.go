// Package validate owns the reset payload: its model, its rules and the messages a person reads when a rule
// is broken. It is a leaf: it knows nothing of SCF, HTTP or DTS.
//
// A payload goes through three stages. The JSON is checked as a whole (UTF-8, one object, no trailing data) and
// its keys are read in order with json.Decoder's tokens, because decoding into a struct silently keeps the
// last of two duplicate keys and cannot suggest ResetMode for ResetMod. The values are then decoded into a typed
// struct and normalised to what the API is sent: ResetMode in lowercase, the consumer group by its full name
// consumer-grp-<SubscribeId>-<name>, partition numbers as integers even when given as strings. Last, one validator/v10 instance checks the struct
// tags (with a few custom rules), and ResetDatetime, whose three forms no tag can express, is checked and
// converted to Beijing time by hand.
//
// Every broken rule is reported, not only the first, as a FieldError with the field's path (Resets[3].ResetMode
// in a batch), the rule's name and a sentence; Error collects them. The rule names are validator tags where a
// tag checks the rule (required, required_without, required_if, excluded_with, excluded_if, min, max, unique,
// oneof, subscribeid, kafkaname, groupname, groupsubs, groupnested, region) and json, type, unknown, duplicate, datetime,
// future and min (MaxReplay, MaxSkip) for the rules checked by hand.
package validate

// Request is one validated and normalised reset payload, ready for the use case.
type Request struct {
	SubscribeID       string `json:"SubscribeId"`
	TopicName         string `json:"TopicName"`
	ConsumerGroupName string `json:"ConsumerGroupName"` // always the full name consumer-grp-<SubscribeId>-<name>
	PartitionNos      []int  `json:"PartitionNos,omitempty"`
	AllPartitions     bool   `json:"AllPartitions,omitempty"`
	ResetMode         string `json:"ResetMode"`               // earliest, latest or datetime (lowercase)
	ResetDatetime     string `json:"ResetDatetime,omitempty"` // "2006-01-02 15:04:05" Asia/Shanghai; datetime only
	DryRun            bool   `json:"DryRun,omitempty"`
	Region            string `json:"Region,omitempty"`
	// MaxReplay and MaxSkip, when set, refuse a reset whose plan would replay or skip more messages than that
	// on any partition (SPEC §3); nil: no guard.
	MaxReplay *int64 `json:"MaxReplay,omitempty"`
	MaxSkip   *int64 `json:"MaxSkip,omitempty"`
}

// FieldError names one field that breaks one rule, with a sentence a person understands.
type FieldError struct {
	Field   string `json:"Field"`
	Rule    string `json:"Rule"`
	Message string `json:"Message"`
}
