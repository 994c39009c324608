package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"dtsreset/internal/dts"
	"dtsreset/internal/emulator"
	"dtsreset/internal/reset"
	"dtsreset/internal/testkit"
	"dtsreset/validate"
)

// The actions of one reset, short.
const (
	actReset    = "ResetConsumerGroupOffset"
	actGroups   = "DescribeConsumerGroups"
	actOffsets  = "DescribeOffsetByTime"
	actSubsInfo = "DescribeSubscribeDetail"
)

// Retry bounds of the dts client, as documented in internal/dts/client.go: our attempts per call, and the
// SDK's own RequestLimitExceeded retries inside each attempt (the unexported sdkRetries, 2).
const (
	maxAttempts        = dts.DefaultMaxAttempts
	sdkThrottleRetries = 2
	maxThrottledCalls  = maxAttempts * (1 + sdkThrottleRetries)
)

// callBound is how many requests an action may reach the emulator with.
type callBound struct{ min, max int }

func exactly(n int) callBound { return callBound{n, n} }

func (b callBound) String() string {
	if b.min == b.max {
		return fmt.Sprint(b.min)
	}
	return fmt.Sprintf("%d-%d", b.min, b.max)
}

// The payload of every fault row: an earliest reset of the three partitions of the demo group, which starts
// at offset 5 of 10 on each, so a success moves it to 0.
const faultPayload = `{"SubscribeId": "subs-demo000001", "TopicName": "topic-subs-demo000001-cdb-1",
 "ConsumerGroupName": "g1", "PartitionNos": [0, 1, 2], "ResetMode": "earliest"}`

// apigwEvent wraps payload in an API Gateway event with the fixtures' bearer token.
func apigwEvent(t *testing.T, payload string) []byte {
	t.Helper()
	ev := map[string]any{
		"requestContext": map[string]any{"serviceId": "service-faults", "path": "/reset", "httpMethod": "POST",
			"requestId": "apigw-faults", "sourceIp": "203.0.113.9", "stage": "release"},
		"headers": map[string]string{"content-type": "application/json",
			"authorization": "Bearer " + testToken},
		"body": payload, "httpMethod": "POST", "path": "/reset", "isBase64Encoded": false,
		"queryString": map[string]any{}, "queryStringParameters": map[string]any{},
		"headerParameters": map[string]any{}, "pathParameters": map[string]any{},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// outcome is a reply reduced to what the fault table checks, for either trigger kind.
type outcome struct {
	status  int
	headers map[string]string // HTTP triggers only
	code    string            // "" on success
	message string
	raw     string // the whole reply (body, or the error's JSON)
	result  reset.Result
}

// invokeWithin runs one invocation with a context that ends after deadline, as SCF's InvokeRequest.Deadline
// does, and returns the reply and how long the invocation took.
func invokeWithin(t *testing.T, h *Handler, requestID string, event []byte, deadline time.Duration) (outcome, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	ctx = functioncontext.NewContext(ctx, &functioncontext.FunctionContext{RequestID: requestID})
	start := time.Now()
	out, err := h.Invoke(ctx, event)
	elapsed := time.Since(start)
	return decodeOutcome(t, out, err), elapsed
}

func decodeOutcome(t *testing.T, out []byte, err error) outcome {
	t.Helper()
	var o outcome
	var body []byte
	switch {
	case err != nil:
		var ie *InvokeError
		if !errors.As(err, &ie) {
			t.Fatalf("invocation error %T %v, want an *InvokeError", err, err)
		}
		o.status, body = StatusOf(ie.Err), ie.Body
	default:
		var resp IntegrationResponse
		if json.Unmarshal(out, &resp) == nil && resp.StatusCode != 0 {
			o.status, o.headers, body = resp.StatusCode, resp.Headers, []byte(resp.Body)
		} else {
			o.status, body = http.StatusOK, out
		}
	}
	o.raw = string(body)
	if o.status != http.StatusOK {
		var eb ErrorBody
		if err := json.Unmarshal(body, &eb); err != nil {
			t.Fatalf("error reply is not an error object: %v: %s", err, body)
		}
		o.code, o.message = eb.Error.Code, eb.Error.Message
		return o
	}
	if err := json.Unmarshal(body, &o.result); err != nil {
		t.Fatalf("reply is not a result: %v: %s", err, body)
	}
	return o
}

// faultStack is newStack with the demo group at offset 5 of 10 records on each of its 3 partitions.
func faultStack(t *testing.T) (*Handler, *testkit.DTS) {
	t.Helper()
	h, d, _ := newStack(t)
	d.Produce(t, testkit.Topic, 3, 10)
	d.Commit(t, testkit.Group, testkit.Topic, map[int32]int64{0: 5, 1: 5, 2: 5})
	return h, d
}

// TestFaults drives the whole function (handler → reset → dts SDK client → emulator over HTTP) through each
// kind of fault the emulator injects, and checks the reply's status and code and how many requests of each
// action the emulator saw: the retries are bounded, and a failure of the reset's own call never repeats a
// non-retryable one. Each row logs a one-line summary (FAULT ...), the source of docs/RELIABILITY.md:
//
//	go test -run TestFaults -v ./handler/ | grep FAULT
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator for every row and waits out retries and deadlines")
	}
	const gatewayPage = "<html><body><h1>502 Bad Gateway</h1><p>nginx/1.25 at gw-7f3a-internal.example</p></body></html>"
	tests := []struct {
		name     string
		faults   []emulator.Fault
		apigw    bool          // an API Gateway event, else a direct invocation
		deadline time.Duration // the invocation's; 0 means a generous 20 s
		status   int
		code     string // "" for success
		message  string // a substring of the error message
		calls    map[string]callBound
		retry    string // Retry-After, for apigw rows
		hidden   string // must not appear in the reply
	}{
		{
			name:   "throttled twice on the reset: the SDK retries",
			faults: []emulator.Fault{{Action: actReset, Code: "RequestLimitExceeded", Times: 2}},
			status: 200,
			calls:  map[string]callBound{actReset: exactly(3), actGroups: exactly(2)},
		},
		{
			name:   "throttled always on the reset (API Gateway): 429",
			faults: []emulator.Fault{{Action: actReset, Code: "RequestLimitExceeded"}},
			apigw:  true,
			status: 429, code: "RequestLimitExceeded", retry: "1",
			calls: map[string]callBound{actReset: exactly(maxThrottledCalls), actGroups: exactly(1)},
		},
		{
			name:     "throttled always on the reset, 2 s deadline: 429 in time",
			faults:   []emulator.Fault{{Action: actReset, Code: "RequestLimitExceeded"}},
			apigw:    true,
			deadline: 2 * time.Second,
			status:   429, code: "RequestLimitExceeded", retry: "1",
			calls: map[string]callBound{actReset: {1, maxThrottledCalls}},
		},
		{
			name:   "throttled always on the precheck: 429",
			faults: []emulator.Fault{{Action: actGroups, Code: "RequestLimitExceeded"}},
			status: 429, code: "RequestLimitExceeded",
			calls: map[string]callBound{actGroups: exactly(maxThrottledCalls), actReset: exactly(0)},
		},
		{
			name:   "InternalError once on the reset: retried",
			faults: []emulator.Fault{{Action: actReset, Code: "InternalError", Times: 1}},
			status: 200,
			calls:  map[string]callBound{actReset: exactly(2), actGroups: exactly(2)},
		},
		{
			name:   "InternalError always on the reset: 502",
			faults: []emulator.Fault{{Action: actReset, Code: "InternalError"}},
			status: 502, code: "InternalError", message: "try again later",
			calls: map[string]callBound{actReset: exactly(maxAttempts), actGroups: exactly(1)},
		},
		{
			name: "dropped connection once on the precheck and once on the reset: retried",
			faults: []emulator.Fault{{Action: actGroups, Drop: true, Times: 1},
				{Action: actReset, Drop: true, Times: 1}},
			status: 200,
			calls:  map[string]callBound{actGroups: exactly(3), actReset: exactly(2)},
		},
		{
			name:   "dropped connection always on the reset: 502",
			faults: []emulator.Fault{{Action: actReset, Drop: true}},
			status: 502, code: reset.CodeUpstreamFailure, message: "could not reach DTS",
			calls: map[string]callBound{actReset: exactly(maxAttempts)},
		},
		{
			name:   "dropped connection always, every action: 502, no reset",
			faults: []emulator.Fault{{Action: "*", Drop: true}},
			status: 502, code: reset.CodeUpstreamFailure,
			calls: map[string]callBound{actGroups: {1, maxAttempts}, actOffsets: {1, maxAttempts},
				actSubsInfo: {1, maxAttempts}, actReset: exactly(0)},
		},
		{
			name:     "slow precheck beyond the deadline (API Gateway): 504",
			faults:   []emulator.Fault{{Action: actGroups, DelayMs: 3000}},
			apigw:    true,
			deadline: time.Second,
			status:   504, code: reset.CodeDeadlineExceeded,
			calls: map[string]callBound{actGroups: exactly(1), actReset: exactly(0)},
		},
		{
			name:     "slow reset beyond the deadline: 504",
			faults:   []emulator.Fault{{Action: actReset, DelayMs: 3000}},
			deadline: time.Second,
			status:   504, code: reset.CodeDeadlineExceeded,
			calls: map[string]callBound{actReset: exactly(1)},
		},
		{
			name:   "slow but in time (100 ms on every call)",
			faults: []emulator.Fault{{Action: "*", DelayMs: 100}},
			status: 200,
			calls:  map[string]callBound{actReset: exactly(1), actGroups: exactly(2)},
		},
		{
			name:   "non-JSON 502 page once on the reset: retried",
			faults: []emulator.Fault{{Action: actReset, Status: 502, Body: gatewayPage, Times: 1}},
			status: 200,
			calls:  map[string]callBound{actReset: exactly(2)},
		},
		{
			name:   "non-JSON 502 page always on the reset (API Gateway): 502",
			faults: []emulator.Fault{{Action: actReset, Status: 502, Body: gatewayPage}},
			apigw:  true,
			status: 502, code: reset.CodeUpstreamFailure, message: "unreadable reply", hidden: "gw-7f3a",
			calls: map[string]callBound{actReset: exactly(maxAttempts)},
		},
		{
			name:   "non-JSON 502 page always on the precheck: 502",
			faults: []emulator.Fault{{Action: actGroups, Status: 502, Body: gatewayPage}},
			status: 502, code: reset.CodeUpstreamFailure, hidden: "gw-7f3a",
			calls: map[string]callBound{actGroups: exactly(maxAttempts), actReset: exactly(0)},
		},
		{
			name:   "JSON 503 from a gateway always on the reset: 502",
			faults: []emulator.Fault{{Action: actReset, Status: 503, Body: `{"message": "upstream overloaded gw-7f3a"}`}},
			status: 502, code: reset.CodeUpstreamFailure, message: "HTTP error", hidden: "gw-7f3a",
			calls: map[string]callBound{actReset: exactly(maxAttempts)},
		},
		{
			name:   "JSON 403 from a gateway on the reset: 502, not retried",
			faults: []emulator.Fault{{Action: actReset, Status: 403, Body: `{"message": "forbidden gw-7f3a"}`}},
			status: 502, code: reset.CodeUpstreamFailure, hidden: "gw-7f3a",
			calls: map[string]callBound{actReset: exactly(1)},
		},
		{
			name:   "upstream AuthFailure.SignatureFailure: 502 naming the role",
			faults: []emulator.Fault{{Action: actGroups, Code: "AuthFailure.SignatureFailure"}},
			status: 502, code: "AuthFailure.SignatureFailure", message: "execution role",
			calls: map[string]callBound{actGroups: exactly(1), actReset: exactly(0)},
		},
		{
			name:   "upstream UnauthorizedOperation on the reset: 502 naming the role",
			faults: []emulator.Fault{{Action: actReset, Code: "UnauthorizedOperation"}},
			status: 502, code: "UnauthorizedOperation", message: "execution role",
			calls: map[string]callBound{actReset: exactly(1)},
		},
		{
			name:   "ResourceNotFound from the API: 404, not retried",
			faults: []emulator.Fault{{Action: actOffsets, Code: "ResourceNotFound"}},
			status: 404, code: "ResourceNotFound",
			calls: map[string]callBound{actOffsets: exactly(1), actReset: exactly(0)},
		},
		{
			name:   "InvalidParameterValue on the reset: 400, not retried",
			faults: []emulator.Fault{{Action: actReset, Code: "InvalidParameterValue", Message: "bad PartitionNos"}},
			status: 400, code: "InvalidParameterValue",
			calls: map[string]callBound{actReset: exactly(1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, d := faultStack(t)
			for _, f := range tt.faults {
				d.Emu.InjectFault(f)
			}
			event, trigger := []byte(faultPayload), "direct"
			if tt.apigw {
				event, trigger = apigwEvent(t, faultPayload), "apigw"
			}
			deadline := tt.deadline
			if deadline == 0 {
				deadline = 20 * time.Second
			}
			got, elapsed := invokeWithin(t, h, "req-faults", event, deadline)

			calls := map[string]int{}
			for _, a := range []string{actGroups, actSubsInfo, actOffsets, actReset} {
				calls[a] = d.Emu.Calls(a)
			}
			t.Logf("FAULT | %s | %s | %s | %d %s | calls %s | %s", tt.name, trigger, faultsText(tt.faults),
				got.status, cmpOr(got.code, "OK"), callsText(calls), elapsed.Round(10*time.Millisecond))

			if got.status != tt.status || got.code != tt.code {
				t.Errorf("reply %d %q, want %d %q: %s", got.status, got.code, tt.status, tt.code, got.raw)
			}
			if tt.message != "" && !strings.Contains(got.message, tt.message) {
				t.Errorf("message %q, want it to contain %q", got.message, tt.message)
			}
			if tt.hidden != "" && strings.Contains(got.raw, tt.hidden) {
				t.Errorf("the reply leaks the upstream body (%q): %s", tt.hidden, got.raw)
			}
			for action, want := range tt.calls {
				if n := calls[action]; n < want.min || n > want.max {
					t.Errorf("Calls(%s) = %d, want %s", action, n, want)
				}
			}
			if tt.apigw {
				if ra, ok := got.headers["Retry-After"]; ra != tt.retry || (tt.retry == "") == ok {
					t.Errorf("Retry-After %q (present %v), want %q", ra, ok, tt.retry)
				}
				if got.headers["X-Request-Id"] != "req-faults" {
					t.Errorf("X-Request-Id %q, want req-faults", got.headers["X-Request-Id"])
				}
			}
			// A correctness bound, not a speed test: the reply must come before the deadline (the handler keeps
			// a margin for it), never after it (SCF would have answered a timeout instead).
			if tt.deadline > 0 && elapsed >= tt.deadline {
				t.Errorf("answered after %v, want it by the %v deadline", elapsed, tt.deadline)
			}
			if got.status == 200 {
				if !got.result.Verified || got.result.RequestID == "" {
					t.Errorf("result %+v, want verified with a RequestId", got.result)
				}
				if c := d.Committed(t, testkit.Group); !maps.Equal(c, map[int32]int64{0: 0, 1: 0, 2: 0}) {
					t.Errorf("committed %v, want every partition at 0", c)
				}
			} else if calls[actReset] == 0 {
				if c := d.Committed(t, testkit.Group); !maps.Equal(c, map[int32]int64{0: 5, 1: 5, 2: 5}) {
					t.Errorf("committed %v, want the offsets untouched at 5", c)
				}
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func faultsText(fs []emulator.Fault) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		var kind string
		switch {
		case f.Code != "":
			kind = f.Code
		case f.Drop:
			kind = "Drop"
		case f.Status != 0:
			kind = fmt.Sprintf("Status %d", f.Status)
		}
		if f.DelayMs > 0 {
			kind = strings.TrimSpace(fmt.Sprintf("DelayMs %d %s", f.DelayMs, kind))
		}
		times := "always"
		if f.Times > 0 {
			times = fmt.Sprintf("×%d", f.Times)
		}
		parts[i] = fmt.Sprintf("%s on %s %s", kind, f.Action, times)
	}
	return strings.Join(parts, "; ")
}

func callsText(calls map[string]int) string {
	short := map[string]string{actGroups: "DCG", actSubsInfo: "DSD", actOffsets: "DOBT", actReset: "Reset"}
	keys := slices.Sorted(maps.Keys(calls))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s=%d", short[k], calls[k]))
	}
	return strings.Join(out, " ")
}

// TestReplyMarginBeforeDeadline guards the margin Invoke keeps before the invocation deadline: the use case
// must run on a context that ends before SCF's, so that its 504 is answered while SCF still listens.
func TestReplyMarginBeforeDeadline(t *testing.T) {
	// In a synctest bubble no time passes while the handler runs, so the margin is exact.
	synctest.Test(t, func(t *testing.T) {
		for _, left := range []time.Duration{500 * time.Millisecond, 3 * time.Second, 15 * time.Minute} {
			var got time.Time
			r := resetterFunc(func(ctx context.Context) {
				got, _ = ctx.Deadline()
			})
			h := New(r, Options{Logger: discardLogger(), Now: func() time.Time { return fixedNow }})
			deadline := time.Now().Add(left)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			if _, err := h.Invoke(ctx, []byte(faultPayload)); err != nil {
				t.Fatalf("%v left: %v", left, err)
			}
			cancel()
			if margin, want := deadline.Sub(got), min(left/10, maxReplyMargin); margin != want {
				t.Errorf("%v left: the use case's deadline is %v before SCF's, want %v", left, margin, want)
			}
		}
	})
}

// resetterFunc is a Resetter that runs f and succeeds.
type resetterFunc func(ctx context.Context)

func (f resetterFunc) Reset(ctx context.Context, _ validate.Request) (reset.Result, error) {
	f(ctx)
	return reset.Result{}, nil
}

func (f resetterFunc) Batch(ctx context.Context, reqs []validate.Request) reset.BatchResult {
	f(ctx)
	return reset.BatchResult{Items: make([]reset.BatchItem, len(reqs))}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// timerEvent is a timer trigger's event carrying payload as its Message, as SCF sends it on every retry.
func timerEvent(t *testing.T, payload string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{"Type": "Timer", "TriggerName": "nightly-reset",
		"Time": "2026-11-28T02:00:00Z", "Message": payload})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// targets returns the result's target offsets by partition.
func targets(res reset.Result) map[int32]int64 {
	out := map[int32]int64{}
	for _, p := range res.Partitions {
		out[int32(p.PartitionNo)] = *p.TargetOffset
	}
	return out
}

// TestIdempotentRetry invokes the same event twice in a row, as SCF does when it retries a timer or
// asynchronous invocation: both succeed with the same targets, the group ends at the same committed offsets
// after each, and the second one finds the group already there (CurrentOffset == TargetOffset: no drift).
// The reset sets absolute offsets, so applying it twice is applying it once.
func TestIdempotentRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator")
	}
	const datetime = `{"SubscribeId": "subs-demo000001", "TopicName": "topic-subs-demo000001-cdb-1",
 "ConsumerGroupName": "g1", "PartitionNos": [0, 1, 2], "ResetMode": "datetime", "ResetDatetime": "2026-11-28 08:00:00"}`
	tests := []struct {
		name  string
		event func(t *testing.T) []byte
		want  int64 // the target of every partition
	}{
		{"timer latest", func(t *testing.T) []byte { return readEvent(t, "timer-reset-latest.json") }, 10},
		{"timer datetime", func(t *testing.T) []byte { return timerEvent(t, datetime) }, 4},
		{"direct datetime", func(t *testing.T) []byte { return []byte(datetime) }, 4},
		{"direct earliest", func(t *testing.T) []byte { return []byte(faultPayload) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, d := faultStack(t)
			event := tt.event(t)
			want := map[int32]int64{0: tt.want, 1: tt.want, 2: tt.want}
			var results []reset.Result
			for i := range 2 {
				got, _ := invokeWithin(t, h, fmt.Sprintf("req-%d", i), event, 20*time.Second)
				if got.status != 200 {
					t.Fatalf("invocation %d: %d %s", i+1, got.status, got.raw)
				}
				if c := d.Committed(t, testkit.Group); !maps.Equal(c, want) {
					t.Errorf("after invocation %d: committed %v, want %v", i+1, c, want)
				}
				if tg := targets(got.result); !maps.Equal(tg, want) {
					t.Errorf("invocation %d: targets %v, want %v", i+1, tg, want)
				}
				results = append(results, got.result)
			}
			for _, p := range results[1].Partitions {
				if p.CurrentOffset == nil || *p.CurrentOffset != *p.TargetOffset {
					t.Errorf("second invocation, partition %d: CurrentOffset %v, want the target %d", p.PartitionNo, p.CurrentOffset, p.TargetOffset)
				}
			}
			t.Logf("IDEMPOTENT | %s | twice | targets %v | committed %v | Reset calls %d", tt.name, targets(results[1]), d.Committed(t, testkit.Group), d.Emu.Calls(actReset))
		})
	}
}

// TestIdempotentRetryAfterLostReply is the retry SCF makes when the first invocation applied the reset but
// failed before answering: here its verify step hangs (DescribeConsumerGroups holds its answer after the precheck)
// until the deadline, so it fails with 504 although the offsets moved. The retry succeeds, finds the group
// already at the targets, and leaves it there.
func TestIdempotentRetryAfterLostReply(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator and waits out a deadline")
	}
	h, d := faultStack(t)
	// Faults apply in order, first match first: the first one lets the precheck's DescribeConsumerGroups
	// through (after 1 ms) and is used up; the second one then holds the verify's poll past the deadline.
	d.Emu.InjectFault(emulator.Fault{Action: actGroups, DelayMs: 1, Times: 1})
	d.Emu.InjectFault(emulator.Fault{Action: actGroups, DelayMs: 60000, Times: 1})
	event := timerEvent(t, `{"SubscribeId": "subs-demo000001", "TopicName": "topic-subs-demo000001-cdb-1",
 "ConsumerGroupName": "g1", "PartitionNos": [0, 1, 2], "ResetMode": "datetime", "ResetDatetime": "2026-11-28 08:00:00"}`)
	want := map[int32]int64{0: 4, 1: 4, 2: 4}

	// Generous: the precheck, the plan and the reset must fit in it on a loaded machine; only the verify may not.
	const deadline = 8 * time.Second
	first, elapsed := invokeWithin(t, h, "req-first", event, deadline)
	if first.status != 504 || first.code != reset.CodeDeadlineExceeded {
		t.Fatalf("first invocation: %d %s after %v (Calls: %s), want 504 %s: %s", first.status, first.code, elapsed,
			callsText(map[string]int{actGroups: d.Emu.Calls(actGroups), actReset: d.Emu.Calls(actReset)}),
			reset.CodeDeadlineExceeded, first.raw)
	}
	if elapsed >= deadline {
		t.Errorf("first invocation answered after %v, want it before the %v deadline", elapsed, deadline)
	}
	var eb ErrorBody
	if err := json.Unmarshal([]byte(first.raw), &eb); err != nil || eb.RequestID == "" {
		t.Errorf("first invocation's error %s: want the reset's RequestId, so the operator sees it was accepted", first.raw)
	}
	if c := d.Committed(t, testkit.Group); !maps.Equal(c, want) {
		t.Fatalf("after the failed invocation: committed %v, want %v (the reset applied)", c, want)
	}

	second, _ := invokeWithin(t, h, "req-retry", event, 20*time.Second)
	if second.status != 200 || !second.result.Verified {
		t.Fatalf("retry: %d %s, want a verified success", second.status, second.raw)
	}
	if tg := targets(second.result); !maps.Equal(tg, want) {
		t.Errorf("retry: targets %v, want %v", tg, want)
	}
	for _, p := range second.result.Partitions {
		if p.CurrentOffset == nil || *p.CurrentOffset != *p.TargetOffset {
			t.Errorf("retry, partition %d: CurrentOffset %v, want the target %d", p.PartitionNo, p.CurrentOffset, p.TargetOffset)
		}
	}
	if c := d.Committed(t, testkit.Group); !maps.Equal(c, want) {
		t.Errorf("after the retry: committed %v, want %v", c, want)
	}
	if n := d.Emu.Calls(actReset); n != 2 {
		t.Errorf("Calls(%s) = %d, want 2 (one per invocation)", actReset, n)
	}
	t.Logf("IDEMPOTENT | lost reply: verify held past the window (deadline %v), then SCF's retry | first %d %s after %v | retry %d | committed %v | Reset calls %d",
		deadline, first.status, first.code, elapsed.Round(10*time.Millisecond), second.status, d.Committed(t, testkit.Group), d.Emu.Calls(actReset))
}
