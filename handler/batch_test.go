package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/reset"
	"dtsreset/internal/testkit"
)

// batchItem is a reset of one partition of the demo group, so that which items ran, and in which order, shows
// in the partitions the resetter was asked for.
func batchItem(partition int, edits ...string) string {
	item := fmt.Sprintf(`{"SubscribeId":"subs-demo000001","TopicName":"topic-subs-demo000001-cdb-1","ConsumerGroupName":"g1","PartitionNos":[%d],"ResetMode":"earliest"}`, partition)
	for i := 0; i+1 < len(edits); i += 2 {
		item = strings.Replace(item, edits[i], edits[i+1], 1)
	}
	return item
}

func resetsOf(items ...string) string { return `{"Resets":[` + strings.Join(items, ",") + `]}` }

// slotWant is what one slot of a batch reply must be: a result (fields empty) or an InvalidParameter naming
// exactly these Field:Rule pairs, with mention in its message.
type slotWant struct {
	fields  []string
	mention string
}

// okSlot is a slot holding a result.
var okSlot = slotWant{}

func invalidSlot(mention string, fields ...string) slotWant {
	return slotWant{fields: fields, mention: mention}
}

// batchOutcome reads a batch reply from either trigger kind: the HTTP status (or the status of the error of a
// failed invocation), the reply and, for a failed invocation, its error's code.
func batchOutcome(t *testing.T, out []byte, err error, http bool) (int, BatchReply, []json.RawMessage, string) {
	t.Helper()
	var raw []byte
	var status int
	code := ""
	if http {
		if err != nil {
			t.Fatalf("HTTP event answered error %v, want an integration response", err)
		}
		resp, _ := decodeIntegration(t, out)
		status, raw = resp.StatusCode, []byte(resp.Body)
	} else if err != nil {
		var ie *InvokeError
		if !errors.As(err, &ie) {
			t.Fatalf("got %T %v, want *InvokeError", err, err)
		}
		status, raw, code = StatusOf(ie.Err), ie.Body, ie.Err.Code
	} else {
		status, raw = 200, out
	}
	var reply BatchReply
	var slots struct{ Results []json.RawMessage }
	if jerr := json.Unmarshal(raw, &reply); jerr != nil || json.Unmarshal(raw, &slots) != nil {
		t.Fatalf("not a batch reply: %v: %.400s", jerr, raw)
	}
	return status, reply, slots.Results, code
}

// checkSlots compares each slot of a batch reply with its want.
func checkSlots(t *testing.T, slots []json.RawMessage, want []slotWant) {
	t.Helper()
	if len(slots) != len(want) {
		t.Fatalf("got %d results, want %d", len(slots), len(want))
	}
	for i, w := range want {
		var body ErrorBody
		_ = json.Unmarshal(slots[i], &body)
		if w.fields == nil {
			if body.Error.Code != "" {
				t.Errorf("Results[%d] = %s, want a result", i, slots[i])
			}
			continue
		}
		var got []string
		for _, f := range body.Error.Fields {
			got = append(got, f.Field+":"+f.Rule)
		}
		if body.Error.Code != reset.CodeInvalidParameter || !reflect.DeepEqual(got, w.fields) || !strings.Contains(body.Error.Message, w.mention) {
			t.Errorf("Results[%d] = %s\nwant InvalidParameter with fields %v mentioning %q", i, slots[i], w.fields, w.mention)
		}
	}
}

// TestBatchItemsValidatedOnTheirOwn: an item that fails validation is a failed item in its own slot; the valid
// items around it run, in order, in one Batch call; the batch as a whole is refused (400, nothing runs) only
// for a problem of its own shape. Each row runs as an API Gateway event and as a direct invocation.
func TestBatchItemsValidatedOnTheirOwn(t *testing.T) {
	typo := batchItem(1, `"ResetMode":"earliest"`, `"ResetMod":"earliest"`)
	tests := []struct {
		name    string
		payload string
		status  int   // HTTP status; the direct invocation fails when it is not 200
		ran     []int // the partitions of the requests the resetter got, in order; nil: not called
		slots   []slotWant
		failed  int
	}{
		{"all valid", resetsOf(batchItem(0), batchItem(1)), 200, []int{0, 1}, []slotWant{okSlot, okSlot}, 0},
		{"one invalid among valid ones", resetsOf(batchItem(0), typo, batchItem(2)), 207, []int{0, 2},
			[]slotWant{okSlot, invalidSlot("Resets[1].ResetMod: unknown field; did you mean ResetMode?", "Resets[1].ResetMod:unknown", "Resets[1].ResetMode:required"), okSlot}, 1},
		{"an item not an object", resetsOf(batchItem(0), `"subs-demo000001"`, batchItem(2)), 207, []int{0, 2},
			[]slotWant{okSlot, invalidSlot("Resets[1] must be a JSON object (one reset); got a string", "Resets[1]:type"), okSlot}, 1},
		{"the first invalid", resetsOf(`null`, batchItem(1)), 207, []int{1},
			[]slotWant{invalidSlot("got null", "Resets[0]:type"), okSlot}, 1},
		{"every item invalid", resetsOf(`[]`, typo, `{}`), 207, nil,
			[]slotWant{
				invalidSlot("got an array", "Resets[0]:type"),
				invalidSlot("did you mean ResetMode?", "Resets[1].ResetMod:unknown", "Resets[1].ResetMode:required"),
				invalidSlot("Resets[2].SubscribeId is required", "Resets[2].SubscribeId:required", "Resets[2].TopicName:required",
					"Resets[2].ConsumerGroupName:required", "Resets[2].PartitionNos:required_without", "Resets[2].ResetMode:required"),
			}, 3},
	}
	for _, tt := range tests {
		for _, http := range []bool{true, false} {
			form := map[bool]string{true: "apigw", false: "direct"}[http]
			t.Run(tt.name+"/"+form, func(t *testing.T) {
				rec := &recordingResetter{}
				var logs bytes.Buffer
				h := New(rec, Options{APIToken: testToken, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Now: func() time.Time { return fixedNow }})
				event := []byte(tt.payload)
				if http {
					event = withBody(t, readEvent(t, "apigw-reset-earliest.json"), tt.payload)
				}
				out, err := h.Invoke(context.Background(), event)
				status, reply, slots, code := batchOutcome(t, out, err, http)
				switch {
				case http && status != tt.status:
					t.Errorf("got HTTP %d, want %d", status, tt.status)
				case !http && tt.failed > 0 && (err == nil || code != reset.CodeInvalidParameter):
					t.Errorf("direct: got error %v (code %q), want the invocation failed with the first invalid item's InvalidParameter", err, code)
				case !http && tt.failed == 0 && err != nil:
					t.Errorf("direct: got error %v, want success", err)
				}
				if reply.Failed != tt.failed {
					t.Errorf("got Failed %d, want %d", reply.Failed, tt.failed)
				}
				checkSlots(t, slots, tt.slots)
				var partitions []int
				for _, c := range rec.calls {
					for _, r := range c {
						partitions = append(partitions, r.PartitionNos...)
					}
				}
				if len(rec.calls) > 1 || !reflect.DeepEqual(partitions, tt.ran) {
					t.Errorf("the resetter got %d calls for partitions %v, want one call for %v (none when nil)", len(rec.calls), partitions, tt.ran)
				}
				// One log line per item, the invalid ones with their code.
				lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
				invalid := strings.Count(logs.String(), `"outcome":"InvalidParameter"`)
				if len(lines) != len(tt.slots) || invalid != tt.failed {
					t.Errorf("got %d log lines, %d InvalidParameter; want %d and %d:\n%s", len(lines), invalid, len(tt.slots), tt.failed, logs.String())
				}
			})
		}
	}
}

// TestBatchRefusedAsAWhole: a problem of the batch's shape is one 400 for the whole payload, even when its items
// are fine, and nothing runs (the Resetter fails the test when called); the items are not reported.
func TestBatchRefusedAsAWhole(t *testing.T) {
	typo := batchItem(1, `"ResetMode"`, `"ResetMod"`)
	tests := []struct {
		name    string
		payload string
		field   string // the FieldError the reply must hold
		direct  string // the same for a direct invocation, when it differs
		mention string
	}{
		{"no items", resetsOf(), "Resets", "", "at least one"},
		{"51 items", resetsOf(strings.Split(strings.Repeat(batchItem(0)+"\n", 51), "\n")[:51]...), "Resets", "", "at most 50"},
		{"Resets not an array", `{"Resets":` + batchItem(0) + `}`, "Resets", "", "must be an array"},
		{"Resets twice", `{"Resets":[` + batchItem(0) + `],"Resets":[` + typo + `]}`, "Resets", "", "more than once"},
		{"a reset field beside Resets", `{"Resets":[` + batchItem(0) + `,` + typo + `],"DryRun":true}`, "DryRun", "", "not allowed beside Resets"},
		{"an unknown key beside Resets", `{"Resets":[` + batchItem(0) + `],"Reset":1}`, "Reset", "", "did you mean Resets?"},
		// An API Gateway body is a JSON string, so the payload check speaks; a direct event that is not JSON is
		// refused as an event, with no field to name.
		{"not JSON", `{"Resets":[` + batchItem(0) + `]`, "payload", "-", "not valid JSON"},
	}
	for _, tt := range tests {
		for _, http := range []bool{true, false} {
			form := map[bool]string{true: "apigw", false: "direct"}[http]
			t.Run(tt.name+"/"+form, func(t *testing.T) {
				h, _ := newTestHandler(t, Options{APIToken: testToken})
				event := []byte(tt.payload)
				if http {
					event = withBody(t, readEvent(t, "apigw-reset-earliest.json"), tt.payload)
				}
				out, err := h.Invoke(context.Background(), event)
				var status int
				var body ErrorBody
				if http {
					if err != nil {
						t.Fatalf("HTTP event answered error %v", err)
					}
					resp, b := decodeIntegration(t, out)
					status, body = resp.StatusCode, b
				} else {
					var ie *InvokeError
					if !errors.As(err, &ie) || json.Unmarshal(ie.Body, &body) != nil {
						t.Fatalf("got %v, want an *InvokeError with the error object", err)
					}
					status = StatusOf(ie.Err)
				}
				field := tt.field
				if !http && tt.direct != "" {
					field = strings.TrimPrefix(tt.direct, "-")
				}
				checkOutcome(t, status, body, refusal{400, field, tt.mention})
				for _, f := range body.Error.Fields {
					if strings.HasPrefix(f.Field, "Resets[") {
						t.Errorf("the whole-batch refusal reports an item: %+v", f)
					}
				}
			})
		}
	}
}

// TestBatchAllowListAndDryRun: the allow-list looks at the valid items (an invalid item is already a failure of
// its own) and refuses the whole batch when one of them is outside it; ?dryRun applies to every valid item.
func TestBatchAllowListAndDryRun(t *testing.T) {
	other := batchItem(1, "subs-demo000001", "subs-other0001")
	otherInvalid := batchItem(2, "subs-demo000001", "subs-other0001", `"ResetMode"`, `"ResetMod"`)
	tests := []struct {
		name    string
		payload string
		query   map[string]any
		status  int
		ran     []int
		dry     bool
	}{
		{"a valid item outside the list", resetsOf(batchItem(0), other), nil, 403, nil, false},
		{"a valid item outside the list beside an invalid one", resetsOf(batchItem(0), other, otherInvalid), nil, 403, nil, false},
		{"only an invalid item outside the list", resetsOf(batchItem(0), otherInvalid), nil, 207, []int{0}, false},
		{"?dryRun=true on every valid item", resetsOf(batchItem(0), otherInvalid, batchItem(1)), map[string]any{"dryRun": "true"}, 207, []int{0, 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingResetter{}
			h := New(rec, Options{AllowedSubscribeIDs: []string{"subs-demo000001"}, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixedNow }})
			event := withBody(t, readEvent(t, "apigw-reset-earliest.json"), tt.payload)
			if tt.query != nil {
				event = withQuery(t, event, tt.query)
			}
			out, err := h.Invoke(context.Background(), event)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := decodeIntegration(t, out)
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if tt.status == 403 && (body.Error.Code != reset.CodeOperationDenied || !strings.Contains(body.Error.Message, "subs-other0001")) {
				t.Errorf("got %+v, want OperationDenied naming subs-other0001", body)
			}
			var partitions []int
			for _, c := range rec.calls {
				for _, r := range c {
					partitions = append(partitions, r.PartitionNos...)
					if r.DryRun != tt.dry {
						t.Errorf("request of partitions %v: DryRun %v, want %v", r.PartitionNos, r.DryRun, tt.dry)
					}
				}
			}
			if !reflect.DeepEqual(partitions, tt.ran) {
				t.Errorf("the resetter ran partitions %v, want %v", partitions, tt.ran)
			}
		})
	}
}

// TestMixedBatchAgainstTheEmulator runs a batch with an invalid item through the whole function (handler →
// reset → dts SDK client → emulator): the valid items reset their partitions, the invalid one fails in its
// slot and its partition stays where it was.
func TestMixedBatchAgainstTheEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator")
	}
	payload := resetsOf(batchItem(0), batchItem(1, `"earliest"`, `"earlist"`), batchItem(2, `"earliest"`, `"latest"`))
	tests := []struct {
		name  string
		event func(t *testing.T) []byte
		http  bool
	}{
		{"apigw", func(t *testing.T) []byte { return apigwEvent(t, payload) }, true},
		{"direct", func(t *testing.T) []byte { return []byte(payload) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, d := faultStack(t) // every partition at 5 of 10
			out, err := invoke(t, h, "req-mixed", tt.event(t))
			status, reply, slots, code := batchOutcome(t, out, err, tt.http)
			if tt.http && status != 207 || !tt.http && code != reset.CodeInvalidParameter {
				t.Errorf("got status %d code %q, want 207 (HTTP) or a failed invocation with InvalidParameter (direct)", status, code)
			}
			if reply.Failed != 1 {
				t.Errorf("got Failed %d, want 1", reply.Failed)
			}
			checkSlots(t, slots, []slotWant{okSlot, invalidSlot(`Resets[1].ResetMode must be one of earliest, latest, datetime; got "earlist"`, "Resets[1].ResetMode:oneof"), okSlot})
			var results [3]reset.Result
			for _, i := range []int{0, 2} {
				if err := json.Unmarshal(slots[i], &results[i]); err != nil || !results[i].Verified || results[i].RequestID == "" {
					t.Errorf("Results[%d] = %s, want a verified reset", i, slots[i])
				}
			}
			if want, got := map[int32]int64{0: 0, 1: 5, 2: 10}, d.Committed(t, testkit.Group); !maps.Equal(got, want) {
				t.Errorf("committed %v, want %v: the valid items applied, the invalid one untouched", got, want)
			}
		})
	}
}
