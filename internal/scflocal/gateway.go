package scflocal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxRequestBody is SCF's limit on a synchronous invocation's request (6 MB); larger bodies are refused
// with 413 before the function is invoked. (The dtsreset function itself refuses bodies over 64 KiB.)
const MaxRequestBody = 6 << 20

// APIGatewayEvent is the event SCF's API Gateway trigger sends, with its JSON names (scf-go-lib's
// events.APIGatewayRequest decodes it, and is the source of the names).
type APIGatewayEvent struct {
	RequestContext APIGatewayRequestContext `json:"requestContext"`
	// Headers have lower-case names, as API Gateway delivers them; repeated headers are joined with ",".
	// The request's Host is included as "host".
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"` // true when Body is not valid UTF-8
	HTTPMethod      string            `json:"httpMethod"`
	Path            string            `json:"path"`
	// QueryString maps each key to a string, to a []string when the key repeats, and to true when the key
	// has no "=" (?dryRun), exactly as API Gateway sends it; scf-go-lib's events.APIGatewayQueryString
	// decodes all three.
	QueryString map[string]any `json:"queryString"`
	// The *Parameters maps hold only parameters declared in the API's definition; the local gateway
	// declares none, so they are empty objects, as for a "pass-through" API.
	QueryStringParameters map[string]string `json:"queryStringParameters"`
	HeaderParameters      map[string]string `json:"headerParameters"`
	PathParameters        map[string]string `json:"pathParameters"`
	StageVariables        map[string]string `json:"stageVariables"`
}

// APIGatewayRequestContext describes the API the request came through. HTTPMethod and Path are the API's
// definition, not the request's: the local gateway behaves like the trigger SCF creates, method ANY (as in
// scf-go-lib's own sample event), with the request's path as the API's path.
type APIGatewayRequestContext struct {
	ServiceID  string         `json:"serviceId"`
	Path       string         `json:"path"`
	HTTPMethod string         `json:"httpMethod"`
	RequestID  string         `json:"requestId"`
	Identity   map[string]any `json:"identity"`
	SourceIP   string         `json:"sourceIp"`
	Stage      string         `json:"stage"`
}

// FunctionURLEvent is the event SCF's Function URL sends an event function: the API Gateway event without
// requestContext, isBase64Encoded and the *Parameters maps (SCF doc 583/96099). Headers and QueryString are
// as in APIGatewayEvent; the gateway appends the client's address to x-forwarded-for, as a proxy does.
// The event has no way to say a body is binary: a body that is not UTF-8 arrives with U+FFFD in place of
// each bad byte (encoding/json's rule; what the real Function URL does with one is not documented).
type FunctionURLEvent struct {
	Headers     map[string]string `json:"headers"`
	Body        string            `json:"body"`
	HTTPMethod  string            `json:"httpMethod"`
	Path        string            `json:"path"`
	QueryString map[string]any    `json:"queryString"`
}

// NewFunctionURLEvent builds the Function URL event for r, whose body has already been read.
func NewFunctionURLEvent(r *http.Request, body []byte) FunctionURLEvent {
	ev := FunctionURLEvent{
		Headers:     lowerHeaders(r),
		Body:        string(body),
		HTTPMethod:  r.Method,
		Path:        r.URL.Path,
		QueryString: parseQueryString(r.URL.RawQuery),
	}
	hop := sourceIP(r.RemoteAddr)
	if prev := ev.Headers["x-forwarded-for"]; prev != "" {
		hop = prev + ", " + hop
	}
	ev.Headers["x-forwarded-for"] = hop
	return ev
}

// lowerHeaders is r's header map as SCF's triggers deliver it: lower-case names, repeated headers joined
// with ",", and the request's Host as "host".
func lowerHeaders(r *http.Request) map[string]string {
	h := map[string]string{}
	for name, vals := range r.Header {
		h[strings.ToLower(name)] = strings.Join(vals, ",")
	}
	if r.Host != "" {
		h["host"] = r.Host // net/http moves Host out of the header map
	}
	return h
}

// IntegrationResponse is what an API Gateway function answers (scf-go-lib's events.APIGatewayResponse).
type IntegrationResponse struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

// NewAPIGatewayEvent builds the event for r, whose body has already been read. requestID is the gateway's
// own request id (requestContext.requestId), distinct from the function invocation's RequestId as in SCF.
func NewAPIGatewayEvent(r *http.Request, body []byte, requestID string) APIGatewayEvent {
	ev := APIGatewayEvent{
		RequestContext: APIGatewayRequestContext{
			ServiceID:  "service-local",
			Path:       r.URL.Path,
			HTTPMethod: "ANY",
			RequestID:  requestID,
			Identity:   map[string]any{},
			SourceIP:   sourceIP(r.RemoteAddr),
			Stage:      "release",
		},
		Headers:               lowerHeaders(r),
		HTTPMethod:            r.Method,
		Path:                  r.URL.Path,
		QueryString:           parseQueryString(r.URL.RawQuery),
		QueryStringParameters: map[string]string{},
		HeaderParameters:      map[string]string{},
		PathParameters:        map[string]string{},
		StageVariables:        map[string]string{},
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev
}

func sourceIP(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

// parseQueryString keeps what url.ParseQuery loses: whether a key had "=" at all (API Gateway sends true).
func parseQueryString(raw string) map[string]any {
	qs := map[string]any{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, hasValue := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		var val any = true
		if hasValue {
			s, err := url.QueryUnescape(v)
			if err != nil {
				s = v
			}
			val = s
		}
		switch prev := qs[key].(type) {
		case nil:
			qs[key] = val
		case []string:
			qs[key] = append(prev, asString(val))
		default:
			qs[key] = []string{asString(prev), asString(val)}
		}
	}
	return qs
}

func asString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// GatewayOptions tune NewGateway. The zero value is usable: API Gateway events, every method and path reach the
// function, DefaultTimeout, no Environment, no FunctionName or region, no access log.
type GatewayOptions struct {
	// Trigger is the kind of event each request becomes; the zero value is APIGateway.
	Trigger Trigger
	// Route, when set, passes only Route.Method requests to Route.Path on to the function, as an API Gateway
	// endpoint does: another path is answered 404 NotFound, another method on the path 405 MethodNotAllowed
	// (with Allow), and neither reaches the function. An API Gateway event's requestContext then names the
	// route. nil: every method and path reach the function (requestContext.httpMethod ANY).
	Route *Route
	// Timeout is the function's time limit per request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Env is the per-invocation Environment, called for every request, so a test can rotate credentials
	// between requests as SCF does; nil: none.
	Env func() map[string]string
	// FunctionName and Region are sent with each invocation (FunctionName, TencentcloudRegion).
	FunctionName, Region string
	// AccessLog, when set, gets one line per request (method, path, status, duration, request ids, and why a
	// function was restarted).
	AccessLog io.Writer
}

// Route is the one method and path a Gateway passes on (GatewayOptions.Route).
type Route struct{ Method, Path string }

// Trigger is the kind of HTTP trigger a Gateway plays.
type Trigger int

const (
	// APIGateway sends APIGatewayEvents, as the API Gateway triggers of older functions do.
	APIGateway Trigger = iota
	// FunctionURL sends FunctionURLEvents, as the Function URL (SCF's HTTP trigger today) does.
	FunctionURL
)

// Gateway is a local API Gateway in front of one function instance: each HTTP request becomes an
// APIGatewayEvent, and the function's IntegrationResponse becomes the HTTP response. Like an SCF instance,
// it runs one invocation at a time; requests queue. An instance that crashed, panicked or timed out is
// discarded (this request gets 502 or 504) and the next request starts a fresh one through start.
//
// Gateway failures answer with the dtsreset error shape, {"Error": {"Code", "Message"}, "RequestId"}:
// FunctionError (the function returned an error, 502), FunctionCrashed (502), FunctionTimeout (504),
// FunctionStartFailed (502), InvalidIntegrationResponse (502), RequestTooLarge (413), and with a Route
// NotFound (404) and MethodNotAllowed (405).
type Gateway struct {
	start func(context.Context) (*Process, error)
	o     GatewayOptions
	sem   chan struct{} // one invocation at a time

	mu     sync.Mutex
	proc   *Process
	closed bool
}

// NewGateway returns a gateway that starts its function with start, lazily on the first request (or on
// Warm) and again after a crash.
func NewGateway(start func(context.Context) (*Process, error), o GatewayOptions) *Gateway {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return &Gateway{start: start, sem: make(chan struct{}, 1), o: o}
}

// Warm starts the function now, so a broken binary shows at start rather than on the first request.
func (g *Gateway) Warm(ctx context.Context) error {
	_, err := g.process(ctx)
	return err
}

// Close kills the function. Later requests get 502.
func (g *Gateway) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if g.proc == nil {
		return nil
	}
	err := g.proc.Close()
	g.proc = nil
	return err
}

func (g *Gateway) process(ctx context.Context) (*Process, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, errors.New("gateway closed")
	}
	if g.proc != nil && !g.proc.Exited() {
		return g.proc, nil
	}
	if g.proc != nil {
		g.proc.Close()
		g.proc = nil
	}
	p, err := g.start(ctx)
	if err != nil {
		return nil, err
	}
	g.proc = p
	return p, nil
}

// discard drops p so the next request starts a new instance.
func (g *Gateway) discard(p *Process) {
	g.mu.Lock()
	if g.proc == p {
		g.proc = nil
	}
	g.mu.Unlock()
	p.Close()
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	begin := time.Now()
	apiReqID := strings.ReplaceAll(newUUID(), "-", "")
	w.Header().Set("X-Api-RequestId", apiReqID)
	status, fnReqID, note := g.serve(w, r, apiReqID)
	if g.o.AccessLog != nil {
		fmt.Fprintf(g.o.AccessLog, "%s %s %d %s api=%s fn=%s%s\n", r.Method, r.URL.RequestURI(), status,
			time.Since(begin).Round(time.Millisecond), apiReqID, fnReqID, note)
	}
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, apiReqID string) (status int, fnReqID, note string) {
	if status, ok := g.routed(w, r); !ok {
		return status, "", ""
	}
	body, status, ok := readBody(w, r)
	if !ok {
		return status, "", ""
	}
	payload, err := g.event(r, body, apiReqID)
	if err != nil {
		return gatewayError(w, http.StatusInternalServerError, "InternalError", err.Error(), ""), "", ""
	}

	// Queue behind the running invocation, but give up if the client does.
	select {
	case g.sem <- struct{}{}:
		defer func() { <-g.sem }()
	case <-r.Context().Done():
		return 499, "", " (client gone while queued)"
	}
	// The invocation runs to its own deadline even if the client leaves, as in SCF; cutting it short would
	// leave the function mid-invocation when the next request arrives.
	ctx := context.WithoutCancel(r.Context())
	p, err := g.process(ctx)
	if err != nil {
		return gatewayError(w, http.StatusBadGateway, "FunctionStartFailed", err.Error(), ""), "", ""
	}
	inv := Invocation{Payload: payload, Timeout: g.o.Timeout, FunctionName: g.o.FunctionName, Region: g.o.Region}
	if g.o.Env != nil {
		inv.Env = g.o.Env()
	}
	reply, err := p.Invoke(ctx, inv)
	fnReqID = reply.RequestID
	if NeedsRestart(reply, err) {
		g.discard(p)
		note = " (instance discarded)"
	}
	switch {
	case errors.Is(err, ErrTimeout):
		return gatewayError(w, http.StatusGatewayTimeout, "FunctionTimeout", err.Error(), fnReqID), fnReqID, note
	case err != nil:
		return gatewayError(w, http.StatusBadGateway, "FunctionCrashed", err.Error(), fnReqID), fnReqID, note
	case reply.Error != nil:
		msg := reply.Error.Type + ": " + reply.Error.Message
		if reply.Error.ShouldExit {
			msg = "panic: " + msg
		}
		return gatewayError(w, http.StatusBadGateway, "FunctionError", msg, fnReqID), fnReqID, note
	}

	var ir IntegrationResponse
	if err := json.Unmarshal(reply.Payload, &ir); err != nil || ir.StatusCode < 100 || ir.StatusCode > 999 {
		msg := fmt.Sprintf("the function's reply is not an integration response with a statusCode: %.200s", reply.Payload)
		return gatewayError(w, http.StatusBadGateway, "InvalidIntegrationResponse", msg, fnReqID), fnReqID, note
	}
	out := []byte(ir.Body)
	if ir.IsBase64Encoded {
		if out, err = base64.StdEncoding.DecodeString(ir.Body); err != nil {
			return gatewayError(w, http.StatusBadGateway, "InvalidIntegrationResponse", "body is not base64: "+err.Error(), fnReqID), fnReqID, note
		}
	}
	for k, v := range ir.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(ir.StatusCode)
	_, _ = w.Write(out)
	return ir.StatusCode, fnReqID, note
}

// readBody reads r's body up to MaxRequestBody; it answers a larger or broken one and reports false.
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, status int, ok bool) {
	if r.ContentLength > MaxRequestBody {
		return nil, gatewayError(w, http.StatusRequestEntityTooLarge, "RequestTooLarge", "request body over 6 MB", ""), false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, gatewayError(w, http.StatusRequestEntityTooLarge, "RequestTooLarge", "request body over 6 MB", ""), false
		}
		return nil, gatewayError(w, http.StatusBadRequest, "InvalidRequest", "read body: "+err.Error(), ""), false
	}
	return body, 0, true
}

// routed answers a request outside the route (GatewayOptions.Route) and reports false; it reports true for one the
// function should see.
func (g *Gateway) routed(w http.ResponseWriter, r *http.Request) (status int, ok bool) {
	rt := g.o.Route
	switch {
	case rt == nil:
		return 0, true
	case r.URL.Path != rt.Path:
		return gatewayError(w, http.StatusNotFound, "NotFound",
			fmt.Sprintf("no trigger at %s: the function's trigger is %s %s", r.URL.Path, rt.Method, rt.Path), ""), false
	case r.Method != rt.Method:
		w.Header().Set("Allow", rt.Method)
		return gatewayError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
			fmt.Sprintf("%s %s: the function's trigger is %s %s", r.Method, r.URL.Path, rt.Method, rt.Path), ""), false
	}
	return 0, true
}

// event is the JSON event for r in the gateway's trigger kind.
func (g *Gateway) event(r *http.Request, body []byte, apiReqID string) ([]byte, error) {
	if g.o.Trigger == FunctionURL {
		return json.Marshal(NewFunctionURLEvent(r, body))
	}
	ev := NewAPIGatewayEvent(r, body, apiReqID)
	if g.o.Route != nil {
		ev.RequestContext.HTTPMethod, ev.RequestContext.Path = g.o.Route.Method, g.o.Route.Path
	}
	return json.Marshal(ev)
}

// gatewayError answers in the dtsreset error shape, so PrintTable and clients read one format.
func gatewayError(w http.ResponseWriter, status int, code, msg, requestID string) int {
	type errBody struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
	}
	b, _ := json.Marshal(struct {
		Error     errBody `json:"Error"`
		RequestID string  `json:"RequestId,omitempty"`
	}{errBody{code, msg}, requestID})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return status
}
