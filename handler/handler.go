// Package handler adapts SCF invocations to the reset use case. It tells the three trigger kinds apart by the
// shape of the event (never by configuration: one deployment may have an API Gateway trigger, a Function URL
// and a timer at once), decodes the payload, authorises HTTP callers, runs the use case and encodes the reply:
// an integration response for HTTP triggers, the JSON result (or an error whose message is the JSON error
// object, so SCF marks the invocation failed and applies its retry policy) for timer and direct invocations.
package handler

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"dtsreset/internal/reset"
	"dtsreset/validate"
)

// Resetter is the use case as the handler needs it. Batch answers one item per request, in their order.
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
	inv.event, inv.caller = ev, callerOf(ev.HTTP)
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
	decoded, err := validate.Decode(ev.Payload, h.clock(ev))
	if err != nil {
		return h.answerError(&inv, reset.Invalid(err), nil)
	}
	reqs := decoded.Requests
	if ev.HTTP != nil {
		dry, err := queryDryRun(ev.HTTP)
		if err != nil {
			return h.answerError(&inv, err, reqs)
		}
		for i := range reqs {
			reqs[i].DryRun = reqs[i].DryRun || dry
		}
	}
	// One SubscribeId outside the list refuses the whole batch, before anything runs (docs/SECURITY.md).
	if err := h.authorizeSubscriptions(reqs); err != nil {
		return h.answerError(&inv, err, reqs)
	}
	if !decoded.Batch {
		res, err := h.resetter.Reset(ctx, reqs[0])
		h.logOutcome(&inv, reqs[0], &res, err)
		if err != nil {
			return h.encodeError(&inv, err)
		}
		return h.encodeResult(&inv, http.StatusOK, res, "")
	}
	return h.answerBatch(ctx, &inv, reqs)
}

// answerBatch runs a batch and answers it: 200 when every item succeeded, else 207 for HTTP triggers and a
// failed invocation for timer and direct ones.
func (h *Handler) answerBatch(ctx context.Context, inv *invocation, reqs []validate.Request) ([]byte, error) {
	out := h.resetter.Batch(ctx, reqs)
	for i, item := range out.Items {
		h.logOutcome(inv, reqs[i], item.Result, item.Err)
	}
	if out.Failed == 0 {
		return h.encodeResult(inv, http.StatusOK, batchReply(out), "")
	}
	if inv.event.Trigger.IsHTTP() {
		return h.encodeResult(inv, http.StatusMultiStatus, batchReply(out), "")
	}
	// A failed item fails the invocation, with the whole batch reply as the message, so that SCF applies its
	// retry and dead-letter policy; retrying the items that succeeded is safe (docs/RELIABILITY.md, Idempotency).
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
	got, ok := bearerToken(ev.Header("Authorization"))
	// ConstantTimeCompare leaks only the length, which an attacker learns nothing useful from.
	if !ok || subtle.ConstantTimeCompare([]byte(got), h.token) != 1 {
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

// bearerToken returns the token of an Authorization header in the Bearer scheme. Scheme names are
// case-insensitive (RFC 7235 §2.1), so bearer and BEARER are Bearer: clients and proxies that spell it so must
// not be told their token is wrong. The scheme and the token may be parted by more than one space or tab, and
// the blanks around the value (OWS, RFC 9110 §5.5) are not part of the token.
func bearerToken(v string) (string, bool) {
	v = strings.Trim(v, " \t")
	i := strings.IndexAny(v, " \t")
	if i < 0 || !strings.EqualFold(v[:i], "Bearer") {
		return "", false
	}
	return strings.TrimLeft(v[i:], " \t"), true
}

// queryDryRun reads ?dryRun, the one query parameter. Every other is refused: a misspelled ?dry-run=true that
// was ignored would turn a plan into an irreversible reset. Anything but a clear boolean is refused too: a typo
// such as ?dryRun=ture read as false would do the same. The key matches in any case; QueryString has already
// refused one key given in two spellings. Both maps an API Gateway event carries (queryString and
// queryStringParameters) are read: a misspelling in either must not slip through.
func queryDryRun(ev *HTTPEvent) (bool, error) {
	var values, unknown []string
	for _, q := range []QueryString{ev.QueryString, ev.QueryParameters} {
		for k, v := range q {
			switch {
			case strings.EqualFold(k, "dryRun"):
				if len(v) == 0 {
					v = []string{""}
				}
				values = append(values, v...)
			case k == "" && !slices.ContainsFunc(v, func(s string) bool { return s != "" }):
				// A stray & or a trailing ? can leave a nameless, valueless entry: it asks for nothing.
			default:
				unknown = append(unknown, k)
			}
		}
	}
	if len(unknown) > 0 {
		return false, unknownQueryError(unknown)
	}
	dry, seen := false, false
	for _, v := range values {
		b, ok := parseQueryBool(v)
		if !ok {
			return false, dryRunError("dryRun must be true or false; got %q", validate.Shorten(v))
		}
		if seen && b != dry {
			return false, dryRunError("dryRun is given more than once with different values")
		}
		dry, seen = b, true
	}
	return dry, nil
}

// maxUnknownQuery bounds how many unknown query parameters a reply names, so that a query string of thousands
// of keys does not come back as a reply of thousands of FieldErrors.
const maxUnknownQuery = 10

// unknownQueryError names each unknown query parameter (sorted, once even when both maps carry it) with the
// rule unknown, as validate names an unknown field; a key close to dryRun gets the suggestion.
func unknownQueryError(keys []string) *reset.Error {
	slices.Sort(keys)
	keys = slices.Compact(keys)
	fields := make([]validate.FieldError, 0, min(len(keys), maxUnknownQuery))
	msgs := make([]string, 0, cap(fields)+1)
	for _, k := range keys[:cap(fields)] {
		name := queryKeyName(k)
		msg := "unknown query parameter " + name + ": the only one is dryRun"
		if validate.Suggest(k, []string{"dryRun"}) != "" {
			msg += "; did you mean dryRun?"
		}
		fields = append(fields, validate.FieldError{Field: "?" + name, Rule: "unknown", Message: msg})
		msgs = append(msgs, msg)
	}
	if more := len(keys) - len(fields); more > 0 {
		msgs = append(msgs, fmt.Sprintf("and %d more", more))
	}
	e := reset.Errorf(reset.KindInvalid, reset.CodeInvalidParameter, "%s", strings.Join(msgs, "; "))
	e.Fields = fields
	return e
}

// queryKeyName renders a caller's query key for a Field and a message: as is when it reads like a parameter
// name, quoted (so blanks and control characters show) when it does not, and never longer than a few dozen
// bytes, so a hostile key is not echoed back whole.
func queryKeyName(k string) string {
	plain := k != "" && len(k) <= 64
	for i := 0; plain && i < len(k); i++ {
		c := k[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
	}
	if plain {
		return k
	}
	return strconv.Quote(validate.Shorten(k))
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
	e.Fields = []validate.FieldError{{Field: "?dryRun", Rule: "boolean", Message: e.Message}} // "?" as for unknown query parameters: not a payload field
	return e
}

// maxCallerLen bounds the caller in a log line: a client can send any X-Forwarded-For, and a 50 KB header must
// not make a 50 KB line.
const maxCallerLen = 64

// callerOf is who called an HTTP trigger, for the log (SPEC §2): API Gateway's requestContext.sourceIp, else the
// Function URL's x-scf-remote-addr, else the last X-Forwarded-For hop, the one the platform added (the first
// ones are whatever the client sent). "" for other triggers.
func callerOf(ev *HTTPEvent) string {
	if ev == nil {
		return ""
	}
	caller := ""
	if ev.RequestContext != nil {
		caller = ev.RequestContext.SourceIP
	}
	if caller == "" {
		caller = ev.Header("x-scf-remote-addr")
	}
	if caller == "" {
		hops := ev.Header("X-Forwarded-For")
		caller = hops[strings.LastIndexByte(hops, ',')+1:]
	}
	caller = strings.TrimSpace(caller)
	if len(caller) > maxCallerLen {
		caller = strings.ToValidUTF8(caller[:maxCallerLen], "")
	}
	return caller
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
