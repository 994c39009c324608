package reset

import (
	"context"
	"errors"

	"dtsreset/validate"
)

// Invalid turns the payload's validation failure into a KindInvalid error with every failing field. Any other
// error is returned as AsError would: an *Error kept as is, anything else an internal error; nil stays nil.
func Invalid(err error) *Error {
	if err == nil {
		return nil
	}
	var ve *validate.Error
	if errors.As(err, &ve) {
		return &Error{Kind: KindInvalid, Code: CodeInvalidParameter, Message: ve.Message, Fields: ve.Fields,
			Err: err}
	}
	return AsError(err)
}

// portError is an error of the DTS port as the use case returns it: the port's *Error unchanged (its code and
// upstream RequestId must reach the caller), a context error as KindTimeout, anything else as an upstream
// failure whose text stays in the log.
func portError(action string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return ctxError(err, "waiting for DTS "+action)
	}
	return &Error{Kind: KindUpstream, Code: CodeUpstreamFailure, Message: "DTS " + action + " failed", Err: err}
}

// ctxError is the KindTimeout error for ctx's err, at the step named by where.
func ctxError(err error, where string) *Error {
	msg := "the invocation deadline passed " + where
	if errors.Is(err, context.Canceled) {
		msg = "the invocation was canceled " + where
	}
	return &Error{Kind: KindTimeout, Code: CodeDeadlineExceeded, Message: msg, Err: err}
}
