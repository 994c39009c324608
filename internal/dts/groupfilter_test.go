package dts

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"dtsreset/internal/reset"
)

const wantGroup = "consumer-grp-subs-abc123-g1"

// pageOf is a DescribeConsumerGroups reply listing names, each group with two partitions.
func pageOf(requestID string, names ...string) string {
	items := make([]string, len(names))
	for i, n := range names {
		items[i] = fmt.Sprintf(`{"ConsumerGroupName":%q,"ConsumerGroupState":"Empty","StateOfPartition":[`+
			`{"PartitionNo":0,"ConsumerGroupOffset":%d,"ConsumerGroupLag":1},{"PartitionNo":1,"ConsumerGroupOffset":-1,"ConsumerGroupLag":0}]}`, n, 10+i)
	}
	return fmt.Sprintf(`{"Response":{"TotalCount":%d,"Items":[%s],"RequestId":%q}}`, 120, strings.Join(items, ","), requestID)
}

// TestGroupFilterKeepsOnlyTheWantedGroup: the rewritten reply decodes to the same answer as the whole one,
// with only the wanted group in Items; every other key passes through verbatim (Error included, whatever its
// case) and the names of the page are all recorded; a later Items replaces an earlier one, as encoding/json
// decodes them.
func TestGroupFilterKeepsOnlyTheWantedGroup(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantNames []string
		wantItems int // groups named wantGroup in the rewritten reply
	}{
		{"on the page", pageOf("r", "consumer-grp-subs-abc123-a", wantGroup, "consumer-grp-subs-abc123-z"),
			[]string{"consumer-grp-subs-abc123-a", wantGroup, "consumer-grp-subs-abc123-z"}, 1},
		{"not on the page", pageOf("r", "consumer-grp-subs-abc123-a"), []string{"consumer-grp-subs-abc123-a"}, 0},
		{"a nested name is another group", pageOf("r", "consumer-grp-subs-abc123-consumer-grp-subs-abc123-g1"),
			[]string{"consumer-grp-subs-abc123-consumer-grp-subs-abc123-g1"}, 0},
		{"empty page", `{"Response":{"TotalCount":0,"Items":[],"RequestId":"r"}}`, []string{}, 0},
		{"null Items", `{"Response":{"TotalCount":0,"Items":null,"RequestId":"r"}}`, []string{}, 0},
		{"Items in another case", `{"Response":{"items":[{"ConsumerGroupName":"` + wantGroup + `"}],"RequestId":"r"}}`,
			[]string{wantGroup}, 1},
		{"a later Items wins", `{"Response":{"Items":[{"ConsumerGroupName":"x"}],"Items":[{"consumergroupname":"` + wantGroup + `"}],"RequestId":"r"}}`,
			[]string{wantGroup}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &groupFilter{want: wantGroup}
			small, err := f.rewrite(strings.NewReader(tt.body))
			if err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			if got := f.names; !slices.Equal(got, tt.wantNames) && !(len(got) == 0 && len(tt.wantNames) == 0) {
				t.Errorf("names: got %q, want %q", got, tt.wantNames)
			}
			var whole, cut DescribeConsumerGroupsResponse
			if err := DecodeResponse([]byte(tt.body), &whole); err != nil {
				t.Fatal(err)
			}
			if err := DecodeResponse(small, &cut); err != nil {
				t.Fatalf("decode the rewritten reply %s: %v", small, err)
			}
			var want []GroupInfo
			for _, g := range whole.Items {
				if g.ConsumerGroupName == wantGroup {
					want = append(want, g)
				}
			}
			if len(cut.Items) != tt.wantItems || (len(want) > 0 && !reflect.DeepEqual(cut.Items, want)) ||
				cut.TotalCount != whole.TotalCount || cut.RequestID != whole.RequestID {
				t.Errorf("got %+v, want %d item(s) %+v and TotalCount/RequestId of %+v", cut, tt.wantItems, want, whole)
			}
		})
	}
}

// TestGroupFilterPassesErrorsOn: an Error in the reply reaches the SDK and DecodeResponse as it came.
func TestGroupFilterPassesErrorsOn(t *testing.T) {
	for _, body := range []string{
		errorReply("ResourceNotFound", "no subscription", "r-1"),
		`{"Response":{"error":{"Message":"x"},"Items":[],"RequestId":"r-1"}}`,
		`{"Response":{"Error":{"Code":"InternalError","Message":"x"},"RequestId":"r-1"},"Other":[1,2]}`,
	} {
		f := &groupFilter{want: wantGroup}
		small, err := f.rewrite(strings.NewReader(body))
		if err != nil {
			t.Fatalf("rewrite(%s): %v", body, err)
		}
		var out DescribeConsumerGroupsResponse
		want := DecodeResponse([]byte(body), &out)
		got := DecodeResponse(small, &out)
		if want == nil || got == nil || got.Error() != want.Error() {
			t.Errorf("body %s: got %v, want %v", body, got, want)
		}
	}
}

// TestGroupFilterRefusesWhatIsNotJSON: a reply that is not JSON of the documented shape is a badReply; a read
// error of the connection is returned as it is (the transport's failure, or the deadline).
func TestGroupFilterRefusesWhatIsNotJSON(t *testing.T) {
	for _, body := range []string{``, `<html>502</html>`, `[]`, `{"Response":[]}`, `{"Response":null}`,
		`{"Response":{"Items":{}}}`, `{"Response":{"Items":[1]}}`, `{"Response":{"Items":[{"ConsumerGroupName":1}]}}`,
		pageOf("r", wantGroup)[:200], pageOf("r", wantGroup) + `{}`, pageOf("r", wantGroup) + `x`} {
		f := &groupFilter{want: wantGroup}
		_, err := f.rewrite(strings.NewReader(body))
		var bad *badReply
		if !errors.As(err, &bad) {
			t.Errorf("rewrite(%.60q): got %v, want a badReply", body, err)
		}
	}
	boom := errors.New("connection reset")
	f := &groupFilter{want: wantGroup}
	_, err := f.rewrite(io.MultiReader(strings.NewReader(pageOf("r", wantGroup)[:100]), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the read error itself", err)
	}
}

// TestConsumerGroupPageThroughTheClient: the port answers only the named group from a page of many, with
// every name, through the SDK and the signed HTTP exchange; an unreadable page is retried and then an
// upstream failure naming the action.
func TestConsumerGroupPageThroughTheClient(t *testing.T) {
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("consumer-grp-subs-abc123-other%02d", i)
	}
	names[99] = wantGroup
	f := newFakeDTS(t)
	f.setFault(func(_ int, s seen, w http.ResponseWriter, _ *http.Request) bool {
		io.WriteString(w, pageOf(s.RequestID, names...))
		return true
	})
	c := newTestClient(t, f, Options{})
	page, err := c.ConsumerGroupPage(ctxTimeout(t, 5*time.Second), "", "subs-abc123", wantGroup, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []reset.Group{{Name: wantGroup, State: "Empty",
		Partitions: []reset.PartitionState{{PartitionNo: 0, Offset: 109, Lag: 1}, {PartitionNo: 1, Offset: -1}}}}
	if !reflect.DeepEqual(page.Groups, want) || !slices.Equal(page.Names, names) || page.TotalCount != 120 ||
		page.RequestID != "req-DescribeConsumerGroups-1" {
		t.Errorf("got %+v (%d names), want %+v, the 100 names, TotalCount 120, the RequestId", page.Groups, len(page.Names), want)
	}

	f.setFault(func(_ int, s seen, w http.ResponseWriter, _ *http.Request) bool {
		io.WriteString(w, pageOf(s.RequestID, names...)[:5000])
		return true
	})
	before := len(f.requests())
	_, err = c.ConsumerGroupPage(ctxTimeout(t, 5*time.Second), "", "subs-abc123", wantGroup, 0, 100)
	e := reset.AsError(err)
	if e.Kind != reset.KindUpstream || e.Code != reset.CodeUpstreamFailure || !strings.Contains(e.Message, ActionDescribeConsumerGroups) {
		t.Errorf("truncated page: got %v, want an upstream failure naming %s", err, ActionDescribeConsumerGroups)
	}
	if n := len(f.requests()) - before; n != DefaultMaxAttempts {
		t.Errorf("truncated page: got %d attempts, want %d", n, DefaultMaxAttempts)
	}
}
