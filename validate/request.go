// Package validate owns the reset payload: its model, its rules and the messages a person reads when a rule
// is broken. It is a leaf: it knows nothing of SCF, HTTP or DTS.
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
}

// FieldError names one field that breaks one rule, with a sentence a person understands.
type FieldError struct {
	Field   string `json:"Field"`
	Rule    string `json:"Rule"`
	Message string `json:"Message"`
}
