package reset

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"dtsreset/validate"
)

// maxListedPartitions bounds the partitions one message lists; Details carry them all.
const maxListedPartitions = 10

// plan pairs each partition of the request (every listed one, sorted, for AllPartitions; else the request's,
// in its order) with its target from offsets and, when the group is known, its committed offset (-1 when the
// group never committed one: shown as it is, "none") and, for latest, the log end as its target. A partition
// the group does not list has no CurrentOffset. Its errors come from the DescribeOffsetByTime
// answer, and carry its RequestId.
func plan(req validate.Request, offsets Offsets, group *Group) ([]PartitionResult, error) {
	if len(offsets.Partitions) == 0 {
		e := Errorf(KindUpstream, CodeUpstreamFailure,
			"DescribeOffsetByTime listed no partitions for the topic of subscription %s", req.SubscribeID)
		e.RequestID = offsets.RequestID
		return nil, e
	}
	targets := slices.Clone(offsets.Partitions)
	slices.SortFunc(targets, func(a, b PartitionOffset) int { return cmp.Compare(a.PartitionNo, b.PartitionNo) })
	targets = slices.CompactFunc(targets, func(a, b PartitionOffset) bool { return a.PartitionNo == b.PartitionNo })

	var parts []PartitionResult
	if req.AllPartitions {
		parts = make([]PartitionResult, len(targets))
		tgt := make([]int64, len(targets)) // one backing array serves all pointers
		for i, t := range targets {
			tgt[i] = t.Offset
			parts[i] = PartitionResult{PartitionNo: t.PartitionNo, TargetOffset: &tgt[i]}
		}
	} else {
		parts = make([]PartitionResult, len(req.PartitionNos))
		tgt := make([]int64, len(req.PartitionNos))
		var unknown []int
		for i, no := range req.PartitionNos {
			j, ok := slices.BinarySearchFunc(targets, no, func(t PartitionOffset, no int) int {
				return cmp.Compare(t.PartitionNo, no)
			})
			if !ok {
				unknown = append(unknown, no)
				continue
			}
			tgt[i] = targets[j].Offset
			parts[i] = PartitionResult{PartitionNo: no, TargetOffset: &tgt[i]}
		}
		if len(unknown) > 0 {
			e := unknownPartitions(req, unknown, targets)
			e.RequestID = offsets.RequestID
			return nil, e
		}
	}
	if group != nil {
		setCurrent(parts, group.Partitions)
		if req.ResetMode == ModeLatest {
			setLogEnds(parts, group.Partitions)
		}
		setImpact(parts)
	}
	return parts, nil
}

// setLogEnds sets the targets of a latest reset to the log end as DescribeConsumerGroups reports it,
// ConsumerGroupOffset + ConsumerGroupLag of the partition: DescribeOffsetByTime at now answers the newest
// checkpoint, up to ~10 s behind the end, and would understate the target. A partition without a committed
// offset (-1, or not listed) has no lag to add to: it keeps the DescribeOffsetByTime answer, which the
// verify's rule for latest (at or beyond the target) accepts.
func setLogEnds(parts []PartitionResult, states []PartitionState) {
	for i := range parts {
		for _, s := range states {
			if s.PartitionNo == parts[i].PartitionNo && s.Offset >= 0 && s.Lag >= 0 {
				*parts[i].TargetOffset = s.Offset + s.Lag
				break
			}
		}
	}
}

// setCurrent fills CurrentOffset from the group's committed offsets; one backing array serves all pointers.
func setCurrent(parts []PartitionResult, states []PartitionState) {
	committed := slices.Clone(states)
	slices.SortFunc(committed, func(a, b PartitionState) int { return cmp.Compare(a.PartitionNo, b.PartitionNo) })
	cur := make([]int64, len(parts))
	for i := range parts {
		j, ok := slices.BinarySearchFunc(committed, parts[i].PartitionNo, func(s PartitionState, no int) int {
			return cmp.Compare(s.PartitionNo, no)
		})
		if ok {
			cur[i] = committed[j].Offset
			parts[i].CurrentOffset = &cur[i]
		}
	}
}

func unknownPartitions(req validate.Request, unknown []int, targets []PartitionOffset) *Error {
	valid := make([]int, len(targets))
	for i, t := range targets {
		valid[i] = t.PartitionNo
	}
	word := "partition"
	if len(unknown) > 1 {
		word = "partitions"
	}
	msg := word + " " + formatInts(unknown) + " of PartitionNos not in topic " + req.TopicName +
		"; its partitions are " + formatInts(valid)
	e := Errorf(KindInvalid, CodeInvalidParameter, "%s", msg)
	e.Fields = []validate.FieldError{{Field: "PartitionNos", Rule: "exists", Message: msg}}
	return e
}

func partitionNos(parts []PartitionResult) []int {
	nos := make([]int, len(parts))
	for i, p := range parts {
		nos[i] = p.PartitionNo
	}
	return nos
}

// formatInts writes nos compactly, runs of consecutive numbers as ranges: "0-3, 7, 9-10". Sorted input gives
// the shortest text; the order is kept either way.
func formatInts(nos []int) string {
	if len(nos) == 0 {
		return "none"
	}
	var b strings.Builder
	for i := 0; i < len(nos); {
		j := i
		for j+1 < len(nos) && nos[j+1] == nos[j]+1 {
			j++
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(nos[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(nos[j]))
		}
		i = j + 1
	}
	return b.String()
}

// invalidField is a KindInvalid error about one field.
func invalidField(field, rule, msg string) *Error {
	return &Error{Kind: KindInvalid, Code: CodeInvalidParameter, Message: msg,
		Fields: []validate.FieldError{{Field: field, Rule: rule, Message: msg}}}
}
