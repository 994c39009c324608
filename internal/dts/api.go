package dts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"

	"dtsreset/internal/reset"
)

// Service and Version name the API every request goes to.
const (
	Service = "dts"
	Version = "2021-12-06"
)

// The actions this client calls; each has its own rate limiter.
const (
	ActionResetConsumerGroupOffset = "ResetConsumerGroupOffset"
	ActionDescribeConsumerGroups   = "DescribeConsumerGroups"
	ActionDescribeOffsetByTime     = "DescribeOffsetByTime"
	ActionDescribeSubscribeDetail  = "DescribeSubscribeDetail"
)

var actions = [...]string{ActionResetConsumerGroupOffset, ActionDescribeConsumerGroups, ActionDescribeOffsetByTime,
	ActionDescribeSubscribeDetail}

// ResetConsumerGroupOffsetRequest is the body of ResetConsumerGroupOffset.
type ResetConsumerGroupOffsetRequest struct {
	SubscribeID       string `json:"SubscribeId"`
	TopicName         string `json:"TopicName"`
	ConsumerGroupName string `json:"ConsumerGroupName"` // the full name consumer-grp-<SubscribeId>-<name>
	// PartitionNos are integers on the wire: the API's example shows strings, but its type is Integer.
	PartitionNos []int  `json:"PartitionNos"`
	ResetMode    string `json:"ResetMode"`
	// ResetDatetime is Beijing time. It is omitted unless set, because the API reads an empty one as time 0
	// (earliest); the use case refuses that combination before it gets here.
	ResetDatetime string `json:"ResetDatetime,omitempty"`
}

// ResetConsumerGroupOffsetResponse is the Response object of ResetConsumerGroupOffset.
type ResetConsumerGroupOffsetResponse struct {
	RequestID string `json:"RequestId"`
}

// DescribeConsumerGroupsRequest is the body of DescribeConsumerGroups.
type DescribeConsumerGroupsRequest struct {
	SubscribeID string `json:"SubscribeId"`
	Offset      int    `json:"Offset"`
	Limit       int    `json:"Limit"`
}

// DescribeConsumerGroupsResponse is the Response object of DescribeConsumerGroups.
type DescribeConsumerGroupsResponse struct {
	TotalCount int         `json:"TotalCount"`
	Items      []GroupInfo `json:"Items"`
	RequestID  string      `json:"RequestId"`
}

// GroupInfo is one consumer group of DescribeConsumerGroups.
type GroupInfo struct {
	Account           string `json:"Account"`
	ConsumerGroupName string `json:"ConsumerGroupName"` // the full name
	Description       string `json:"Description"`
	// ConsumerGroupOffset and ConsumerGroupLag are those of the last partition, kept by the API for
	// compatibility; StateOfPartition has every partition.
	ConsumerGroupOffset int64                 `json:"ConsumerGroupOffset"`
	ConsumerGroupLag    int64                 `json:"ConsumerGroupLag"`
	Latency             int64                 `json:"Latency"` // seconds
	StateOfPartition    []MonitorInfo         `json:"StateOfPartition"`
	CreatedAt           string                `json:"CreatedAt"`
	UpdatedAt           string                `json:"UpdatedAt"`
	ConsumerGroupState  string                `json:"ConsumerGroupState"` // Dead, Empty, Stable, PreparingRebalance, CompletingRebalance
	PartitionAssignment []PartitionAssignment `json:"PartitionAssignment"`
}

// MonitorInfo is a group's position on one partition.
type MonitorInfo struct {
	PartitionNo         int   `json:"PartitionNo"`
	ConsumerGroupOffset int64 `json:"ConsumerGroupOffset"`
	ConsumerGroupLag    int64 `json:"ConsumerGroupLag"`
	Latency             int64 `json:"Latency"`
}

// PartitionAssignment is the partitions one member of a group holds.
type PartitionAssignment struct {
	ClientID    string `json:"ClientId"`
	PartitionNo []int  `json:"PartitionNo"`
}

// DescribeOffsetByTimeRequest is the body of DescribeOffsetByTime.
type DescribeOffsetByTimeRequest struct {
	SubscribeID string `json:"SubscribeId"`
	// Time is Beijing time; the API requires it (the use case asks reset.EarliestTime for the oldest offset).
	Time string `json:"Time"`
}

// DescribeOffsetByTimeResponse is the Response object of DescribeOffsetByTime.
type DescribeOffsetByTimeResponse struct {
	Items     []OffsetTimeMap `json:"Items"`
	RequestID string          `json:"RequestId"`
}

// OffsetTimeMap is one partition's offset at the requested time.
type OffsetTimeMap struct {
	PartitionNo int   `json:"PartitionNo"`
	Offset      int64 `json:"Offset"`
}

// DescribeSubscribeDetailRequest is the body of DescribeSubscribeDetail.
type DescribeSubscribeDetailRequest struct {
	SubscribeID string `json:"SubscribeId"`
}

// DescribeSubscribeDetailResponse is the part of DescribeSubscribeDetail's Response object we read.
type DescribeSubscribeDetailResponse struct {
	SubscribeID      string `json:"SubscribeId"`
	SubscribeName    string `json:"SubscribeName"`
	Region           string `json:"Region"`
	Topic            string `json:"Topic"`
	Broker           string `json:"Broker"`
	SubsStatus       string `json:"SubsStatus"`
	Status           string `json:"Status"`
	KafkaVersion     string `json:"KafkaVersion"`
	SubscribeVersion string `json:"SubscribeVersion"`
	Product          string `json:"Product"`
	InstanceID       string `json:"InstanceId"`
	RequestID        string `json:"RequestId"`
}

// apiError is the error object the API puts in Response; the SDK normally turns it into an error before we see
// the body, but a body is decoded defensively all the same.
type apiError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// DecodeResponse decodes an API body {"Response": {...}} into out, a pointer to one of the *Response types.
// A body that carries an error object, or no Response at all, is an error: a success must never be read from
// a reply that is not one. Any Error that is not null is a failure, with or without a Code: the SDK only
// reports an Error that has a Code, so one without reaches us looking like a success. Errors are SDK errors
// (the API's own code, reset.CodeUpstreamFailure for an Error without one, or ClientError.ParseJsonError) so
// that Classify treats them like the SDK's, and keep the reply's RequestId.
func DecodeResponse(body []byte, out any) error {
	var env struct {
		Response json.RawMessage `json:"Response"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return unreadable(err)
	}
	if len(env.Response) == 0 || string(env.Response) == "null" {
		return unreadable(errors.New("no Response object"))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(env.Response, &fields); err != nil {
		return unreadable(err)
	}
	var probe struct {
		RequestID string `json:"RequestId"`
	}
	if err := json.Unmarshal(env.Response, &probe); err != nil {
		return unreadable(err)
	}
	if raw, ok := errorField(fields); ok {
		return replyError(raw, probe.RequestID)
	}
	if strings.TrimSpace(probe.RequestID) == "" {
		// Every answer of the API carries one; a success without it is not the API's (and a reset reported
		// without its RequestId could not be traced).
		return &badReply{why: "a success without a RequestId"}
	}
	if err := json.Unmarshal(env.Response, out); err != nil {
		return tcerr.NewTencentCloudSDKErrorWithCause(codeParseJSON, "the DTS reply does not have the documented shape", probe.RequestID, err)
	}
	if c, ok := out.(checker); ok {
		if why := c.check(); why != "" {
			return &badReply{why: why, requestID: probe.RequestID}
		}
	}
	return nil
}

// checker is a response that can tell a value no correct answer holds.
type checker interface {
	check() string // "" when the answer is plausible, else what is wrong
}

// check refuses offsets below -1 (-1 is "no committed offset") and a negative lag beside a committed offset:
// a target computed from them (offset + lag for latest) would be nonsense.
func (r *DescribeConsumerGroupsResponse) check() string {
	for _, g := range r.Items {
		if why := checkOffsetLag("ConsumerGroupOffset", g.ConsumerGroupOffset, g.ConsumerGroupLag); why != "" {
			return "group " + g.ConsumerGroupName + ": " + why
		}
		for _, p := range g.StateOfPartition {
			if why := checkOffsetLag("ConsumerGroupOffset", p.ConsumerGroupOffset, p.ConsumerGroupLag); why != "" {
				return fmt.Sprintf("group %s, partition %d: %s", g.ConsumerGroupName, p.PartitionNo, why)
			}
		}
	}
	return ""
}

func checkOffsetLag(name string, offset, lag int64) string {
	switch {
	case offset < -1:
		return fmt.Sprintf("%s %d is below -1", name, offset)
	case offset >= 0 && lag < 0:
		return fmt.Sprintf("ConsumerGroupLag %d is negative", lag)
	}
	return ""
}

// check refuses negative offsets: the API documents them as uint64, and a target must be a position in the log.
func (r *DescribeOffsetByTimeResponse) check() string {
	for _, it := range r.Items {
		if it.Offset < 0 {
			return fmt.Sprintf("partition %d: Offset %d is negative", it.PartitionNo, it.Offset)
		}
	}
	return ""
}

// errorField returns the Response's Error when it is not null. The key is matched as encoding/json matches
// field names, ignoring case, and any one of several spellings that is not null counts: which of duplicate
// keys a decoder keeps is not something a success may depend on.
func errorField(fields map[string]json.RawMessage) (json.RawMessage, bool) {
	for k, v := range fields {
		if strings.EqualFold(k, "Error") && string(bytes.TrimSpace(v)) != "null" {
			return v, true
		}
	}
	return nil, false
}

// replyError is the failure an Error object in a reply stands for.
func replyError(raw json.RawMessage, requestID string) error {
	var e apiError
	if err := json.Unmarshal(raw, &e); err != nil {
		return tcerr.NewTencentCloudSDKErrorWithCause(codeParseJSON, "the DTS reply carries an Error that is not an object", requestID, err)
	}
	if strings.TrimSpace(e.Code) == "" {
		msg := "an Error without a Code"
		if e.Message != "" {
			msg += ": " + e.Message
		}
		return tcerr.NewTencentCloudSDKError(reset.CodeUpstreamFailure, msg, requestID)
	}
	return tcerr.NewTencentCloudSDKError(e.Code, e.Message, requestID)
}

func unreadable(err error) error {
	return tcerr.NewTencentCloudSDKErrorWithCause(codeParseJSON, "the DTS reply is not a JSON Response object", "", err)
}
