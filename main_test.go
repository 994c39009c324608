package main

// End-to-end tests: the compiled function, started and invoked over scf-go-lib's own net/rpc protocol by
// internal/scflocal exactly as the SCF Go runtime does it, against the DTS emulator and its in-process Kafka.
// Nothing here calls the function's Go code: what is tested is the binary that `make package` ships (built
// for this machine instead of linux/amd64).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dtsreset/internal/emulator"
	"dtsreset/internal/scflocal"
	"dtsreset/internal/testkit"
)

// fnBin is the function, built once per test run by TestMain.
var fnBin string

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "dtsreset-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	fnBin = filepath.Join(dir, "main")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// SPEC §1's build flags, for the host platform.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", fnBin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

const (
	bearerToken  = "demo-token-0123456789abcdef" // what the events/ HTTP samples carry
	sessionToken = "e2e-session-token-must-never-be-logged"
	staleKey     = "e2e-stale-secret-key-of-the-start"
	staleToken   = "e2e-stale-session-token-of-the-start"
	partitions   = 3
	nRecords     = 20
	committedAt  = 15
)

// uuidPattern is the shape of the emulator's (and DTS's) RequestIds and of SCF's invocation RequestIds.
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// startDTS serves the demo subscription with temporary credentials (a session token), so that the tests see
// the token travel and can check it never shows in a log or a reply. Each partition holds nRecords records
// (testkit.RecordTime) and the group is committed at committedAt.
func startDTS(t *testing.T) *testkit.DTS {
	t.Helper()
	cfg := emulator.DemoConfig()
	cfg.Credentials[0].Token = sessionToken
	d := testkit.StartDTS(t, &cfg, emulator.Options{})
	d.Produce(t, testkit.Topic, partitions, nRecords)
	commitAll(t, d, committedAt)
	return d
}

func commitAll(t *testing.T, d *testkit.DTS, offset int64) {
	t.Helper()
	offs := map[int32]int64{}
	for p := int32(0); p < partitions; p++ {
		offs[p] = offset
	}
	d.Commit(t, testkit.Group, testkit.Topic, offs)
}

// function is one running instance of the binary.
type function struct {
	t       *testing.T
	dts     *testkit.DTS
	p       *scflocal.Process
	env     map[string]string // the per-invocation Environment: the role's current credentials
	mu      sync.Mutex
	replies []string
}

// startFunction starts the binary with the emulator's configuration and procEnv on top (SCF sets the role's
// credentials in the process environment at start, too), and checks at the end of the test that no secret
// reached its log or any reply.
func startFunction(t *testing.T, d *testkit.DTS, procEnv map[string]string) *function {
	t.Helper()
	vars := d.Env()
	vars["RESET_API_TOKEN"] = bearerToken
	// Debug shows the most: a secret must not appear at any level.
	vars["LOG_LEVEL"] = "debug"
	for k, v := range procEnv {
		vars[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*scflocal.StartTimeout)
	defer cancel()
	p, err := scflocal.Start(ctx, fnBin, scflocal.SCFEnv("dtsreset-e2e", d.Region, vars), scflocal.Options{})
	if err != nil {
		t.Fatalf("start %s: %v", fnBin, err)
	}
	f := &function{t: t, dts: d, p: p, env: credentials(d.Cred.SecretID, d.Cred.SecretKey, d.Cred.Token)}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		f.checkNoSecrets(d)
		if t.Failed() {
			t.Logf("function log:\n%s", p.Logs())
		}
	})
	return f
}

func credentials(id, key, token string) map[string]string {
	return map[string]string{
		"TENCENTCLOUD_SECRETID":     id,
		"TENCENTCLOUD_SECRETKEY":    key,
		"TENCENTCLOUD_SESSIONTOKEN": token,
	}
}

func (f *function) checkNoSecrets(d *testkit.DTS) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	secrets := map[string]string{
		"SecretKey": d.Cred.SecretKey, "session token": d.Cred.Token, "bearer token": bearerToken,
		"stale SecretKey": staleKey, "stale session token": staleToken,
	}
	for name, s := range secrets {
		if strings.Contains(f.p.Logs(), s) {
			f.t.Errorf("the function's log contains the %s", name)
		}
		for _, r := range f.replies {
			if strings.Contains(r, s) {
				f.t.Errorf("a reply contains the %s: %s", name, r)
			}
		}
	}
}

// invoke sends one event with f.env and a time limit, and returns the reply and the function's log line
// for this invocation (SPEC §7), which every invocation must write.
func (f *function) invoke(event []byte, timeout time.Duration) (scflocal.Reply, map[string]any) {
	f.t.Helper()
	r, err := f.send(event, f.env, timeout)
	if err != nil {
		f.t.Fatalf("invoke: %v", err)
	}
	return r, f.logLine(r.RequestID)
}

// send is invoke without the log line and with its own Environment; safe to call from many goroutines.
func (f *function) send(event []byte, env map[string]string, timeout time.Duration) (scflocal.Reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+2*scflocal.InvokeGrace)
	defer cancel()
	r, err := f.p.Invoke(ctx, scflocal.Invocation{Payload: event, Timeout: timeout, Env: env,
		FunctionName: "dtsreset-e2e", Region: f.dts.Region})
	if err != nil {
		return r, err
	}
	if !uuidPattern.MatchString(r.RequestID) {
		f.t.Errorf("invocation RequestId %q is not a UUID", r.RequestID)
	}
	f.mu.Lock()
	f.replies = append(f.replies, string(r.Payload))
	if r.Error != nil {
		f.replies = append(f.replies, r.Error.Message)
	}
	f.mu.Unlock()
	return r, nil
}

// logLine waits (bounded: the log arrives through a pipe) for the outcome line of the invocation requestID.
func (f *function) logLine(requestID string) map[string]any {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for range 250 { // 250 x 20ms: the 5s deadline ends it first unless the machine stalls
		for _, line := range strings.Split(f.p.Logs(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) != nil {
				continue
			}
			if m["function_request_id"] == requestID && m["msg"] == "reset outcome" {
				for _, k := range []string{"time", "level", "trigger", "outcome", "duration_ms"} {
					if _, ok := m[k]; !ok {
						f.t.Errorf("log line lacks %s: %s", k, line)
					}
				}
				return m
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatalf("no outcome log line for invocation %s within 5s; log:\n%s", requestID, f.p.Logs())
	return nil
}

func event(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// result is the success reply of SPEC §5; errorBody the error one.
type result struct {
	RequestID  string `json:"RequestId"`
	DryRun     bool   `json:"DryRun"`
	GroupState string `json:"GroupState"`
	Verified   bool   `json:"Verified"`
	Partitions []struct {
		PartitionNo   int32  `json:"PartitionNo"`
		CurrentOffset int64  `json:"CurrentOffset"`
		TargetOffset  int64  `json:"TargetOffset"`
		ResultOffset  *int64 `json:"ResultOffset"`
	} `json:"Partitions"`
}

type errorBody struct {
	Error struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
		Details struct {
			GroupState string `json:"GroupState"`
			Members    []struct {
				ClientID     string `json:"ClientId"`
				PartitionNos []int  `json:"PartitionNos"`
			} `json:"Members"`
		} `json:"Details"`
	} `json:"Error"`
	RequestID string `json:"RequestId"`
}

// checkActiveDetails checks the machine-readable half of a GroupActive error: who to stop, and what they hold.
func checkActiveDetails(t *testing.T, how string, e errorBody, clientID string) {
	t.Helper()
	d := e.Error.Details
	if d.GroupState != "Stable" || len(d.Members) != 1 || d.Members[0].ClientID != clientID ||
		!slices.Equal(d.Members[0].PartitionNos, []int{0, 1, 2}) {
		t.Errorf("%s: got Details %+v, want Stable with %s on partitions [0 1 2]", how, d, clientID)
	}
}

// httpReply decodes an integration response and checks what every HTTP reply carries.
func httpReply(t *testing.T, r scflocal.Reply) (int, map[string]string, []byte) {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("HTTP trigger: got a function error %s: %s, want an integration response", r.Error.Type, r.Error.Message)
	}
	var ir scflocal.IntegrationResponse
	if err := json.Unmarshal(r.Payload, &ir); err != nil {
		t.Fatalf("integration response %s: %v", r.Payload, err)
	}
	if ir.IsBase64Encoded || ir.Headers["Content-Type"] != "application/json" || ir.Headers["X-Request-Id"] != r.RequestID {
		t.Errorf("integration response: got base64 %v, headers %v; want a plain JSON body and X-Request-Id %s",
			ir.IsBase64Encoded, ir.Headers, r.RequestID)
	}
	return ir.StatusCode, ir.Headers, []byte(ir.Body)
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// checkApplied checks a verified reset to want (partition → target), against the reply and against Kafka.
func checkApplied(t *testing.T, d *testkit.DTS, res result, want map[int32]int64) {
	t.Helper()
	if !uuidPattern.MatchString(res.RequestID) || !res.Verified || res.DryRun {
		t.Errorf("got RequestId %q, Verified %v, DryRun %v; want the DTS RequestId (a UUID), verified, no dry run",
			res.RequestID, res.Verified, res.DryRun)
	}
	if len(res.Partitions) != len(want) {
		t.Fatalf("got %d partitions, want %d", len(res.Partitions), len(want))
	}
	for _, p := range res.Partitions {
		if p.TargetOffset != want[p.PartitionNo] || p.ResultOffset == nil || *p.ResultOffset != want[p.PartitionNo] {
			t.Errorf("partition %d: got target %d, result %v; want %d", p.PartitionNo, p.TargetOffset, p.ResultOffset, want[p.PartitionNo])
		}
	}
	got := d.Committed(t, testkit.Group)
	for p, o := range want {
		if got[p] != o {
			t.Errorf("Kafka: partition %d committed at %d, want %d", p, got[p], o)
		}
	}
}

func TestHTTPTriggers(t *testing.T) {
	d := startDTS(t)
	f := startFunction(t, d, nil)
	for _, tc := range []struct {
		event string
		want  map[int32]int64 // targets; nil for a dry run
	}{
		{"apigw-reset-earliest.json", map[int32]int64{0: 0, 1: 0, 2: 0}},
		// 2026-11-28 08:00:00 Beijing is the timestamp of record 4 (testkit.RecordTime).
		{"apigw-reset-datetime-base64.json", map[int32]int64{0: 4, 1: 4}},
		{"apigw-dryrun-query.json", nil},
		// A Function URL event: no requestContext; the caller comes from X-Forwarded-For.
		{"url-reset-latest.json", map[int32]int64{2: nRecords}},
	} {
		t.Run(tc.event, func(t *testing.T) {
			commitAll(t, d, committedAt)
			r, line := f.invoke(event(t, tc.event), 10*time.Second)
			status, headers, body := httpReply(t, r)
			if status != http.StatusOK {
				t.Fatalf("got HTTP %d %s, want 200", status, body)
			}
			res := decode[result](t, body)
			if line["outcome"] != "OK" || line["DryRun"] != (tc.want == nil) {
				t.Errorf("log line: got %v, want outcome OK, DryRun %v", line, tc.want == nil)
			}
			if tc.want == nil {
				if !res.DryRun || res.RequestID != "" || res.Verified || len(res.Partitions) != partitions {
					t.Errorf("dry run: got %+v, want a plan of %d partitions, no RequestId, not verified", res, partitions)
				}
				for _, p := range res.Partitions {
					if p.CurrentOffset != committedAt || p.TargetOffset != nRecords || p.ResultOffset != nil {
						t.Errorf("dry run partition %d: got %d → %d (result %v), want %d → %d, no result",
							p.PartitionNo, p.CurrentOffset, p.TargetOffset, p.ResultOffset, committedAt, nRecords)
					}
				}
				if got := d.Committed(t, testkit.Group); got[0] != committedAt || got[1] != committedAt || got[2] != committedAt {
					t.Errorf("dry run moved the group: %v", got)
				}
				return
			}
			checkApplied(t, d, res, tc.want)
			if headers["X-Dts-Request-Id"] != res.RequestID {
				t.Errorf("X-Dts-Request-Id: got %q, want the body's RequestId %q", headers["X-Dts-Request-Id"], res.RequestID)
			}
			if line["upstream_request_id"] != res.RequestID {
				t.Errorf("log line upstream_request_id: got %v, want %s", line["upstream_request_id"], res.RequestID)
			}
		})
	}
	t.Run("no bearer token", func(t *testing.T) {
		r, line := f.invoke(event(t, "bad-apigw-no-token.json"), 10*time.Second)
		status, headers, body := httpReply(t, r)
		if e := decode[errorBody](t, body); status != http.StatusUnauthorized || e.Error.Code != "Unauthorized" || headers["WWW-Authenticate"] == "" {
			t.Errorf("got HTTP %d %s %v, want 401 Unauthorized with WWW-Authenticate", status, body, headers)
		}
		if line["outcome"] != "Unauthorized" {
			t.Errorf("log line outcome: got %v, want Unauthorized", line["outcome"])
		}
	})
	if n := d.Emu.Calls("ResetConsumerGroupOffset"); n != 3 {
		t.Errorf("ResetConsumerGroupOffset calls: got %d, want 3 (the dry run and the refusal call nothing)", n)
	}
}

// TestNoTokenWarns: without RESET_API_TOKEN the function starts (timer and direct triggers need none) but says,
// once, that HTTP callers are not authenticated; with a token it says nothing of the kind.
func TestNoTokenWarns(t *testing.T) {
	d := startDTS(t)
	const warning = "RESET_API_TOKEN is not set"
	for _, tt := range []struct {
		token string
		warns bool
	}{{"", true}, {bearerToken, false}} {
		f := startFunction(t, d, map[string]string{"RESET_API_TOKEN": tt.token})
		// The outcome line of a first invocation proves the start-up lines, written before it, are in.
		if r, _ := f.invoke(event(t, "direct-dryrun-all.json"), 10*time.Second); r.Error != nil {
			t.Fatalf("got function error %s", r.Error.Message)
		}
		if got := strings.Count(f.p.Logs(), warning); got != map[bool]int{true: 1, false: 0}[tt.warns] {
			t.Errorf("token %q: the warning appears %d times, want it %v", tt.token, got, tt.warns)
		}
	}
}

func TestTimerTrigger(t *testing.T) {
	d := startDTS(t)
	f := startFunction(t, d, nil)
	r, line := f.invoke(event(t, "timer-reset-latest.json"), 10*time.Second)
	if r.Error != nil {
		t.Fatalf("got function error %s", r.Error.Message)
	}
	checkApplied(t, d, decode[result](t, r.Payload), map[int32]int64{0: nRecords, 1: nRecords, 2: nRecords})
	if line["trigger"] != "timer" || line["outcome"] != "OK" {
		t.Errorf("log line: got trigger %v, outcome %v; want timer, OK", line["trigger"], line["outcome"])
	}
}

// TestDirectResetSeenByConsumer: what the function reports is what a real Kafka consumer of the group reads.
func TestDirectResetSeenByConsumer(t *testing.T) {
	d := startDTS(t)
	f := startFunction(t, d, nil)
	r, line := f.invoke(event(t, "direct-reset-datetime.json"), 10*time.Second)
	if r.Error != nil {
		t.Fatalf("got function error %s", r.Error.Message)
	}
	// 2026-11-28T00:30:00Z is 08:30 Beijing time: record 6 is the first not older.
	const target = 6
	checkApplied(t, d, decode[result](t, r.Payload), map[int32]int64{0: target, 1: target, 2: target})
	if line["trigger"] != "direct" || line["outcome"] != "OK" {
		t.Errorf("log line: got trigger %v, outcome %v; want direct, OK", line["trigger"], line["outcome"])
	}
	for p, rec := range d.FirstRecords(t, testkit.Group, testkit.Topic, partitions) {
		if want := fmt.Sprintf("%d-%d", p, target); rec.Offset != target || string(rec.Value) != want || !rec.Timestamp.Equal(testkit.RecordTime(target)) {
			t.Errorf("partition %d: the consumer resumed at offset %d (%s, %v), want %d (%s, %v)",
				p, rec.Offset, rec.Value, rec.Timestamp, target, want, testkit.RecordTime(target))
		}
	}
}

func TestDirectBatch(t *testing.T) {
	d := startDTS(t)
	f := startFunction(t, d, nil)
	r, _ := f.invoke(event(t, "direct-batch.json"), 10*time.Second)
	if r.Error != nil {
		t.Fatalf("got function error %s", r.Error.Message)
	}
	out := decode[struct {
		Results []result `json:"Results"`
		Failed  int      `json:"Failed"`
	}](t, r.Payload)
	if out.Failed != 0 || len(out.Results) != 3 {
		t.Fatalf("got %s, want 3 results and no failure", r.Payload)
	}
	checkApplied(t, d, out.Results[0], map[int32]int64{0: 0})
	checkApplied(t, d, out.Results[1], map[int32]int64{1: nRecords})
	checkApplied(t, d, out.Results[2], map[int32]int64{2: 4})
}

// TestCredentialsPerInvocation: SCF starts an instance with the role's credentials of that moment and hands
// the refreshed ones to each invocation; the function must sign with the invocation's, never the start's.
func TestCredentialsPerInvocation(t *testing.T) {
	d := startDTS(t)
	f := startFunction(t, d, credentials(d.Cred.SecretID, staleKey, staleToken))
	dryRun := event(t, "direct-dryrun-all.json")

	// The invocation brings the valid credentials: the stale ones of the process environment are not used.
	if r, line := f.invoke(dryRun, 10*time.Second); r.Error != nil || line["outcome"] != "OK" {
		t.Fatalf("with valid credentials in the invocation: got error %v, outcome %v; want success", r.Error, line["outcome"])
	}

	// The invocation brings wrong ones: DTS refuses them and the caller is told the function's role is wrong.
	f.env = credentials(d.Cred.SecretID, staleKey, d.Cred.Token)
	r, line := f.invoke(event(t, "apigw-dryrun-query.json"), 10*time.Second)
	status, _, body := httpReply(t, r)
	e := decode[errorBody](t, body)
	if status != http.StatusBadGateway || !strings.HasPrefix(e.Error.Code, "AuthFailure") ||
		!strings.Contains(e.Error.Message, "execution role") || !uuidPattern.MatchString(e.RequestID) {
		t.Errorf("with a wrong key: got HTTP %d %s; want 502 AuthFailure.* about the function's execution role, with DTS's RequestId", status, body)
	}
	if line["outcome"] != e.Error.Code || line["level"] != "ERROR" {
		t.Errorf("log line: got outcome %v, level %v; want %s, ERROR", line["outcome"], line["level"], e.Error.Code)
	}

	// And the next refresh works again: nothing was cached from a failed call.
	f.env = credentials(d.Cred.SecretID, d.Cred.SecretKey, d.Cred.Token)
	if r, _ := f.invoke(dryRun, 10*time.Second); r.Error != nil {
		t.Errorf("after the credentials were refreshed: got %s, want success", r.Error.Message)
	}
}

// TestActiveGroupRefused: DTS would answer success to a reset of an active group and do nothing.
func TestActiveGroupRefused(t *testing.T) {
	d := startDTS(t)
	f := startFunction(t, d, nil)
	const clientID = "e2e-active-consumer"
	c := d.Join(t, testkit.Group, testkit.Topic, clientID)
	defer c.Leave()

	r, line := f.invoke(event(t, "apigw-reset-earliest.json"), 10*time.Second)
	status, _, body := httpReply(t, r)
	e := decode[errorBody](t, body)
	if status != http.StatusConflict || e.Error.Code != "FailedOperation.GroupActive" || !strings.Contains(e.Error.Message, clientID) {
		t.Errorf("API Gateway: got HTTP %d %s; want 409 FailedOperation.GroupActive naming %s", status, body, clientID)
	}
	checkActiveDetails(t, "API Gateway", e, clientID)
	if line["outcome"] != "FailedOperation.GroupActive" {
		t.Errorf("log line outcome: got %v, want FailedOperation.GroupActive", line["outcome"])
	}

	r, _ = f.invoke(event(t, "direct-reset-earliest.json"), 10*time.Second)
	if r.Error == nil {
		t.Fatalf("direct: got %s, want a function error", r.Payload)
	}
	if e := decode[errorBody](t, []byte(r.Error.Message)); e.Error.Code != "FailedOperation.GroupActive" || !strings.Contains(e.Error.Message, clientID) {
		t.Errorf("direct: got error %s; want FailedOperation.GroupActive naming %s", r.Error.Message, clientID)
	} else {
		checkActiveDetails(t, "direct", e, clientID)
	}

	if n := d.Emu.Calls("ResetConsumerGroupOffset"); n != 0 {
		t.Errorf("ResetConsumerGroupOffset calls: got %d, want 0", n)
	}
	if got := d.Committed(t, testkit.Group); got[0] != committedAt || got[1] != committedAt || got[2] != committedAt {
		t.Errorf("the refused reset moved the group: %v", got)
	}
}

// TestDeadline: DTS answers after the invocation's deadline. The function must answer by its deadline with a
// timeout error, not run past it (SCF would kill it and the caller would get a bare "task timed out").
// The bound below is a correctness bound on deadline handling, not a speed test: the handler stops its work
// up to 200 ms before the deadline (handler.maxReplyMargin) so that the reply, measured here from the RPC call, arrives
// before the deadline itself.
func TestDeadline(t *testing.T) {
	d := startDTS(t)
	d.Emu.InjectFault(emulator.Fault{Action: "*", DelayMs: 4000})
	f := startFunction(t, d, nil)
	const timeout = 2 * time.Second
	limit := timeout

	t.Run("API Gateway", func(t *testing.T) {
		r, line := f.invoke(event(t, "apigw-reset-earliest.json"), timeout)
		status, _, body := httpReply(t, r)
		if e := decode[errorBody](t, body); status != http.StatusGatewayTimeout || e.Error.Code != "InternalError.DeadlineExceeded" {
			t.Errorf("got HTTP %d %s, want 504 InternalError.DeadlineExceeded", status, body)
		}
		t.Logf("replied after %v", r.Duration)
		if r.Duration >= limit {
			t.Errorf("the reply took %v, want it before the %v deadline", r.Duration, timeout)
		}
		if line["outcome"] != "InternalError.DeadlineExceeded" {
			t.Errorf("log line outcome: got %v, want InternalError.DeadlineExceeded", line["outcome"])
		}
	})
	t.Run("direct", func(t *testing.T) {
		r, _ := f.invoke(event(t, "direct-reset-earliest.json"), timeout)
		if r.Error == nil {
			t.Fatalf("got %s, want a function error", r.Payload)
		}
		if e := decode[errorBody](t, []byte(r.Error.Message)); e.Error.Code != "InternalError.DeadlineExceeded" {
			t.Errorf("got error %s, want InternalError.DeadlineExceeded", r.Error.Message)
		}
		t.Logf("replied after %v", r.Duration)
		if r.Duration >= limit {
			t.Errorf("the reply took %v, want it before the %v deadline", r.Duration, timeout)
		}
	})
	if n := d.Emu.Calls("ResetConsumerGroupOffset"); n != 0 {
		t.Errorf("ResetConsumerGroupOffset calls: got %d, want 0 (the precheck never answered)", n)
	}
}
