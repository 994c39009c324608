package reset

import (
	"context"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"dtsreset/validate"
)

// Options tune a Service. The zero value is usable: no precheck, no verify, VerifyTimeout 5s, time.Now, no
// logs. The configuration layer turns Precheck and Verify on by default (RESET_PRECHECK, RESET_VERIFY).
type Options struct {
	// Precheck finds the group before the reset and refuses a missing or active one (SPEC §4 step 2).
	Precheck bool
	// Verify polls the group after the reset until its offsets are the targets (SPEC §4 step 5).
	Verify bool
	// VerifyTimeout bounds the verify step; 0 means 5s. The caller's deadline bounds it further.
	VerifyTimeout time.Duration
	// Now is the clock of `latest` (DescribeOffsetByTime at now lists the partitions and is the target of one
	// without a committed offset); nil means time.Now.
	Now func() time.Time
	// Logger receives debug lines about each step; nil means none. The outcome line is the handler's.
	Logger *slog.Logger
}

// Tunables of the steps. Pages are requested large and followed by the count actually returned, so an API
// that caps the page size below groupPageSize still pages correctly.
const (
	defaultVerifyTimeout = 5 * time.Second
	groupPageSize        = 100
	maxGroupPages        = 100 // against an API that never stops paging
	verifyFirstDelay     = 100 * time.Millisecond
	verifyMaxDelay       = time.Second
	verifyMaxMargin      = 250 * time.Millisecond // kept before the caller's deadline to answer in time
)

// The reset modes, as the API spells them.
const (
	ModeEarliest = "earliest"
	ModeLatest   = "latest"
	ModeDatetime = "datetime"
)

// Service runs resets against one DTS port. It is safe for concurrent use.
type Service struct {
	dts  DTS
	opts Options
	log  *slog.Logger
}

// New returns a Service on dts with opts, defaults filled in.
func New(dts DTS, opts Options) *Service {
	if opts.VerifyTimeout <= 0 {
		opts.VerifyTimeout = defaultVerifyTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{dts: dts, opts: opts, log: log}
}

// Reset prechecks, plans, executes and verifies one reset; see the package documentation. A DryRun request
// stops after the plan. Every error is an *Error.
func (s *Service) Reset(ctx context.Context, req validate.Request) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, ctxError(err, "before the reset of "+req.ConsumerGroupName+" started")
	}
	at, err := s.offsetTime(req)
	if err != nil {
		return Result{}, err
	}
	if s.unchecked(req) {
		return s.resetUnchecked(ctx, req)
	}

	group, offsets, err := s.prepare(ctx, req, at)
	if err != nil {
		return Result{}, err
	}
	parts, err := plan(req, offsets, group)
	if err != nil {
		return Result{}, err
	}
	if err := guard(req, parts, offsets.RequestID); err != nil {
		return Result{}, err
	}
	res := newResult(req, parts)
	if group != nil {
		res.GroupState = group.State
	}
	if req.DryRun {
		s.debug(ctx, "reset planned (dry run)", req, slog.Int("partitions", len(parts)))
		return res, nil
	}

	rid, err := s.execute(ctx, req, partitionNos(parts))
	if err != nil {
		return Result{}, err
	}
	res.RequestID = rid
	if !s.opts.Verify {
		return res, nil
	}
	if err := s.verify(ctx, req, rid, parts); err != nil {
		return Result{}, err
	}
	res.Verified = true
	return res, nil
}

// Batch runs reqs in order, one after the other, each on its own: a failure does not stop the rest. The DTS
// port's rate limiter paces them; Batch adds none of its own. Items whose turn comes after ctx expired fail
// with KindTimeout without calling the API.
func (s *Service) Batch(ctx context.Context, reqs []validate.Request) BatchResult {
	out := BatchResult{Items: make([]BatchItem, len(reqs))}
	for i := range reqs {
		res, err := s.Reset(ctx, reqs[i])
		if err != nil {
			out.Items[i].Err = err
			out.Failed++
			continue
		}
		out.Items[i].Result = &res
	}
	return out
}

// EarliestTime is the time an earliest reset's targets are asked at: Unix time 0 in Beijing time, before any
// retained data, so DTS answers the oldest retained offset (a time outside retention becomes the earliest
// offset, DTS_API_FACTS.md). DescribeOffsetByTime requires a Time: an empty one is not "time 0" there.
const EarliestTime = "1970-01-01 08:00:00"

// offsetTime is the time DescribeOffsetByTime is asked at: it gives the target of every partition.
func (s *Service) offsetTime(req validate.Request) (string, error) {
	switch req.ResetMode {
	case ModeEarliest:
		return EarliestTime, nil
	case ModeLatest:
		return validate.BeijingTime(s.opts.Now()), nil
	case ModeDatetime:
		// An empty ResetDatetime would make the API reset to the earliest offset instead: refuse it even
		// though validate already does.
		if req.ResetDatetime == "" {
			return "", invalidField("ResetDatetime", "required_if",
				"ResetDatetime is required when ResetMode is datetime")
		}
		return req.ResetDatetime, nil
	default:
		return "", invalidField("ResetMode", "oneof",
			"ResetMode must be earliest, latest or datetime, not "+quote(req.ResetMode))
	}
}

// prepare runs the precheck (when on) and the plan's DescribeOffsetByTime concurrently: they are independent,
// and overlapping them saves a round trip. The first failure cancels the other calls and is the one returned.
func (s *Service) prepare(ctx context.Context, req validate.Request, at string) (*Group, Offsets, error) {
	if !req.AllPartitions && len(req.PartitionNos) == 0 {
		return nil, Offsets{}, invalidField("PartitionNos", "required_without",
			"PartitionNos is required unless AllPartitions is true")
	}
	g, ctx := errgroup.WithContext(ctx)
	var group *Group
	var offsets Offsets
	if s.opts.Precheck {
		g.Go(func() (err error) {
			group, err = s.precheckGroup(ctx, req)
			return err
		})
		g.Go(func() error { return s.checkTopic(ctx, req) })
	} else if req.ResetMode == ModeLatest || guarded(req) {
		// latest's targets are the group's log ends, and a guard needs the committed offsets, so the plan
		// reads the group even without the precheck (refusing nothing); alongside DescribeOffsetByTime, so no
		// sequential round trip is added.
		g.Go(func() (err error) {
			group, _, err = s.findGroup(ctx, req)
			return err
		})
	}
	g.Go(func() (err error) {
		if offsets, err = s.dts.DescribeOffsetByTime(ctx, req.Region, req.SubscribeID, at); err != nil {
			return portError("DescribeOffsetByTime", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, Offsets{}, err // the first failure: later ones are mostly the cancellation it caused
	}
	return group, offsets, nil
}

func (s *Service) debug(ctx context.Context, msg string, req validate.Request, attrs ...slog.Attr) {
	if !s.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs = append(attrs, slog.String("SubscribeId", req.SubscribeID),
		slog.String("ConsumerGroupName", req.ConsumerGroupName), slog.String("ResetMode", req.ResetMode))
	s.log.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}
