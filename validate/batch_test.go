package validate

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// batchOf wraps items (raw JSON) in {"Resets": [...]}.
func batchOf(items ...string) string {
	return `{"Resets": [` + strings.Join(items, ", ") + `]}`
}

func repeat(item string, n int) []string {
	items := make([]string, n)
	for i := range items {
		items[i] = item
	}
	return items
}

func TestDecodeBatchValid(t *testing.T) {
	for _, n := range []int{1, 2, 50} {
		t.Run(fmt.Sprint(n, " items"), func(t *testing.T) {
			items := repeat(payload(), n)
			items[n-1] = payload("ResetMode", `"LATEST"`, "ConsumerGroupName", `"g2"`) // the last differs, to see order kept
			d, err := Decode([]byte(batchOf(items...)), now)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			reqs := d.Requests
			if !d.Batch || len(reqs) != n {
				t.Fatalf("Decode = %d requests, batch %v; want %d, true", len(reqs), d.Batch, n)
			}
			want := baseRequest()
			if n > 1 && !reflect.DeepEqual(reqs[0], want) {
				t.Errorf("reqs[0] = %+v, want %+v", reqs[0], want)
			}
			want.ResetMode, want.ConsumerGroupName = "latest", "consumer-grp-"+subs+"-g2"
			if !reflect.DeepEqual(reqs[n-1], want) {
				t.Errorf("reqs[%d] = %+v, want %+v", n-1, reqs[n-1], want)
			}
		})
	}
}

func TestDecodeSingleIsNotBatch(t *testing.T) {
	d, err := Decode([]byte(payload()), now)
	if err != nil || d.Batch || len(d.Requests) != 1 || !reflect.DeepEqual(d.Requests[0], baseRequest()) {
		t.Fatalf("Decode = %+v, %v; want one request, not a batch", d, err)
	}
}

// fieldRules renders FieldErrors as Field:Rule, checking on the way that each message starts with its field.
func fieldRules(t *testing.T, fields []FieldError) []string {
	t.Helper()
	var got []string
	for _, f := range fields {
		got = append(got, f.Field+":"+f.Rule)
		if !startsWithField(f.Message, f.Field) {
			t.Errorf("message %q does not start with its field %q", f.Message, f.Field)
		}
	}
	return got
}

// TestDecodeBatchInvalid: a batch whose shape is wrong is one error for the whole payload, and its items are
// not looked at (the item problems a row holds must not show).
func TestDecodeBatchInvalid(t *testing.T) {
	bad := payload("ResetMode", `"earlist"`)
	tests := []struct {
		name string
		json string
		want []string // Field:Rule of every problem, in order
		msgs []string // each appears in Error()
	}{
		{"no items", batchOf(), []string{"Resets:min"}, []string{"Resets must hold at least one reset"}},
		{"51 items", batchOf(repeat(payload(), 51)...), []string{"Resets:max"}, []string{"at most 50 resets; got 51"}},
		{"51 invalid items", batchOf(repeat(bad, 51)...), []string{"Resets:max"}, []string{"at most 50 resets; got 51"}},
		{"1000 items", batchOf(repeat("1", 1000)...), []string{"Resets:max"}, []string{"got 1000"}},
		{"Resets not an array", `{"Resets": {}}`, []string{"Resets:type"}, []string{"Resets must be an array of 1 to 50 reset objects; got an object"}},
		{"Resets null", `{"Resets": null}`, []string{"Resets:type"}, []string{"got null"}},
		{"reset field beside Resets", `{"SubscribeId": "subs-1", "Resets": [` + payload() + `, ` + bad + `]}`, []string{"SubscribeId:unknown"},
			[]string{"SubscribeId is not allowed beside Resets", "put SubscribeId in each item"}},
		{"unknown key beside Resets", `{"Resets": [` + bad + `], "Reset": 1}`, []string{"Reset:unknown"}, []string{"Reset: unknown field; did you mean Resets?"}},
		{"duplicate Resets", `{"Resets": [` + payload() + `], "Resets": []}`, []string{"Resets:duplicate"}, []string{"Resets appears more than once"}},
		{"duplicate Resets and a key beside", `{"Resets": [3], "DryRun": true, "Resets": [` + payload() + `]}`,
			[]string{"DryRun:unknown", "Resets:duplicate"}, []string{"DryRun is not allowed beside Resets", "Resets appears more than once"}},
		{"empty and a key beside", `{"Resets": [], "x": 1}`, []string{"x:unknown", "Resets:min"}, []string{"x: unknown field; the fields are Resets", "Resets must hold at least one reset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode([]byte(tt.json), now)
			if d.Requests != nil || !d.Batch {
				t.Errorf("Decode = %d requests, batch %v; want none, true", len(d.Requests), d.Batch)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if got := fieldRules(t, e.Fields); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields:\ngot  %v\nwant %v", got, tt.want)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(e.Error(), m) {
					t.Errorf("Error() = %q\ndoes not contain %q", e.Error(), m)
				}
			}
		})
	}
}

// TestBatchWithOneInvalidItemRunsNothing (SPEC §3): a batch is validated whole. One invalid item refuses the
// whole batch with every problem of every item, each under its item's path, and no request is returned, so no
// item runs. (It used to run the valid items and answer 207 with the invalid one as its own slot; a timer batch
// with a typo then re-ran its valid items on every SCF retry.)
func TestBatchWithOneInvalidItemRunsNothing(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string // Field:Rule of every problem, in order
		msgs []string // each appears in Error()
	}{
		{"one invalid among valid ones", batchOf(payload(), payload("ResetMode", `"earlist"`), payload("ResetMode", `"latest"`)),
			[]string{"Resets[1].ResetMode:oneof"},
			[]string{`Resets[1].ResetMode must be one of earliest, latest, datetime; got "earlist"`}},
		{"item not an object", batchOf(payload(), `"x"`),
			[]string{"Resets[1]:type"}, []string{"Resets[1] must be a JSON object (one reset); got a string"}},
		{"null item", batchOf(`null`), []string{"Resets[0]:type"}, []string{"got null"}},
		{
			"mixed valid and invalid items",
			batchOf(payload(), payload("ResetMode", `"earlist"`), `3`, payload(), payload("ResetMod", `"x"`, "PartitionNos", `[1.5]`)),
			[]string{"Resets[1].ResetMode:oneof", "Resets[2]:type", "Resets[4].PartitionNos[0]:type", "Resets[4].ResetMod:unknown"},
			[]string{"Resets[4].ResetMod: unknown field; did you mean ResetMode?"},
		},
		{"every item invalid", batchOf(`{}`, `[]`),
			[]string{"Resets[0].SubscribeId:required", "Resets[0].TopicName:required", "Resets[0].ConsumerGroupName:required",
				"Resets[0].PartitionNos:required_without", "Resets[0].ResetMode:required", "Resets[1]:type"}, nil},
		{"datetime in an item", batchOf(payload(), payload("ResetMode", `"datetime"`, "ResetDatetime", `"2099-01-01 00:00:00"`)),
			[]string{"Resets[1].ResetDatetime:future"}, []string{"Resets[1].ResetDatetime must not be more than 1 minute in the future"}},
		{"duplicate key in an item", batchOf(strings.TrimSuffix(payload(), "}") + `, "DryRun": true, "DryRun": false}`),
			[]string{"Resets[0].DryRun:duplicate"}, []string{"Resets[0].DryRun appears more than once"}},
		{"50 items, the last invalid", batchOf(append(repeat(payload(), 49), `{"ResetMode": "latest"}`)...),
			[]string{"Resets[49].SubscribeId:required", "Resets[49].TopicName:required", "Resets[49].ConsumerGroupName:required",
				"Resets[49].PartitionNos:required_without"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode([]byte(tt.json), now)
			if d.Requests != nil || !d.Batch {
				t.Errorf("Decode = %d requests, batch %v; want none, true", len(d.Requests), d.Batch)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if got := fieldRules(t, e.Fields); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields:\ngot  %v\nwant %v", got, tt.want)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(e.Error(), m) {
					t.Errorf("Error() = %q\ndoes not contain %q", e.Error(), m)
				}
			}
		})
	}
}

// TestPayloadRefusesBatch: callers that want exactly one reset get a clear unknown-field error for a batch.
func TestPayloadRefusesBatch(t *testing.T) {
	_, err := Payload([]byte(batchOf(payload())), now)
	checkFirst(t, err, "Resets", "unknown", []string{"Resets: unknown field"})
}
