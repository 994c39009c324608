package dts

import (
	"encoding/json"
	"fmt"
	"testing"
)

// FuzzDecodeResponse feeds arbitrary bodies to the response decoder of every action. Invariants: it never
// panics, and it reports success only for a valid JSON body with a Response object and no Error in it.
func FuzzDecodeResponse(f *testing.F) {
	for _, c := range canned {
		f.Add([]byte(fmt.Sprintf(c, "seed-request-id")))
	}
	f.Add([]byte(errorReply("InternalError", "x", "r")))
	f.Add([]byte(`{"Response":{"Items":[{"PartitionNo":1e400}]}}`))
	f.Add([]byte(`<html>502</html>`))
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
			if g, ok := out.(*DescribeConsumerGroupsResponse); ok {
				g.groupPage()
			}
		}
	})
}
