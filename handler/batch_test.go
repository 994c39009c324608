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

// TestBatchRunsItsItemsInOrder: a valid batch runs its items, in order, in one Batch call, and logs one line
// per item. Each row runs as an API Gateway event and as a direct invocation.
func TestBatchRunsItsItemsInOrder(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		ran     []int // the partitions of the requests the resetter got, in order
	}{
		{"two items", resetsOf(batchItem(0), batchItem(1)), []int{0, 1}},
		{"three items, out of order", resetsOf(batchItem(2), batchItem(0), batchItem(1)), []int{2, 0, 1}},
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
				status, reply, slots, _ := batchOutcome(t, out, err, http)
				if status != 200 || err != nil || reply.Failed != 0 || len(slots) != len(tt.ran) {
					t.Errorf("got status %d, error %v, Failed %d, %d results; want 200, none, 0, %d", status, err, reply.Failed, len(slots), len(tt.ran))
				}
				var partitions []int
				for _, c := range rec.calls {
					for _, r := range c {
						partitions = append(partitions, r.PartitionNos...)
					}
				}
				if len(rec.calls) != 1 || !reflect.DeepEqual(partitions, tt.ran) {
					t.Errorf("the resetter got %d calls for partitions %v, want one call for %v", len(rec.calls), partitions, tt.ran)
				}
				if lines := strings.Split(strings.TrimSpace(logs.String()), "\n"); len(lines) != len(tt.ran) {
					t.Errorf("got %d log lines, want one per item:\n%s", len(lines), logs.String())
				}
			})
		}
	}
}

// TestBatchRefusedAsAWhole: a batch is validated whole before anything runs (SPEC §3). A problem of its shape, or
// of any one item, is one 400 for the whole payload and nothing runs (the Resetter fails the test when called);
// a shape problem reports no item, an item's problems are named under its path Resets[i]. Regression: an
// invalid item used to be its own 207 slot while the valid items ran, so a timer batch with a typo re-ran its
// valid items on every SCF retry.
func TestBatchRefusedAsAWhole(t *testing.T) {
	typo := batchItem(1, `"ResetMode"`, `"ResetMod"`)
	tests := []struct {
		name    string
		payload string
		field   string // the FieldError the reply must hold
		direct  string // the same for a direct invocation, when it differs
		mention string
		items   []string // Field:Rule of every problem when they are the items'; nil: no item may be named
	}{
		{"no items", resetsOf(), "Resets", "", "at least one", nil},
		{"51 items", resetsOf(strings.Split(strings.Repeat(batchItem(0)+"\n", 51), "\n")[:51]...), "Resets", "", "at most 50", nil},
		{"Resets not an array", `{"Resets":` + batchItem(0) + `}`, "Resets", "", "must be an array", nil},
		{"Resets twice", `{"Resets":[` + batchItem(0) + `],"Resets":[` + typo + `]}`, "Resets", "", "more than once", nil},
		{"a reset field beside Resets", `{"Resets":[` + batchItem(0) + `,` + typo + `],"DryRun":true}`, "DryRun", "", "not allowed beside Resets", nil},
		{"an unknown key beside Resets", `{"Resets":[` + batchItem(0) + `],"Reset":1}`, "Reset", "", "did you mean Resets?", nil},
		// An API Gateway body is a JSON string, so the payload check speaks; a direct event that is not JSON is
		// refused as an event, with no field to name.
		{"not JSON", `{"Resets":[` + batchItem(0) + `]`, "payload", "-", "not valid JSON", nil},
		{"one invalid item among valid ones", resetsOf(batchItem(0), typo, batchItem(2)), "Resets[1].ResetMod", "",
			"Resets[1].ResetMod: unknown field; did you mean ResetMode?", []string{"Resets[1].ResetMod:unknown", "Resets[1].ResetMode:required"}},
		{"an item not an object", resetsOf(batchItem(0), `"subs-demo000001"`, batchItem(2)), "Resets[1]", "",
			"Resets[1] must be a JSON object (one reset); got a string", []string{"Resets[1]:type"}},
		{"the first item null", resetsOf(`null`, batchItem(1)), "Resets[0]", "", "got null", []string{"Resets[0]:type"}},
		{"every item invalid", resetsOf(`[]`, typo, `{}`), "Resets[0]", "", "Resets[2].SubscribeId is required",
			[]string{"Resets[0]:type", "Resets[1].ResetMod:unknown", "Resets[1].ResetMode:required", "Resets[2].SubscribeId:required",
				"Resets[2].TopicName:required", "Resets[2].ConsumerGroupName:required", "Resets[2].PartitionNos:required_without", "Resets[2].ResetMode:required"}},
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
				var items []string
				for _, f := range body.Error.Fields {
					if strings.HasPrefix(f.Field, "Resets[") {
						items = append(items, f.Field+":"+f.Rule)
					}
				}
				if !reflect.DeepEqual(items, tt.items) {
					t.Errorf("the refusal names the items %v, want %v", items, tt.items)
				}
			})
		}
	}
}

// TestBatchAllowListAndDryRun: the allow-list refuses the whole batch when one item is outside it; an invalid
// batch is refused as invalid first; ?dryRun applies to every item.
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
		{"an item outside the list beside an invalid one", resetsOf(batchItem(0), other, otherInvalid), nil, 400, nil, false},
		{"only an invalid item outside the list", resetsOf(batchItem(0), otherInvalid), nil, 400, nil, false},
		{"?dryRun=true on every item", resetsOf(batchItem(0), batchItem(2), batchItem(1)), map[string]any{"dryRun": "true"}, 200, []int{0, 2, 1}, true},
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

// TestInvalidBatchItemRunsNothingAgainstTheEmulator runs a batch with one invalid item through the whole
// function (handler → reset → dts SDK client → emulator): the batch is refused with 400 (a failed invocation for
// a direct one) naming the item, and no partition moves. Regression: the valid items used to reset their
// partitions while the invalid one failed in its slot.
func TestInvalidBatchItemRunsNothingAgainstTheEmulator(t *testing.T) {
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
			var body ErrorBody
			status := 0
			if tt.http {
				resp, b := decodeIntegration(t, out)
				status, body = resp.StatusCode, b
			} else {
				var ie *InvokeError
				if !errors.As(err, &ie) || json.Unmarshal(ie.Body, &body) != nil {
					t.Fatalf("got %v, want a failed invocation with the error object", err)
				}
				status = StatusOf(ie.Err)
			}
			checkOutcome(t, status, body, refusal{400, "Resets[1].ResetMode", `Resets[1].ResetMode must be one of earliest, latest, datetime; got "earlist"`})
			if want, got := map[int32]int64{0: 5, 1: 5, 2: 5}, d.Committed(t, testkit.Group); !maps.Equal(got, want) {
				t.Errorf("committed %v, want %v: nothing may run", got, want)
			}
		})
	}
}
