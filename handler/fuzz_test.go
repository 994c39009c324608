package handler

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/reset"
	"dtsreset/validate"
)

// recordingResetter is a Resetter that records what it is asked and does nothing: the fuzz targets exercise the
// adapter, not the use case.
type recordingResetter struct{ calls [][]validate.Request }

func (r *recordingResetter) Reset(_ context.Context, req validate.Request) (reset.Result, error) {
	r.calls = append(r.calls, []validate.Request{req})
	return reset.Result{SubscribeID: req.SubscribeID, TopicName: req.TopicName, ConsumerGroupName: req.ConsumerGroupName, ResetMode: req.ResetMode, DryRun: req.DryRun}, nil
}

func (r *recordingResetter) Batch(_ context.Context, reqs []validate.Request) reset.BatchResult {
	r.calls = append(r.calls, reqs)
	out := reset.BatchResult{Items: make([]reset.BatchItem, len(reqs))}
	for i, req := range reqs {
		out.Items[i].Result = &reset.Result{SubscribeID: req.SubscribeID, ResetMode: req.ResetMode}
	}
	return out
}

// fuzzAllowed is the allow-list of the fuzz handlers: the demo subscription and one more, so that 403 is
// reachable and so is success.
var fuzzAllowed = []string{"subs-demo000001", "subs-635ns8r71g"}

func newFuzzHandler(r Resetter) *Handler {
	return New(r, Options{
		APIToken:            testToken,
		AllowedSubscribeIDs: fuzzAllowed,
		Logger:              slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:                 func() time.Time { return fixedNow },
	})
}

var fullGroupPattern = regexp.MustCompile(`^consumer-grp-subs-[a-z0-9]+-[A-Za-z0-9._-]*[A-Za-z0-9]$`)

// checkPassed states, without the validator, what every request that reaches the use case must be: an
// allowed subscription, its group by full name, a known mode, partitions or AllPartitions. The detailed rules
// are checked by FuzzDecode and FuzzBatch in validate.
func checkPassed(t *testing.T, reqs []validate.Request) {
	t.Helper()
	if len(reqs) < 1 || len(reqs) > 50 {
		t.Fatalf("the resetter got %d requests, want 1 to 50", len(reqs))
	}
	for i, r := range reqs {
		allowed := false
		for _, id := range fuzzAllowed {
			allowed = allowed || r.SubscribeID == id
		}
		switch {
		case !allowed:
			t.Fatalf("request %d: SubscribeId %q passed the allow-list %v", i, r.SubscribeID, fuzzAllowed)
		case !fullGroupPattern.MatchString(r.ConsumerGroupName) || !strings.HasPrefix(r.ConsumerGroupName, "consumer-grp-"+r.SubscribeID+"-"):
			t.Fatalf("request %d: ConsumerGroupName %q is not a full group name of %s", i, r.ConsumerGroupName, r.SubscribeID)
		case r.ResetMode != "earliest" && r.ResetMode != "latest" && r.ResetMode != "datetime":
			t.Fatalf("request %d: ResetMode %q", i, r.ResetMode)
		case (r.ResetMode == "datetime") != (r.ResetDatetime != ""):
			t.Fatalf("request %d: ResetMode %q with ResetDatetime %q", i, r.ResetMode, r.ResetDatetime)
		case r.AllPartitions == (len(r.PartitionNos) > 0):
			t.Fatalf("request %d: AllPartitions %v with PartitionNos %v", i, r.AllPartitions, r.PartitionNos)
		}
	}
}

// seedPayloads are the reset payloads of the events/ fixtures (the bodies and timer Messages), the seeds of
// the targets below.
func seedPayloads(f *testing.F) []string {
	f.Helper()
	var out []string
	for _, file := range eventFiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		ev, err := DecodeEvent(data)
		if err == nil {
			out = append(out, string(ev.Payload))
		} else {
			out = append(out, string(data))
		}
	}
	return out
}

// FuzzAPIGatewayEvent wraps a fuzzed method, body (sent as text or base64), extra header and query parameter
// into a valid API Gateway event and runs the whole Handler.Invoke with a recording Resetter, a bearer token
// and an allow-list. Invariants:
//   - it never panics and never returns an error (an HTTP caller always gets an integration response);
//   - the reply is an integration response with a status in {200, 400, 401, 403, 405, 413} (never a 207: the
//     recording Resetter never fails, and a batch with an invalid item is refused whole), Content-Type
//     application/json, isBase64Encoded false and a JSON object body; a 4xx body is the error object with a Code;
//   - a 200 batch reply has no failed item and its items are, in order, what the resetter ran (checkBatchReply);
//   - the resetter runs only for a 200, always for it; only for a POST with the right token (the
//     Bearer scheme in any case, then spaces or tabs); only when the query holds no parameter but dryRun (in
//     any case), and with ?dryRun=true every request is a dry run; and every request it gets is allowed and
//     well formed (checkPassed).
func FuzzAPIGatewayEvent(f *testing.F) {
	for _, p := range seedPayloads(f) {
		f.Add("POST", p, false, "authorization", "Bearer "+testToken, "dryRun", "true")
		f.Add("POST", base64.StdEncoding.EncodeToString([]byte(p)), true, "x-forwarded-for", "198.51.100.1", "", "")
	}
	f.Add("GET", "", false, "Authorization", "Bearer wrong", "dryRun", "")
	f.Add("POST", "\xef\xbb\xbf{}", false, "authorization", "Bearer "+testToken+" ", "x", "y")
	f.Add("POST", "!!", true, "", "", "", "")
	f.Add("POST", strings.Repeat("[", 20000), false, "", "", "", "")
	f.Fuzz(func(t *testing.T, method, body string, b64 bool, hdrName, hdrValue, queryKey, queryValue string) {
		headers := map[string]string{"content-type": "application/json", "authorization": "Bearer " + testToken}
		if hdrName != "" {
			headers[hdrName] = hdrValue
		}
		event := map[string]any{
			"httpMethod":      method,
			"path":            "/reset",
			"headers":         headers,
			"queryString":     map[string]string{queryKey: queryValue},
			"body":            body,
			"isBase64Encoded": b64,
			"requestContext":  map[string]any{"serviceId": "service-f94sy04v", "httpMethod": method, "requestId": "r", "sourceIp": "203.0.113.7", "stage": "release"},
		}
		data, err := json.Marshal(event)
		if err != nil {
			t.Skip()
		}
		rec := &recordingResetter{}
		out, err := newFuzzHandler(rec).Invoke(context.Background(), data)
		if err != nil {
			t.Fatalf("HTTP event answered an error, want an integration response: %v", err)
		}
		var resp IntegrationResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("reply is not an integration response: %v: %.200s", err, out)
		}
		switch resp.StatusCode {
		case 200, 400, 401, 403, 405, 413:
		default:
			t.Fatalf("status %d, want one of 200 400 401 403 405 413: %.300s", resp.StatusCode, resp.Body)
		}
		if resp.Headers["Content-Type"] != "application/json" || resp.IsBase64Encoded {
			t.Fatalf("headers %v isBase64Encoded %v, want application/json and false", resp.Headers, resp.IsBase64Encoded)
		}
		if !json.Valid([]byte(resp.Body)) || !strings.HasPrefix(resp.Body, "{") {
			t.Fatalf("body is not a JSON object: %.200q", resp.Body)
		}
		called := len(rec.calls) > 0
		switch {
		case resp.StatusCode == 200 && bytes.HasPrefix([]byte(resp.Body), []byte(`{"Results":`)):
			checkBatchReply(t, []byte(resp.Body), rec)
		case resp.StatusCode == 200:
			if !called {
				t.Fatalf("a 200 without a reset: %.200s", resp.Body)
			}
		case called:
			t.Fatalf("status %d with %d resetter calls", resp.StatusCode, len(rec.calls))
		default:
			var e ErrorBody
			if err := json.Unmarshal([]byte(resp.Body), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("a %d without an error object: %.200s", resp.StatusCode, resp.Body)
			}
		}
		if !called {
			return
		}
		if method != http.MethodPost {
			t.Fatalf("the resetter ran for method %q", method)
		}
		// The effective Authorization is the fuzzed header when it names Authorization in any case (a second
		// spelling beside ours must be refused as a duplicate, not picked at random).
		auth := "Bearer " + testToken
		if strings.EqualFold(hdrName, "authorization") {
			if hdrName != "authorization" {
				t.Fatalf("the resetter ran with two Authorization headers (%q and authorization)", hdrName)
			}
			auth = hdrValue
		}
		words := strings.FieldsFunc(auth, func(r rune) bool { return r == ' ' || r == '\t' })
		if len(words) != 2 || !strings.EqualFold(words[0], "bearer") || words[1] != testToken {
			t.Fatalf("the resetter ran with Authorization %q, want the right bearer token", auth)
		}
		isDryRun := strings.EqualFold(queryKey, "dryRun")
		if !isDryRun && (queryKey != "" || queryValue != "") {
			t.Fatalf("the resetter ran with the query parameter %q=%q, want it refused: only dryRun is known", queryKey, queryValue)
		}
		for _, c := range rec.calls {
			checkPassed(t, c)
			for i, r := range c {
				if isDryRun && strings.EqualFold(strings.TrimSpace(queryValue), "true") && !r.DryRun {
					t.Fatalf("request %d is not a dry run under ?%s=%s", i, queryKey, queryValue)
				}
			}
		}
	})
}

// checkBatchReply checks a successful batch reply against what the recording Resetter, which never fails, was
// asked: the resetter ran once (one Batch call), Failed is 0, and the slots are, in order, the results of the
// requests it ran.
func checkBatchReply(t *testing.T, raw []byte, rec *recordingResetter) {
	t.Helper()
	var reply struct {
		Results []json.RawMessage
		Failed  int
	}
	if err := json.Unmarshal(raw, &reply); err != nil || len(reply.Results) == 0 {
		t.Fatalf("not a batch reply (%v): %.300s", err, raw)
	}
	if len(rec.calls) != 1 || len(rec.calls[0]) != len(reply.Results) || reply.Failed != 0 {
		t.Fatalf("a batch reply of %d results (Failed %d) for %d resetter calls, want one call, one result per request, none failed",
			len(reply.Results), reply.Failed, len(rec.calls))
	}
	for i, r := range reply.Results {
		var item struct {
			Error       *ErrorDetail
			SubscribeID string `json:"SubscribeId"`
		}
		if err := json.Unmarshal(r, &item); err != nil || item.Error != nil || item.SubscribeID != rec.calls[0][i].SubscribeID {
			t.Fatalf("Results[%d] %.200s is not the result of request %d the resetter ran (%v)", i, r, i, err)
		}
	}
}

// FuzzTimerMessage puts a fuzzed Message inside a valid timer event and runs the whole Handler.Invoke with a
// recording Resetter and an allow-list. Invariants:
//   - it never panics;
//   - either it succeeded: the resetter ran with allowed, well-formed requests (checkPassed), the reply is a
//     JSON object, and a batch reply has no failed item;
//   - or it failed with an *InvokeError whose message is the JSON error object of a kind that is the caller's fault (400, 403 or 413), with a Code and a
//     Message, and the resetter did not run.
func FuzzTimerMessage(f *testing.F) {
	for _, p := range seedPayloads(f) {
		f.Add(p)
	}
	f.Add(``)
	f.Add(`null`)
	f.Add(`{"Resets":[]}`)
	f.Add("{\"SubscribeId\":\"subs-\xff\"}")
	f.Add(strings.Repeat(`{"a":`, 5000))
	f.Fuzz(func(t *testing.T, message string) {
		data, err := json.Marshal(map[string]string{"Type": "Timer", "TriggerName": "nightly-reset", "Time": "2026-11-28T02:00:00Z", "Message": message})
		if err != nil {
			t.Skip()
		}
		rec := &recordingResetter{}
		out, err := newFuzzHandler(rec).Invoke(context.Background(), data)
		if err == nil {
			if len(rec.calls) == 0 {
				t.Fatalf("success without a reset: %.200s", out)
			}
			if !json.Valid(out) || !bytes.HasPrefix(out, []byte("{")) {
				t.Fatalf("reply is not a JSON object: %.200q", out)
			}
			if bytes.HasPrefix(out, []byte(`{"Results":`)) {
				checkBatchReply(t, out, rec)
			}
			for _, c := range rec.calls {
				checkPassed(t, c)
			}
			return
		}
		var ie *InvokeError
		if !errors.As(err, &ie) {
			t.Fatalf("got %T %v, want *InvokeError", err, err)
		}
		if len(rec.calls) > 0 {
			t.Fatalf("the resetter ran and the invocation failed with an error object: %v", err)
		}
		var body ErrorBody
		if jerr := json.Unmarshal([]byte(ie.Error()), &body); jerr != nil || body.Error.Code == "" || body.Error.Message == "" {
			t.Fatalf("error message is not the JSON error object: %v: %.200s", jerr, ie.Error())
		}
		switch s := StatusOf(ie.Err); s {
		case 400, 403, 413:
		default:
			t.Fatalf("status %d (%s), want a 4xx the caller caused", s, body.Error.Code)
		}
	})
}
