package emulator

import (
	"math"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// resetConsumerGroupOffset commits new offsets for the group, but only when Kafka says the group is Dead or
// Empty. Otherwise it changes nothing and still answers success: that is what DTS does, and the trap a
// client must guard against (precheck the state, verify the offsets afterwards).
func (e *Emulator) resetConsumerGroupOffset(r *request) (any, error) {
	sub, err := e.subscription(r)
	if err != nil {
		return nil, err
	}
	if t := r.p.str("TopicName"); t != sub.TopicName {
		return nil, errorf("InvalidParameterValue", "the topic %s is not the topic of subscription %s (%s)", t, sub.SubscribeID, sub.TopicName)
	}
	g, err := e.group(sub, r.p.str("ConsumerGroupName"))
	if err != nil {
		return nil, err
	}
	mode := r.p.str("ResetMode")
	if mode != "earliest" && mode != "latest" && mode != "datetime" {
		return nil, errorf("InvalidParameterValue", "the parameter ResetMode must be earliest, latest or datetime, got %q", mode)
	}
	nos := r.p.list["PartitionNos"]
	if len(nos) == 0 {
		return nil, errorf("InvalidParameterValue", "the parameter PartitionNos must list at least one partition")
	}
	// Kafka, not the configuration, says which partitions exist: a reset must never answer success for a
	// partition it cannot commit, and a partition a Kafka client added is as real as the others.
	have, err := e.partitions(r.ctx, sub.TopicName)
	if err != nil {
		return nil, internal(err)
	}
	parts := map[int32]bool{}
	for _, n := range nos {
		if n < 0 || n > math.MaxInt32 || !slices.Contains(have, int32(n)) {
			return nil, errorf("InvalidParameterValue", "the partition %d does not exist in topic %s (valid: %s)", n, sub.TopicName, validPartitionsText(len(have)))
		}
		parts[int32(n)] = true
	}
	var millis int64
	timed := false
	if mode == "datetime" {
		t, ok, err := parseDTSTime("ResetDatetime", r.p.str("ResetDatetime"))
		if err != nil {
			return nil, err
		}
		// An empty ResetDatetime is time 0, which is the earliest offset: DTS's quiet default.
		if ok {
			millis, timed = t.UnixMilli(), true
		}
	}

	full := groupPrefix(sub.SubscribeID) + g.Name
	groups, err := e.describeGroups(r.ctx, sub.TopicName, full)
	if err != nil {
		return nil, internal(err)
	}
	if st := groups[full].state; st != "Dead" && st != "Empty" {
		return struct{}{}, nil // silently ignored, as DTS does
	}

	var target map[int32]int64
	switch {
	case mode == "latest":
		target, err = e.endOffsets(r.ctx, sub.TopicName)
	case timed:
		target, err = e.offsetsAfter(r.ctx, sub.TopicName, millis)
	default:
		target, err = e.startOffsets(r.ctx, sub.TopicName)
	}
	if err != nil {
		return nil, internal(err)
	}
	for p := range target {
		if !parts[p] {
			delete(target, p)
		}
	}
	if err := e.commit(r.ctx, full, sub.TopicName, target); err != nil {
		// A consumer joined between the state check and the commit: Kafka refuses a generation-less commit to
		// a group with members, and DTS would have ignored the reset anyway.
		if isKafkaError(err, kerr.UnknownMemberID) || isKafkaError(err, kerr.IllegalGeneration) ||
			isKafkaError(err, kerr.RebalanceInProgress) || isKafkaError(err, kerr.FencedInstanceID) ||
			strings.Contains(err.Error(), "STALE_MEMBER_EPOCH") {
			return struct{}{}, nil
		}
		return nil, internal(err)
	}
	if err := e.store.touch(sub.SubscribeID, g.Name, e.opts.now()); err != nil {
		return nil, internal(err)
	}
	return struct{}{}, nil
}
