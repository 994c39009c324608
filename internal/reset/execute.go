package reset

import (
	"context"
	"log/slog"
	"time"

	"dtsreset/validate"
)

// uncheckedWarning is the Warning of a reset sent with both checks off (SPEC §4 step 6).
const uncheckedWarning = "RESET_PRECHECK and RESET_VERIFY are off: the reset was sent without reading the group " +
	"or checking its result, so the API may have ignored it (it answers success and changes nothing for a group " +
	"that is not Dead or Empty) and partitions the topic lacks were not refused"

// execute sends the reset of partitions and returns its RequestId. Repeating this call is safe, be it the
// port's retry after a network failure or a 5xx or SCF's retry of a failed invocation: docs/RELIABILITY.md
// (Idempotency) says why.
func (s *Service) execute(ctx context.Context, req validate.Request, partitions []int) (string, error) {
	call := ResetCall{
		SubscribeID:       req.SubscribeID,
		TopicName:         req.TopicName,
		ConsumerGroupName: req.ConsumerGroupName,
		PartitionNos:      partitions,
		ResetMode:         req.ResetMode,
	}
	if req.ResetMode == ModeDatetime {
		call.ResetDatetime = req.ResetDatetime
	}
	rid, err := s.dts.ResetConsumerGroupOffset(ctx, req.Region, call)
	if err != nil {
		return "", portError("ResetConsumerGroupOffset", err)
	}
	s.debug(ctx, "reset accepted", req, slog.String("request_id", rid))
	return rid, nil
}

// unchecked reports whether req is a reset the caller wants sent as one API call: both checks off and nothing
// the reset itself needs read first. A dry run still plans (the plan is its answer), AllPartitions needs
// DescribeOffsetByTime to list the partitions, and a guard needs the plan's Replay and Skip.
func (s *Service) unchecked(req validate.Request) bool {
	return !s.opts.Precheck && !s.opts.Verify && !req.DryRun && !req.AllPartitions && len(req.PartitionNos) > 0 &&
		!guarded(req)
}

// guarded reports whether req sets MaxReplay or MaxSkip: its plan needs the group's committed offsets.
func guarded(req validate.Request) bool { return req.MaxReplay != nil || req.MaxSkip != nil }

// resetUnchecked is the reset with both checks off: ResetConsumerGroupOffset and nothing else (SPEC §4 step 6),
// so the reply has no CurrentOffset or TargetOffset and says in Warnings that nothing was checked.
func (s *Service) resetUnchecked(ctx context.Context, req validate.Request) (Result, error) {
	parts := make([]PartitionResult, len(req.PartitionNos))
	for i, no := range req.PartitionNos {
		parts[i].PartitionNo = no
	}
	rid, err := s.execute(ctx, req, req.PartitionNos)
	if err != nil {
		return Result{}, err
	}
	res := newResult(req, parts)
	res.RequestID = rid
	res.Warnings = []string{uncheckedWarning}
	return res, nil
}

// newResult is the reply of req with its planned partitions, before anything is sent.
func newResult(req validate.Request, parts []PartitionResult) Result {
	res := Result{
		SubscribeID:       req.SubscribeID,
		TopicName:         req.TopicName,
		ConsumerGroupName: req.ConsumerGroupName,
		ResetMode:         req.ResetMode,
		DryRun:            req.DryRun,
		Partitions:        parts,
	}
	if req.ResetMode == ModeDatetime {
		res.ResetDatetime = req.ResetDatetime
		if at, err := time.ParseInLocation(time.DateTime, req.ResetDatetime, validate.Beijing()); err == nil {
			res.ResetDatetimeUTC = at.UTC().Format(time.RFC3339)
		}
	}
	return res
}
