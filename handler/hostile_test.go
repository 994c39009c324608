package handler

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/reset"
)

// hostileBase is a valid reset of the demo subscription; the hostile payloads are variations of it.
const hostileBase = `{"SubscribeId":"subs-demo000001","TopicName":"topic-subs-demo000001-cdb-1","ConsumerGroupName":"g1","PartitionNos":[0],"ResetMode":"earliest"}`

// hostilePayload returns hostileBase with old replaced by new (which must be there).
func hostilePayload(t *testing.T, old, new string) []byte {
	t.Helper()
	if !strings.Contains(hostileBase, old) {
		t.Fatalf("%q is not in the good payload", old)
	}
	return []byte(strings.Replace(hostileBase, old, new, 1))
}

// refusal is what a caller must see: the HTTP status (or the status of the error kind for a failed
// invocation), the error code, a FieldError naming the field ("" when the problem is the event as a whole)
// and words the message must hold.
type refusal struct {
	status  int
	field   string
	mention string
}

// hostileCase runs payload in three forms: the direct invocation (the payload is the event), an API Gateway
// event with the payload as its text body, and one with it base64-encoded (the only form that keeps invalid
// UTF-8 and raw bytes as they are: a JSON text body cannot carry them).
type hostileCase struct {
	name    string
	payload []byte
	direct  refusal
	text    refusal
	b64     refusal
}

// sameForms is the same outcome in every form.
func sameForms(o refusal) (refusal, refusal, refusal) { return o, o, o }

func hostileCases(t *testing.T) []hostileCase {
	long := strings.Repeat("a", 60000) // fits the 64 KiB body; far past every field's limit
	deep := func(open, close string, n int) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	type c = hostileCase
	mk := func(name string, payload []byte, d, tx, b refusal) hostileCase {
		return c{name, payload, d, tx, b}
	}
	same := func(name string, payload []byte, o refusal) hostileCase {
		d, tx, b := sameForms(o)
		return mk(name, payload, d, tx, b)
	}
	notJSON := refusal{400, "payload", "not valid JSON"}
	eventNotJSON := refusal{400, "", "not valid JSON"}
	notObject := refusal{400, "", "not a JSON object"}
	tooLarge := refusal{413, "", "larger than 64 KiB"}
	return []hostileCase{
		// Nesting: encoding/json and json.Valid stop at depth 10000, so neither the event decoder nor the payload
		// decoder (which reads only what json.Valid accepted) goes deeper.
		mk("deep arrays 20k in a value", []byte(`{"SubscribeId":`+deep("[", "]", 20000)+`}`),
			refusal{400, "", "nested too deeply"}, refusal{400, "payload", "nested too deeply"}, refusal{400, "payload", "nested too deeply"}),
		mk("deep arrays 100k", []byte(deep("[", "]", 100000)), notObject, tooLarge, tooLarge),
		mk("deep objects 100k in a value", []byte(`{"SubscribeId":`+strings.Repeat(`{"a":`, 100000)+"1"+strings.Repeat("}", 100000)+`}`),
			tooLarge, tooLarge, tooLarge),
		mk("deep objects 10001", []byte(strings.Repeat(`{"a":`, 10001)+"1"+strings.Repeat("}", 10001)),
			refusal{400, "", "nested too deeply"}, refusal{400, "payload", "nested too deeply"}, refusal{400, "payload", "nested too deeply"}),

		// Numbers: partitions are whole numbers in int32 range, read from the JSON text, never through float64.
		same("1e400 partition", hostilePayload(t, "[0]", "[1e400]"), refusal{400, "PartitionNos[0]", "whole partition number"}),
		same("23-digit partition", hostilePayload(t, "[0]", "[99999999999999999999999]"), refusal{400, "PartitionNos[0]", "at most 2147483647"}),
		same("2^31 partition", hostilePayload(t, "[0]", "[2147483648]"), refusal{400, "PartitionNos[0]", "at most 2147483647"}),
		same("1.0 partition", hostilePayload(t, "[0]", "[1.0]"), refusal{400, "PartitionNos[0]", "whole partition number"}),
		same("negative partition", hostilePayload(t, "[0]", `["-1"]`), refusal{400, "PartitionNos[0]", ">= 0"}),
		mk("0x10 partition", hostilePayload(t, "[0]", "[0x10]"), eventNotJSON, notJSON, notJSON),
		same("1e400 SubscribeId", hostilePayload(t, `"subs-demo000001"`, "1e400"), refusal{400, "SubscribeId", "must be a string"}),
		same("-0 and 0 repeated", hostilePayload(t, "[0]", "[0, -0]"), refusal{400, "PartitionNos", "more than once"}),

		// Text: invalid UTF-8 is refused as a whole; a JSON text body cannot carry it (the API Gateway event is
		// JSON), it arrives there as U+FFFD and fails the field's own rule.
		mk("invalid UTF-8 in a value", hostilePayload(t, `subs-demo000001"`, "subs-demo00000\xff\""),
			refusal{400, "payload", "not valid UTF-8"}, refusal{400, "SubscribeId", "SubscribeId"}, refusal{400, "payload", "not valid UTF-8"}),
		mk("invalid UTF-8 in a key", hostilePayload(t, `"TopicName"`, "\"Topic\xc3Name\""),
			refusal{400, "payload", "not valid UTF-8"}, refusal{400, "TopicName", "TopicName"}, refusal{400, "payload", "not valid UTF-8"}),
		mk("raw NUL in a value", hostilePayload(t, `"g1"`, "\"g\x001\""), eventNotJSON, notJSON, notJSON),
		same("escaped NUL in a value", hostilePayload(t, `"g1"`, `"g\u00001"`), refusal{400, "ConsumerGroupName", "ConsumerGroupName"}),
		same("escaped NUL in a key", hostilePayload(t, `"ResetMode"`, `"ResetMode\u0000"`), refusal{400, "ResetMode", "ResetMode"}),
		mk("raw control character", hostilePayload(t, `"g1"`, "\"g\x1b1\""), eventNotJSON, notJSON, notJSON),
		same("escaped ANSI escape", hostilePayload(t, `"topic-subs-demo000001-cdb-1"`, `"\u001b[31mred"`), refusal{400, "TopicName", "TopicName"}),
		same("Cyrillic o in SubscribeId", hostilePayload(t, `"subs-demo000001"`, `"subs-dem\u043e000001"`), refusal{400, "SubscribeId", "SubscribeId"}),
		same("fullwidth s in SubscribeId", hostilePayload(t, `"subs-demo000001"`, `"ｓubs-demo000001"`), refusal{400, "SubscribeId", "SubscribeId"}),
		same("long s in a key", hostilePayload(t, `"SubscribeId"`, `"ſubscribeId"`), refusal{400, "SubscribeId", "SubscribeId"}),
		same("zero-width space in a mode", hostilePayload(t, `"earliest"`, `"earliest\u200b"`), refusal{400, "ResetMode", "ResetMode"}),

		// Keys: a duplicate would let encoding/json keep the last one silently.
		same("duplicate key", []byte(strings.TrimSuffix(hostileBase, "}")+`,"ResetMode":"latest"}`), refusal{400, "ResetMode", "more than once"}),
		same("duplicate Resets", []byte(`{"Resets":[`+hostileBase+`],"Resets":[`+hostileBase+`]}`), refusal{400, "Resets", "more than once"}),
		same("key in another case", []byte(strings.TrimSuffix(hostileBase, "}")+`,"resetmode":"latest"}`), refusal{400, "resetmode", "did you mean ResetMode"}),

		// Shapes.
		mk("empty", []byte(""), refusal{400, "", "empty"}, refusal{400, "payload", "empty"}, refusal{400, "payload", "empty"}),
		mk("spaces", []byte(" \t\r\n"), refusal{400, "", "empty"}, refusal{400, "payload", "empty"}, refusal{400, "payload", "empty"}),
		mk("null", []byte("null"), notObject, refusal{400, "payload", "got null"}, refusal{400, "payload", "got null"}),
		mk("string", []byte(`"subs-demo000001"`), notObject, refusal{400, "payload", "got a string"}, refusal{400, "payload", "got a string"}),
		mk("array", []byte(`[`+hostileBase+`]`), notObject, refusal{400, "payload", "got an array"}, refusal{400, "payload", "got an array"}),
		mk("number", []byte(`1e400`), notObject, refusal{400, "payload", "got a number"}, refusal{400, "payload", "got a number"}),
		mk("BOM prefix", []byte("\xef\xbb\xbf"+hostileBase), notObject, notJSON, notJSON),
		mk("trailing garbage", []byte(hostileBase+"x"), eventNotJSON, refusal{400, "payload", "exactly one JSON object"}, refusal{400, "payload", "exactly one JSON object"}),
		mk("two objects", []byte(hostileBase+hostileBase), eventNotJSON, refusal{400, "payload", "exactly one JSON object"}, refusal{400, "payload", "exactly one JSON object"}),
		same("empty object", []byte(`{}`), refusal{400, "SubscribeId", "SubscribeId"}),
		same("empty batch", []byte(`{"Resets":[]}`), refusal{400, "Resets", "at least one"}),
		same("51 items", []byte(`{"Resets":[`+strings.TrimSuffix(strings.Repeat(hostileBase+",", 51), ",")+`]}`), refusal{400, "Resets", "at most 50"}),
		same("batch item not an object", []byte(`{"Resets":[null]}`), refusal{400, "Resets[0]", "must be a JSON object"}),

		// Long strings: each field refuses it, and no message repeats more than a few dozen bytes of it.
		same("long SubscribeId", hostilePayload(t, `"subs-demo000001"`, `"subs-`+long+`"`), refusal{400, "SubscribeId", "SubscribeId"}),
		same("long TopicName", hostilePayload(t, `"topic-subs-demo000001-cdb-1"`, `"`+long+`"`), refusal{400, "TopicName", "TopicName"}),
		same("long ConsumerGroupName", hostilePayload(t, `"g1"`, `"`+long+`"`), refusal{400, "ConsumerGroupName", "ConsumerGroupName"}),
		same("long ResetMode", hostilePayload(t, `"earliest"`, `"`+long+`"`), refusal{400, "ResetMode", "ResetMode"}),
		same("long ResetDatetime", hostilePayload(t, `"earliest"`, `"datetime","ResetDatetime":"`+long+`"`), refusal{400, "ResetDatetime", "ResetDatetime"}),
		same("long Region", hostilePayload(t, `"earliest"`, `"earliest","Region":"`+long+`"`), refusal{400, "Region", "Region"}),
		same("long PartitionNos string", hostilePayload(t, "[0]", `["`+strings.Repeat("9", 60000)+`"]`), refusal{400, "PartitionNos[0]", "at most 2147483647"}),
		same("long key", hostilePayload(t, `"ResetMode"`, `"`+long+`"`), refusal{400, "", "unknown field"}),
		same("2000 partitions", hostilePayload(t, "[0]", "["+strings.TrimSuffix(strings.Repeat("1,", 2000), ",")+"]"), refusal{400, "PartitionNos", "at most 1024"}),

		// Size: bodies over 64 KiB are refused before they are parsed.
		same("65 KiB payload", hostilePayload(t, `"g1"`, `"`+strings.Repeat("a", 65<<10)+`"`), tooLarge),
		same("10 MB payload", hostilePayload(t, `"g1"`, `"`+strings.Repeat("a", 10<<20)+`"`), tooLarge),
	}
}

// hostileAPIGW wraps body in an API Gateway event with the test token.
func hostileAPIGW(body []byte, b64 bool) []byte {
	text := string(body)
	if b64 {
		text = base64.StdEncoding.EncodeToString(body)
	}
	ev, _ := json.Marshal(map[string]any{
		"httpMethod":      "POST",
		"path":            "/reset",
		"headers":         map[string]string{"authorization": "Bearer " + testToken, "content-type": "application/json"},
		"queryString":     map[string]string{},
		"body":            text,
		"isBase64Encoded": b64,
		"requestContext":  map[string]any{"serviceId": "service-f94sy04v", "requestId": "r-1", "sourceIp": "203.0.113.7", "stage": "release"},
	})
	return ev
}

// TestHostile sends each hostile payload as a direct invocation and as an API Gateway body (text and base64)
// through Handler.Invoke with a Resetter that fails the test when called. Each must be refused with the right
// status, a code, a FieldError naming the field (when the problem is a field) and a message saying what is
// wrong; HTTP events always answer an integration response, never a failed invocation; replies and log lines
// stay small whatever the input's size.
func TestHostile(t *testing.T) {
	for _, tc := range hostileCases(t) {
		for _, form := range []struct {
			name  string
			event []byte
			want  refusal
		}{
			{"direct", tc.payload, tc.direct},
			{"apigw", hostileAPIGW(tc.payload, false), tc.text},
			{"apigw base64", hostileAPIGW(tc.payload, true), tc.b64},
		} {
			t.Run(tc.name+"/"+form.name, func(t *testing.T) {
				h, logs := newTestHandler(t, Options{APIToken: testToken})
				out, err := h.Invoke(context.Background(), form.event)
				var body ErrorBody
				var status int
				if form.name == "direct" {
					var ie *InvokeError
					if !errors.As(err, &ie) {
						t.Fatalf("got reply %.200s error %v, want an *InvokeError", out, err)
					}
					status = StatusOf(ie.Err)
					if jerr := json.Unmarshal([]byte(ie.Error()), &body); jerr != nil {
						t.Fatalf("error message is not the JSON error object: %v: %.300s", jerr, ie.Error())
					}
				} else {
					if err != nil {
						t.Fatalf("HTTP event answered error %v, want an integration response", err)
					}
					resp, b := decodeIntegration(t, out)
					status, body = resp.StatusCode, b
					if resp.Headers["Content-Type"] != "application/json" {
						t.Errorf("got headers %v, want Content-Type application/json", resp.Headers)
					}
				}
				checkOutcome(t, status, body, form.want)
				if len(out) > 8<<10 {
					t.Errorf("reply of %d bytes, want a short one whatever the input", len(out))
				}
				if err != nil && len(err.Error()) > 8<<10 {
					t.Errorf("error of %d bytes, want a short one whatever the input", len(err.Error()))
				}
				for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
					if len(line) > 8<<10 {
						t.Errorf("log line of %d bytes, want a short one whatever the input", len(line))
					}
				}
			})
		}
	}
}

func checkOutcome(t *testing.T, status int, body ErrorBody, want refusal) {
	t.Helper()
	if status != want.status {
		t.Errorf("got status %d (%s: %.300s), want %d", status, body.Error.Code, body.Error.Message, want.status)
	}
	wantCode := reset.CodeInvalidParameter
	if want.status == 413 {
		wantCode = reset.CodeRequestTooLarge
	}
	if body.Error.Code != wantCode {
		t.Errorf("got code %q, want %q", body.Error.Code, wantCode)
	}
	if !strings.Contains(body.Error.Message, want.mention) {
		t.Errorf("got message %.300q, want it to mention %q", body.Error.Message, want.mention)
	}
	if want.field == "" {
		return
	}
	var fields []string
	for _, f := range body.Error.Fields {
		if f.Field == want.field {
			return
		}
		fields = append(fields, f.Field)
	}
	t.Errorf("got fields %q, want one naming %s", fields, want.field)
}

// TestHostileEvents sends hostile events (rather than payloads): what API Gateway itself would never produce
// but a caller of the function's Invoke API, or a bug upstream, might. HTTP-looking events still get an
// integration response; no resetter runs.
func TestHostileEvents(t *testing.T) {
	good := string(hostileAPIGW([]byte(hostileBase), false))
	withField := func(raw string) []byte { return []byte(strings.Replace(good, `{`, `{`+raw+`,`, 1)) }
	timer := `{"Type":"Timer","TriggerName":"t","Time":"2026-11-28T02:00:00Z","Message":` + strconvQuote(hostileBase) + `}`
	tests := []struct {
		name  string
		event []byte
		http  bool
		want  refusal
	}{
		{"apigw with 100k nested arrays", withField(`"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000)), true, refusal{400, "", "nested too deeply"}},
		{"apigw with 100k nested objects", withField(`"x":` + strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)), true, refusal{413, "", "64 KiB"}},
		{"apigw 10 MB body", hostileAPIGW([]byte(strings.Repeat(" ", 10<<20)), false), true, refusal{413, "", "64 KiB"}},
		{"apigw 10 MB header", withField(`"x-pad":"` + strings.Repeat("a", 10<<20) + `"`), true, refusal{413, "", "64 KiB"}},
		{"direct 10 MB", []byte(`{"SubscribeId":"` + strings.Repeat("a", 10<<20) + `"}`), false, refusal{413, "", "64 KiB"}},
		{"apigw body twice", withField(`"body":` + strconvQuote(`{"SubscribeId":"subs-demo000001"}`)), true, refusal{400, "", `"body" more than once`}},
		{"apigw Body and body", withField(`"Body":"{}"`), true, refusal{400, "", `more than once`}},
		{"apigw isBaſe64Encoded", withField(`"isBaſe64Encoded":true`), true, refusal{400, "", `more than once`}},
		{"apigw trailing garbage", []byte(good + "}"), true, refusal{400, "", "not valid JSON"}},
		{"apigw invalid UTF-8 outside strings", []byte(strings.Replace(good, `{`, "{\xff", 1)), true, refusal{400, "", "not valid JSON"}},
		{"apigw NUL outside strings", []byte(strings.Replace(good, `{`, "{\x00", 1)), true, refusal{400, "", "not valid JSON"}},
		{"apigw headers not an object", []byte(`{"httpMethod":"POST","headers":[1],"body":"{}","requestContext":{}}`), true, refusal{400, "", "headers must be a JSON object"}},
		{"apigw body a number", []byte(strings.Replace(good, `"body":`, `"body":1e400,"x":`, 1)), true, refusal{400, "", "body must be a JSON string"}},
		{"timer Message twice", []byte(strings.Replace(timer, `{`, `{"Message":"{}",`, 1)), false, refusal{400, "", `"Message" more than once`}},
		{"timer message and Message", []byte(strings.Replace(timer, `{`, `{"message":"{}",`, 1)), false, refusal{400, "", `more than once`}},
		{"timer 10 MB Message", []byte(`{"Type":"Timer","Message":"` + strings.Repeat(" ", 10<<20) + `"}`), false, refusal{413, "", "64 KiB"}},
		{"timer Message not a string", []byte(`{"Type":"Timer","TriggerName":"t","Message":{"SubscribeId":"subs-demo000001"}}`), false, refusal{400, "", "Message must be a JSON string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newTestHandler(t, Options{APIToken: testToken})
			out, err := h.Invoke(context.Background(), tt.event)
			var body ErrorBody
			var status int
			if tt.http {
				if err != nil {
					t.Fatalf("HTTP event answered error %v, want an integration response", err)
				}
				resp, b := decodeIntegration(t, out)
				status, body = resp.StatusCode, b
			} else {
				var ie *InvokeError
				if !errors.As(err, &ie) {
					t.Fatalf("got reply %.200s error %v, want an *InvokeError", out, err)
				}
				status = StatusOf(ie.Err)
				if jerr := json.Unmarshal([]byte(ie.Error()), &body); jerr != nil {
					t.Fatalf("error message is not the JSON error object: %v", jerr)
				}
			}
			checkOutcome(t, status, body, tt.want)
		})
	}
}

// TestNegativeZeroPartition records a deliberate acceptance: -0 is the JSON spelling of the integer 0, so it
// is partition 0 (and, beside 0, a repeated partition), not an error.
func TestNegativeZeroPartition(t *testing.T) {
	rec := &recordingResetter{}
	h := New(rec, Options{Now: func() time.Time { return fixedNow }, Logger: slog.New(slog.DiscardHandler)})
	if _, err := h.Invoke(context.Background(), hostilePayload(t, "[0]", "[-0]")); err != nil {
		t.Fatalf("got %v, want -0 accepted as partition 0", err)
	}
	if len(rec.calls) != 1 || len(rec.calls[0][0].PartitionNos) != 1 || rec.calls[0][0].PartitionNos[0] != 0 {
		t.Fatalf("got calls %+v, want one reset of partition 0", rec.calls)
	}
}

// TestEventKindByExactKey: the event kind is told by the keys exactly as SCF spells them (httpMethod, Type). A
// direct payload that carries HTTPMETHOD or type is a direct payload, and validate refuses the key as an
// unknown field. Regression: encoding/json matched the probe's keys case-insensitively, so such a payload was
// taken for an HTTP event (answered with a 401 integration response) or a timer event.
func TestEventKindByExactKey(t *testing.T) {
	with := func(key, value string) []byte {
		return []byte(strings.TrimSuffix(hostileBase, "}") + `,` + key + `:` + value + `}`)
	}
	tests := []struct {
		name  string
		event []byte
		field string
	}{
		{"HTTPMETHOD", with(`"HTTPMETHOD"`, `"POST"`), "HTTPMETHOD"},
		{"HttpMethod", with(`"HttpMethod"`, `"POST"`), "HttpMethod"},
		{"type Timer", with(`"type"`, `"Timer"`), "type"},
		{"TYPE timer", with(`"TYPE"`, `"timer"`), "TYPE"},
		{"Type not a timer", with(`"Type"`, `"Http"`), "Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := DecodeEvent(tt.event)
			if err != nil || ev.Trigger != TriggerDirect {
				t.Fatalf("DecodeEvent = %s, %v; want a direct event", ev.Trigger, err)
			}
			h, _ := newTestHandler(t, Options{APIToken: testToken})
			out, err := h.Invoke(context.Background(), tt.event)
			var ie *InvokeError
			if !errors.As(err, &ie) {
				t.Fatalf("got reply %.200s error %v, want a failed invocation (a direct payload)", out, err)
			}
			var body ErrorBody
			if jerr := json.Unmarshal(ie.Body, &body); jerr != nil {
				t.Fatal(jerr)
			}
			checkOutcome(t, StatusOf(ie.Err), body, refusal{400, tt.field, "unknown field"})
		})
	}
	// The exact keys still make their kinds.
	for name, event := range map[string][]byte{
		"httpMethod": []byte(`{"httpMethod":"POST","path":"/reset","headers":{},"body":"{}"}`),
		"Type Timer": []byte(`{"Type":"Timer","TriggerName":"t","Time":"2026-11-28T02:00:00Z","Message":"{}"}`),
		// Spelled with an escape, the key is still httpMethod (the quick look before the key walk must not miss it).
		"escaped httpMethod": []byte(`{"http\u004dethod":"POST","path":"/reset","headers":{},"body":"{}"}`),
	} {
		ev, err := DecodeEvent(event)
		want := map[string]Trigger{"httpMethod": TriggerFunctionURL, "Type Timer": TriggerTimer, "escaped httpMethod": TriggerFunctionURL}[name]
		if err != nil || ev.Trigger != want {
			t.Errorf("%s: DecodeEvent = %s, %v; want %s", name, ev.Trigger, err, want)
		}
	}
}
