package reset

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"dtsreset/validate"
)

// verify polls the group until every partition sits at its target, and fills in ResultOffset. The first poll
// is immediate (a reset of an Empty group applies at once), then the delay doubles from verifyFirstDelay up to
// verifyMaxDelay. It gives up after Options.VerifyTimeout, or a margin before ctx's deadline so that the
// caller still gets an answer, or at once when the group has members again: then the API ignored the reset.
func (s *Service) verify(ctx context.Context, req validate.Request, requestID string, parts []PartitionResult) error {
	deadline := verifyDeadline(ctx, time.Now(), s.opts.VerifyTimeout)
	vctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	var (
		last     *Group // the group at the last poll; nil when not listed
		observed bool   // a poll answered at all
	)
	delay := verifyFirstDelay
	for poll := 1; ; poll++ {
		start := time.Now()
		g, _, err := s.findGroup(vctx, req)
		took := time.Since(start)
		if err != nil {
			if ctx.Err() == nil && vctx.Err() != nil {
				break // our window closed during the call: judge by what was seen
			}
			return verifyFailed(err, requestID)
		}
		observed, last = true, g
		if g != nil && applied(req.ResetMode, parts, g) {
			s.debug(ctx, "reset verified", req, slog.Int("polls", poll))
			return nil
		}
		if g != nil && active(g.State) {
			break // members are back: the offsets will not move to the targets
		}
		// Stop when the next poll could not answer inside the window (it takes about as long as this one).
		if time.Now().Add(delay + took).After(deadline) {
			break
		}
		if err := Sleep(vctx, delay); err != nil {
			break
		}
		delay = min(2*delay, verifyMaxDelay)
	}
	if err := ctx.Err(); err != nil {
		return outcomeUnknown(requestID, ctxError(err, "while verifying it").Message, err)
	}
	if !observed {
		// No poll answered within the verify window: whether that window was the invocation deadline or the
		// verify timeout, the reset's outcome is unknown, which is a timeout and not "not applied".
		return outcomeUnknown(requestID, fmt.Sprintf("DescribeConsumerGroups did not answer within the verify "+
			"window (%s, or less before the invocation deadline)", s.opts.VerifyTimeout), nil)
	}
	return notApplied(req, requestID, parts, last)
}

// verifyDeadline is the end of the verify window: timeout from now, and a margin before ctx's deadline.
func verifyDeadline(ctx context.Context, now time.Time, timeout time.Duration) time.Time {
	d := now.Add(timeout)
	if cd, ok := ctx.Deadline(); ok {
		margin := min(cd.Sub(now)/10, verifyMaxMargin)
		if end := cd.Add(-margin); end.Before(d) {
			d = end
		}
	}
	return d
}

// applied reports whether every partition is at its target, and if so records the offsets in ResultOffset.
func applied(mode string, parts []PartitionResult, g *Group) bool {
	got := make([]int64, len(parts))
	for i, p := range parts {
		off, ok := committedOffset(g.Partitions, p.PartitionNo)
		if !ok || !atTarget(mode, g.State, off, *p.TargetOffset) {
			return false
		}
		got[i] = off
	}
	for i := range parts {
		parts[i].ResultOffset = &got[i]
	}
	return true
}

// atTarget reports whether a partition's committed offset is where the reset puts it. For earliest and
// datetime the target is exact. For latest an offset beyond the target also counts, because the end of the log
// may have moved between the plan and the reset — but only while the group has no members: a member commits
// its own progress, and a consumer that joined just before the reset (which the API then silently ignored)
// soon commits offsets past the old end too. Nobody else moves an idle group's offsets.
func atTarget(mode, state string, off, target int64) bool {
	if off == target {
		return true
	}
	return mode == ModeLatest && off > target && !active(state)
}

func committedOffset(states []PartitionState, no int) (int64, bool) {
	for _, s := range states {
		if s.PartitionNo == no {
			return s.Offset, true
		}
	}
	return 0, false
}

// notApplied is the error for offsets that never reached their targets although the API accepted the reset.
func notApplied(req validate.Request, requestID string, parts []PartitionResult, g *Group) *Error {
	var checks []PartitionCheck
	var states []PartitionState
	var state string
	if g != nil {
		states, state = g.Partitions, g.State
	}
	for _, p := range parts {
		c := PartitionCheck{PartitionNo: p.PartitionNo, TargetOffset: *p.TargetOffset}
		if off, ok := committedOffset(states, p.PartitionNo); ok {
			if atTarget(req.ResetMode, state, off, *p.TargetOffset) {
				continue
			}
			c.Offset = &off
		}
		checks = append(checks, c)
	}

	var b strings.Builder
	b.WriteString("DTS accepted the reset (RequestId " + requestID + ") but the offsets of " +
		req.ConsumerGroupName + " did not change: ")
	for i, c := range checks {
		if i == maxListedPartitions {
			b.WriteString("; and " + strconv.Itoa(len(checks)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("partition " + strconv.Itoa(c.PartitionNo) + " is at ")
		if c.Offset == nil {
			b.WriteString("no committed offset")
		} else {
			b.WriteString(strconv.FormatInt(*c.Offset, 10))
		}
		b.WriteString(", expected " + strconv.FormatInt(c.TargetOffset, 10))
	}
	details := GroupDetails{Members: []Member{}, Partitions: checks}
	if g == nil {
		b.WriteString(". DescribeConsumerGroups does not list the group.")
	} else {
		details.GroupState, details.Members = g.State, members(g)
		b.WriteString(". The group is now " + stateName(g.State))
		writeMembers(&b, g)
		if active(g.State) {
			b.WriteString(". A consumer joined the group around the time of the reset: the API silently ignores " +
				"the reset of a group that is not Dead or Empty, and a member commits its own offsets, so the " +
				"reset cannot be confirmed. Stop the consumers so that they leave the group, then retry.")
		} else {
			b.WriteString(". The API did not apply the reset within the verify window; a consumer may have " +
				"joined and left the group meanwhile. Make sure no consumer uses the group, then retry.")
		}
	}
	return &Error{Kind: KindConflict, Code: CodeResetNotApplied, Message: b.String(), RequestID: requestID,
		Details: details}
}

// outcomeUnknown is the reply of a reset that DTS accepted but whose verify could not run or finish: a
// timeout (504) with the reset's RequestId, whatever stopped the verify. Never KindThrottled: a 429 invites a
// retry, and a retried `latest` reset moves the group again, to the end as of the retry.
func outcomeUnknown(requestID, why string, cause error) *Error {
	return &Error{Kind: KindTimeout, Code: CodeDeadlineExceeded, RequestID: requestID, Err: cause,
		Message: "DTS accepted the reset (RequestId " + requestID + ") but its outcome is unknown: " + why +
			". Check the group's offsets before retrying: a retried latest reset moves the group again"}
}

// verifyFailed is a failed verify poll after DTS accepted the reset: whatever stopped the poll (our rate limit
// or DTS's, the deadline, an upstream failure), the reset's outcome is unknown, so it is outcomeUnknown (504)
// with the reset's RequestId, never the poll's own status: a 429 or a 502 invites a retry, and a retried
// `latest` reset moves the group again. The poll's code and RequestId stay in the message.
func verifyFailed(err error, requestID string) *Error {
	pe := AsError(err)
	why := "verifying it was stopped (" + pe.Code + ": " + pe.Message
	if pe.RequestID != "" && pe.RequestID != requestID {
		why += "; DescribeConsumerGroups RequestId " + pe.RequestID
	}
	return outcomeUnknown(requestID, why+")", err)
}

// Sleep waits d, or until ctx is done and then returns its error: every wait of the function (verify polls,
// the DTS client's retries and rate limit) goes through it, so none outlives the invocation's deadline.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
