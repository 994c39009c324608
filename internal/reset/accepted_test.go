package reset

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestThrottledVerifyAfterAcceptedResetIs504 is the regression test of "429 after the reset was accepted"
// (issue 12, item 5): once ResetConsumerGroupOffset answered, a verify stopped by our own rate limiter, by
// DTS's RequestLimitExceeded, by the deadline or by an upstream failure answers 504 with the reset's RequestId
// ("accepted, outcome unknown"), never 429 or 502: a caller retrying a `latest` reset would move the group again.
func TestThrottledVerifyAfterAcceptedResetIs504(t *testing.T) {
	for _, tt := range []struct {
		name string
		poll *Error
	}{
		{"our limiter", &Error{Kind: KindThrottled, Code: CodeRequestLimit, RetryAfter: time.Second,
			Message: "too many DescribeConsumerGroups calls in flight (the API allows 20/s): retry in a second"}},
		{"DTS throttling after retries", &Error{Kind: KindThrottled, Code: "RequestLimitExceeded", RetryAfter: time.Second,
			RequestID: "describe-rid", Message: "DTS is throttling DescribeConsumerGroups"}},
		{"deadline", &Error{Kind: KindTimeout, Code: CodeDeadlineExceeded,
			Message: "the invocation deadline passed before DTS answered DescribeConsumerGroups"}},
		{"upstream 5xx after retries", &Error{Kind: KindUpstream, Code: "InternalError", RequestID: "describe-rid",
			Message: "DTS failed to process DescribeConsumerGroups"}},
		{"role refused", &Error{Kind: KindUpstream, Code: "AuthFailure.SignatureExpire", RequestID: "describe-rid",
			Message: "DTS refused the function's credentials"}},
	} {
		for _, mode := range []string{ModeLatest, ModeEarliest} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				s := newSim()
				f := s.newFake(t)
				f.reset = func(ctx context.Context, call ResetCall) (string, error) {
					rid, err := s.resetOffsets(ctx, call)
					f.groups = func(context.Context, int, int) (GroupPage, error) { return GroupPage{}, tt.poll }
					return rid, err
				}
				_, err := New(f, allOn()).Reset(t.Context(), request(mode, 0))
				e := wantError(t, err, KindTimeout, CodeDeadlineExceeded)
				if e.RequestID != "rid-1" || e.RetryAfter != 0 || !strings.Contains(e.Message, "outcome is unknown") ||
					!strings.Contains(e.Message, "rid-1") {
					t.Errorf("got RequestID %q, RetryAfter %v, message %q; want the reset's rid-1, no Retry-After, "+
						"\"outcome is unknown\"", e.RequestID, e.RetryAfter, e.Message)
				}
				if !strings.Contains(e.Message, tt.poll.Code) {
					t.Errorf("message %q lacks the poll's code %s", e.Message, tt.poll.Code)
				}
				if n := f.count("ResetConsumerGroupOffset"); n != 1 {
					t.Errorf("got %d resets, want 1", n)
				}
			})
		}
	}
}

// TestThrottledResetItselfStays429: before DTS accepted anything a throttled reset is a plain 429 (nothing
// was sent, so a retry is safe).
func TestThrottledResetItselfStays429(t *testing.T) {
	s := newSim()
	f := s.newFake(t)
	f.reset = func(context.Context, ResetCall) (string, error) {
		return "", &Error{Kind: KindThrottled, Code: CodeRequestLimit, RetryAfter: time.Second, Message: "throttled"}
	}
	_, err := New(f, allOn()).Reset(t.Context(), request(ModeLatest, 0))
	wantError(t, err, KindThrottled, CodeRequestLimit)
}
