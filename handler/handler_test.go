package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/reset"
	"dtsreset/validate"
)

// unreachable is a Resetter for tests whose request must be refused before any reset runs: it fails the test
// when called, so "refused early" is proven, not assumed.
type unreachable struct{ t *testing.T }

func (u unreachable) Reset(context.Context, validate.Request) (reset.Result, error) {
	u.t.Fatal("Reset called; want the request refused before the use case")
	return reset.Result{}, nil
}

func (u unreachable) Batch(context.Context, []validate.Request) reset.BatchResult {
	u.t.Fatal("Batch called; want the request refused before the use case")
	return reset.BatchResult{}
}

const testToken = "demo-token-0123456789abcdef"

func newTestHandler(t *testing.T, opts Options) (*Handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	opts.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	return New(unreachable{t}, opts), &logs
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decodeIntegration(t *testing.T, out []byte) (IntegrationResponse, ErrorBody) {
	t.Helper()
	var resp IntegrationResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("reply is not an integration response: %v: %s", err, out)
	}
	var body ErrorBody
	_ = json.Unmarshal([]byte(resp.Body), &body)
	return resp, body
}

func TestHTTPRefusals(t *testing.T) {
	direct := `{"SubscribeId":"subs-other01","TopicName":"t","ConsumerGroupName":"g1","PartitionNos":[0],"ResetMode":"earliest"}`
	tests := []struct {
		name       string
		opts       Options
		event      []byte
		status     int
		code       string
		header     string // a header the reply must carry
		messageHas string
	}{
		{"no token", Options{APIToken: testToken}, readEvent(t, "bad-apigw-no-token.json"), 401, reset.CodeUnauthorized, "WWW-Authenticate", "Bearer"},
		{"wrong token", Options{APIToken: testToken + "x"}, readEvent(t, "apigw-reset-earliest.json"), 401, reset.CodeUnauthorized, "WWW-Authenticate", "Bearer"},
		{"GET", Options{}, readEvent(t, "bad-apigw-get.json"), 405, reset.CodeMethodNotAllowed, "Allow", "GET"},
		{"bad base64", Options{}, readEvent(t, "bad-apigw-base64.json"), 400, reset.CodeInvalidParameter, "Content-Type", "base64"},
		{"too large", Options{}, []byte(`{"httpMethod":"POST","headers":{},"body":"` + strings.Repeat(" ", MaxBodyBytes+1) + `"}`), 413, reset.CodeRequestTooLarge, "Content-Type", "64 KiB"},
		{"allow-list", Options{AllowedSubscribeIDs: []string{"subs-demo000001"}}, []byte(`{"httpMethod":"POST","headers":{},"body":` + strconvQuote(direct) + `}`), 403, reset.CodeOperationDenied, "Content-Type", "subs-other01"},
		{"allow-list batch item", Options{AllowedSubscribeIDs: []string{"subs-demo000001"}}, []byte(`{"httpMethod":"POST","headers":{},"body":` + strconvQuote(`{"Resets":[`+strings.Replace(direct, "subs-other01", "subs-demo000001", 1)+`,`+direct+`]}`) + `}`), 403, reset.CodeOperationDenied, "Content-Type", "subs-other01"},
		{"empty event (not HTTP: a failed invocation)", Options{}, readEvent(t, "apigw-reset-earliest.json")[:0:0], 400, reset.CodeInvalidParameter, "", "empty"},
		{"invalid payload", Options{}, withBody(t, readEvent(t, "apigw-reset-earliest.json"), string(readEvent(t, "bad-datetime-missing.json"))), 400, reset.CodeInvalidParameter, "Content-Type", "ResetDatetime"},
		{"dryRun typo", Options{}, withQuery(t, readEvent(t, "apigw-reset-earliest.json"), map[string]any{"dryRun": "ture"}), 400, reset.CodeInvalidParameter, "Content-Type", "dryRun must be true or false"},
		{"dryRun twice", Options{}, withQuery(t, readEvent(t, "apigw-reset-earliest.json"), map[string]any{"dryRun": []string{"true", "false"}}), 400, reset.CodeInvalidParameter, "Content-Type", "different values"},
		{"dryRun in two spellings", Options{}, withQuery(t, readEvent(t, "apigw-reset-earliest.json"), map[string]any{"dryRun": "true", "dryrun": "false"}), 400, reset.CodeInvalidParameter, "Content-Type", "more than once"},
		{"Authorization in two spellings", Options{APIToken: testToken}, withHeader(t, readEvent(t, "apigw-reset-earliest.json"), "Authorization", "Bearer wrong"), 400, reset.CodeInvalidParameter, "Content-Type", "more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := newTestHandler(t, tt.opts)
			out, err := h.Invoke(context.Background(), tt.event)
			if tt.status == 400 && len(tt.event) == 0 {
				// An empty event is not an HTTP event: it fails like a direct invocation.
				var ie *InvokeError
				if !errors.As(err, &ie) || !strings.Contains(ie.Error(), tt.messageHas) {
					t.Fatalf("got %v, want an InvokeError mentioning %q", err, tt.messageHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("HTTP events must answer an integration response, got error %v", err)
			}
			resp, body := decodeIntegration(t, out)
			if resp.StatusCode != tt.status || body.Error.Code != tt.code {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body.Error.Code, tt.status, tt.code)
			}
			if tt.header != "" && resp.Headers[tt.header] == "" {
				t.Errorf("got headers %v, want %s", resp.Headers, tt.header)
			}
			if !strings.Contains(body.Error.Message, tt.messageHas) {
				t.Errorf("got message %q, want it to mention %q", body.Error.Message, tt.messageHas)
			}
			if strings.Contains(logs.String(), testToken) {
				t.Errorf("the log contains the bearer token: %s", logs.String())
			}
			if n := strings.Count(logs.String(), "\n"); n < 1 {
				t.Errorf("got %d log lines, want at least one outcome line", n)
			}
		})
	}
}

func TestDirectFailureIsJSONError(t *testing.T) {
	h, logs := newTestHandler(t, Options{})
	_, err := h.Invoke(context.Background(), readEvent(t, "bad-datetime-missing.json"))
	var ie *InvokeError
	if !errors.As(err, &ie) {
		t.Fatalf("got %T %v, want *InvokeError", err, err)
	}
	var body ErrorBody
	if jerr := json.Unmarshal([]byte(err.Error()), &body); jerr != nil {
		t.Fatalf("error message is not the JSON error object: %v: %s", jerr, err)
	}
	if body.Error.Code != reset.CodeInvalidParameter || len(body.Error.Fields) == 0 || body.Error.Fields[0].Field != "ResetDatetime" {
		t.Errorf("got %+v, want InvalidParameter naming ResetDatetime", body)
	}
	var line map[string]any
	if jerr := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &line); jerr != nil {
		t.Fatalf("want exactly one JSON log line, got %q", logs.String())
	}
	for _, k := range []string{"time", "level", "msg", "function_request_id", "trigger", "SubscribeId", "TopicName", "ConsumerGroupName", "ResetMode", "ResetDatetime", "PartitionNos", "DryRun", "outcome", "upstream_request_id", "duration_ms", "caller"} {
		if _, ok := line[k]; !ok {
			t.Errorf("log line lacks %q: %s", k, logs.String())
		}
	}
	if line["outcome"] != reset.CodeInvalidParameter || line["trigger"] != "direct" {
		t.Errorf("got outcome %v trigger %v", line["outcome"], line["trigger"])
	}
}

func TestFailingConfigAnswersEveryTrigger(t *testing.T) {
	h := Failing(reset.Errorf(reset.KindInternal, reset.CodeConfig, "invalid configuration: DTS_REGION: bad"), slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil)))
	out, err := h.Invoke(context.Background(), readEvent(t, "apigw-reset-earliest.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp, body := decodeIntegration(t, out)
	if resp.StatusCode != 500 || body.Error.Code != reset.CodeConfig || !strings.Contains(body.Error.Message, "DTS_REGION") {
		t.Errorf("got %d %+v, want 500 InternalError.Config naming DTS_REGION", resp.StatusCode, body)
	}
	_, err = h.Invoke(context.Background(), readEvent(t, "timer-reset-latest.json"))
	if err == nil || !strings.Contains(err.Error(), reset.CodeConfig) {
		t.Errorf("timer: got %v, want InternalError.Config", err)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestReplyMarginEndsWorkBeforeTheDeadline(t *testing.T) {
	tests := []struct {
		left       time.Duration
		wantMargin time.Duration
	}{
		{10 * time.Second, maxReplyMargin},
		{500 * time.Millisecond, 50 * time.Millisecond}, // a tenth of a short remainder
	}
	for _, tt := range tests {
		deadline := time.Now().Add(tt.left)
		parent, cancel := context.WithDeadline(context.Background(), deadline)
		ctx, cancelWork := withReplyMargin(parent)
		got, ok := ctx.Deadline()
		margin := deadline.Sub(got)
		if !ok || margin < tt.wantMargin-10*time.Millisecond || margin > tt.wantMargin+10*time.Millisecond {
			t.Errorf("%v left: got a margin of %v, want about %v", tt.left, margin, tt.wantMargin)
		}
		cancelWork()
		cancel()
	}
	if _, ok := func() (time.Time, bool) {
		ctx, cancel := withReplyMargin(context.Background())
		defer cancel()
		return ctx.Deadline()
	}(); ok {
		t.Error("no deadline in: got one out, want none")
	}
}

// TestTimerRelativeTimeIsAnchoredToTheTrigger guards SCF's retries of timer invocations: a retry minutes later
// must resolve now-1h to the same ResetDatetime as the first attempt.
func TestTimerRelativeTimeIsAnchoredToTheTrigger(t *testing.T) {
	payload := `{\"SubscribeId\":\"subs-demo000001\",\"TopicName\":\"t\",\"ConsumerGroupName\":\"g1\",\"PartitionNos\":[0],\"ResetMode\":\"datetime\",\"ResetDatetime\":\"now-1h\"}`
	fired := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		time string
		now  time.Time
		want string // Beijing time
	}{
		{"first attempt", "2026-11-28T02:00:00Z", fired, "2026-11-28 09:00:00"},
		{"retry 7 minutes later", "2026-11-28T02:00:00Z", fired.Add(7 * time.Minute), "2026-11-28 09:00:00"},
		{"Time in the future is not trusted", "2026-11-28T03:00:00Z", fired, "2026-11-28 09:00:00"},
		{"Time two days old is not trusted", "2026-11-26T02:00:00Z", fired, "2026-11-28 09:00:00"},
		{"unreadable Time", "yesterday", fired, "2026-11-28 09:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingResetter{}
			h := New(rec, Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return tt.now }})
			event := `{"Type":"Timer","TriggerName":"nightly","Time":"` + tt.time + `","Message":"` + payload + `"}`
			if _, err := h.Invoke(context.Background(), []byte(event)); err != nil {
				t.Fatal(err)
			}
			if len(rec.calls) != 1 || len(rec.calls[0]) != 1 || rec.calls[0][0].ResetDatetime != tt.want {
				t.Errorf("got %+v, want ResetDatetime %s", rec.calls, tt.want)
			}
		})
	}
}

// edit returns the API Gateway event after change.
func edit(t *testing.T, event []byte, change func(ev map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	change(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func withQuery(t *testing.T, event []byte, query map[string]any) []byte {
	return edit(t, event, func(ev map[string]any) { ev["queryString"] = query })
}

func withHeader(t *testing.T, event []byte, name, value string) []byte {
	return edit(t, event, func(ev map[string]any) { ev["headers"].(map[string]any)[name] = value })
}

func withBody(t *testing.T, event []byte, body string) []byte {
	return edit(t, event, func(ev map[string]any) { ev["body"] = body })
}

func TestQueryDryRun(t *testing.T) {
	tests := []struct {
		query   string
		want    bool
		wantErr bool
	}{
		{`{}`, false, false},
		{`{"dryRun":"true"}`, true, false},
		{`{"dryRun":true}`, true, false}, // ?dryRun with no value
		{`{"DRYRUN":"1"}`, true, false},
		{`{"dryrun":"true"}`, true, false},
		{`{"dryRun":"false"}`, false, false},
		{`{"dryRun":["true","true"]}`, true, false},
		{`{"":""}`, false, false}, // a stray & or trailing ?: nothing asked
		{`{"":true}`, false, false},
		{`{"dryRun":"ture"}`, false, true},
		{`{"dryRun":"on"}`, false, true},
		{`{"dryRun":["true","false"]}`, false, true},
		{`{"dry-run":"true"}`, false, true},
		{`{"dryRun":"true","x":"1"}`, false, true},
	}
	for _, tt := range tests {
		var ev HTTPEvent
		if err := json.Unmarshal([]byte(`{"httpMethod":"POST","queryString":`+tt.query+`}`), &ev); err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		got, err := queryDryRun(&ev)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: got %v, %v; want %v, error %v", tt.query, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestUnknownQueryParameter: every query parameter but dryRun (any case) is refused, in either map the event
// carries, with a FieldError per parameter: a misspelled ?dry-run=true that was ignored would run a real reset.
func TestUnknownQueryParameter(t *testing.T) {
	many := map[string]any{}
	for i := range 12 {
		many[fmt.Sprintf("p%02d", i)] = "1"
	}
	long := strings.Repeat("k", 1000)
	tests := []struct {
		name     string
		query    map[string]any // queryString
		params   map[string]any // queryStringParameters
		fields   []string       // Field:Rule, in order
		messages []string       // the reply's Message holds each
		absent   string         // the Message must not hold it
	}{
		{"dry-run", map[string]any{"dry-run": "true"}, nil, []string{"?dry-run:unknown"},
			[]string{"unknown query parameter dry-run: the only one is dryRun; did you mean dryRun?"}, ""},
		{"dry_run", map[string]any{"dry_run": "true"}, nil, []string{"?dry_run:unknown"}, []string{"did you mean dryRun?"}, ""},
		{"dryRn", map[string]any{"dryRn": "true"}, nil, []string{"?dryRn:unknown"}, []string{"unknown query parameter dryRn", "did you mean dryRun?"}, ""},
		{"dryRun beside a misspelling", map[string]any{"dryRun": "true", "dry-run": "false"}, nil, []string{"?dry-run:unknown"}, []string{"dry-run"}, ""},
		{"far from dryRun", map[string]any{"debug": "1"}, nil, []string{"?debug:unknown"},
			[]string{"unknown query parameter debug: the only one is dryRun"}, "did you mean"},
		{"a key without a value", map[string]any{"verbose": true}, nil, []string{"?verbose:unknown"}, []string{"verbose"}, ""},
		{"a nameless key with a value", map[string]any{"": "true"}, nil, []string{`?"":unknown`}, []string{`unknown query parameter ""`}, ""},
		{"in queryStringParameters only", map[string]any{}, map[string]any{"dry-run": "true"}, []string{"?dry-run:unknown"}, []string{"did you mean dryRun?"}, ""},
		{"in both maps: named once", map[string]any{"dry-run": "true"}, map[string]any{"dry-run": "true"}, []string{"?dry-run:unknown"}, nil, ""},
		{"two, sorted", map[string]any{"zz": "1", "dry-run": "true"}, nil, []string{"?dry-run:unknown", "?zz:unknown"}, []string{"dry-run", "zz"}, ""},
		{"twelve: ten named", many, nil, []string{"?p00:unknown", "?p01:unknown", "?p02:unknown", "?p03:unknown", "?p04:unknown",
			"?p05:unknown", "?p06:unknown", "?p07:unknown", "?p08:unknown", "?p09:unknown"}, []string{"and 2 more"}, "p10"},
		{"odd key quoted", map[string]any{"a b\n": "1"}, nil, []string{`?"a b\n":unknown`}, []string{`"a b\n"`}, ""},
		{"long key shortened", map[string]any{long: "1"}, nil, []string{`?"` + long[:64] + `…":unknown`}, []string{long[:64] + "…"}, long[:65]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event := edit(t, readEvent(t, "apigw-reset-earliest.json"), func(ev map[string]any) {
				ev["queryString"] = tt.query
				if tt.params != nil {
					ev["queryStringParameters"] = tt.params
				}
			})
			h, _ := newTestHandler(t, Options{APIToken: testToken}) // the Resetter fails the test when called
			out, err := h.Invoke(context.Background(), event)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := decodeIntegration(t, out)
			if resp.StatusCode != 400 || body.Error.Code != reset.CodeInvalidParameter {
				t.Fatalf("got %d %s, want 400 InvalidParameter", resp.StatusCode, resp.Body)
			}
			var got []string
			for _, f := range body.Error.Fields {
				got = append(got, f.Field+":"+f.Rule)
				if !strings.Contains(body.Error.Message, f.Message) {
					t.Errorf("the reply's message %q does not hold the field's %q", body.Error.Message, f.Message)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("got fields %q, want %q", got, tt.fields)
			}
			for _, m := range tt.messages {
				if !strings.Contains(body.Error.Message, m) {
					t.Errorf("got message %q, want it to hold %q", body.Error.Message, m)
				}
			}
			if tt.absent != "" && strings.Contains(resp.Body, tt.absent) {
				t.Errorf("got %q, want no %q in it", resp.Body, tt.absent)
			}
		})
	}
}

// TestBearerScheme: the scheme of an Authorization header is case-insensitive (RFC 7235 §2.1), and the token
// may follow it after more than one space or tab; anything else is a 401.
func TestBearerScheme(t *testing.T) {
	tests := []struct {
		header string
		ok     bool
	}{
		{"Bearer " + testToken, true},
		{"bearer " + testToken, true},
		{"BEARER " + testToken, true},
		{"bEaReR " + testToken, true},
		{"Bearer   " + testToken, true},
		{"Bearer\t" + testToken, true},
		{"Bearer \t " + testToken + " \t", true},
		{" Bearer " + testToken, true},
		{"Bearer " + testToken + "x", false},
		{"Bearer " + testToken[1:], false},
		{"bearer wrong", false},
		{"Bearer", false},
		{"Bearer ", false},
		{"Bearer \t ", false},
		{"Bearer" + testToken, false},
		{testToken, false},
		{"Basic " + testToken, false},
		{"Basic ZGVtbzpkZW1v", false},
		{"Bearer " + testToken + " " + testToken, false},
		{"Bearer\n" + testToken, false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(strconvQuote(tt.header), func(t *testing.T) {
			rec := &recordingResetter{}
			h := New(rec, Options{APIToken: testToken, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixedNow }})
			out, err := h.Invoke(context.Background(), withHeader(t, readEvent(t, "apigw-reset-earliest.json"), "authorization", tt.header))
			if err != nil {
				t.Fatal(err)
			}
			resp, body := decodeIntegration(t, out)
			switch {
			case tt.ok && (resp.StatusCode != 200 || len(rec.calls) != 1):
				t.Errorf("got %d %s with %d resets, want 200 and one reset", resp.StatusCode, resp.Body, len(rec.calls))
			case !tt.ok && (resp.StatusCode != 401 || body.Error.Code != reset.CodeUnauthorized || len(rec.calls) != 0):
				t.Errorf("got %d %s with %d resets, want 401 Unauthorized and none", resp.StatusCode, resp.Body, len(rec.calls))
			}
		})
	}
}

// halfFailing is a Resetter whose batches fail their second item, for the adapter's encoding of batches.
type halfFailing struct{}

func (halfFailing) Reset(context.Context, validate.Request) (reset.Result, error) {
	return reset.Result{}, nil
}

func (halfFailing) Batch(_ context.Context, reqs []validate.Request) reset.BatchResult {
	out := reset.BatchResult{Items: make([]reset.BatchItem, len(reqs))}
	for i, r := range reqs {
		if i == 1 {
			out.Items[i].Err = reset.Errorf(reset.KindConflict, reset.CodeGroupActive, "group active")
			out.Failed++
			continue
		}
		out.Items[i].Result = &reset.Result{SubscribeID: r.SubscribeID}
	}
	return out
}

// TestBatchWithFailuresFailsNonHTTPInvocations: SCF's retry and dead-letter policy applies only to failed
// invocations, so a timer or direct batch with a failed item must fail; HTTP answers 207.
func TestBatchWithFailuresFailsNonHTTPInvocations(t *testing.T) {
	h := New(halfFailing{}, Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixedNow }})
	batch := readEvent(t, "direct-batch.json")

	_, err := h.Invoke(context.Background(), batch)
	var ie *InvokeError
	if !errors.As(err, &ie) || ie.Err.Code != reset.CodeGroupActive {
		t.Fatalf("direct: got %v, want an InvokeError carrying the failed item's code", err)
	}
	var reply BatchReply
	if err := json.Unmarshal(ie.Body, &reply); err != nil || reply.Failed != 1 || len(reply.Results) != 3 {
		t.Errorf("direct: got %s, want the whole batch reply with Failed 1", ie.Body)
	}

	out, err := h.Invoke(context.Background(), withBody(t, readEvent(t, "apigw-reset-earliest.json"), string(batch)))
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := decodeIntegration(t, out); resp.StatusCode != 207 {
		t.Errorf("API Gateway: got %d, want 207", resp.StatusCode)
	}
}

// TestCallerInTheLog: the caller logged is requestContext.sourceIp, else x-scf-remote-addr, else the last
// X-Forwarded-For hop (the one the platform added), at most 64 bytes. Regression: the first, client-chosen hop
// was logged, uncapped, so a 50 KB header made a 50 KB log line.
func TestCallerInTheLog(t *testing.T) {
	long := strings.Repeat("9", 50<<10)
	tests := []struct {
		name string
		ev   *HTTPEvent
		want string
	}{
		{"not HTTP", nil, ""},
		{"sourceIp first", &HTTPEvent{RequestContext: &HTTPRequestContext{SourceIP: "203.0.113.7"},
			Headers: Headers{"x-scf-remote-addr": "198.51.100.1", "X-Forwarded-For": "10.0.0.1, 192.0.2.9"}}, "203.0.113.7"},
		{"x-scf-remote-addr without a requestContext", &HTTPEvent{
			Headers: Headers{"X-SCF-Remote-Addr": "198.51.100.1", "X-Forwarded-For": "10.0.0.1, 192.0.2.9"}}, "198.51.100.1"},
		{"empty sourceIp falls through", &HTTPEvent{RequestContext: &HTTPRequestContext{},
			Headers: Headers{"x-scf-remote-addr": "198.51.100.1"}}, "198.51.100.1"},
		{"the last X-Forwarded-For hop", &HTTPEvent{Headers: Headers{"x-forwarded-for": "1.2.3.4, 10.0.0.1,192.0.2.9 "}}, "192.0.2.9"},
		{"one hop", &HTTPEvent{Headers: Headers{"X-Forwarded-For": "192.0.2.9"}}, "192.0.2.9"},
		{"a 50 KB hop is capped", &HTTPEvent{Headers: Headers{"X-Forwarded-For": "1.2.3.4, " + long}}, long[:maxCallerLen]},
		{"a 50 KB first hop is not logged", &HTTPEvent{Headers: Headers{"X-Forwarded-For": long + ", 192.0.2.9"}}, "192.0.2.9"},
		{"a 50 KB sourceIp is capped", &HTTPEvent{RequestContext: &HTTPRequestContext{SourceIP: long}}, long[:maxCallerLen]},
		{"none", &HTTPEvent{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := callerOf(tt.ev); got != tt.want {
				t.Errorf("callerOf = %.80q (%d bytes), want %.80q", got, len(got), tt.want)
			}
		})
	}

	// Through Invoke: the log line stays short whatever X-Forwarded-For holds.
	h, logs := newTestHandler(t, Options{APIToken: testToken})
	var ev map[string]any
	if err := json.Unmarshal(readEvent(t, "url-reset-latest.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["headers"] = map[string]string{"X-Forwarded-For": long + ", " + long} // and no token: a 401, still logged
	event, _ := json.Marshal(ev)
	if _, err := h.Invoke(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &line); err != nil {
		t.Fatalf("want one JSON log line: %v: %.300s", err, logs.String())
	}
	if line["caller"] != long[:maxCallerLen] || logs.Len() > 4<<10 {
		t.Errorf("logged caller %.80v in a line of %d bytes, want the capped last hop in a short line", line["caller"], logs.Len())
	}
}
