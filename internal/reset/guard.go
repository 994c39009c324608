package reset

import (
	"strconv"
	"strings"

	"dtsreset/validate"
)

// GuardDetails is Error.Details of CodeGuardExceeded: every partition over a guard, with its figures.
type GuardDetails struct {
	MaxReplay  *int64            `json:"MaxReplay,omitempty"`
	MaxSkip    *int64            `json:"MaxSkip,omitempty"`
	Partitions []PartitionResult `json:"Partitions"`
}

// guard refuses a plan that would replay more than MaxReplay or skip more than MaxSkip messages on any
// partition (SPEC §3), before anything is sent; dry runs get the same answer, so automation can test a guard
// without risk. A partition without Replay/Skip figures (no committed offset) cannot exceed a guard.
// requestID is the RequestId of the answer the plan came from.
func guard(req validate.Request, parts []PartitionResult, requestID string) error {
	if !guarded(req) {
		return nil
	}
	var over []PartitionResult
	var b strings.Builder
	for _, p := range parts {
		replay := req.MaxReplay != nil && p.Replay != nil && *p.Replay > *req.MaxReplay
		skip := req.MaxSkip != nil && p.Skip != nil && *p.Skip > *req.MaxSkip
		if !replay && !skip {
			continue
		}
		if len(over) < maxListedPartitions {
			if len(over) > 0 {
				b.WriteString("; ")
			}
			b.WriteString("partition " + strconv.Itoa(p.PartitionNo) + " would ")
			if replay {
				b.WriteString("replay " + strconv.FormatInt(*p.Replay, 10) + " (MaxReplay " +
					strconv.FormatInt(*req.MaxReplay, 10) + ")")
			} else {
				b.WriteString("skip " + strconv.FormatInt(*p.Skip, 10) + " (MaxSkip " +
					strconv.FormatInt(*req.MaxSkip, 10) + ")")
			}
		}
		over = append(over, p)
	}
	if len(over) == 0 {
		return nil
	}
	if n := len(over) - maxListedPartitions; n > 0 {
		b.WriteString("; and " + strconv.Itoa(n) + " more")
	}
	return &Error{Kind: KindConflict, Code: CodeGuardExceeded, RequestID: requestID,
		Message: "the reset of " + req.ConsumerGroupName + " exceeds its guard, so nothing was sent: " +
			b.String() + ". Raise MaxReplay/MaxSkip, or choose a target nearer the committed offsets",
		Details: GuardDetails{MaxReplay: req.MaxReplay, MaxSkip: req.MaxSkip, Partitions: over}}
}
