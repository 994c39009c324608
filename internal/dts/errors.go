package dts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"

	"dtsreset/internal/reset"
)

// SDK client-side codes (the SDK's, not the API's).
const (
	codeNetwork    = "ClientError.NetworkError"
	codeParseJSON  = "ClientError.ParseJsonError"
	codeHTTPStatus = "ClientError.HttpStatusCodeError"
	codeIO         = "ClientError.IOError"
	codeCredential = "ClientError.CredentialError"
)

// throttleRetryAfter is what a throttled caller is told to wait: the API's limit is per second.
const throttleRetryAfter = time.Second

// Classify maps an error from a DTS call (an SDK error, a context error, a transport error) to a *reset.Error.
// action names the API action, for messages. An *reset.Error is returned as it is.
func Classify(err error, action string) *reset.Error {
	e, _ := classify(err, action)
	return e
}

// classify is Classify plus whether a new attempt may succeed where this one failed.
func classify(err error, action string) (e *reset.Error, retryable bool) {
	if err == nil {
		return nil, false
	}
	var ours *reset.Error
	if errors.As(err, &ours) {
		return ours, false
	}

	var role *roleError
	if errors.As(err, &role) {
		return role.resetError(), false
	}
	var bad *badReply
	if errors.As(err, &bad) {
		// Found before the SDK error that may wrap it (the transport's refusal reaches us as a NetworkError).
		return &reset.Error{Kind: reset.KindUpstream, Code: reset.CodeUpstreamFailure, RequestID: bad.requestID,
			Message: fmt.Sprintf("DTS answered %s with a reply that cannot be right (%s)", action, bad.why), Err: err}, true
	}

	var sdk *tcerr.TencentCloudSDKError
	if !errors.As(err, &sdk) {
		if isTimeout(err) {
			return timeoutError(err, action), false
		}
		return &reset.Error{Kind: reset.KindUpstream, Code: reset.CodeUpstreamFailure,
			Message: fmt.Sprintf("calling DTS %s failed", action), Err: err}, false
	}
	return classifySDK(sdk, err, action)
}

// classifySDK maps an SDK error: the SDK's own client-side codes, then the API's code families.
func classifySDK(sdk *tcerr.TencentCloudSDKError, err error, action string) (*reset.Error, bool) {
	code := sdk.Code
	mk := func(kind reset.Kind, code, msg string) *reset.Error {
		return &reset.Error{Kind: kind, Code: code, Message: msg, RequestID: sdk.RequestId, Err: err}
	}
	if !wellFormedCode(code) {
		// A blank, padded or garbled code is an answer we cannot read, never a code to pass on: a caller's
		// automation keys on it. Retried as unreadable replies are.
		return mk(reset.KindUpstream, reset.CodeUpstreamFailure,
			fmt.Sprintf("DTS answered %s with an error without a readable code", action)), true
	}
	switch {
	// The transport failed: a ctx deadline or the SDK's ReqTimeout is the invocation running out of time
	// (checked first: the SDK wraps both as NetworkError); anything else is a failure worth another attempt.
	case code == codeNetwork || code == codeIO:
		if isTimeout(err) {
			return timeoutError(err, action), false
		}
		return mk(reset.KindUpstream, reset.CodeUpstreamFailure,
			fmt.Sprintf("could not reach DTS for %s", action)), true
	case code == codeParseJSON:
		// A gateway's HTML error page or a truncated body; the SDK's message quotes the body, so it stays in
		// the cause (logged) and not in the caller's message.
		return mk(reset.KindUpstream, reset.CodeUpstreamFailure,
			fmt.Sprintf("DTS answered %s with an unreadable reply", action)), true
	case code == codeHTTPStatus:
		return mk(reset.KindUpstream, reset.CodeUpstreamFailure,
			fmt.Sprintf("DTS answered %s with an HTTP error", action)), is5xx(sdk.Message)
	case code == codeCredential:
		return credentialError(err), false

	case family(code, "InvalidParameter", "InvalidParameterValue", "MissingParameter", "UnknownParameter",
		"UnsupportedOperation"):
		return mk(reset.KindInvalid, code, sdk.Message), false
	case family(code, "ResourceNotFound"):
		return mk(reset.KindNotFound, code, sdk.Message), false
	case family(code, "OperationDenied"):
		return mk(reset.KindForbidden, code, sdk.Message), false
	case family(code, "FailedOperation"):
		return mk(reset.KindConflict, code, sdk.Message), false
	case family(code, "RequestLimitExceeded"):
		e := mk(reset.KindThrottled, code,
			fmt.Sprintf("DTS is throttling %s (at most 20 requests/s per action); retry in a second", action))
		e.RetryAfter = throttleRetryAfter
		return e, true
	case family(code, "AuthFailure", "UnauthorizedOperation"):
		// Not the caller's fault: DTS refused the credentials the function signs with. Say so, so that the
		// operator fixes the execution role instead of the caller retrying.
		return mk(reset.KindUpstream, code,
			fmt.Sprintf("DTS refused the function's credentials for dts:%s (%s): check the function's execution "+
				"role (it must exist and its policy must allow dts:%s on this subscription) or, for a local run, "+
				"the configured keys", action, sdk.Message, action)), false
	case family(code, "InternalError", "ResourceUnavailable", "ServiceUnavailable"):
		return mk(reset.KindUpstream, code,
			fmt.Sprintf("DTS failed to process %s (%s); try again later", action, sdk.Message)), true
	}
	if isTimeout(err) {
		return timeoutError(err, action), false
	}
	return mk(reset.KindUpstream, code, fmt.Sprintf("DTS answered %s with %s: %s", action, code, sdk.Message)), false
}

// codePattern is the shape of every code the API and the SDK use: dot-separated words ("AuthFailure",
// "ResourceNotFound.ResourceNotFoundError", "ClientError.NetworkError").
var codePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9_]+)*$`)

func wellFormedCode(code string) bool { return len(code) <= 128 && codePattern.MatchString(code) }

// badReply is a DTS answer that arrived whole but cannot be right: a content type that is not JSON (the SDK
// would hand a text/event-stream reply to its SSE reader, or read HTML as JSON), a success without a
// RequestId, offsets below -1. It is an upstream failure (502) and worth another attempt, like an unreadable
// reply. why is safe to show: it names the oddity, never quotes the body.
type badReply struct {
	why       string
	requestID string
}

func (e *badReply) Error() string { return "unusable DTS reply: " + e.why }

// family reports whether code is one of the families: the code itself or a sub-code of it ("X.Y").
func family(code string, families ...string) bool {
	for _, f := range families {
		if code == f || (strings.HasPrefix(code, f) && len(code) > len(f) && code[len(f)] == '.') {
			return true
		}
	}
	return false
}

// isTimeout covers ctx's deadline, a cancelled invocation, and the http.Client timeout the SDK's ReqTimeout
// sets (which net/http reports as a net.Error with Timeout, and as context.DeadlineExceeded).
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func timeoutError(err error, action string) *reset.Error {
	msg := fmt.Sprintf("the invocation deadline passed before DTS answered %s", action)
	if errors.Is(err, context.Canceled) {
		msg = fmt.Sprintf("the invocation was cancelled before DTS answered %s", action)
	}
	return &reset.Error{Kind: reset.KindTimeout, Code: reset.CodeDeadlineExceeded, Message: msg, Err: err}
}

// is5xx reads the status out of the SDK's "Request fail with http status code: 502 Bad Gateway, ..." message,
// the only place it keeps it.
func is5xx(msg string) bool {
	const marker = "status code: "
	i := strings.Index(msg, marker)
	return i >= 0 && len(msg) > i+len(marker) && msg[i+len(marker)] == '5'
}
