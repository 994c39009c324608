package dts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// FuzzDecodeResponse feeds arbitrary bodies to the response decoder of every action. Invariants: it never
// panics, and it reports success only for a valid JSON body with a Response object and no Error in it (no
// key that encoding/json would read as Error, whatever its case, holding anything but null: an Error without
// a Code is a failure too).
func FuzzDecodeResponse(f *testing.F) {
	for _, c := range canned {
		f.Add([]byte(fmt.Sprintf(c, "seed-request-id")))
	}
	f.Add([]byte(errorReply("InternalError", "x", "r")))
	f.Add([]byte(`{"Response":{"Items":[{"PartitionNo":1e400}]}}`))
	f.Add([]byte(`<html>502</html>`))
	f.Add([]byte(`{"Response":{"Error":{"Message":"x"},"RequestId":"r"}}`))
	f.Add([]byte(`{"Response":{"Error":{},"RequestId":"r"}}`))
	f.Add([]byte(`{"Response":{"Error":null,"RequestId":"r"}}`))
	f.Add([]byte(`{"Response":{"error":{"Code":""},"Error":null}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		outs := []any{&ResetConsumerGroupOffsetResponse{}, &DescribeConsumerGroupsResponse{},
			&DescribeOffsetByTimeResponse{}, &DescribeSubscribeDetailResponse{}}
		for _, out := range outs {
			err := DecodeResponse(body, out)
			if err != nil {
				Classify(err, "Fuzz") // classification of any decode error must not panic either
				continue
			}
			if !json.Valid(body) {
				t.Fatalf("decoded invalid JSON %q", body)
			}
			var env struct {
				Response map[string]json.RawMessage
			}
			if json.Unmarshal(body, &env) != nil || env.Response == nil {
				t.Fatalf("decoded a body without a Response object: %q", body)
			}
			for k, v := range env.Response {
				if strings.EqualFold(k, "Error") && string(bytes.TrimSpace(v)) != "null" {
					t.Fatalf("decoded a body whose Response has an Error (%s: %s) as a success: %q", k, v, body)
				}
			}
			if g, ok := out.(*DescribeConsumerGroupsResponse); ok {
				g.groupPage()
			}
		}
	})
}
