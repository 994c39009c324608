package dts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"

	"dtsreset/internal/reset"
)

func TestRequestShapesAndReplies(t *testing.T) {
	f := newFakeDTS(t)
	c := newTestClient(t, f, Options{})
	ctx := ctxTimeout(t, 5*time.Second)

	tests := []struct {
		name       string
		do         func() (any, error)
		action     string
		region     string
		wantBody   map[string]any
		wantResult any
	}{
		{
			name: "reset sends integer partitions and Beijing time as given, in the payload's region",
			do: func() (any, error) {
				return c.ResetConsumerGroupOffset(ctx, "ap-shanghai", reset.ResetCall{SubscribeID: "subs-abc123",
					TopicName: "topic-subs-abc123-cdb-1", ConsumerGroupName: "consumer-grp-subs-abc123-g1",
					PartitionNos: []int{0, 2, 10}, ResetMode: "datetime", ResetDatetime: "2023-05-16 08:00:00"})
			},
			action: ActionResetConsumerGroupOffset, region: "ap-shanghai",
			wantBody: map[string]any{"SubscribeId": "subs-abc123", "TopicName": "topic-subs-abc123-cdb-1",
				"ConsumerGroupName": "consumer-grp-subs-abc123-g1",
				"PartitionNos":      []any{json.Number("0"), json.Number("2"), json.Number("10")},
				"ResetMode":         "datetime", "ResetDatetime": "2023-05-16 08:00:00"},
			wantResult: "req-ResetConsumerGroupOffset-1",
		},
		{
			name: "reset without a datetime omits ResetDatetime, default region",
			do: func() (any, error) {
				return c.ResetConsumerGroupOffset(ctx, "", reset.ResetCall{SubscribeID: "subs-abc123",
					TopicName: "t", ConsumerGroupName: "consumer-grp-subs-abc123-1", PartitionNos: []int{1},
					ResetMode: "earliest"})
			},
			action: ActionResetConsumerGroupOffset, region: "ap-guangzhou",
			wantBody: map[string]any{"SubscribeId": "subs-abc123", "TopicName": "t",
				"ConsumerGroupName": "consumer-grp-subs-abc123-1", "PartitionNos": []any{json.Number("1")},
				"ResetMode": "earliest"},
			wantResult: "req-ResetConsumerGroupOffset-2",
		},
		{
			name: "describe consumer groups decodes every field, offsets beyond 2^53 exact",
			do: func() (any, error) {
				return c.DescribeConsumerGroups(ctx, "", "subs-abc123", 10, 10)
			},
			action: ActionDescribeConsumerGroups, region: "ap-guangzhou",
			wantBody: map[string]any{"SubscribeId": "subs-abc123", "Offset": json.Number("10"), "Limit": json.Number("10")},
			wantResult: reset.GroupPage{RequestID: "req-DescribeConsumerGroups-1", TotalCount: 11, Groups: []reset.Group{{
				Name: "consumer-grp-subs-abc123-g1", State: "Stable",
				Partitions: []reset.PartitionState{{PartitionNo: 0, Offset: 120}, {PartitionNo: 1, Offset: 9007199254740993, Lag: 7}},
				Assignment: []reset.Assignment{{ClientID: "consumer-1", PartitionNos: []int{0, 1}}},
			}}},
		},
		{
			name: "describe offset by time sends the time, even empty",
			do: func() (any, error) {
				return c.DescribeOffsetByTime(ctx, "", "subs-abc123", "")
			},
			action: ActionDescribeOffsetByTime, region: "ap-guangzhou",
			wantBody: map[string]any{"SubscribeId": "subs-abc123", "Time": ""},
			wantResult: reset.Offsets{RequestID: "req-DescribeOffsetByTime-1", Partitions: []reset.PartitionOffset{
				{PartitionNo: 0, Offset: 100}, {PartitionNo: 1, Offset: 250}, {PartitionNo: 2, Offset: 0}}},
		},
		{
			name: "describe subscribe detail",
			do: func() (any, error) {
				return c.DescribeSubscribeDetail(ctx, "ap-beijing", "subs-abc123")
			},
			action: ActionDescribeSubscribeDetail, region: "ap-beijing",
			wantBody: map[string]any{"SubscribeId": "subs-abc123"},
			wantResult: reset.Subscription{RequestID: "req-DescribeSubscribeDetail-1", SubscribeID: "subs-abc123", Topic: "topic-subs-abc123-cdb-1",
				Region: "ap-guangzhou", Status: "normal", SubsStatus: "running"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.requests())
			got, err := tt.do()
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			reqs := f.requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if !r.Verified || r.SecretID != "AKIDtest" || r.Token != "token-test" {
				t.Errorf("got verified=%v secretId=%q token=%q, want a verified request signed by AKIDtest with its token", r.Verified, r.SecretID, r.Token)
			}
			if r.Action != tt.action || r.Version != Version || r.Region != tt.region {
				t.Errorf("got action %q version %q region %q, want %q %q %q", r.Action, r.Version, r.Region, tt.action, Version, tt.region)
			}
			if !reflect.DeepEqual(r.Body, tt.wantBody) {
				t.Errorf("got body %#v, want %#v", r.Body, tt.wantBody)
			}
			if !reflect.DeepEqual(got, tt.wantResult) {
				t.Errorf("got result %#v, want %#v", got, tt.wantResult)
			}
			if s, ok := got.(string); ok && s != r.RequestID {
				t.Errorf("got RequestId %q, want the server's %q", s, r.RequestID)
			}
		})
	}
}

// TestDecodeEveryField checks the typed responses keep every documented field, including those the port
// does not expose.
func TestDecodeEveryField(t *testing.T) {
	var groups DescribeConsumerGroupsResponse
	if err := DecodeResponse([]byte(strings.Replace(canned[ActionDescribeConsumerGroups], "%s", "rid", 1)), &groups); err != nil {
		t.Fatal(err)
	}
	want := DescribeConsumerGroupsResponse{TotalCount: 11, RequestID: "rid", Items: []GroupInfo{{
		Account: "account-subs-abc123-acct1", ConsumerGroupName: "consumer-grp-subs-abc123-g1", Description: "nightly",
		ConsumerGroupOffset: 9007199254740993, ConsumerGroupLag: 7, Latency: 3,
		StateOfPartition: []MonitorInfo{{PartitionNo: 0, ConsumerGroupOffset: 120},
			{PartitionNo: 1, ConsumerGroupOffset: 9007199254740993, ConsumerGroupLag: 7, Latency: 3}},
		CreatedAt: "2023-05-16 00:00:00", UpdatedAt: "2023-05-17 08:30:00", ConsumerGroupState: "Stable",
		PartitionAssignment: []PartitionAssignment{{ClientID: "consumer-1", PartitionNo: []int{0, 1}}},
	}}}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("got %#v, want %#v", groups, want)
	}
	var detail DescribeSubscribeDetailResponse
	if err := DecodeResponse([]byte(strings.Replace(canned[ActionDescribeSubscribeDetail], "%s", "rid", 1)), &detail); err != nil {
		t.Fatal(err)
	}
	wantDetail := DescribeSubscribeDetailResponse{SubscribeID: "subs-abc123", SubscribeName: "orders", Region: "ap-guangzhou",
		Topic: "topic-subs-abc123-cdb-1", Broker: "kafka.example:9092", SubsStatus: "running", Status: "normal",
		KafkaVersion: "2.8", SubscribeVersion: "kafka", Product: "mysql", InstanceID: "cdb-xyz", RequestID: "rid"}
	if detail != wantDetail {
		t.Errorf("got %#v, want %#v", detail, wantDetail)
	}
}

func TestDecodeResponseRefusesNonSuccess(t *testing.T) {
	for _, body := range []string{``, `null`, `[]`, `{}`, `{"Response":null}`, `{"Response":[]}`,
		`{"Response":{"Error":{"Code":"InternalError","Message":"x"},"RequestId":"r"}}`,
		`{"Response":{"TotalCount":"many"}}`} {
		var out DescribeConsumerGroupsResponse
		if err := DecodeResponse([]byte(body), &out); err == nil {
			t.Errorf("DecodeResponse(%q): got no error, want one", body)
		}
	}
}

// TestDecodeResponseErrorObject guards the bug where an Error object without a Code decoded as a success: the
// SDK only reports an Error that has a Code, so such a reply reached DecodeResponse and was read as an answer.
func TestDecodeResponseErrorObject(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode string // "" means success
		wantRID  string
	}{
		{"Error with a Code", `{"Response":{"Error":{"Code":"ResourceNotFound","Message":"x"},"RequestId":"r"}}`, "ResourceNotFound", "r"},
		{"Error with an empty Code", `{"Response":{"Error":{"Code":"","Message":"x"},"RequestId":"r"}}`, reset.CodeUpstreamFailure, "r"},
		{"Error without a Code", `{"Response":{"Error":{"Message":"x"},"RequestId":"r"}}`, reset.CodeUpstreamFailure, "r"},
		{"Error {}", `{"Response":{"Error":{},"RequestId":"r"}}`, reset.CodeUpstreamFailure, "r"},
		{"Error in another case", `{"Response":{"error":{"Message":"x"},"RequestId":"r"}}`, reset.CodeUpstreamFailure, "r"},
		{"Error not an object", `{"Response":{"Error":"boom","RequestId":"r"}}`, codeParseJSON, "r"},
		{"Error null is a success", `{"Response":{"Error":null,"TotalCount":1,"Items":[],"RequestId":"r"}}`, "", ""},
		{"no Error is a success", `{"Response":{"TotalCount":1,"Items":[],"RequestId":"r"}}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out DescribeConsumerGroupsResponse
			err := DecodeResponse([]byte(tt.body), &out)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("got error %v, want success", err)
				}
				if out.TotalCount != 1 || out.RequestID != "r" {
					t.Errorf("got %+v, want TotalCount 1 and RequestId r", out)
				}
				return
			}
			var sdk *tcerr.TencentCloudSDKError
			if !errors.As(err, &sdk) {
				t.Fatalf("got %v (%T), want an SDK error %s", err, err, tt.wantCode)
			}
			if sdk.Code != tt.wantCode || sdk.RequestId != tt.wantRID {
				t.Errorf("got code %q RequestId %q, want %q %q", sdk.Code, sdk.RequestId, tt.wantCode, tt.wantRID)
			}
			if e := Classify(err, ActionDescribeConsumerGroups); e.RequestID != tt.wantRID {
				t.Errorf("classified with RequestId %q, want %q", e.RequestID, tt.wantRID)
			}
		})
	}
}

// TestCodelessErrorReplyFails drives the same bug through the SDK: a reply whose Error has no Code fails the
// call, with the RequestId of the reply.
func TestCodelessErrorReplyFails(t *testing.T) {
	f := newFakeDTS(t)
	c := newTestClient(t, f, Options{})
	f.setFault(func(_ int, s seen, w http.ResponseWriter, _ *http.Request) bool {
		io.WriteString(w, `{"Response":{"Error":{"Message":"x"},"RequestId":"`+s.RequestID+`"}}`)
		return true
	})
	_, err := c.DescribeConsumerGroups(ctxTimeout(t, 5*time.Second), "", "subs-abc123", 0, 10)
	e := reset.AsError(err)
	if err == nil || e.Code != reset.CodeUpstreamFailure {
		t.Fatalf("got %v, want %s", err, reset.CodeUpstreamFailure)
	}
	reqs := f.requests()
	if last := reqs[len(reqs)-1].RequestID; e.RequestID != last {
		t.Errorf("got RequestId %q, want the last reply's %q", e.RequestID, last)
	}
}

// TestCredentialsRotate guards the SCF behaviour that keys change between invocations: a client that cached
// the first invocation's keys would be refused once they expire.
func TestCredentialsRotate(t *testing.T) {
	f := newFakeDTS(t)
	c := newTestClient(t, f, Options{Credentials: EnvCredentials()})
	ctx := ctxTimeout(t, 5*time.Second)

	t.Setenv(EnvSCFSecretID, "AKIDone")
	t.Setenv(EnvSCFSecretKey, "key-one")
	t.Setenv(EnvSCFSessionToken, "token-one")
	f.setKeys(map[string][2]string{"AKIDone": {"key-one", "token-one"}})
	if _, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123"); err != nil {
		t.Fatalf("first invocation: got %v, want success", err)
	}

	t.Setenv(EnvSCFSecretID, "AKIDtwo")
	t.Setenv(EnvSCFSecretKey, "key-two")
	t.Setenv(EnvSCFSessionToken, "token-two")
	f.setKeys(map[string][2]string{"AKIDtwo": {"key-two", "token-two"}})
	if _, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123"); err != nil {
		t.Fatalf("second invocation: got %v, want success", err)
	}

	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	for i, want := range []struct{ id, token string }{{"AKIDone", "token-one"}, {"AKIDtwo", "token-two"}} {
		if !reqs[i].Verified || reqs[i].SecretID != want.id || reqs[i].Token != want.token {
			t.Errorf("request %d: got verified=%v %q %q, want %q %q", i+1, reqs[i].Verified, reqs[i].SecretID, reqs[i].Token, want.id, want.token)
		}
	}
}

func TestCredentialsFallBackToSDKNames(t *testing.T) {
	f := newFakeDTS(t)
	c := newTestClient(t, f, Options{Credentials: EnvCredentials()})
	t.Setenv(EnvSCFSecretID, "")
	t.Setenv(EnvSCFSecretKey, "")
	t.Setenv(EnvSCFSessionToken, "")
	t.Setenv(EnvSDKSecretID, "AKIDlocal")
	t.Setenv(EnvSDKSecretKey, "key-local")
	f.setKeys(map[string][2]string{"AKIDlocal": {"key-local", ""}})

	if _, err := c.DescribeSubscribeDetail(ctxTimeout(t, 5*time.Second), "", "subs-abc123"); err != nil {
		t.Fatalf("got %v, want success", err)
	}
	r := f.requests()[0]
	if !r.Verified || r.SecretID != "AKIDlocal" || r.Token != "" {
		t.Errorf("got verified=%v %q token %q, want AKIDlocal without a token", r.Verified, r.SecretID, r.Token)
	}
}

func TestMissingCredentials(t *testing.T) {
	f := newFakeDTS(t)
	noCreds := CredentialFunc(func(context.Context) (common.CredentialIface, error) {
		return nil, errors.New("no credential found in every providers")
	})
	c := newTestClient(t, f, Options{Credentials: noCreds})
	_, err := c.DescribeSubscribeDetail(ctxTimeout(t, time.Second), "", "subs-abc123")
	e := reset.AsError(err)
	if e.Kind != reset.KindUpstream || e.Code != reset.CodeUpstreamAuth || !strings.Contains(e.Message, "execution role") {
		t.Errorf("got %v (%v), want upstream %s naming the execution role", e, e.Kind, reset.CodeUpstreamAuth)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("got %d requests, want 0", n)
	}
}

func TestUpstreamErrors(t *testing.T) {
	tests := []struct {
		code      string
		wantKind  reset.Kind
		wantCalls int
		wantInMsg string
	}{
		{"InvalidParameter", reset.KindInvalid, 1, "bad value"},
		{"InvalidParameterValue.PartitionNos", reset.KindInvalid, 1, "bad value"},
		{"MissingParameter", reset.KindInvalid, 1, ""},
		{"UnknownParameter", reset.KindInvalid, 1, ""},
		{"UnsupportedOperation", reset.KindInvalid, 1, ""},
		{"ResourceNotFound", reset.KindNotFound, 1, "bad value"},
		{"ResourceNotFound.ResourceNotFoundError", reset.KindNotFound, 1, ""},
		{"OperationDenied", reset.KindForbidden, 1, ""},
		{"FailedOperation", reset.KindConflict, 1, ""},
		{"AuthFailure.UnauthorizedOperation", reset.KindUpstream, 1, "execution role"},
		{"UnauthorizedOperation", reset.KindUpstream, 1, "dts:DescribeSubscribeDetail"},
		{"RequestLimitExceeded", reset.KindThrottled, 9, ""}, // 3 of our attempts x (1 + 2 SDK retries)
		{"InternalError", reset.KindUpstream, 3, ""},
		{"InternalError.InternalError", reset.KindUpstream, 3, ""},
		{"SomethingNew", reset.KindUpstream, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			f := newFakeDTS(t)
			f.setFault(func(n int, s seen, w http.ResponseWriter, _ *http.Request) bool {
				io.WriteString(w, errorReply(tt.code, "bad value", s.RequestID))
				return true
			})
			c := newTestClient(t, f, Options{})
			_, err := c.DescribeSubscribeDetail(ctxTimeout(t, 5*time.Second), "", "subs-abc123")
			var e *reset.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T %v, want *reset.Error", err, err)
			}
			reqs := f.requests()
			if e.Kind != tt.wantKind || e.Code != tt.code {
				t.Errorf("got kind %v code %q, want %v %q", e.Kind, e.Code, tt.wantKind, tt.code)
			}
			if len(reqs) != tt.wantCalls {
				t.Errorf("got %d calls, want %d", len(reqs), tt.wantCalls)
			}
			if last := reqs[len(reqs)-1].RequestID; e.RequestID != last {
				t.Errorf("got RequestId %q, want the server's %q", e.RequestID, last)
			}
			if !strings.Contains(e.Message, tt.wantInMsg) {
				t.Errorf("got message %q, want it to contain %q", e.Message, tt.wantInMsg)
			}
			if tt.wantKind == reset.KindThrottled && e.RetryAfter != time.Second {
				t.Errorf("got RetryAfter %v, want 1s", e.RetryAfter)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	internalTwice := func(n int, s seen, w http.ResponseWriter, _ *http.Request) bool {
		if n <= 2 {
			io.WriteString(w, errorReply("InternalError", "try later", s.RequestID))
			return true
		}
		return false
	}
	dropOnce := func(n int, _ seen, w http.ResponseWriter, _ *http.Request) bool {
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return true
		}
		return false
	}
	badGateway := func(_ int, _ seen, w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
		return true
	}
	jsonBadGateway := func(n int, _ seen, w http.ResponseWriter, _ *http.Request) bool {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"message":"upstream unavailable"}`)
			return true
		}
		return false
	}
	tests := []struct {
		name      string
		fault     func(int, seen, http.ResponseWriter, *http.Request) bool
		wantKind  reset.Kind // -1: success
		wantCode  string
		wantCalls int
	}{
		{"InternalError twice then success", internalTwice, -1, "", 3},
		{"dropped connection then success", dropOnce, -1, "", 2},
		{"JSON 503 then success", jsonBadGateway, -1, "", 2},
		{"non-JSON 502 until attempts run out", badGateway, reset.KindUpstream, reset.CodeUpstreamFailure, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeDTS(t)
			f.setFault(tt.fault)
			c := newTestClient(t, f, Options{})
			id, err := c.ResetConsumerGroupOffset(ctxTimeout(t, 5*time.Second), "", reset.ResetCall{
				SubscribeID: "subs-abc123", TopicName: "t", ConsumerGroupName: "consumer-grp-subs-abc123-1",
				PartitionNos: []int{0}, ResetMode: "latest"})
			reqs := f.requests()
			if len(reqs) != tt.wantCalls {
				t.Errorf("got %d calls, want %d", len(reqs), tt.wantCalls)
			}
			if tt.wantKind == -1 {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				if want := reqs[len(reqs)-1].RequestID; id != want {
					t.Errorf("got RequestId %q, want %q", id, want)
				}
				return
			}
			e := reset.AsError(err)
			if e.Kind != tt.wantKind || e.Code != tt.wantCode {
				t.Errorf("got %v %q, want %v %q", e.Kind, e.Code, tt.wantKind, tt.wantCode)
			}
			if strings.Contains(e.Message, "<html>") {
				t.Errorf("got message %q, want the upstream body kept out of it", e.Message)
			}
		})
	}
}

// The deadline tests below run in synctest bubbles against the in-memory fake: time is fake, so their bounds
// are exact and their waits take no real time.

func TestRetriesStopBeforeTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemoryDTS(t)
		f.setFault(func(_ int, s seen, w http.ResponseWriter, _ *http.Request) bool {
			io.WriteString(w, errorReply("InternalError", "try later", s.RequestID))
			return true
		})
		c := newTestClient(t, f, Options{MaxAttempts: 10})
		c.backoff = func(int, bool) time.Duration { return 200 * time.Millisecond }
		c.minAttempt = 150 * time.Millisecond
		const deadline = 500 * time.Millisecond
		start := time.Now()
		_, err := c.DescribeSubscribeDetail(ctxTimeout(t, deadline), "", "subs-abc123")
		// 500ms fits attempt 1, a 200ms wait and attempt 2; after a second 200ms wait, a third attempt would
		// start with less than 150ms left, so the client gives up with the upstream error instead.
		if e := reset.AsError(err); e.Kind != reset.KindUpstream || e.Code != "InternalError" {
			t.Errorf("got %v %q, want the upstream InternalError", e.Kind, e.Code)
		}
		if n := len(f.requests()); n != 2 {
			t.Errorf("got %d calls, want 2", n)
		}
		if d := time.Since(start); d != 200*time.Millisecond {
			t.Errorf("returned after %v, want 200ms (one wait, then the upstream error)", d)
		}
	})
}

func TestBoundedBackoff(t *testing.T) {
	const minAttempt = 200 * time.Millisecond
	tests := []struct {
		name       string
		left       time.Duration // until ctx's deadline; 0: no deadline
		backoff    time.Duration // what the unbounded back-off asks for
		atMost     time.Duration
		atLeast    time.Duration
		noDeadline bool
	}{
		{"fits", 5 * time.Second, 600 * time.Millisecond, 600 * time.Millisecond, 600 * time.Millisecond, false},
		{"cut to minAttempt before the deadline", 500 * time.Millisecond, 600 * time.Millisecond, 300 * time.Millisecond, 250 * time.Millisecond, false},
		{"less than minAttempt left", 100 * time.Millisecond, 600 * time.Millisecond, 0, 0, false},
		{"deadline passed", -time.Second, 600 * time.Millisecond, 0, 0, false},
		{"no deadline", 0, 600 * time.Millisecond, 600 * time.Millisecond, 600 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if !tt.noDeadline {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, time.Now().Add(tt.left))
				defer cancel()
			}
			got := boundedBackoff(ctx, func(int) time.Duration { return tt.backoff }, minAttempt)(0)
			if got > tt.atMost || got < tt.atLeast {
				t.Errorf("got %v, want between %v and %v", got, tt.atLeast, tt.atMost)
			}
		})
	}
}

// TestLateThrottleStaysInsideTheDeadline: an attempt throttled at once, then one that the API answers late, again
// with RequestLimitExceeded. The SDK sleeps before its next retry with time.Sleep, which ctx cannot cut short;
// that sleep must not carry the call past its deadline.
func TestLateThrottleStaysInsideTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 3s leaves room for all of the SDK's retries by the up-front budget (2 x 600ms sleeps + 3 x 200ms
		// attempts), which assumes quick attempts; the second one then takes 2.5s.
		const (
			deadline = 3 * time.Second
			late     = 2500 * time.Millisecond
		)
		f := newMemoryDTS(t)
		f.setFault(func(n int, s seen, w http.ResponseWriter, r *http.Request) bool {
			if n == 2 {
				select {
				case <-time.After(late):
				case <-r.Context().Done():
					return true
				}
			}
			io.WriteString(w, errorReply("RequestLimitExceeded", "too many requests", s.RequestID))
			return true
		})
		c := newTestClient(t, f, Options{})
		// The production back-offs: 250-350ms, then 500-600ms, each slept by the SDK deaf to ctx.
		c.sdkBackoff, c.sdkBackoffMax, c.minAttempt = sdkBackoff, sdkBackoffMax, 200*time.Millisecond
		ctx := ctxTimeout(t, deadline)
		end, _ := ctx.Deadline()
		_, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123")
		if e := reset.AsError(err); e.Kind != reset.KindThrottled && e.Kind != reset.KindTimeout {
			t.Errorf("got %v %q, want throttled or timeout", e.Kind, e.Code)
		}
		if n := len(f.requests()); n < 2 {
			t.Fatalf("got %d requests, want the late second one to have happened", n)
		}
		// Unbounded, the second sleep (500-600ms) starts 2.5s+ in and ends past the deadline. Bounded, the
		// call ends by the deadline.
		if over := time.Since(end); over > 0 {
			t.Errorf("returned %v after the deadline, want by it", over)
		}
	})
}

func TestSlowServerTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemoryDTS(t)
		f.setFault(func(_ int, _ seen, _ http.ResponseWriter, r *http.Request) bool {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return true
		})
		c := newTestClient(t, f, Options{})
		const deadline = 300 * time.Millisecond
		start := time.Now()
		_, err := c.DescribeConsumerGroups(ctxTimeout(t, deadline), "", "subs-abc123", 0, 10)
		elapsed := time.Since(start)
		if e := reset.AsError(err); e.Kind != reset.KindTimeout || e.Code != reset.CodeDeadlineExceeded {
			t.Errorf("got %v %q (%v), want timeout %s", e.Kind, e.Code, err, reset.CodeDeadlineExceeded)
		}
		if elapsed != deadline {
			t.Errorf("returned after %v, want at the %v deadline", elapsed, deadline)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("got %d calls, want 1 (a timed-out invocation is not retried)", n)
		}
	})
}

func TestKeepAlive(t *testing.T) {
	f := newFakeDTS(t)
	c := newTestClient(t, f, Options{})
	ctx := ctxTimeout(t, 5*time.Second)
	for range 3 {
		if _, err := c.DescribeOffsetByTime(ctx, "", "subs-abc123", "2023-05-16 00:00:00"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.newConns.Load(); n != 1 {
		t.Errorf("got %d TCP connections for 3 calls, want 1", n)
	}
}

func TestNewClientEndpoints(t *testing.T) {
	tests := []struct {
		endpoint, host, scheme string
		wantErr                bool
	}{
		{"", DefaultEndpoint, "HTTPS", false},
		{"dts.tencentcloudapi.com", "dts.tencentcloudapi.com", "HTTPS", false},
		{"127.0.0.1:9123", "127.0.0.1:9123", "HTTPS", false},
		{"http://127.0.0.1:9123", "127.0.0.1:9123", "HTTP", false},
		{"http://127.0.0.1:9123/", "127.0.0.1:9123", "HTTP", false},
		{"https://dts.ap-guangzhou.tencentcloudapi.com", "dts.ap-guangzhou.tencentcloudapi.com", "HTTPS", false},
		{"ftp://x", "", "", true},
		{"http://", "", "", true},
		{"http://h/api", "", "", true},
		{"h/api", "", "", true},
		{"HTTP://127.0.0.1:9123", "127.0.0.1:9123", "HTTP", false},
		{"http://LOCALHOST:9123", "localhost:9123", "HTTP", false}, // the SDK signs the host as written
		{"DTS.TencentCloudAPI.com", "dts.tencentcloudapi.com", "HTTPS", false},
		{"http://user:pw@127.0.0.1:9123", "", "", true},
		{"user@127.0.0.1:9123", "", "", true},
		{"http://127.0.0.1:9123#x", "", "", true},
		{"http://127.0.0.1:9123?a=1", "", "", true},
		{"dts.tencentcloudapi.com\t", "", "", true},
	}
	for _, tt := range tests {
		c, err := NewClient(Options{Endpoint: tt.endpoint})
		if tt.wantErr {
			if err == nil {
				t.Errorf("NewClient(%q): got no error, want one", tt.endpoint)
			}
			continue
		}
		if err != nil || c.host != tt.host || c.scheme != tt.scheme {
			t.Errorf("NewClient(%q): got %q %q %v, want %q %q", tt.endpoint, c.host, c.scheme, err, tt.host, tt.scheme)
		}
	}
	if _, err := NewClient(Options{RateLimitPerSecond: -1}); err == nil {
		t.Error("negative rate: got no error, want one")
	}
}

// TestParseEndpointHidesUserInfo: the error is logged at start; a password in the endpoint must not be in it.
func TestParseEndpointHidesUserInfo(t *testing.T) {
	for _, ep := range []string{
		"http://proxyuser:S3cret-pw@127.0.0.1:9123",
		"https://proxyuser:S3cret-pw@dts.tencentcloudapi.com/",
		"proxyuser:S3cret-pw@dts.tencentcloudapi.com",
		"ftp://proxyuser:S3cret-pw@h",
		"http://u:S3cret-pw@h@x/p",
	} {
		_, _, err := ParseEndpoint(ep)
		if err == nil {
			t.Errorf("ParseEndpoint(%q): got no error, want one", ep)
			continue
		}
		if strings.Contains(err.Error(), "S3cret-pw") || strings.Contains(err.Error(), "proxyuser") {
			t.Errorf("ParseEndpoint(%q): the error %q shows the user info", ep, err)
		}
		if !strings.Contains(err.Error(), "…@") {
			t.Errorf("ParseEndpoint(%q): the error %q does not show where the user info was", ep, err)
		}
	}
}

func TestNoRegion(t *testing.T) {
	f := newFakeDTS(t)
	c := newTestClient(t, f, Options{})
	c.region = ""
	_, err := c.DescribeSubscribeDetail(ctxTimeout(t, time.Second), "", "subs-abc123")
	if e := reset.AsError(err); e.Code != reset.CodeConfig {
		t.Errorf("got %q, want %s", e.Code, reset.CodeConfig)
	}
}

func BenchmarkResetCall(b *testing.B) {
	f := newFakeDTS(b)
	f.discard = true
	c := newTestClient(b, f, Options{RateLimitPerSecond: 1_000_000_000})
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	call := reset.ResetCall{SubscribeID: "subs-abc123", TopicName: "topic-subs-abc123-cdb-1",
		ConsumerGroupName: "consumer-grp-subs-abc123-1", PartitionNos: []int{0, 1, 2}, ResetMode: "datetime",
		ResetDatetime: "2023-05-16 08:00:00"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ResetConsumerGroupOffset(ctx, "", call); err != nil {
			b.Fatal(err)
		}
	}
}
