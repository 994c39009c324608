package validate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode. Invariants:
//   - it never panics;
//   - on success the requests are as checkRequests (batch_fuzz_test.go) states: 1 to 50 (exactly 1 when it is
//     not a batch), each satisfying the rules as checkRequest states them without the validator, and encoded as
//     JSON and decoded with Payload (same clock) each comes back unchanged, so normalising is idempotent;
//   - on failure err is an *Error holding at least one FieldError, each with a field, a rule and a message,
//     and no request is returned.
//
// The corpus is seeded with the payloads below and with every *.json under ../events/ when that directory exists.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		payload(),
		payload("ResetMode", `"datetime"`, "ResetDatetime", `"now-2h30m"`),
		payload("ResetMode", `"Datetime"`, "ResetDatetime", `"2024-05-16T00:00:00-05:00"`, "DryRun", "true"),
		payload("PartitionNos", "", "AllPartitions", "true", "Region", `"ap-guangzhou"`),
		payload("PartitionNos", `["0", "12", 3]`, "ConsumerGroupName", `"consumer-grp-subs-635ns8r71g-1"`),
		payload("ResetMod", `"latest"`),
		payload("MaxReplay", "1000", "MaxSkip", "0"),
		payload("MaxReplay", "-1", "MaxSkip", `"5"`),
		payload("PartitionNos", `[1, 1, -1, 1.5, "x"]`),
		strings.TrimSuffix(payload(), "}") + `, "ResetMode": "latest"}`,
		batchOf(payload(), payload("ResetMode", `"latest"`)),
		batchOf(payload(), `3`, `{}`),
		`{"Resets": []}`,
		`[]`, `{}`, `null`, ``, `{"a":`, "{\"SubscribeId\":\"subs-\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	if entries, err := os.ReadDir("../events"); err == nil {
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			if data, err := os.ReadFile(filepath.Join("../events", e.Name())); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(data, now)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if len(e.Fields) == 0 {
				t.Fatalf("*Error without FieldErrors: %q", e.Message)
			}
			for _, fe := range e.Fields {
				if fe.Field == "" || fe.Rule == "" || fe.Message == "" {
					t.Fatalf("incomplete FieldError %+v", fe)
				}
			}
			if d.Requests != nil {
				t.Fatalf("requests %+v returned with an error", d.Requests)
			}
			return
		}
		checkRequests(t, d, now)
		for i, req := range d.Requests {
			again, err := json.Marshal(req)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got, err := Payload(again, now)
			if err != nil {
				t.Fatalf("request %d %s no longer valid: %v", i, again, err)
			}
			if !reflect.DeepEqual(got, req) {
				t.Fatalf("request %d changed on a second pass:\nfirst  %+v\nsecond %+v", i, req, got)
			}
		}
	})
}
