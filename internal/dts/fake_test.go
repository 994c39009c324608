package dts

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"dtsreset/internal/emulator/tc3"
)

// Canned replies, in the API's shapes; also the fuzz seeds. %s is the RequestId.
var canned = map[string]string{
	ActionResetConsumerGroupOffset: `{"Response":{"RequestId":"%s"}}`,
	// Partition 1's offset is 2^53+1: a float64 round trip would change it.
	ActionDescribeConsumerGroups: `{"Response":{"TotalCount":11,"Items":[{"Account":"account-subs-abc123-acct1",` +
		`"ConsumerGroupName":"consumer-grp-subs-abc123-g1","Description":"nightly","ConsumerGroupOffset":9007199254740993,` +
		`"ConsumerGroupLag":7,"Latency":3,"StateOfPartition":[{"PartitionNo":0,"ConsumerGroupOffset":120,"ConsumerGroupLag":0,"Latency":0},` +
		`{"PartitionNo":1,"ConsumerGroupOffset":9007199254740993,"ConsumerGroupLag":7,"Latency":3}],"CreatedAt":"2023-05-16 00:00:00",` +
		`"UpdatedAt":"2023-05-17 08:30:00","ConsumerGroupState":"Stable","PartitionAssignment":[{"ClientId":"consumer-1","PartitionNo":[0,1]}]}],` +
		`"RequestId":"%s"}}`,
	ActionDescribeOffsetByTime: `{"Response":{"Items":[{"PartitionNo":0,"Offset":100},{"PartitionNo":1,"Offset":250},{"PartitionNo":2,"Offset":0}],"RequestId":"%s"}}`,
	ActionDescribeSubscribeDetail: `{"Response":{"SubscribeId":"subs-abc123","SubscribeName":"orders","Region":"ap-guangzhou",` +
		`"Topic":"topic-subs-abc123-cdb-1","Broker":"kafka.example:9092","SubsStatus":"running","Status":"normal","KafkaVersion":"2.8",` +
		`"SubscribeVersion":"kafka","Product":"mysql","InstanceId":"cdb-xyz","RequestId":"%s"}}`,
}

func errorReply(code, msg, requestID string) string {
	return fmt.Sprintf(`{"Response":{"Error":{"Code":%q,"Message":%q},"RequestId":%q}}`, code, msg, requestID)
}

// seen is one request as the fake received it.
type seen struct {
	Action, Version, Region, Token, SecretID string
	Verified                                 bool
	Body                                     map[string]any // decoded with UseNumber, so integers stay json.Number
	RequestID                                string         // the one the fake answered with
	At                                       time.Time
}

// fakeDTS is a TC3-verifying DTS endpoint that records every request. fault, when set, may answer instead of
// the canned reply: it gets the request's 1-based number for its action and returns true when it answered.
type fakeDTS struct {
	url       string            // the endpoint to give the client
	srv       *httptest.Server  // nil in memory
	transport http.RoundTripper // the client's, in memory; nil: the client's own
	newConns  atomic.Int32

	mu      sync.Mutex
	keys    map[string][2]string // SecretId -> SecretKey, token
	reqs    []seen
	counts  map[string]int // requests per action
	discard bool           // do not keep requests (benchmarks)
	fault   func(n int, s seen, w http.ResponseWriter, r *http.Request) bool
	// gate, when set, is called with every request before it is verified or answered: a test can hold
	// requests there until others have arrived.
	gate func(s seen, r *http.Request)
}

func newFakeDTS(t testing.TB) *fakeDTS {
	t.Helper()
	f := &fakeDTS{keys: map[string][2]string{"AKIDtest": {"secret-test", "token-test"}}, counts: map[string]int{}}
	f.srv = httptest.NewUnstartedServer(f)
	f.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			f.newConns.Add(1)
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	f.url = f.srv.URL
	return f
}

// newMemoryDTS is the fake without a server: its client's transport calls it in memory, so a test can run in
// a synctest bubble (real sockets would keep the bubble's clock from ever advancing).
func newMemoryDTS(t testing.TB) *fakeDTS {
	t.Helper()
	f := &fakeDTS{keys: map[string][2]string{"AKIDtest": {"secret-test", "token-test"}}, counts: map[string]int{}}
	f.url, f.transport = "http://dts.test", memoryTransport{f}
	return f
}

// memoryTransport serves each request with the fake's handler on its own goroutine and answers when the
// handler has, or fails with the request's context error when that ends first (as a connection would).
type memoryTransport struct{ h http.Handler }

func (m memoryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context())
	in.Host = cmp.Or(r.Host, r.URL.Host) // as a server sees it
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.h.ServeHTTP(rec, in)
	}()
	select {
	case <-done:
		return rec.Result(), nil
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// setKeys replaces the credentials the fake accepts.
func (f *fakeDTS) setKeys(keys map[string][2]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = keys
}

func (f *fakeDTS) setFault(fault func(n int, s seen, w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

func (f *fakeDTS) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fakeDTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s := seen{Action: r.Header.Get("X-TC-Action"), Version: r.Header.Get("X-TC-Version"),
		Region: r.Header.Get("X-TC-Region"), Token: r.Header.Get("X-TC-Token"), At: time.Now()}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	_ = dec.Decode(&s.Body)

	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		gate(s, r)
	}
	f.mu.Lock()
	keys := f.keys
	id, verr := tc3.Verify(r, body, Service, func(id string) (string, string, bool) {
		k, ok := keys[id]
		return k[0], k[1], ok
	}, time.Now())
	s.SecretID, s.Verified = id, verr == nil
	f.counts[s.Action]++
	n := f.counts[s.Action]
	s.RequestID = fmt.Sprintf("req-%s-%d", s.Action, n)
	if !f.discard {
		f.reqs = append(f.reqs, s)
	}
	fault := f.fault
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	if verr != nil {
		e := verr.(*tc3.Error)
		io.WriteString(w, errorReply(e.Code, e.Message, s.RequestID))
		return
	}
	if fault != nil && fault(n, s, w, r) {
		return
	}
	reply, ok := canned[s.Action]
	if !ok {
		io.WriteString(w, errorReply("InvalidAction", "unknown action", s.RequestID))
		return
	}
	fmt.Fprintf(w, reply, s.RequestID)
}

// testCreds are the credentials the fake accepts by default.
var testCreds = CredentialFunc(func(context.Context) (common.CredentialIface, error) {
	return common.NewTokenCredential("AKIDtest", "secret-test", "token-test"), nil
})

// newTestClient returns a Client for f with waits shrunk so retry tests run in milliseconds.
func newTestClient(t testing.TB, f *fakeDTS, opts Options) *Client {
	t.Helper()
	opts.Endpoint = f.url
	if opts.Region == "" {
		opts.Region = "ap-guangzhou"
	}
	if opts.Credentials == nil {
		opts.Credentials = testCreds
	}
	c, err := NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	if f.transport != nil {
		c.transport = f.transport
	}
	c.backoff = func(int, bool) time.Duration { return time.Millisecond }
	c.sdkBackoff = func(int) time.Duration { return time.Millisecond }
	c.sdkBackoffMax = time.Millisecond
	c.minAttempt = 10 * time.Millisecond
	return c
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
