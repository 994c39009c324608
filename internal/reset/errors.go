package reset

import (
	"dtsreset/validate"
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the edge: the handler maps each kind to one HTTP status, and nothing else.
type Kind int

// The kinds, from the caller's fault to ours and upstream's.
const (
	KindInternal         Kind = iota // a bug or a misconfiguration of ours
	KindInvalid                      // the caller's payload breaks a rule
	KindUnauthorized                 // missing or wrong bearer token
	KindForbidden                    // SubscribeId outside the allow-list
	KindNotFound                     // the subscription, group or partition does not exist
	KindMethodNotAllowed             // an HTTP method other than POST
	KindConflict                     // the group is active, or the API ignored the reset
	KindTooLarge                     // the request body is over the limit
	KindThrottled                    // RequestLimitExceeded after our retries
	KindUpstream                     // DTS failed, or refused the function's own credentials
	KindTimeout                      // the invocation deadline passed
)

var kindNames = [...]string{"internal", "invalid", "unauthorized", "forbidden", "not_found", "method_not_allowed",
	"conflict", "too_large", "throttled", "upstream", "timeout"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error codes we originate. Upstream codes (AuthFailure.*, ResourceNotFound, ...) pass through unchanged.
const (
	CodeInvalidParameter = "InvalidParameter"
	CodeUnauthorized     = "Unauthorized"
	CodeOperationDenied  = "OperationDenied"
	CodeGroupNotFound    = "ResourceNotFound.ConsumerGroup"
	CodeMethodNotAllowed = "MethodNotAllowed"
	CodeGroupActive      = "FailedOperation.GroupActive"
	CodeResetNotApplied  = "FailedOperation.ResetNotApplied"
	CodeGuardExceeded    = "FailedOperation.GuardExceeded"
	CodeRequestTooLarge  = "RequestTooLarge"
	CodeRequestLimit     = "RequestLimitExceeded"
	CodeInternalError    = "InternalError"
	CodeConfig           = "InternalError.Config"
	CodeUpstreamFailure  = "InternalError.UpstreamFailure"
	CodeDeadlineExceeded = "InternalError.DeadlineExceeded"
	CodeUpstreamAuth     = "InternalError.RoleNotAuthorized"
)

// Error is the one error type of dtsreset. Message is safe to show to the caller; Err (the cause) is only logged.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	RequestID  string                // upstream RequestId, when DTS answered
	Fields     []validate.FieldError // for KindInvalid
	Details    any                   // structured context shown to the caller (e.g. the active group's members)
	RetryAfter time.Duration         // for KindThrottled
	Err        error
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.RequestID != "" {
		s += " (RequestId " + e.RequestID + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind and code.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError finds the *Error in err's chain; any other error becomes an InternalError that hides its text from
// the caller (the cause stays in Err for the log).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Code: CodeInternalError, Message: "internal error", Err: err}
}

// KindOf returns the kind of err, KindInternal for errors that are not ours.
func KindOf(err error) Kind { return AsError(err).Kind }
