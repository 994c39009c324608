package handler

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"dtsreset/internal/reset"
	"dtsreset/validate"
)

// MaxBodyBytes is the largest reset payload accepted; a batch of 50 resets fits in a few KiB.
const MaxBodyBytes = 64 << 10

// Trigger is the kind of event that invoked the function, told apart by shape.
type Trigger string

// The triggers.
const (
	TriggerAPIGateway  Trigger = "apigw"
	TriggerFunctionURL Trigger = "url"
	TriggerTimer       Trigger = "timer"
	TriggerDirect      Trigger = "direct"
)

// IsHTTP reports whether the trigger expects an integration response.
func (t Trigger) IsHTTP() bool { return t == TriggerAPIGateway || t == TriggerFunctionURL }

// HTTPEvent is the API Gateway event; a Function URL event has the same shape without requestContext,
// isBase64Encoded and the *Parameters maps.
type HTTPEvent struct {
	HTTPMethod      string              `json:"httpMethod"`
	Path            string              `json:"path"`
	Headers         Headers             `json:"headers"`
	QueryString     QueryString         `json:"queryString"`
	Body            string              `json:"body"`
	IsBase64Encoded bool                `json:"isBase64Encoded"`
	RequestContext  *HTTPRequestContext `json:"requestContext"`
	QueryParameters QueryString         `json:"queryStringParameters"`
}

// HTTPRequestContext is the API Gateway's requestContext.
type HTTPRequestContext struct {
	ServiceID  string `json:"serviceId"`
	Path       string `json:"path"`
	HTTPMethod string `json:"httpMethod"`
	RequestID  string `json:"requestId"`
	SourceIP   string `json:"sourceIp"`
	Stage      string `json:"stage"`
}

// Headers are the request's headers. Names are matched case-insensitively, so an event that carries one name
// in two spellings (authorization and Authorization) is refused: which one counted would be up to Go's map
// order, and a bearer token check must not be a coin toss.
type Headers map[string]string

// UnmarshalJSON refuses a header name given twice in any case.
func (h *Headers) UnmarshalJSON(data []byte) error {
	if key, dup := duplicateKey(data); dup {
		return &duplicateNameError{where: "headers", name: key}
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*h = m
	return nil
}

// duplicateNameError is a name repeated (in any case) inside headers or queryString.
type duplicateNameError struct{ where, name string }

func (e *duplicateNameError) Error() string {
	return fmt.Sprintf("%s: %q is given more than once (names match case-insensitively)", e.where, validate.Shorten(e.name))
}

// QueryString is API Gateway's queryString: each value is a string, a list of strings, or true for a key
// without a value.
type QueryString map[string][]string

// UnmarshalJSON accepts the value forms API Gateway sends, and refuses a name given twice in any case
// (dryRun and dryrun): which one counted would be up to Go's map order.
func (q *QueryString) UnmarshalJSON(data []byte) error {
	if key, dup := duplicateKey(data); dup {
		return &duplicateNameError{where: "queryString", name: key}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	out := make(QueryString, len(raw))
	for k, v := range raw {
		var s string
		var list []string
		var b bool
		switch {
		case json.Unmarshal(v, &s) == nil:
			out[k] = []string{s}
		case json.Unmarshal(v, &list) == nil:
			out[k] = list
		case json.Unmarshal(v, &b) == nil:
			out[k] = []string{""}
		default:
			return fmt.Errorf("queryString.%s: expected a string or a list of strings", k)
		}
	}
	*q = out
	return nil
}

// Get returns the first value of key, matched case-insensitively as people type query strings.
func (q QueryString) Get(key string) (string, bool) {
	for k, v := range q {
		if strings.EqualFold(k, key) {
			if len(v) == 0 {
				return "", true
			}
			return v[0], true
		}
	}
	return "", false
}

// Header returns a header's value, matched case-insensitively (API Gateway lowercases some names, clients
// send others as typed); Headers refuses names given twice, so at most one matches.
func (e *HTTPEvent) Header(name string) string {
	for k, v := range e.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// TimerEvent is a timer trigger's event; Message is the trigger's custom argument.
type TimerEvent struct {
	Type        string `json:"Type"`
	TriggerName string `json:"TriggerName"`
	Time        string `json:"Time"`
	Message     string `json:"Message"`
}

// Event is a decoded invocation: which trigger, and the reset payload it carries.
type Event struct {
	Trigger Trigger
	Payload []byte     // the reset payload JSON (one reset or a batch)
	HTTP    *HTTPEvent // for HTTP triggers
	Timer   *TimerEvent
}

// shape is what an event's top-level keys say of its kind. The keys are compared exactly as SCF spells them
// (httpMethod, requestContext, Type), not as encoding/json matches fields (case-insensitively): a direct payload
// with HTTPMETHOD or type is a payload, refused by validate as an unknown field, never an HTTP or timer event.
type shape struct {
	http, apigw, timer bool
	dup                string // the first key given twice in any case; "" when none
}

// mayBeTriggerEvent is a quick look that spares direct payloads the key walk: an object cannot have the key
// httpMethod or Type without these bytes, unless a key is spelled with escapes, which needs a backslash.
func mayBeTriggerEvent(data []byte) bool {
	return bytes.Contains(data, []byte(`"httpMethod"`)) || bytes.Contains(data, []byte(`"Type"`)) ||
		bytes.IndexByte(data, '\\') >= 0
}

// readShape reads the top-level keys of the valid JSON object data.
func readShape(data []byte) shape {
	var s shape
	s.dup = eachKey(data, func(key string, value json.RawMessage) {
		switch key {
		case "httpMethod":
			s.http = true
		case "requestContext":
			s.apigw = true
		case "Type":
			var typ string
			s.timer = json.Unmarshal(value, &typ) == nil && strings.EqualFold(typ, "timer")
		}
	})
	return s
}

// DecodeEvent tells the trigger apart by shape (never by configuration) and extracts the reset payload.
// Errors are *reset.Error: KindInvalid for anything that is not a usable event, KindTooLarge for bodies over
// MaxBodyBytes.
func DecodeEvent(data []byte) (Event, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return Event{}, invalidEvent("the event is empty; expected a JSON object: a reset payload, a batch {\"Resets\": [...]}, an API Gateway/Function URL event or a timer event")
	}
	if trimmed[0] != '{' {
		return Event{}, invalidEvent("the event is not a JSON object; expected a reset payload, a batch {\"Resets\": [...]}, an API Gateway/Function URL event or a timer event")
	}
	if len(trimmed) > 4*MaxBodyBytes {
		// An HTTP body over the limit makes the whole event large; refuse before parsing it. A quick look for
		// httpMethod keeps HTTP callers on an integration response (a 413, not a failed invocation).
		return guessHTTP(trimmed, TriggerDirect), tooLarge()
	}
	if !json.Valid(trimmed) {
		// Same look as above: an HTTP event we cannot parse (nested too deeply, say) still gets a 400
		// integration response rather than a failed invocation. Unmarshal says why.
		var raw json.RawMessage
		return guessHTTP(trimmed, ""), invalidEvent("the event is not valid JSON: %s", jsonProblem(json.Unmarshal(trimmed, &raw)))
	}
	var s shape
	if mayBeTriggerEvent(trimmed) {
		s = readShape(trimmed)
	}
	switch {
	case s.http:
		if s.dup != "" {
			ev := Event{Trigger: TriggerFunctionURL}
			if s.apigw {
				ev.Trigger = TriggerAPIGateway
			}
			return ev, duplicateKeyError(s.dup)
		}
		return decodeHTTP(trimmed, s.apigw)
	case s.timer:
		if s.dup != "" {
			return Event{}, duplicateKeyError(s.dup)
		}
		return decodeTimer(trimmed)
	default:
		if len(trimmed) > MaxBodyBytes {
			return Event{}, tooLarge()
		}
		return Event{Trigger: TriggerDirect, Payload: trimmed}, nil
	}
}

// decodeHTTP keeps the trigger and the request in the returned Event even when the body is refused, so the
// caller still gets an integration response with the right status instead of a failed invocation.
func decodeHTTP(data []byte, hasContext bool) (Event, error) {
	var ev HTTPEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return Event{Trigger: TriggerFunctionURL}, invalidEvent("the HTTP event is malformed: %s", jsonProblem(err))
	}
	out := Event{Trigger: TriggerFunctionURL, HTTP: &ev}
	if hasContext {
		out.Trigger = TriggerAPIGateway
	}
	body := []byte(ev.Body)
	ev.Body = "" // the payload lives in Event.Payload; don't keep two copies
	if ev.IsBase64Encoded {
		if base64.StdEncoding.DecodedLen(len(body)) > MaxBodyBytes+3 {
			return out, tooLarge()
		}
		decoded, err := base64.StdEncoding.DecodeString(string(body))
		if err != nil {
			return out, invalidEvent("body: isBase64Encoded is true but the body is not valid base64")
		}
		body = decoded
	}
	if len(body) > MaxBodyBytes {
		return out, tooLarge()
	}
	out.Payload = bytes.TrimSpace(body)
	return out, nil
}

func decodeTimer(data []byte) (Event, error) {
	var ev TimerEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return Event{}, invalidEvent("the timer event is malformed: %s", jsonProblem(err))
	}
	msg := bytes.TrimSpace([]byte(ev.Message))
	if len(msg) == 0 {
		return Event{}, invalidEvent("Message: the timer trigger %q has no argument; set the trigger's argument (Message) to the reset payload JSON", ev.TriggerName)
	}
	if len(msg) > MaxBodyBytes {
		return Event{}, tooLarge()
	}
	return Event{Trigger: TriggerTimer, Payload: msg, Timer: &ev}, nil
}

// guessHTTP is the event to answer when the event cannot be parsed: an HTTP one (so the caller gets an
// integration response) when it mentions httpMethod, else an event of the fallback trigger.
func guessHTTP(data []byte, fallback Trigger) Event {
	switch {
	case !bytes.Contains(data, []byte(`"httpMethod"`)):
		return Event{Trigger: fallback}
	case bytes.Contains(data, []byte(`"requestContext"`)):
		return Event{Trigger: TriggerAPIGateway, HTTP: &HTTPEvent{}}
	default:
		return Event{Trigger: TriggerFunctionURL, HTTP: &HTTPEvent{}}
	}
}

// duplicateKey returns a top-level key of the valid JSON object data given more than once (see eachKey).
func duplicateKey(data []byte) (string, bool) {
	key := eachKey(data, nil)
	return key, key != ""
}

// eachKey calls visit (when not nil) with each top-level key of the valid JSON object data and its raw value, in
// order, and returns the first key given more than once, compared as encoding/json matches keys to fields
// (case-insensitively, with Unicode folding: "ſ" is "s"); "" when there is none. encoding/json would silently
// keep the last one, so an event with two bodies, or a timer event with two Messages, would run whichever came
// last; such an event is refused instead. Anything but an object has no keys.
func eachKey(data []byte, visit func(key string, value json.RawMessage)) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	seen := map[string]bool{}
	var value json.RawMessage // reused: visit must not keep it
	dup := ""
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok || dec.Decode(&value) != nil {
			return dup
		}
		if visit != nil {
			visit(key, value)
		}
		folded := foldKey(key)
		if seen[folded] && dup == "" {
			dup = key
			if visit == nil {
				return dup
			}
		}
		seen[folded] = true
	}
	return dup
}

// foldKey maps every key bytes.EqualFold (and so encoding/json) holds equal to the same string: each rune becomes
// the smallest of its simple case-folding orbit, as encoding/json folds field names, and then, if that is an
// ASCII capital, its small letter, so that the usual lowercase key comes back unchanged without a copy.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for next := unicode.SimpleFold(r); next != r; next = unicode.SimpleFold(next) {
			least = min(least, next)
		}
		if 'A' <= least && least <= 'Z' {
			least += 'a' - 'A'
		}
		return least
	}, k)
}

func duplicateKeyError(key string) *reset.Error {
	key = validate.Shorten(key)
	return invalidEvent("the event has the key %q more than once (keys match case-insensitively); give each key once", key)
}

func invalidEvent(format string, args ...any) *reset.Error {
	return reset.Errorf(reset.KindInvalid, reset.CodeInvalidParameter, format, args...)
}

func tooLarge() *reset.Error {
	return reset.Errorf(reset.KindTooLarge, reset.CodeRequestTooLarge, "the request body is larger than %d KiB", MaxBodyBytes>>10)
}

// jsonProblem describes a JSON error without echoing the input back.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var dup *duplicateNameError
	switch {
	case errors.As(err, &dup):
		return dup.Error()
	case errors.As(err, &syntax) && strings.Contains(syntax.Error(), "max depth"):
		return "it is nested too deeply"
	case errors.As(err, &syntax):
		return fmt.Sprintf("syntax error at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be a JSON %s", typ.Field, jsonType(typ.Type.Kind().String()))
	default:
		return err.Error()
	}
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct", "ptr":
		return "object"
	case "slice":
		return "array"
	default:
		return "number"
	}
}
