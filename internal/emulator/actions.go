package emulator

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

type handler struct {
	params map[string]spec
	run    func(e *Emulator, r *request) (any, error)
}

// actions is the API surface; one file per action holds each run function.
var actions = map[string]handler{
	"ResetConsumerGroupOffset": {params: map[string]spec{
		"SubscribeId": {kString, true}, "TopicName": {kString, true}, "ConsumerGroupName": {kString, true},
		"PartitionNos": {kIntList, true}, "ResetMode": {kString, true}, "ResetDatetime": {kString, false},
	}, run: (*Emulator).resetConsumerGroupOffset},
	"DescribeConsumerGroups": {params: map[string]spec{
		"SubscribeId": {kString, true}, "Offset": {kInt, false}, "Limit": {kInt, false},
	}, run: (*Emulator).describeConsumerGroups},
	"DescribeOffsetByTime": {params: map[string]spec{
		"SubscribeId": {kString, true}, "Time": {kString, true},
	}, run: (*Emulator).describeOffsetByTime},
	"DescribeSubscribeDetail": {params: map[string]spec{
		"SubscribeId": {kString, true},
	}, run: (*Emulator).describeSubscribeDetail},
	"CreateConsumerGroup": {params: map[string]spec{
		"SubscribeId": {kString, true}, "ConsumerGroupName": {kString, true}, "AccountName": {kString, true},
		"Password": {kString, true}, "Description": {kString, false},
	}, run: (*Emulator).createConsumerGroup},
	"DeleteConsumerGroup": {params: map[string]spec{
		"SubscribeId": {kString, true}, "ConsumerGroupName": {kString, true}, "AccountName": {kString, true},
		"BackendJobId": {kString, false},
	}, run: (*Emulator).deleteConsumerGroup},
}

func actionNames() []string {
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func knownAction(name string) bool {
	_, ok := actions[name]
	return ok
}

// Beijing is the zone of every date-time the DTS API reads or writes (UTC+8, no DST), fixed so the emulator
// needs no tzdata.
var Beijing = time.FixedZone("CST", 8*3600)

const dtsTime = "2006-01-02 15:04:05"

// parseDTSTime reads a "YYYY-MM-DD hh:mm:ss" Beijing time; empty is the zero time (ok false).
func parseDTSTime(name, s string) (t time.Time, ok bool, err error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	t, err = time.ParseInLocation(dtsTime, s, Beijing)
	if err != nil {
		return time.Time{}, false, errorf("InvalidParameterValue", "the parameter %s must be YYYY-MM-DD hh:mm:ss (Beijing time), got %q", name, s)
	}
	return t, true, nil
}

func formatDTSTime(t time.Time) string { return t.In(Beijing).Format(dtsTime) }

func groupPrefix(subscribeID string) string { return "consumer-grp-" + subscribeID + "-" }

func accountPrefix(subscribeID string) string { return "account-" + subscribeID + "-" }

// subscription finds the subscription named by the SubscribeId parameter in the request's region.
func (e *Emulator) subscription(r *request) (*Subscription, error) {
	id := r.p.str("SubscribeId")
	if id == "" {
		return nil, errorf("InvalidParameterValue", "the parameter SubscribeId must not be empty")
	}
	for i := range e.cfg.Subscriptions {
		s := &e.cfg.Subscriptions[i]
		if s.SubscribeID != id {
			continue
		}
		if r.region != e.cfg.Region {
			return nil, errorf("ResourceNotFound", "the subscription %s does not exist in region %s (it is in %s)", id, r.region, e.cfg.Region)
		}
		return s, nil
	}
	return nil, errorf("ResourceNotFound", "the subscription %s does not exist", id)
}

// group finds a DTS group of sub by its short or full name.
func (e *Emulator) group(sub *Subscription, name string) (dtsGroup, error) {
	short := strings.TrimPrefix(name, groupPrefix(sub.SubscribeID))
	g, ok := e.store.find(sub.SubscribeID, short)
	if !ok || short == "" {
		return dtsGroup{}, errorf("ResourceNotFound", "the consumer group %s does not exist in subscription %s", name, sub.SubscribeID)
	}
	return g, nil
}

func internal(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return err
	}
	return errorf("InternalError", "kafka: %v", err)
}

func validPartitionsText(n int) string {
	if n == 1 {
		return "0"
	}
	return fmt.Sprintf("0-%d", n-1)
}
