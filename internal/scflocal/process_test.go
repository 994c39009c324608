package scflocal

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// echo is the test function's answer (testdata/fn Echo).
type echo struct {
	Event        json.RawMessage   `json:"event"`
	Env          map[string]string `json:"env"`
	RequestID    string            `json:"requestId"`
	FunctionName string            `json:"functionName"`
	Region       string            `json:"region"`
	MemoryMB     int32             `json:"memoryMb"`
	TimeLimitMs  int32             `json:"timeLimitMs"`
	Deadline     time.Time         `json:"deadline"`
}

func decodeEcho(t *testing.T, r Reply) echo {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("function error %s: %s", r.Error.Type, r.Error.Message)
	}
	var e echo
	if err := json.Unmarshal(r.Payload, &e); err != nil {
		t.Fatalf("decode %s: %v", r.Payload, err)
	}
	return e
}

func TestInvokeRoundTrip(t *testing.T) {
	p := startFn(t, "STATIC=from-start")
	payload := `{"hello":"world","n":[1,2,3],"getenv":["STATIC"]}`
	before := time.Now()
	r, err := invoke(t, p, Invocation{Payload: []byte(payload), RequestID: "req-1", Timeout: 7 * time.Second,
		FunctionName: "dtsreset", Region: "ap-guangzhou"})
	if err != nil {
		t.Fatal(err)
	}
	e := decodeEcho(t, r)
	if string(e.Event) != payload {
		t.Errorf("event: got %s, want %s", e.Event, payload)
	}
	if e.RequestID != "req-1" || r.RequestID != "req-1" {
		t.Errorf("request id: got fn %q reply %q, want req-1", e.RequestID, r.RequestID)
	}
	if e.FunctionName != "dtsreset" || e.Region != "ap-guangzhou" {
		t.Errorf("context: got %q %q, want dtsreset ap-guangzhou", e.FunctionName, e.Region)
	}
	if e.MemoryMB != DefaultMemoryMB || e.TimeLimitMs != 7000 {
		t.Errorf("limits: got %d MB %d ms, want %d MB 7000 ms", e.MemoryMB, e.TimeLimitMs, DefaultMemoryMB)
	}
	if d := e.Deadline.Sub(before); d < 6*time.Second || d > 8*time.Second {
		t.Errorf("deadline: got now+%s, want about now+7s", d)
	}
	if e.Env["STATIC"] != "from-start" {
		t.Errorf("process env: got %q, want from-start", e.Env["STATIC"])
	}
	if r.Duration <= 0 {
		t.Errorf("duration: got %s, want > 0", r.Duration)
	}
	// The function's stdout reaches Logs through exec's copying goroutine, which may trail the RPC reply.
	if !eventually(func() bool { return strings.Contains(p.Logs(), `"msg":"invoke"`) }) {
		t.Errorf("logs: got %q, want the function's stdout line", p.Logs())
	}
}

func TestInvokeDefaults(t *testing.T) {
	p := startFn(t)
	before := time.Now()
	r1, err := invoke(t, p, Invocation{Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := invoke(t, p, Invocation{Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	e := decodeEcho(t, r1)
	// A zero Deadline would hand the handler an expired ctx: the default must be DefaultTimeout ahead.
	if d := e.Deadline.Sub(before); d < DefaultTimeout-time.Second || d > DefaultTimeout+time.Second {
		t.Errorf("default deadline: got now+%s, want now+%s", d, DefaultTimeout)
	}
	if e.RequestID == "" || e.RequestID == decodeEcho(t, r2).RequestID {
		t.Errorf("generated request ids: got %q and %q, want distinct non-empty", e.RequestID, decodeEcho(t, r2).RequestID)
	}
}

// Refreshed credentials reach a running instance only through the per-invocation Environment.
func TestInvokeEnvironmentPerInvocation(t *testing.T) {
	p := startFn(t, "TENCENTCLOUD_SECRETID=stale")
	cmd := []byte(`{"getenv":["TENCENTCLOUD_SECRETID","TENCENTCLOUD_SESSIONTOKEN"]}`)
	for _, id := range []string{"AKID-one", "AKID-two"} {
		r, err := invoke(t, p, Invocation{Payload: cmd, Env: map[string]string{
			"TENCENTCLOUD_SECRETID": id, "TENCENTCLOUD_SESSIONTOKEN": "tok-" + id}})
		if err != nil {
			t.Fatal(err)
		}
		e := decodeEcho(t, r)
		if e.Env["TENCENTCLOUD_SECRETID"] != id || e.Env["TENCENTCLOUD_SESSIONTOKEN"] != "tok-"+id {
			t.Errorf("env: got %v, want secret id %s", e.Env, id)
		}
	}
}

func TestInvokeDeadlineHonoured(t *testing.T) {
	p := startFn(t)
	start := time.Now()
	r, err := invoke(t, p, Invocation{Payload: []byte(`{"sleepMs":10000}`), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Error == nil || !strings.Contains(r.Error.Message, "deadline exceeded") {
		t.Fatalf("got %+v, want the handler's ctx.Err() (deadline exceeded)", r.Error)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s, want about the 300ms deadline", d)
	}
}

// A handler that ignores its deadline is cut off at the deadline plus InvokeGrace, as SCF's time limit does,
// and the instance is marked for replacement.
func TestInvokeTimeoutWhenFunctionIgnoresDeadline(t *testing.T) {
	p := startFn(t)
	start := time.Now()
	r, err := invoke(t, p, Invocation{Payload: []byte(`{"sleepMs":15000,"deaf":true}`), Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > InvokeGrace+3*time.Second {
		t.Errorf("took %s, want about 200ms + %s", d, InvokeGrace)
	}
	if !NeedsRestart(r, err) {
		t.Error("NeedsRestart after a timeout: got false, want true")
	}
}

func TestInvokeCallerContextBounds(t *testing.T) {
	p := startFn(t)
	ctx, cancel := contextWithTimeout(200 * time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Invoke(ctx, Invocation{Payload: []byte(`{"sleepMs":10000}`), Timeout: 30 * time.Second})
	if !errors.Is(err, errDeadline) {
		t.Fatalf("got %v, want context deadline exceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s, want about 200ms", d)
	}
}

func TestInvokePanic(t *testing.T) {
	p := startFn(t)
	r, err := invoke(t, p, Invocation{Payload: []byte(`{"panic":"boom"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Error == nil || !r.Error.ShouldExit || r.Error.Message != "boom" {
		t.Fatalf("got %+v, want Error boom with ShouldExit", r.Error)
	}
	if !NeedsRestart(r, err) {
		t.Error("NeedsRestart: got false after a panic, want true")
	}
}

func TestInvokeReturnedError(t *testing.T) {
	p := startFn(t)
	r, err := invoke(t, p, Invocation{Payload: []byte(`{"error":"nope"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Error == nil || r.Error.Message != "nope" || r.Error.Type != "fnError" || r.Error.ShouldExit {
		t.Fatalf("got %+v, want Error{nope, fnError, ShouldExit false}", r.Error)
	}
	if NeedsRestart(r, err) {
		t.Error("NeedsRestart: got true after a returned error, want false")
	}
}

func TestInvokeProcessExit(t *testing.T) {
	p := startFn(t)
	start := time.Now()
	_, err := invoke(t, p, Invocation{Payload: []byte(`{"exit":3}`)})
	if !errors.Is(err, ErrExited) {
		t.Fatalf("got %v, want ErrExited", err)
	}
	if !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "exiting") {
		t.Errorf("error %q: want the exit status and the function's last output", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s, want prompt", d)
	}
	if !p.Exited() {
		t.Error("Exited: got false, want true")
	}
	// Later calls fail at once, not hang.
	if _, err := invoke(t, p, Invocation{Payload: []byte(`{}`)}); !errors.Is(err, ErrExited) {
		t.Errorf("after exit: got %v, want ErrExited", err)
	}
}

func TestStartFailures(t *testing.T) {
	ctx, cancel := contextWithTimeout(10 * time.Second)
	defer cancel()
	if _, err := Start(ctx, "/nonexistent/main", nil, Options{}); err == nil {
		t.Error("missing binary: got nil error")
	}
	// A binary that exits at once (here /bin/false) is reported as exited, not after the full timeout.
	start := time.Now()
	_, err := Start(ctx, "/bin/false", nil, Options{})
	if !errors.Is(err, ErrExited) {
		t.Errorf("exiting binary: got %v, want ErrExited", err)
	}
	if d := time.Since(start); d > StartTimeout {
		t.Errorf("exiting binary: took %s, want well under %s", d, StartTimeout)
	}
}

func TestCloseKills(t *testing.T) {
	p := startFn(t)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !p.Exited() {
		t.Error("Exited after Close: got false")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// eventually polls cond for up to 5 s (bounded: 250 tries of 20 ms).
func eventually(cond func() bool) bool {
	for range 250 {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}
