package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"dtsreset/internal/reset"
	"dtsreset/validate"
)

// InvokeError is what timer and direct invocations return on failure: its message is the JSON error object,
// so whoever reads the SCF invocation log or a chained caller's error can parse it.
type InvokeError struct {
	Body []byte
	Err  *reset.Error
}

func (e *InvokeError) Error() string { return string(e.Body) }

// Unwrap exposes the typed error to callers inside the process (tests, chained Go callers).
func (e *InvokeError) Unwrap() error { return e.Err }

// ErrorBody is the JSON error object of SPEC §5.
type ErrorBody struct {
	Error     ErrorDetail `json:"Error"`
	RequestID string      `json:"RequestId"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string                `json:"Code"`
	Message string                `json:"Message"`
	Fields  []validate.FieldError `json:"Fields,omitempty"`
	Details any                   `json:"Details,omitempty"`
}

// BatchReply is the reply to {"Resets": [...]}: each item is a result or an ErrorBody, in order.
type BatchReply struct {
	Results []any `json:"Results"`
	Failed  int   `json:"Failed"`
}

// IntegrationResponse is what API Gateway and Function URLs expect back from an event function.
type IntegrationResponse struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

func errorBody(e *reset.Error) ErrorBody {
	msg := e.Message
	if e.Kind == reset.KindInternal && e.Code == reset.CodeInternalError {
		// Unknown errors may carry anything; the cause goes to the log, the caller gets a safe sentence.
		msg = "internal error; see the function's log for this RequestId"
	}
	return ErrorBody{
		Error:     ErrorDetail{Code: e.Code, Message: msg, Fields: e.Fields, Details: e.Details},
		RequestID: e.RequestID,
	}
}

func batchReply(out reset.BatchResult) BatchReply {
	r := BatchReply{Results: make([]any, len(out.Items)), Failed: out.Failed}
	for i, item := range out.Items {
		if item.Err != nil {
			r.Results[i] = errorBody(reset.AsError(item.Err))
		} else {
			r.Results[i] = item.Result
		}
	}
	return r
}

// answerError logs and answers an error that happened before any reset ran.
func (h *Handler) answerError(inv *invocation, err error, reqs []validate.Request) ([]byte, error) {
	if len(reqs) == 0 {
		h.logOutcome(inv, validate.Request{}, nil, err)
	}
	for _, r := range reqs {
		h.logOutcome(inv, r, nil, err)
	}
	return h.encodeError(inv, err)
}

func (h *Handler) encodeError(inv *invocation, err error) ([]byte, error) {
	e := reset.AsError(err)
	body, merr := marshal(errorBody(e))
	if merr != nil {
		return nil, merr
	}
	if inv.event.Trigger.IsHTTP() {
		headers := map[string]string{}
		switch e.Kind {
		case reset.KindThrottled:
			retry := e.RetryAfter
			if retry <= 0 {
				retry = time.Second
			}
			headers["Retry-After"] = strconv.Itoa(int((retry + time.Second - 1) / time.Second))
		case reset.KindMethodNotAllowed:
			headers["Allow"] = http.MethodPost
		case reset.KindUnauthorized:
			headers["WWW-Authenticate"] = `Bearer realm="dtsreset"`
		}
		return h.integration(inv, StatusOf(e), body, e.RequestID, headers)
	}
	return nil, &InvokeError{Body: body, Err: e}
}

func (h *Handler) encodeResult(inv *invocation, status int, v any, upstreamID string) ([]byte, error) {
	body, err := marshal(v)
	if err != nil {
		return nil, err
	}
	if !inv.event.Trigger.IsHTTP() {
		return body, nil
	}
	if r, ok := v.(reset.Result); ok {
		upstreamID = r.RequestID
	}
	return h.integration(inv, status, body, upstreamID, nil)
}

func (h *Handler) integration(inv *invocation, status int, body []byte, upstreamID string, extra map[string]string) ([]byte, error) {
	headers := map[string]string{"Content-Type": "application/json"}
	// X-Request-Id is the function's own RequestId, the key to its log; the DTS RequestId is in the body and,
	// when there is one, in X-Dts-Request-Id.
	if inv.requestID != "" {
		headers["X-Request-Id"] = inv.requestID
	}
	if upstreamID != "" {
		headers["X-Dts-Request-Id"] = upstreamID
	}
	for k, v := range extra {
		headers[k] = v
	}
	return marshal(IntegrationResponse{StatusCode: status, Headers: headers, Body: string(body)})
}

// marshal is json.Marshal without HTML escaping: replies are read by people and scripts, not browsers, and
// "\u003cRESET_API_TOKEN\u003e" helps neither.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// logOutcome writes the one line per reset outcome that SPEC §7 lists. Never a secret: the payload fields
// logged here are identifiers, and the event's headers (which carry the bearer token) are not logged.
func (h *Handler) logOutcome(inv *invocation, req validate.Request, res *reset.Result, err error) {
	level := slog.LevelInfo
	outcome := "OK"
	upstream := ""
	var replay, skip int64
	utc := ""
	if res != nil {
		upstream, utc = res.RequestID, res.ResetDatetimeUTC
		replay, skip = impactTotals(res.Partitions)
	}
	attrs := make([]slog.Attr, 0, 20)
	if err != nil {
		e := reset.AsError(err)
		outcome = e.Code
		upstream = e.RequestID
		level = slog.LevelWarn
		if StatusOf(e) >= 500 {
			level = slog.LevelError
		}
		attrs = append(attrs, slog.String("error", e.Message))
		if e.Err != nil {
			attrs = append(attrs, slog.String("cause", e.Err.Error()))
		}
	}
	attrs = append(attrs,
		slog.String("function_request_id", inv.requestID),
		slog.String("trigger", string(inv.event.Trigger)),
		slog.String("SubscribeId", req.SubscribeID),
		slog.String("TopicName", req.TopicName),
		slog.String("ConsumerGroupName", req.ConsumerGroupName),
		slog.String("ResetMode", req.ResetMode),
		slog.String("ResetDatetime", req.ResetDatetime),
		slog.String("ResetDatetimeUTC", utc),
		slog.Any("PartitionNos", partitionsForLog(req)),
		slog.Int64("replay_total", replay),
		slog.Int64("skip_total", skip),
		slog.Bool("DryRun", req.DryRun),
		slog.String("outcome", outcome),
		slog.String("upstream_request_id", upstream),
		slog.Int64("duration_ms", time.Since(inv.start).Milliseconds()),
		slog.String("caller", inv.caller),
	)
	h.log.LogAttrs(context.Background(), level, "reset outcome", attrs...)
}

// impactTotals sums the partitions' Replay and Skip figures, for the log line.
func impactTotals(parts []reset.PartitionResult) (replay, skip int64) {
	for _, p := range parts {
		if p.Replay != nil {
			replay += *p.Replay
		}
		if p.Skip != nil {
			skip += *p.Skip
		}
	}
	return replay, skip
}

func partitionsForLog(req validate.Request) any {
	if req.AllPartitions {
		return "all"
	}
	if req.PartitionNos == nil {
		return []int{}
	}
	return req.PartitionNos
}
