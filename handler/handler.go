// Package handler adapts SCF invocations to the reset use case. It tells the three trigger kinds apart by the
// shape of the event (never by configuration: one deployment may have an API Gateway trigger, a Function URL
// and a timer at once), decodes the payload, authorises HTTP callers, runs the use case and encodes the reply:
// an integration response for HTTP triggers, the JSON result (or an error whose message is the JSON error
// object, so SCF marks the invocation failed and applies its retry policy) for timer and direct invocations.
package handler

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"dtsreset/internal/reset"
	"dtsreset/validate"
)

// Resetter is the use case as the handler needs it.
type Resetter interface {
	Reset(ctx context.Context, req validate.Request) (reset.Result, error)
	Batch(ctx context.Context, reqs []validate.Request) reset.BatchResult
}

// Options configure a Handler.
type Options struct {
	// APIToken, when set, is the bearer token every HTTP caller must present.
	APIToken string
	// AllowedSubscribeIDs, when not empty, limits every trigger to these subscriptions.
	AllowedSubscribeIDs []string
	// Logger receives one line per reset outcome; default slog.Default().
	Logger *slog.Logger
	// Now is the invocation clock (for now-<duration>); default time.Now.
	Now func() time.Time
}

// Handler implements cloudfunction.Handler.
type Handler struct {
	resetter Resetter
	token    []byte
	allowed  map[string]bool
	log      *slog.Logger
	now      func() time.Time
	fail     *reset.Error // set by Failing: every invocation answers it
}

// New returns a Handler that runs resets with r.
func New(r Resetter, opts Options) *Handler {
	h := &Handler{resetter: r, log: opts.Logger, now: opts.Now}
	if opts.APIToken != "" {
		h.token = []byte(opts.APIToken)
	}
	if len(opts.AllowedSubscribeIDs) > 0 {
		h.allowed = make(map[string]bool, len(opts.AllowedSubscribeIDs))
		for _, id := range opts.AllowedSubscribeIDs {
			h.allowed[id] = true
		}
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// Failing returns a Handler that answers every invocation with err: how an invalid configuration, found once
// at start, reaches each caller instead of crashing the instance (SCF would only show a start-up failure).
func Failing(err error, logger *slog.Logger) *Handler {
	h := New(nil, Options{Logger: logger})
	h.fail = reset.AsError(err)
	return h
}

// invocation carries what one Invoke knows, for the reply and the log line.
type invocation struct {
	start     time.Time
	requestID string // the function's RequestId
	event     Event
	caller    string
}

// maxReplyMargin bounds the time kept before the invocation deadline to encode and return the reply.
const maxReplyMargin = 200 * time.Millisecond

// withReplyMargin ends ctx a margin (a tenth of the time left, at most maxReplyMargin) before its deadline.
// SCF ends the invocation at the deadline itself: a reply that comes even a little after it is lost, and the
// caller sees the platform's timeout instead of our 504 naming the DTS call that ran out of time.
func withReplyMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := min(time.Until(deadline)/10, maxReplyMargin)
	return context.WithDeadline(ctx, deadline.Add(-max(margin, 0)))
}

// Invoke handles one SCF invocation.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ctx, cancel := withReplyMargin(ctx)
	defer cancel()
	inv := invocation{start: time.Now()}
	if fc, ok := functioncontext.FromContext(ctx); ok {
		inv.requestID = fc.RequestID
	}
	ev, err := DecodeEvent(payload)
	inv.event = ev
	if ev.HTTP != nil {
		if ev.HTTP.RequestContext != nil {
			inv.caller = ev.HTTP.RequestContext.SourceIP
		}
		if inv.caller == "" {
			inv.caller = firstForwardedFor(ev.HTTP.Header("X-Forwarded-For"))
		}
	}
	if err != nil {
		// An event we could not read may still be an HTTP one cut short (e.g. a bad body): HTTP callers get
		// an integration response either way.
		return h.answerError(&inv, err, nil)
	}
	if h.fail != nil {
		return h.answerError(&inv, h.fail, nil)
	}
	if ev.Trigger.IsHTTP() {
		if err := h.authorizeHTTP(ev.HTTP); err != nil {
			return h.answerError(&inv, err, nil)
		}
	}
	reqs, batch, err := validate.Decode(ev.Payload, h.clock(ev))
	if err != nil {
		return h.answerError(&inv, reset.Invalid(err), nil)
	}
	if ev.HTTP != nil {
		dry, err := queryDryRun(ev.HTTP)
		if err != nil {
			return h.answerError(&inv, err, reqs)
		}
		for i := range reqs {
			reqs[i].DryRun = reqs[i].DryRun || dry
		}
	}
	if err := h.authorizeSubscriptions(reqs); err != nil {
		return h.answerError(&inv, err, reqs)
	}
	if !batch {
		res, err := h.resetter.Reset(ctx, reqs[0])
		h.logOutcome(&inv, reqs[0], &res, err)
		if err != nil {
			return h.encodeError(&inv, err)
		}
		return h.encodeResult(&inv, http.StatusOK, res, "")
	}
	out := h.resetter.Batch(ctx, reqs)
	for i, item := range out.Items {
		h.logOutcome(&inv, reqs[i], item.Result, item.Err)
	}
	if out.Failed == 0 {
		return h.encodeResult(&inv, http.StatusOK, batchReply(out), "")
	}
	if ev.Trigger.IsHTTP() {
		return h.encodeResult(&inv, http.StatusMultiStatus, batchReply(out), "")
	}
	// A timer or direct batch with a failed item fails the invocation, with the whole batch reply as the
	// message: SCF then applies its retry and dead-letter policy, and a retry is safe because every reset is
	// idempotent (items that succeeded are simply applied again).
	body, err := marshal(batchReply(out))
	if err != nil {
		return nil, err
	}
	return nil, &InvokeError{Body: body, Err: firstError(out)}
}

func firstError(out reset.BatchResult) *reset.Error {
	for _, item := range out.Items {
		if item.Err != nil {
			return reset.AsError(item.Err)
		}
	}
	return nil
}

// clock is the "now" of relative datetimes (now-2h). For a timer it is the time the trigger fired (the event's
// Time), not the moment this invocation runs: SCF retries a failed timer invocation with the same event, and
// the retry must reset to the same point, or a retry minutes later would quietly move the group elsewhere. A
// Time that is missing, unreadable, in the future or more than a day old is not trusted.
func (h *Handler) clock(ev Event) time.Time {
	now := h.now()
	if ev.Timer == nil {
		return now
	}
	fired, err := time.Parse(time.RFC3339, ev.Timer.Time)
	if err != nil || fired.After(now) || now.Sub(fired) > 24*time.Hour {
		return now
	}
	return fired
}

func (h *Handler) authorizeHTTP(ev *HTTPEvent) error {
	if ev.HTTPMethod != http.MethodPost {
		return reset.Errorf(reset.KindMethodNotAllowed, reset.CodeMethodNotAllowed, "method %s is not allowed; POST the reset payload", safeMethod(ev.HTTPMethod))
	}
	if h.token == nil {
		return nil
	}
	got, ok := strings.CutPrefix(ev.Header("Authorization"), "Bearer ")
	// ConstantTimeCompare leaks only the length, which an attacker learns nothing useful from.
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), h.token) != 1 {
		return reset.Errorf(reset.KindUnauthorized, reset.CodeUnauthorized, "missing or invalid bearer token: send Authorization: Bearer <RESET_API_TOKEN>")
	}
	return nil
}

func (h *Handler) authorizeSubscriptions(reqs []validate.Request) error {
	if h.allowed == nil {
		return nil
	}
	for _, r := range reqs {
		if !h.allowed[r.SubscribeID] {
			return reset.Errorf(reset.KindForbidden, reset.CodeOperationDenied, "SubscribeId %s is not in this function's allow-list (RESET_ALLOWED_SUBSCRIBE_IDS)", r.SubscribeID)
		}
	}
	return nil
}

// queryDryRun reads ?dryRun. Anything but a clear boolean is refused: a typo such as ?dryRun=ture read as
// false would turn a plan into an irreversible reset. The key matches in any case; QueryString has already
// refused one key given in two spellings.
func queryDryRun(ev *HTTPEvent) (bool, error) {
	var values []string
	for _, q := range []QueryString{ev.QueryString, ev.QueryParameters} {
		for k, v := range q {
			if strings.EqualFold(k, "dryRun") {
				if len(v) == 0 {
					v = []string{""}
				}
				values = append(values, v...)
			}
		}
	}
	dry, seen := false, false
	for _, v := range values {
		b, ok := parseQueryBool(v)
		if !ok {
			return false, dryRunError("dryRun must be true or false; got %q", shorten(v))
		}
		if seen && b != dry {
			return false, dryRunError("dryRun is given more than once with different values")
		}
		dry, seen = b, true
	}
	return dry, nil
}

func parseQueryBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "true", "1", "yes", "t":
		return true, true // ?dryRun with no value asks for a dry run
	case "false", "0", "no", "f":
		return false, true
	}
	return false, false
}

func dryRunError(format string, args ...any) *reset.Error {
	e := reset.Errorf(reset.KindInvalid, reset.CodeInvalidParameter, format, args...)
	e.Fields = []validate.FieldError{{Field: "dryRun", Rule: "boolean", Message: e.Message}}
	return e
}

func firstForwardedFor(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// safeMethod keeps a hostile method name from turning the reply into an echo chamber.
func safeMethod(m string) string {
	if len(m) > 16 {
		m = m[:16]
	}
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
			return r
		}
		return '?'
	}, m)
}
