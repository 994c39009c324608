package dts

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/reset"
)

// callAction calls action on c with a fixed request.
func callAction(ctx context.Context, c *Client, action string) error {
	var err error
	switch action {
	case ActionResetConsumerGroupOffset:
		_, err = c.ResetConsumerGroupOffset(ctx, "", reset.ResetCall{SubscribeID: "subs-abc123",
			TopicName: "topic-subs-abc123-cdb-1", ConsumerGroupName: "consumer-grp-subs-abc123-g1",
			PartitionNos: []int{0}, ResetMode: "earliest"})
	case ActionDescribeConsumerGroups:
		_, err = c.DescribeConsumerGroups(ctx, "", "subs-abc123", 0, 100)
	case ActionDescribeOffsetByTime:
		_, err = c.DescribeOffsetByTime(ctx, "", "subs-abc123", "2023-05-16 00:00:00")
	case ActionDescribeSubscribeDetail:
		_, err = c.DescribeSubscribeDetail(ctx, "", "subs-abc123")
	default:
		panic(action)
	}
	return err
}

// TestUpstreamOdditiesAreUpstreamFailures is the regression test of issue 12, item 7: answers no correct DTS
// gives — an error with a blank, padded or garbled Code, a 200 reply whose content type is not JSON
// (text/event-stream reached the SDK's SSE reader and came back as ClientError.TypeError, passed through
// verbatim), offsets below -1, a success without a RequestId — are upstream failures: 502
// InternalError.UpstreamFailure naming the action, retried like an unreadable reply, never a success and
// never the odd code passed on.
func TestUpstreamOdditiesAreUpstreamFailures(t *testing.T) {
	const groupsWith = `{"Response":{"TotalCount":1,"Items":[{"ConsumerGroupName":"consumer-grp-subs-abc123-g1",` +
		`"ConsumerGroupState":"Empty","StateOfPartition":[%s]}],"RequestId":"%%s"}}`
	tests := []struct {
		name    string
		actions []string // every action when empty
		ct      string   // Content-Type of the reply; application/json when empty
		body    string   // %s is the RequestId
		wantRID bool     // the RequestId reaches the error
	}{
		{name: "blank Code", body: `{"Response":{"Error":{"Code":"","Message":"x"},"RequestId":"%s"}}`, wantRID: true},
		{name: "whitespace Code", body: `{"Response":{"Error":{"Code":"  \t","Message":"x"},"RequestId":"%s"}}`, wantRID: true},
		{name: "Code with a space", body: `{"Response":{"Error":{"Code":"Auth Failure","Message":"x"},"RequestId":"%s"}}`, wantRID: true},
		{name: "Code with a newline", body: `{"Response":{"Error":{"Code":"InternalError\nX","Message":"x"},"RequestId":"%s"}}`, wantRID: true},
		{name: "text/event-stream", ct: "text/event-stream", body: `{"Response":{"RequestId":"%s"}}`},
		{name: "text/html", ct: "text/html; charset=utf-8", body: `{"Response":{"RequestId":"%s"}}`},
		{name: "success without RequestId", body: `{"Response":{"TotalCount":0,"Items":[]%.0s}}`},
		{name: "success with a blank RequestId", body: `{"Response":{"Items":[],"RequestId":" %.0s"}}`},
		{name: "committed offset below -1", actions: []string{ActionDescribeConsumerGroups},
			body: fmt.Sprintf(groupsWith, `{"PartitionNo":0,"ConsumerGroupOffset":-2,"ConsumerGroupLag":0}`), wantRID: true},
		{name: "negative lag", actions: []string{ActionDescribeConsumerGroups},
			body: fmt.Sprintf(groupsWith, `{"PartitionNo":0,"ConsumerGroupOffset":5,"ConsumerGroupLag":-3}`), wantRID: true},
		{name: "offset by time below 0", actions: []string{ActionDescribeOffsetByTime},
			body: `{"Response":{"Items":[{"PartitionNo":0,"Offset":-1}],"RequestId":"%s"}}`, wantRID: true},
	}
	for _, tt := range tests {
		actions := tt.actions
		if len(actions) == 0 {
			actions = actionsList()
		}
		for _, action := range actions {
			t.Run(tt.name+"/"+action, func(t *testing.T) {
				f := newFakeDTS(t)
				f.setFault(func(_ int, s seen, w http.ResponseWriter, _ *http.Request) bool {
					ct := tt.ct
					if ct == "" {
						ct = "application/json"
					}
					w.Header().Set("Content-Type", ct)
					w.Header().Set("X-TC-RequestId", s.RequestID)
					io.WriteString(w, fmt.Sprintf(tt.body, s.RequestID))
					return true
				})
				c := newTestClient(t, f, Options{})
				err := callAction(ctxTimeout(t, 5*time.Second), c, action)
				if err == nil {
					t.Fatal("got success, want an upstream failure")
				}
				e := reset.AsError(err)
				if e.Kind != reset.KindUpstream || e.Code != reset.CodeUpstreamFailure || !strings.Contains(e.Message, action) {
					t.Errorf("got %v (kind %v), want upstream %s naming %s", err, e.Kind, reset.CodeUpstreamFailure, action)
				}
				reqs := f.requests()
				if len(reqs) != DefaultMaxAttempts {
					t.Errorf("got %d attempts, want %d (retried as an unreadable reply)", len(reqs), DefaultMaxAttempts)
				}
				if want := reqs[len(reqs)-1].RequestID; tt.wantRID && e.RequestID != want {
					t.Errorf("got RequestId %q, want the last reply's %q", e.RequestID, want)
				}
			})
		}
	}
}

func actionsList() []string { return actions[:] }
