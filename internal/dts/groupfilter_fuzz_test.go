package dts

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzGroupFilter feeds arbitrary replies to the streaming filter of DescribeConsumerGroups. Invariants: it
// never panics; it never turns a failure into a success (when the whole reply does not decode, the rewritten
// one does not either); and when both decode, the rewritten reply holds exactly the whole reply's groups of
// the wanted name, with the same TotalCount and RequestId. The filter may refuse a reply the whole decode
// accepts (a first, non-object Response shadowed by a later one): refusing is the safe side.
func FuzzGroupFilter(f *testing.F) {
	f.Add(pageOf("r", "consumer-grp-subs-abc123-a", wantGroup))
	f.Add(pageOf("r"))
	f.Add(errorReply("InternalError", "x", "r"))
	f.Add(`{"Response":{"Items":[{"ConsumerGroupName":"x"}],"items":[{"consumergroupname":"` + wantGroup + `"}],"RequestId":"r"}}`)
	f.Add(`{"Response":{"error":{"Code":""},"Items":null,"RequestId":"r"}}`)
	f.Add(`{"Response":1,"Response":{"Items":[],"RequestId":"r"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		flt := &groupFilter{want: wantGroup}
		small, err := flt.rewrite(strings.NewReader(body))
		if err != nil {
			Classify(err, ActionDescribeConsumerGroups) // must not panic either
			return
		}
		var whole, cut DescribeConsumerGroupsResponse
		werr := DecodeResponse([]byte(body), &whole)
		cerr := DecodeResponse(small, &cut)
		if werr != nil {
			if cerr == nil {
				t.Fatalf("the whole reply fails (%v) but the rewritten one %q decodes", werr, small)
			}
			return
		}
		if cerr != nil {
			return
		}
		var want []GroupInfo
		for _, g := range whole.Items {
			if g.ConsumerGroupName == wantGroup {
				want = append(want, g)
			}
		}
		if len(want) != len(cut.Items) || (len(want) > 0 && !reflect.DeepEqual(want, cut.Items)) ||
			whole.TotalCount != cut.TotalCount || whole.RequestID != cut.RequestID {
			t.Fatalf("whole %+v, rewritten %+v: the wanted groups, TotalCount or RequestId differ", whole, cut)
		}
		if len(flt.names) != len(whole.Items) {
			t.Fatalf("got %d names, want one per group (%d)", len(flt.names), len(whole.Items))
		}
	})
}
