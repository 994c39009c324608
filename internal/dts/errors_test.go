package dts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"

	"dtsreset/internal/reset"
)

// timeoutNetErr is what net/http reports when the SDK's ReqTimeout (http.Client.Timeout) hits.
type timeoutNetErr struct{}

func (timeoutNetErr) Error() string   { return "Client.Timeout exceeded while awaiting headers" }
func (timeoutNetErr) Timeout() bool   { return true }
func (timeoutNetErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	sdk := func(code string) error { return tcerr.NewTencentCloudSDKError(code, "upstream says", "rid-1") }
	network := func(cause error) error {
		return tcerr.NewTencentCloudSDKErrorWithCause(codeNetwork, "Fail to get response", "", cause)
	}
	tests := []struct {
		name      string
		err       error
		kind      reset.Kind
		code      string
		retryable bool
	}{
		{"InvalidParameter", sdk("InvalidParameter"), reset.KindInvalid, "InvalidParameter", false},
		{"InvalidParameter sub-code", sdk("InvalidParameter.InvalidParameterError"), reset.KindInvalid, "InvalidParameter.InvalidParameterError", false},
		{"InvalidParameterValue", sdk("InvalidParameterValue"), reset.KindInvalid, "InvalidParameterValue", false},
		{"MissingParameter", sdk("MissingParameter.MissingParameterError"), reset.KindInvalid, "MissingParameter.MissingParameterError", false},
		{"UnknownParameter", sdk("UnknownParameter"), reset.KindInvalid, "UnknownParameter", false},
		{"UnsupportedOperation", sdk("UnsupportedOperation.UnsupportedOperationError"), reset.KindInvalid, "UnsupportedOperation.UnsupportedOperationError", false},
		{"ResourceNotFound", sdk("ResourceNotFound.ResourceNotFoundError"), reset.KindNotFound, "ResourceNotFound.ResourceNotFoundError", false},
		{"OperationDenied", sdk("OperationDenied.OperationDeniedError"), reset.KindForbidden, "OperationDenied.OperationDeniedError", false},
		{"FailedOperation", sdk("FailedOperation"), reset.KindConflict, "FailedOperation", false},
		{"RequestLimitExceeded", sdk("RequestLimitExceeded"), reset.KindThrottled, "RequestLimitExceeded", true},
		{"AuthFailure", sdk("AuthFailure"), reset.KindUpstream, "AuthFailure", false},
		{"AuthFailure.SignatureExpire", sdk("AuthFailure.SignatureExpire"), reset.KindUpstream, "AuthFailure.SignatureExpire", false},
		{"AuthFailure.TokenFailure", sdk("AuthFailure.TokenFailure"), reset.KindUpstream, "AuthFailure.TokenFailure", false},
		{"UnauthorizedOperation", sdk("UnauthorizedOperation.UnauthorizedOperationError"), reset.KindUpstream, "UnauthorizedOperation.UnauthorizedOperationError", false},
		{"InternalError", sdk("InternalError"), reset.KindUpstream, "InternalError", true},
		{"InternalError sub-code", sdk("InternalError.InternalHttpServerError"), reset.KindUpstream, "InternalError.InternalHttpServerError", true},
		{"unknown code", sdk("LimitExceeded"), reset.KindUpstream, "LimitExceeded", false},
		{"a prefix is not a family", sdk("InternalErrorish"), reset.KindUpstream, "InternalErrorish", false},
		{"connection refused", network(&net.OpError{Op: "dial", Err: errors.New("connection refused")}), reset.KindUpstream, reset.CodeUpstreamFailure, true},
		{"connection reset", network(&url.Error{Op: "Post", URL: "http://x", Err: errors.New("EOF")}), reset.KindUpstream, reset.CodeUpstreamFailure, true},
		{"ctx deadline inside the SDK", network(&url.Error{Op: "Post", URL: "http://x", Err: context.DeadlineExceeded}), reset.KindTimeout, reset.CodeDeadlineExceeded, false},
		{"ReqTimeout inside the SDK", network(&url.Error{Op: "Post", URL: "http://x", Err: timeoutNetErr{}}), reset.KindTimeout, reset.CodeDeadlineExceeded, false},
		{"cancelled", network(context.Canceled), reset.KindTimeout, reset.CodeDeadlineExceeded, false},
		{"bare deadline", fmt.Errorf("wait: %w", context.DeadlineExceeded), reset.KindTimeout, reset.CodeDeadlineExceeded, false},
		{"non-JSON reply", sdk(codeParseJSON), reset.KindUpstream, reset.CodeUpstreamFailure, true},
		{"body read failure", sdk(codeIO), reset.KindUpstream, reset.CodeUpstreamFailure, true},
		{"HTTP 502 with JSON", tcerr.NewTencentCloudSDKError(codeHTTPStatus, "Request fail with http status code: 502 Bad Gateway, with body: {}", ""), reset.KindUpstream, reset.CodeUpstreamFailure, true},
		{"HTTP 404 with JSON", tcerr.NewTencentCloudSDKError(codeHTTPStatus, "Request fail with http status code: 404 Not Found, with body: {}", ""), reset.KindUpstream, reset.CodeUpstreamFailure, false},
		{"no credentials in the SDK chain", sdk(codeCredential), reset.KindUpstream, reset.CodeUpstreamAuth, false},
		{"anything else", errors.New("boom"), reset.KindUpstream, reset.CodeUpstreamFailure, false},
		{"already ours", reset.Errorf(reset.KindConflict, reset.CodeGroupActive, "x"), reset.KindConflict, reset.CodeGroupActive, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, retryable := classify(tt.err, "DescribeConsumerGroups")
			if e.Kind != tt.kind || e.Code != tt.code || retryable != tt.retryable {
				t.Errorf("got %v %q retryable=%v, want %v %q retryable=%v", e.Kind, e.Code, retryable, tt.kind, tt.code, tt.retryable)
			}
			if e.Kind != reset.KindInternal && !errors.Is(e, tt.err) && e.Err != tt.err {
				t.Errorf("got cause %v, want %v kept in Err", e.Err, tt.err)
			}
			if strings.HasPrefix(tt.code, "AuthFailure") || strings.HasPrefix(tt.code, "Unauthorized") {
				if !strings.Contains(e.Message, "execution role") || !strings.Contains(e.Message, "dts:DescribeConsumerGroups") {
					t.Errorf("got message %q, want it to name the execution role and dts:DescribeConsumerGroups", e.Message)
				}
			}
			if tt.kind == reset.KindThrottled && e.RetryAfter != time.Second {
				t.Errorf("got RetryAfter %v, want 1s", e.RetryAfter)
			}
			var sdkErr *tcerr.TencentCloudSDKError
			if errors.As(tt.err, &sdkErr) && sdkErr.RequestId != "" && tt.code != reset.CodeUpstreamAuth && e.RequestID != sdkErr.RequestId {
				t.Errorf("got RequestId %q, want %q kept", e.RequestID, sdkErr.RequestId)
			}
		})
	}
	if Classify(nil, "X") != nil {
		t.Error("Classify(nil): got an error, want nil")
	}
}

// TestRateLimiterSpacesCalls runs in a synctest bubble, so the limiter's clock is fake: deterministic and
// instant.
func TestRateLimiterSpacesCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := NewClient(Options{Region: "ap-guangzhou", RateLimitPerSecond: 5, Credentials: testCreds})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		start := time.Now()
		var at []time.Duration
		for range 12 {
			if err := c.wait(ctx, ActionResetConsumerGroupOffset); err != nil {
				t.Fatal(err)
			}
			at = append(at, time.Since(start))
		}
		// One call fewer than the API's 5 per window, the window 50ms longer: 4 at once (a reset's calls do
		// not wait), then 4 more 1.05s later, and so on.
		window := time.Second + limiterSlack
		for i, got := range at {
			if want := time.Duration(i/4) * window; got != want {
				t.Errorf("call %d at %v, want %v", i, got, want)
			}
		}
		// What the API counts: never 5 calls in a second, even when arrival jitter brings calls 50ms closer.
		for i := range at {
			n := 0
			for _, later := range at[i:] {
				if later-at[i] < window {
					n++
				}
			}
			if n > 4 {
				t.Errorf("%d calls within %v from %v, want at most 4 (the API admits 5 per second)", n, window, at[i])
			}
		}
		// Another action has its own budget.
		before := time.Now()
		if err := c.wait(ctx, ActionDescribeConsumerGroups); err != nil || time.Since(before) != 0 {
			t.Errorf("got wait %v err %v for another action, want none", time.Since(before), err)
		}
		// A wait that would pass the deadline is refused at once, as throttling.
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		err = c.wait(short, ActionResetConsumerGroupOffset)
		if e := reset.AsError(err); e.Kind != reset.KindThrottled || e.RetryAfter != time.Second {
			t.Errorf("got %v, want throttled with Retry-After 1s", err)
		}
	})
}
