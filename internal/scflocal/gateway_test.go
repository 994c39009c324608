package scflocal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/events"
)

// newGateway serves a Gateway over the test function on loopback; starts counts instances started.
func newGateway(t *testing.T, o GatewayOptions) (srv *httptest.Server, starts *atomic.Int32) {
	t.Helper()
	starts = new(atomic.Int32)
	g := NewGateway(func(ctx context.Context) (*Process, error) {
		starts.Add(1)
		return Start(ctx, fnBin, nil, Options{})
	}, o)
	srv = httptest.NewServer(g)
	t.Cleanup(func() {
		srv.Close()
		if err := g.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv, starts
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url string, body []byte, header map[string]string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// eventOf decodes the API Gateway event the echo function saw.
func eventOf(t *testing.T, r response) (APIGatewayEvent, json.RawMessage) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var e echo
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("decode echo %s: %v", r.body, err)
	}
	var ev APIGatewayEvent
	if err := json.Unmarshal(e.Event, &ev); err != nil {
		t.Fatalf("decode event %s: %v", e.Event, err)
	}
	return ev, e.Event
}

func TestGatewayEventShape(t *testing.T) {
	srv, _ := newGateway(t, GatewayOptions{})
	body := `{"SubscribeId":"subs-abc","getenv":[]}`
	r := do(t, "POST", srv.URL+"/reset?dryRun=true&p=1&p=2&flag&e=a%20b", []byte(body),
		map[string]string{"Content-Type": "application/json", "X-Custom-Header": "v1", "Authorization": "Bearer t"})
	ev, raw := eventOf(t, r)

	if ev.HTTPMethod != "POST" || ev.Path != "/reset" {
		t.Errorf("method/path: got %s %s, want POST /reset", ev.HTTPMethod, ev.Path)
	}
	rc := ev.RequestContext
	if rc.SourceIP != "127.0.0.1" || rc.Path != "/reset" || rc.HTTPMethod != "ANY" || rc.Stage != "release" ||
		rc.ServiceID == "" || rc.RequestID == "" || rc.Identity == nil {
		t.Errorf("requestContext: got %+v", rc)
	}
	if got := r.header.Get("X-Api-RequestId"); got != rc.RequestID {
		t.Errorf("X-Api-RequestId: got %q, want requestContext.requestId %q", got, rc.RequestID)
	}
	wantQS := map[string]any{"dryRun": "true", "p": []any{"1", "2"}, "flag": true, "e": "a b"}
	if !reflect.DeepEqual(ev.QueryString, wantQS) {
		t.Errorf("queryString: got %#v, want %#v", ev.QueryString, wantQS)
	}
	for k, want := range map[string]string{"content-type": "application/json", "x-custom-header": "v1",
		"authorization": "Bearer t", "host": strings.TrimPrefix(srv.URL, "http://")} {
		if ev.Headers[k] != want {
			t.Errorf("headers[%q]: got %q, want %q (all: %v)", k, ev.Headers[k], want, ev.Headers)
		}
	}
	if ev.Body != body || ev.IsBase64Encoded {
		t.Errorf("body: got %q base64=%v, want %q", ev.Body, ev.IsBase64Encoded, body)
	}
	checkAPIGatewayFields(t, raw, body)
}

// checkAPIGatewayFields wants every field SCF sends present (the *Parameters maps as objects), and
// scf-go-lib's own event type to read the event.
func checkAPIGatewayFields(t *testing.T, raw json.RawMessage, body string) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requestContext", "headers", "body", "isBase64Encoded", "httpMethod", "path",
		"queryString", "queryStringParameters", "headerParameters", "pathParameters", "stageVariables"} {
		if v, ok := top[k]; !ok || string(v) == "null" {
			t.Errorf("event field %s: got %s, want present", k, v)
		}
	}
	var lib events.APIGatewayRequest
	if err := json.Unmarshal(raw, &lib); err != nil {
		t.Fatalf("events.APIGatewayRequest: %v", err)
	}
	if lib.Context.SourceIP != "127.0.0.1" || len(lib.QueryString["p"]) != 2 || lib.Body != body {
		t.Errorf("events.APIGatewayRequest: got %+v", lib)
	}
}

func TestGatewayFunctionURLEvent(t *testing.T) {
	srv, _ := newGateway(t, GatewayOptions{Trigger: FunctionURL})
	body := `{"SubscribeId":"subs-abc","getenv":[]}`
	tests := []struct {
		name, clientXFF, wantXFF string
	}{
		{"direct client", "", "127.0.0.1"},
		{"client behind a proxy", "198.51.100.7", "198.51.100.7, 127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer t"}
			if tt.clientXFF != "" {
				hdr["X-Forwarded-For"] = tt.clientXFF
			}
			r := do(t, "POST", srv.URL+"/reset?dryRun=true&flag", []byte(body), hdr)
			_, raw := eventOf(t, r)
			var ev map[string]json.RawMessage
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			// Exactly the Function URL's fields: no requestContext, isBase64Encoded or *Parameters maps.
			var keys []string
			for k := range ev {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if want := []string{"body", "headers", "httpMethod", "path", "queryString"}; !slices.Equal(keys, want) {
				t.Errorf("event fields: got %v, want %v", keys, want)
			}
			var got FunctionURLEvent
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.HTTPMethod != "POST" || got.Path != "/reset" || got.Body != body ||
				!reflect.DeepEqual(got.QueryString, map[string]any{"dryRun": "true", "flag": true}) {
				t.Errorf("event: got %+v", got)
			}
			if got.Headers["x-forwarded-for"] != tt.wantXFF || got.Headers["authorization"] != "Bearer t" ||
				got.Headers["host"] != strings.TrimPrefix(srv.URL, "http://") {
				t.Errorf("headers: got %v, want x-forwarded-for %q, authorization and host", got.Headers, tt.wantXFF)
			}
		})
	}
}

// TestGatewayRoute: with a route, only its method and path reach the function, as on a deployed trigger.
func TestGatewayRoute(t *testing.T) {
	for _, trigger := range []Trigger{FunctionURL, APIGateway} {
		srv, starts := newGateway(t, GatewayOptions{Trigger: trigger, Route: &Route{"POST", "/reset"}})
		refused := []struct {
			method, path string
			wantStatus   int
			wantCode     string
			wantAllow    string
		}{
			{"POST", "/", 404, `"Code":"NotFound"`, ""},
			{"POST", "/reset/", 404, `"Code":"NotFound"`, ""},
			{"POST", "/Reset", 404, `"Code":"NotFound"`, ""},
			{"POST", "/other", 404, `"Code":"NotFound"`, ""},
			{"GET", "/other", 404, `"Code":"NotFound"`, ""},
			{"GET", "/reset", 405, `"Code":"MethodNotAllowed"`, "POST"},
			{"PUT", "/reset", 405, `"Code":"MethodNotAllowed"`, "POST"},
			{"DELETE", "/reset", 405, `"Code":"MethodNotAllowed"`, "POST"},
		}
		for _, tt := range refused {
			r := do(t, tt.method, srv.URL+tt.path, []byte(`{"exit":3}`), nil)
			if r.status != tt.wantStatus || !strings.Contains(string(r.body), tt.wantCode) || r.header.Get("Allow") != tt.wantAllow {
				t.Errorf("trigger %d: %s %s: got %d Allow=%q %s, want %d Allow=%q %s", trigger, tt.method, tt.path,
					r.status, r.header.Get("Allow"), r.body, tt.wantStatus, tt.wantAllow, tt.wantCode)
			}
		}
		if n := starts.Load(); n != 0 {
			t.Errorf("trigger %d: instances started by refused requests: got %d, want 0 (they never reach the function)", trigger, n)
		}
		ev, raw := eventOf(t, do(t, "POST", srv.URL+"/reset?dryRun=true", []byte(`{}`), nil))
		if trigger == APIGateway && (ev.RequestContext.HTTPMethod != "POST" || ev.RequestContext.Path != "/reset") {
			t.Errorf("requestContext: got %s %s, want the route POST /reset", ev.RequestContext.HTTPMethod, ev.RequestContext.Path)
		}
		if raw == nil || starts.Load() != 1 {
			t.Errorf("trigger %d: POST /reset: got event %s after %d starts, want it to reach the function", trigger, raw, starts.Load())
		}
	}
}

func TestGatewayBinaryBodyIsBase64(t *testing.T) {
	srv, _ := newGateway(t, GatewayOptions{})
	body := []byte{0xff, 0xfe, 0x00, 'x'}
	ev, _ := eventOf(t, do(t, "PUT", srv.URL+"/bin", body, nil))
	got, err := base64.StdEncoding.DecodeString(ev.Body)
	if !ev.IsBase64Encoded || err != nil || !bytes.Equal(got, body) {
		t.Errorf("body: got %q base64=%v (%v), want base64 of %x", ev.Body, ev.IsBase64Encoded, err, body)
	}
}

func TestGatewayIntegrationResponse(t *testing.T) {
	srv, _ := newGateway(t, GatewayOptions{})
	tests := []struct {
		name       string
		reply      string
		wantStatus int
		wantHeader string
		wantBody   string
	}{
		{"text", `{"statusCode":201,"headers":{"X-Test":"yes"},"body":"created","isBase64Encoded":false}`, 201, "yes", "created"},
		{"base64", `{"statusCode":200,"headers":{"X-Test":"b"},"body":"` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2}) + `","isBase64Encoded":true}`, 200, "b", "\x00\x01\x02"},
		{"error status", `{"statusCode":409,"headers":{"X-Test":"c"},"body":"{\"Error\":{}}"}`, 409, "c", `{"Error":{}}`},
		{"not an integration response", `{"foo":1}`, 502, "", "InvalidIntegrationResponse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "POST", srv.URL+"/", []byte(`{"reply":`+tt.reply+`}`), nil)
			if r.status != tt.wantStatus || r.header.Get("X-Test") != tt.wantHeader || !strings.Contains(string(r.body), tt.wantBody) {
				t.Errorf("got %d X-Test=%q %q, want %d X-Test=%q body containing %q", r.status, r.header.Get("X-Test"),
					r.body, tt.wantStatus, tt.wantHeader, tt.wantBody)
			}
		})
	}
}

func TestGatewayFunctionError(t *testing.T) {
	srv, starts := newGateway(t, GatewayOptions{})
	r := do(t, "POST", srv.URL+"/", []byte(`{"error":"bad thing"}`), nil)
	if r.status != 502 || !strings.Contains(string(r.body), `"Code":"FunctionError"`) || !strings.Contains(string(r.body), "fnError: bad thing") {
		t.Errorf("got %d %s, want 502 FunctionError naming fnError: bad thing", r.status, r.body)
	}
	// A returned error does not cost the instance.
	do(t, "GET", srv.URL+"/", nil, nil)
	if n := starts.Load(); n != 1 {
		t.Errorf("instances started: got %d, want 1", n)
	}
}

func TestGatewayCrashRestarts(t *testing.T) {
	srv, starts := newGateway(t, GatewayOptions{})
	for _, tc := range []struct{ cmd, code string }{{`{"exit":2}`, "FunctionCrashed"}, {`{"panic":"boom"}`, "FunctionError"}} {
		r := do(t, "POST", srv.URL+"/", []byte(tc.cmd), nil)
		if r.status != 502 || !strings.Contains(string(r.body), tc.code) {
			t.Errorf("%s: got %d %s, want 502 %s", tc.cmd, r.status, r.body, tc.code)
		}
		if _, ev := eventOf(t, do(t, "GET", srv.URL+"/after", nil, nil)); ev == nil {
			t.Errorf("%s: no event after restart", tc.cmd)
		}
	}
	if n := starts.Load(); n != 3 {
		t.Errorf("instances started: got %d, want 3 (first, after exit, after panic)", n)
	}
}

func TestGatewayEnvPerRequest(t *testing.T) {
	var n atomic.Int32
	srv, _ := newGateway(t, GatewayOptions{Env: func() map[string]string {
		return map[string]string{"TENCENTCLOUD_SESSIONTOKEN": "tok" + string(rune('0'+n.Add(1)))}
	}})
	for _, want := range []string{"tok1", "tok2"} {
		r := do(t, "POST", srv.URL+"/", []byte(`{"getenv":["TENCENTCLOUD_SESSIONTOKEN"]}`), nil)
		var e echo
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatalf("%d %s: %v", r.status, r.body, err)
		}
		if got := e.Env["TENCENTCLOUD_SESSIONTOKEN"]; got != want {
			t.Errorf("token: got %q, want %q", got, want)
		}
	}
}

func TestGatewayTooLarge(t *testing.T) {
	srv, starts := newGateway(t, GatewayOptions{})
	r := do(t, "POST", srv.URL+"/", make([]byte, MaxRequestBody+1), nil)
	if r.status != 413 || !strings.Contains(string(r.body), "RequestTooLarge") {
		t.Errorf("got %d %s, want 413 RequestTooLarge", r.status, r.body)
	}
	if n := starts.Load(); n != 0 {
		t.Errorf("instances started: got %d, want 0 (refused before invoking)", n)
	}
}

func TestParseQueryString(t *testing.T) {
	tests := []struct {
		raw  string
		want map[string]any
	}{
		{"", map[string]any{}},
		{"a=1", map[string]any{"a": "1"}},
		{"a=1&a=2&a=3", map[string]any{"a": []string{"1", "2", "3"}}},
		{"flag&x=", map[string]any{"flag": true, "x": ""}},
		{"k%20y=v%2Bw+z", map[string]any{"k y": "v+w z"}},
	}
	for _, tt := range tests {
		if got := parseQueryString(tt.raw); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseQueryString(%q): got %#v, want %#v", tt.raw, got, tt.want)
		}
	}
}

func TestGatewayTimeout(t *testing.T) {
	srv, starts := newGateway(t, GatewayOptions{Timeout: 200 * time.Millisecond})
	r := do(t, "POST", srv.URL+"/", []byte(`{"sleepMs":15000,"deaf":true}`), nil)
	if r.status != 504 || !strings.Contains(string(r.body), "FunctionTimeout") {
		t.Errorf("got %d %s, want 504 FunctionTimeout", r.status, r.body)
	}
	eventOf(t, do(t, "GET", srv.URL+"/", nil, nil))
	if n := starts.Load(); n != 2 {
		t.Errorf("instances started: got %d, want 2 (the deaf one is discarded)", n)
	}
}
