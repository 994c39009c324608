package dts

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"dtsreset/internal/reset"
)

const testRoleARN = "qcs::cam::uin/100000000001:roleName/dts-reset"

// setBaseKeys sets the execution role's keys as SCF does before an invocation.
func setBaseKeys(t *testing.T, id, key, token string) {
	t.Helper()
	t.Setenv(EnvSCFSecretID, id)
	t.Setenv(EnvSCFSecretKey, key)
	t.Setenv(EnvSCFSessionToken, token)
}

// newRoleTest returns an STS stand-in that accepts the base keys AKIDbase1, a DTS fake that accepts only the
// first two assumed keys, and a client between them whose role cache reads clock.
func newRoleTest(t *testing.T) (*fakeSTS, *fakeDTS, *Client, *atomic.Int64) {
	t.Helper()
	clock := new(atomic.Int64)
	clock.Store(time.Now().Unix())
	sts := newMemorySTS(testRoleARN, clock)
	sts.setKeys(map[string][2]string{"AKIDbase1": {"key-base1", "token-base1"}})
	setBaseKeys(t, "AKIDbase1", "key-base1", "token-base1")
	f := newMemoryDTS(t)
	f.setKeys(assumedKeys(2))
	c := newTestClient(t, f, Options{RoleARN: testRoleARN, STSEndpoint: "http://sts.test", Credentials: EnvCredentials()})
	// Both fakes are in memory, so that the timing tests run in synctest bubbles (real sockets would keep
	// the bubble's clock from advancing); one transport routes each request by host.
	route := hostRoutes{"dts.test": f.transport, "sts.test": memoryTransport{http.HandlerFunc(sts.serve)}}
	c.transport = route
	role := c.creds.(*roleCredentials)
	role.sts.transport = route
	role.now = func() time.Time { return time.Unix(clock.Load(), 0) }
	return sts, f, c, clock
}

// hostRoutes sends each request to the transport of its host.
type hostRoutes map[string]http.RoundTripper

func (h hostRoutes) RoundTrip(r *http.Request) (*http.Response, error) {
	next, ok := h[r.URL.Host]
	if !ok {
		return nil, fmt.Errorf("no fake serves host %q", r.URL.Host)
	}
	return next.RoundTrip(r)
}

func TestRoleARNAssumesCachesAndRefreshes(t *testing.T) {
	sts, f, c, clock := newRoleTest(t)
	ctx := ctxTimeout(t, 5*time.Second)
	start := clock.Load()
	lastDTS := func() seen { r := f.requests(); return r[len(r)-1] }

	if _, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123"); err != nil {
		t.Fatalf("first call: got %v, want success", err)
	}
	reqs := sts.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d STS requests, want 1", len(reqs))
	}
	want := stsSeen{Action: "AssumeRole", Version: "2018-08-13", SecretID: "AKIDbase1", Token: "token-base1",
		Verified: true, Body: AssumeRoleRequest{RoleArn: testRoleARN,
			RoleSessionName: "dtsreset-" + strconv.FormatInt(start, 10), DurationSeconds: 3600}}
	if reqs[0] != want {
		t.Errorf("STS request: got %+v, want %+v", reqs[0], want)
	}
	if r := lastDTS(); !r.Verified || r.SecretID != "AKIDassumed1" || r.Token != "token-assumed1" {
		t.Errorf("DTS request: got verified=%v %q %q, want the assumed keys AKIDassumed1", r.Verified, r.SecretID, r.Token)
	}

	// Half an hour later, within the keys' validity: the cache answers.
	clock.Add(30 * 60)
	if _, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123"); err != nil {
		t.Fatalf("second call: got %v, want success", err)
	}
	if n := len(sts.requests()); n != 1 {
		t.Errorf("got %d STS requests after a call within validity, want 1", n)
	}
	if r := lastDTS(); r.SecretID != "AKIDassumed1" {
		t.Errorf("DTS request: got %q, want the cached AKIDassumed1", r.SecretID)
	}

	// SCF rotates the execution role's keys and the old ones stop working; past the refresh point (80% of
	// the hour) the role must be assumed again with the new ones.
	setBaseKeys(t, "AKIDbase2", "key-base2", "token-base2")
	sts.setKeys(map[string][2]string{"AKIDbase2": {"key-base2", "token-base2"}})
	clock.Add(20 * 60)
	if _, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123"); err != nil {
		t.Fatalf("call after the refresh point: got %v, want success", err)
	}
	reqs = sts.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d STS requests after the refresh point, want 2", len(reqs))
	}
	if r := reqs[1]; !r.Verified || r.SecretID != "AKIDbase2" || r.Token != "token-base2" {
		t.Errorf("second STS request: got verified=%v %q %q, want the current base keys AKIDbase2 token-base2",
			r.Verified, r.SecretID, r.Token)
	}
	if r := lastDTS(); r.SecretID != "AKIDassumed2" || r.Token != "token-assumed2" {
		t.Errorf("DTS request: got %q %q, want the newly assumed AKIDassumed2", r.SecretID, r.Token)
	}
}

// TestRoleARNShorterLifetime: when STS grants less than the hour asked for, the cache follows STS.
func TestRoleARNShorterLifetime(t *testing.T) {
	sts, _, c, clock := newRoleTest(t)
	sts.mu.Lock()
	sts.lifetime = 10 * time.Minute
	sts.mu.Unlock()
	ctx := ctxTimeout(t, 5*time.Second)
	for range 2 {
		if _, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123"); err != nil {
			t.Fatal(err)
		}
		clock.Add(9 * 60) // past 80% of 10 minutes
	}
	if n := len(sts.requests()); n != 2 {
		t.Errorf("got %d STS requests, want 2 (the 10-minute keys refreshed after 8 minutes)", n)
	}
}

// TestRoleARNConcurrentCallsAssumeOnce: the concurrent calls of one reset share one AssumeRole.
func TestRoleARNConcurrentCallsAssumeOnce(t *testing.T) {
	synctest.Test(t, testRoleARNConcurrentCallsAssumeOnce)
}

func testRoleARNConcurrentCallsAssumeOnce(t *testing.T) {
	sts, _, c, _ := newRoleTest(t)
	sts.setFault(func(int, http.ResponseWriter, *http.Request) bool {
		time.Sleep(50 * time.Millisecond) // keep the first AssumeRole in flight while the others arrive
		return false
	})
	ctx := ctxTimeout(t, 5*time.Second)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(sts.requests()); n != 1 {
		t.Errorf("got %d STS requests for 4 concurrent calls, want 1", n)
	}
}

// credsWithSecrets is an AssumeRole reply whose key and token must never be written anywhere.
const credsWithSecrets = `{"Response":{"Credentials":{"Token":"TMP-SECRET-TOKEN","TmpSecretId":"AKIDtmp",` +
	`"TmpSecretKey":"TMP-SECRET-KEY"},"ExpiredTime":4102444800,"Expiration":"2100-01-01T00:00:00Z","RequestId":"r-9"}}`

func TestRoleARNErrors(t *testing.T) {
	reply := func(body string) func(int, http.ResponseWriter, *http.Request) bool {
		return func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			io.WriteString(w, body)
			return true
		}
	}
	tests := []struct {
		name          string
		fault         func(int, http.ResponseWriter, *http.Request) bool
		wrongBaseKey  bool // the client signs with a key STS does not know
		unreachable   bool
		wantCode      string
		wantRequestID string
		wantInMessage string
	}{
		{name: "role does not exist",
			fault:    reply(`{"Response":{"Error":{"Code":"InvalidParameter.RoleNotExist","Message":"role not exist"},"RequestId":"r-1"}}`),
			wantCode: reset.CodeUpstreamAuth, wantRequestID: "r-1", wantInMessage: "execution role cannot assume the role"},
		{name: "not allowed",
			fault:    reply(`{"Response":{"Error":{"Code":"AuthFailure.UnauthorizedOperation","Message":"not allowed"},"RequestId":"r-2"}}`),
			wantCode: reset.CodeUpstreamAuth, wantRequestID: "r-2", wantInMessage: "sts:AssumeRole"},
		{name: "signature refused", wrongBaseKey: true,
			wantCode: reset.CodeUpstreamAuth, wantRequestID: "sts-req-1", wantInMessage: "AuthFailure.SignatureFailure"},
		{name: "STS internal error",
			fault:    reply(`{"Response":{"Error":{"Code":"InternalError","Message":"oops"},"RequestId":"r-3"}}`),
			wantCode: reset.CodeUpstreamFailure, wantRequestID: "r-3", wantInMessage: "try again later"},
		{name: "non-JSON 502", fault: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>bad gateway</html>")
			return true
		}, wantCode: reset.CodeUpstreamFailure, wantInMessage: "STS could not be reached or gave no usable answer"},
		// A reply that holds the temporary keys but fails to parse (an edge proxy appended a comment), and
		// one with an error status: the SDK quotes the body in its error, and the error reaches the log.
		{name: "keys then garbage", fault: reply(credsWithSecrets + "\n<!-- edge cache -->"),
			wantCode: reset.CodeUpstreamFailure, wantInMessage: "STS could not be reached or gave no usable answer"},
		{name: "keys with a 502", fault: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, credsWithSecrets)
			return true
		}, wantCode: reset.CodeUpstreamFailure, wantInMessage: "STS could not be reached or gave no usable answer"},
		{name: "unreachable", unreachable: true,
			wantCode: reset.CodeUpstreamFailure, wantInMessage: "STS could not be reached or gave no usable answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts, f, c, _ := newRoleTest(t)
			sts.setFault(tt.fault)
			if tt.wrongBaseKey {
				setBaseKeys(t, "AKIDbase1", "not-the-key", "token-base1")
			}
			if tt.unreachable {
				dead := httptest.NewServer(http.NotFoundHandler())
				dead.Close()
				c.creds.(*roleCredentials).sts.host = strings.TrimPrefix(dead.URL, "http://")
			}
			_, err := c.DescribeSubscribeDetail(ctxTimeout(t, 5*time.Second), "", "subs-abc123")
			e, ok := err.(*reset.Error)
			if !ok {
				t.Fatalf("got %T %v, want a *reset.Error", err, err)
			}
			if e.Kind != reset.KindUpstream || e.Code != tt.wantCode || e.RequestID != tt.wantRequestID {
				t.Errorf("got %v %q RequestId %q, want upstream (502) %q RequestId %q",
					e.Kind, e.Code, e.RequestID, tt.wantCode, tt.wantRequestID)
			}
			if !strings.Contains(e.Message, testRoleARN) || !strings.Contains(e.Message, tt.wantInMessage) {
				t.Errorf("got message %q, want it to name %s and say %q", e.Message, testRoleARN, tt.wantInMessage)
			}
			for _, leak := range []string{"<html>", "127.0.0.1", "not-the-key", "token-base1"} {
				if strings.Contains(e.Message, leak) {
					t.Errorf("got message %q, want %q kept out of it", e.Message, leak)
				}
			}
			// The cause is logged (handler's outcome line): no secret anywhere in the chain.
			for _, text := range []string{e.Error(), fmt.Sprint(e.Err), fmt.Sprintf("%+v", e.Err)} {
				for _, leak := range []string{"not-the-key", "token-base1", "TMP-SECRET-KEY", "TMP-SECRET-TOKEN"} {
					if strings.Contains(text, leak) {
						t.Errorf("the error chain %q holds the secret %q", text, leak)
					}
				}
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("got %d DTS requests, want 0 (no keys to sign with)", n)
			}
		})
	}
}

// TestRoleARNSlowSTSTimesOut runs in a synctest bubble: the deadline is fake time, so the bound is exact.
func TestRoleARNSlowSTSTimesOut(t *testing.T) { synctest.Test(t, testRoleARNSlowSTSTimesOut) }

func testRoleARNSlowSTSTimesOut(t *testing.T) {
	sts, f, c, _ := newRoleTest(t)
	sts.setFault(func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return true
	})
	const deadline = 300 * time.Millisecond
	start := time.Now()
	_, err := c.DescribeSubscribeDetail(ctxTimeout(t, deadline), "", "subs-abc123")
	elapsed := time.Since(start)
	e, ok := err.(*reset.Error)
	if !ok || e.Kind != reset.KindTimeout || e.Code != reset.CodeDeadlineExceeded {
		t.Fatalf("got %T %v, want a timeout %s", err, err, reset.CodeDeadlineExceeded)
	}
	if !strings.Contains(e.Message, testRoleARN) {
		t.Errorf("got message %q, want it to name the role", e.Message)
	}
	if elapsed != deadline {
		t.Errorf("returned after %v, want at the %v deadline", elapsed, deadline)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("got %d DTS requests, want 0", n)
	}
}

// TestRoleARNWaitHonoursDeadline: a call queued behind a slow AssumeRole gives up at its own deadline.
func TestRoleARNWaitHonoursDeadline(t *testing.T) { synctest.Test(t, testRoleARNWaitHonoursDeadline) }

func testRoleARNWaitHonoursDeadline(t *testing.T) {
	sts, _, c, _ := newRoleTest(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	sts.setFault(func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return false
	})
	first := make(chan error, 1)
	go func() {
		_, err := c.DescribeSubscribeDetail(ctxTimeout(t, 5*time.Second), "", "subs-abc123")
		first <- err
	}()
	select {
	case <-arrived: // the first call now holds the lock, its AssumeRole in flight
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("the first call's AssumeRole never reached STS within 5s")
	}
	start := time.Now()
	_, err := c.DescribeSubscribeDetail(ctxTimeout(t, 100*time.Millisecond), "", "subs-abc123")
	if e := reset.AsError(err); e.Kind != reset.KindTimeout {
		t.Errorf("got %v %q, want a timeout", e.Kind, e.Code)
	}
	if d := time.Since(start); d != 100*time.Millisecond {
		t.Errorf("returned after %v, want at its 100ms deadline", d)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("first call: got %v, want success once STS answered", err)
	}
}

func TestNewClientSTSEndpoint(t *testing.T) {
	tests := []struct {
		endpoint, host, scheme string
		wantErr                bool
	}{
		{"", DefaultSTSEndpoint, "HTTPS", false},
		{"sts.intl.tencentcloudapi.com", "sts.intl.tencentcloudapi.com", "HTTPS", false},
		{"http://127.0.0.1:9124", "127.0.0.1:9124", "HTTP", false},
		{"https://sts.tencentcloudapi.com/", "sts.tencentcloudapi.com", "HTTPS", false},
		{"http://h/sts", "", "", true},
		{"ftp://h", "", "", true},
	}
	for _, tt := range tests {
		c, err := NewClient(Options{RoleARN: testRoleARN, STSEndpoint: tt.endpoint})
		if tt.wantErr {
			if err == nil {
				t.Errorf("NewClient(STSEndpoint %q): got no error, want one", tt.endpoint)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewClient(STSEndpoint %q): got %v", tt.endpoint, err)
			continue
		}
		sts := c.creds.(*roleCredentials).sts
		if sts.host != tt.host || sts.scheme != tt.scheme {
			t.Errorf("NewClient(STSEndpoint %q): got %q %q, want %q %q", tt.endpoint, sts.host, sts.scheme, tt.host, tt.scheme)
		}
	}
}
