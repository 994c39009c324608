package emulator

import (
	"context"
	"errors"
	"math"
	"slices"

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
	parts, err := e.resetPartitions(r.ctx, sub, r.p.list["PartitionNos"])
	if err != nil {
		return nil, err
	}
	if mode == "datetime" { // a bad ResetDatetime is refused whatever the group's state
		if _, _, err := parseDTSTime("ResetDatetime", r.p.str("ResetDatetime")); err != nil {
			return nil, err
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
	target, err := e.resetTarget(r.ctx, sub.TopicName, mode, r.p.str("ResetDatetime"))
	if err != nil {
		return nil, err
	}
	for p := range target {
		if !parts[p] {
			delete(target, p)
		}
	}
	if err := e.commit(r.ctx, full, sub.TopicName, target); err != nil {
		if joinedMeanwhile(err) {
			return struct{}{}, nil
		}
		return nil, internal(err)
	}
	if err := e.store.touch(sub.SubscribeID, g.Name, e.opts.Now()); err != nil {
		return nil, internal(err)
	}
	return struct{}{}, nil
}

// resetPartitions checks PartitionNos against the partitions Kafka has. Kafka, not the configuration, says
// which exist: a reset must never answer success for a partition it cannot commit, and a partition a Kafka
// client added is as real as the others.
func (e *Emulator) resetPartitions(ctx context.Context, sub *Subscription, nos []int64) (map[int32]bool, error) {
	if len(nos) == 0 {
		return nil, errorf("InvalidParameterValue", "the parameter PartitionNos must list at least one partition")
	}
	have, err := e.partitions(ctx, sub.TopicName)
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
	return parts, nil
}

// resetTarget is where a reset puts every partition: earliest is the oldest retained offset, latest the log
// end, datetime the same checkpoint DescribeOffsetByTime answers (an empty ResetDatetime is time 0, the
// earliest: DTS's quiet default).
func (e *Emulator) resetTarget(ctx context.Context, topic, mode, datetime string) (map[int32]int64, error) {
	var (
		target map[int32]int64
		err    error
	)
	switch mode {
	case "latest":
		target, err = e.endOffsets(ctx, topic)
	case "datetime":
		return e.offsetsForTime(ctx, topic, "ResetDatetime", datetime)
	default:
		target, err = e.oldestRetained(ctx, topic)
	}
	if err != nil {
		return nil, internal(err)
	}
	return target, nil
}

// joinedMeanwhile reports a commit Kafka refused because a consumer joined between the state check and the
// commit (a generation-less commit to a group with members); DTS would have ignored the reset anyway.
func joinedMeanwhile(err error) bool {
	for _, target := range []error{kerr.UnknownMemberID, kerr.IllegalGeneration, kerr.RebalanceInProgress, kerr.FencedInstanceID, kerr.StaleMemberEpoch} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
