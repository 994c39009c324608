package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/reset"
	"dtsreset/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixedNow is the clock of every golden test: after the fixtures' datetimes, so none is in the future.
var fixedNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// decoded is what the golden files record for an event: the trigger and the validated requests, or the
// error a caller would get.
type decoded struct {
	Trigger  Trigger            `json:"Trigger,omitempty"`
	Batch    bool               `json:"Batch,omitempty"`
	Requests []validate.Request `json:"Requests,omitempty"`
	Status   int                `json:"Status,omitempty"`
	Error    *ErrorBody         `json:"Error,omitempty"`
}

func decodeForGolden(data []byte) decoded {
	ev, err := DecodeEvent(data)
	if err == nil {
		var d validate.Decoded
		d, err = validate.Decode(ev.Payload, fixedNow)
		if err == nil {
			return decoded{Trigger: ev.Trigger, Batch: d.Batch, Requests: d.Requests}
		}
		err = reset.Invalid(err)
	}
	body := errorBody(reset.AsError(err))
	return decoded{Trigger: ev.Trigger, Status: StatusOf(err), Error: &body}
}

// assertGolden compares got with the golden file, rewriting it first under -update.
func assertGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (rerun the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func eventFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events in ../events: %v", err)
	}
	return files
}

// TestDecodeGolden decodes every fixture in events/ and compares the trigger and the validated payload (or
// the error) with testdata/decode/<name>.golden. Run with -update to rewrite them after a deliberate change.
func TestDecodeGolden(t *testing.T) {
	for _, file := range eventFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(decodeForGolden(data), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			assertGolden(t, filepath.Join("testdata", "decode", name+".golden"), got)
			isBad := strings.HasPrefix(name, "bad-")
			var d decoded
			_ = json.Unmarshal(got, &d)
			// bad-apigw-no-token decodes fine: it is refused by authorisation, tested in the handler tests.
			if isBad && name != "bad-apigw-no-token" && (d.Status < 400 || d.Status > 499) {
				t.Errorf("%s: got status %d, want a 4xx", name, d.Status)
			}
			if !isBad && d.Error != nil {
				t.Errorf("%s: got error %+v, want a valid event", name, d.Error)
			}
		})
	}
}

func TestDecodeEventShapes(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		trigger Trigger
		payload string
		kind    reset.Kind
	}{
		{"direct", `{"SubscribeId":"subs-a"}`, TriggerDirect, `{"SubscribeId":"subs-a"}`, -1},
		{"timer any case", `{"Type":"TIMER","TriggerName":"t","Time":"x","Message":" {\"a\":1} "}`, TriggerTimer, `{"a":1}`, -1},
		{"api gateway", `{"httpMethod":"POST","requestContext":{"sourceIp":"1.2.3.4"},"body":"{}"}`, TriggerAPIGateway, `{}`, -1},
		{"function url", `{"httpMethod":"POST","body":"{}","headers":{}}`, TriggerFunctionURL, `{}`, -1},
		{"base64 body", `{"httpMethod":"POST","body":"e30=","isBase64Encoded":true}`, TriggerFunctionURL, `{}`, -1},
		{"empty", ``, "", "", reset.KindInvalid},
		{"spaces", "  \n", "", "", reset.KindInvalid},
		{"array", `[1]`, "", "", reset.KindInvalid},
		{"string", `"x"`, "", "", reset.KindInvalid},
		{"broken", `{"a":`, "", "", reset.KindInvalid},
		{"bad base64", `{"httpMethod":"POST","body":"!!","isBase64Encoded":true}`, "", "", reset.KindInvalid},
		{"timer without message", `{"Type":"Timer","TriggerName":"t","Time":"x"}`, "", "", reset.KindInvalid},
		{"body too large", `{"httpMethod":"POST","body":"` + strings.Repeat("a", MaxBodyBytes+1) + `"}`, "", "", reset.KindTooLarge},
		{"direct too large", `{"a":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, "", "", reset.KindTooLarge},
		{"event far too large", `{"a":"` + strings.Repeat("a", 4*MaxBodyBytes) + `"}`, "", "", reset.KindTooLarge},
		{"headers wrong type", `{"httpMethod":"POST","headers":[1]}`, "", "", reset.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := DecodeEvent([]byte(tt.event))
			if tt.kind >= 0 {
				var e *reset.Error
				if !errors.As(err, &e) || e.Kind != tt.kind {
					t.Fatalf("got %v, want kind %v", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if ev.Trigger != tt.trigger || string(ev.Payload) != tt.payload {
				t.Errorf("got trigger %q payload %q, want %q %q", ev.Trigger, ev.Payload, tt.trigger, tt.payload)
			}
		})
	}
}

func TestStatusTable(t *testing.T) {
	tests := []struct {
		code string
		kind reset.Kind
		want int
	}{
		{"InvalidParameter", reset.KindInvalid, 400},
		{"InvalidParameterValue", reset.KindInvalid, 400},
		{"MissingParameter", reset.KindInvalid, 400},
		{"UnknownParameter", reset.KindInvalid, 400},
		{"Unauthorized", reset.KindUnauthorized, 401},
		{"OperationDenied", reset.KindForbidden, 403},
		{"ResourceNotFound.ConsumerGroup", reset.KindNotFound, 404},
		{"MethodNotAllowed", reset.KindMethodNotAllowed, 405},
		{"FailedOperation.GroupActive", reset.KindConflict, 409},
		{"FailedOperation.ResetNotApplied", reset.KindConflict, 409},
		{"RequestTooLarge", reset.KindTooLarge, 413},
		{"RequestLimitExceeded", reset.KindThrottled, 429},
		{"AuthFailure.SignatureFailure", reset.KindUpstream, 502},
		{"InternalError", reset.KindUpstream, 502},
		{"InternalError.DeadlineExceeded", reset.KindTimeout, 504},
		{"InternalError.Config", reset.KindInternal, 500},
	}
	for _, tt := range tests {
		if got := StatusOf(reset.Errorf(tt.kind, tt.code, "x")); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.code, got, tt.want)
		}
	}
	if got := StatusOf(errors.New("plain")); got != 500 {
		t.Errorf("plain error: got %d, want 500", got)
	}
}

// FuzzDecodeEvent: for any bytes, DecodeEvent never panics; it returns either an event whose payload is at
// most MaxBodyBytes, or a *reset.Error of kind Invalid or TooLarge (a 4xx).
func FuzzDecodeEvent(f *testing.F) {
	for _, file := range eventFiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"httpMethod":"POST","body":"e30=","isBase64Encoded":true}`))
	f.Add([]byte(`{"Type":"timer","Message":"{}"}`))
	f.Add([]byte("\x00{\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := DecodeEvent(data)
		if err != nil {
			var e *reset.Error
			if !errors.As(err, &e) || (e.Kind != reset.KindInvalid && e.Kind != reset.KindTooLarge) {
				t.Fatalf("got %v, want an Invalid or TooLarge *reset.Error", err)
			}
			return
		}
		if len(ev.Payload) > MaxBodyBytes {
			t.Fatalf("payload of %d bytes passed the %d limit", len(ev.Payload), MaxBodyBytes)
		}
		if ev.Trigger.IsHTTP() != (ev.HTTP != nil) || (ev.Trigger == TriggerTimer) != (ev.Timer != nil) {
			t.Fatalf("trigger %q does not match the decoded event", ev.Trigger)
		}
	})
}

func TestDuplicateKey(t *testing.T) {
	many := func(n int, dup string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, `"k%d":{"k%d":[1,"x"]},`, i, i)
		}
		b.WriteString(dup + `}`)
		return b.String()
	}
	tests := []struct {
		name, data, want string
		dup              bool
	}{
		{"none", `{"body":"{\"body\":1}","headers":{"body":"x"}}`, "", false},
		{"same", `{"body":"a","body":"b"}`, "body", true},
		{"case", `{"Body":"a","body":"b"}`, "body", true},
		{"long s", `{"isBase64Encoded":true,"isBaſe64Encoded":false}`, "isBaſe64Encoded", true},
		{"escaped", `{"body":"a","bod\u0079":"b"}`, "body", true},
		{"quote in value", `{"a":"x\"y","b":"\\","a2":1}`, "", false},
		{"many keys, no duplicate", many(200, `"last":1`), "", false},
		{"many keys, duplicate past the pairwise limit", many(200, `"K150":1`), "K150", true},
	}
	for _, tt := range tests {
		got, dup := duplicateKey([]byte(tt.data))
		if dup != tt.dup || got != tt.want {
			t.Errorf("%s: got %q %v, want %q %v", tt.name, got, dup, tt.want, tt.dup)
		}
	}
}
