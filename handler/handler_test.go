package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
		{`{"dryRun":"false"}`, false, false},
		{`{"dryRun":["true","true"]}`, true, false},
		{`{"dryRun":"ture"}`, false, true},
		{`{"dryRun":"on"}`, false, true},
		{`{"dryRun":["true","false"]}`, false, true},
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
