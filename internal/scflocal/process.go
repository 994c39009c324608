package scflocal

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
)

// Errors an Invoke (or Start) can fail with, besides the caller's ctx; test with errors.Is.
var (
	// ErrExited: the function process is gone (crashed, os.Exit, killed). SCF reports this as a failed
	// invocation and starts a new instance.
	ErrExited = errors.New("function process exited")
	// ErrTimeout: the function did not answer within its deadline plus InvokeGrace. SCF would report
	// "task timed out" and destroy the instance; callers should Close the process (see NeedsRestart).
	ErrTimeout = errors.New("function did not answer before its deadline")
	// ErrConnection: the net/rpc connection broke while the process still runs.
	ErrConnection = errors.New("connection to the function broke")
)

const (
	// DefaultTimeout is the invocation time limit when Invocation.Timeout is zero.
	DefaultTimeout = 15 * time.Second
	// DefaultMemoryMB is sent as MemoryLimitInMb when Invocation.MemoryMB is zero.
	DefaultMemoryMB = 128
	// InvokeGrace is how long after the deadline Invoke still waits for an answer: a handler that returns
	// ctx.Err() at its deadline needs a moment to reply, and -race slows everything down.
	InvokeGrace = 2 * time.Second
	// StartTimeout bounds how long Start waits for Function.Ping to answer.
	StartTimeout = 5 * time.Second
	// maxLogBytes caps Logs() so a long-running `scflocal serve` does not grow without bound.
	maxLogBytes = 4 << 20
)

// Invocation is one call of the function.
type Invocation struct {
	Payload   []byte
	RequestID string        // generated (a UUID, as SCF's) when empty
	Timeout   time.Duration // the function's time limit: sets Deadline and TimeLimitInMs; DefaultTimeout when zero
	// Env is sent as the per-invocation Environment, which scf-go-lib applies with os.Setenv before calling
	// the handler. Variables are never unset by the library: one sent once stays for later invocations.
	Env          map[string]string
	FunctionName string
	Region       string
	MemoryMB     int32 // DefaultMemoryMB when zero
}

// Reply is the function's answer. Exactly one of Payload and Error is meaningful.
type Reply struct {
	Payload  []byte
	Error    *messages.InvokeResponse_Error // a returned error, or a recovered panic (ShouldExit)
	Duration time.Duration                  // wall time of the net/rpc call
	// RequestID is the RequestId sent (the generated one when Invocation.RequestID was empty).
	RequestID string
}

// NeedsRestart reports whether SCF would discard the instance after this invocation: the process exited,
// timed out, lost its connection, or panicked (ShouldExit). Errors from the caller's ctx do not count.
func NeedsRestart(r Reply, err error) bool {
	if err != nil {
		return errors.Is(err, ErrExited) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrConnection)
	}
	return r.Error != nil && r.Error.ShouldExit
}

// Options tune Start. The zero value is usable.
type Options struct {
	// LogWriter, when set, gets a copy of the function's stdout and stderr as they are written (in addition
	// to Logs). The function logs JSON lines to stdout.
	LogWriter io.Writer
}

// Process is a running function binary. Its methods are safe for concurrent use, but note that the
// Environment of concurrent invocations is process-wide (os.Setenv): SCF runs one invocation per instance
// at a time, and so does Gateway.
type Process struct {
	cmd  *exec.Cmd
	addr string
	logs *logBuffer

	done    chan struct{} // closed when the process has been reaped
	waitErr error         // set before done is closed

	mu     sync.Mutex
	client *rpc.Client // nil after the connection broke; redialled by the next Invoke
	closed bool
}

// Start starts bin with exactly env (nothing is inherited from the caller, as nothing of a developer's
// shell reaches an SCF instance) plus _LAMBDA_SERVER_PORT set to a free port, and waits until Function.Ping
// answers, at most StartTimeout. ctx bounds the start only; the process lives until Close.
//
// scf-go-lib listens on 0.0.0.0:$_LAMBDA_SERVER_PORT (it does not let us choose the host); we connect over
// loopback.
func Start(ctx context.Context, bin string, env []string, o Options) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("pick a port: %w", err)
	}
	p := &Process{
		addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		logs: &logBuffer{tee: o.LogWriter},
		done: make(chan struct{}),
	}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(append([]string{}, env...), "_LAMBDA_SERVER_PORT="+strconv.Itoa(port))
	// The same writer for both streams: exec then writes from one goroutine at a time.
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	// A grandchild holding the pipes must not keep Wait (and Close) hanging.
	p.cmd.WaitDelay = time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()

	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	if err := p.waitReady(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("%s did not answer Function.Ping on %s: %w%s", bin, p.addr, err, p.logTail())
	}
	return p, nil
}

// waitReady dials and pings until the function answers, the process exits or ctx ends.
func (p *Process) waitReady(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := p.dial(ctx)
		if err == nil {
			err = callCtx(ctx, c, "Function.Ping", &messages.PingRequest{}, &messages.PingResponse{})
			if err == nil {
				p.mu.Lock()
				p.client = c
				p.mu.Unlock()
				return nil
			}
			c.Close()
		}
		select {
		case <-p.done:
			return p.exitErr()
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

func (p *Process) dial(ctx context.Context) (*rpc.Client, error) {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	return rpc.NewClient(conn), nil
}

// callCtx is a net/rpc call bounded by ctx (net/rpc's Call waits forever).
func callCtx(ctx context.Context, c *rpc.Client, method string, args, reply any) error {
	call := c.Go(method, args, reply, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		return call.Error
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Invoke calls Function.Invoke as the SCF Go runtime does. It returns an error (ErrExited, ErrTimeout,
// ErrConnection or ctx's) when no answer arrived; an error the function returned or a panic is a Reply
// with Error set and a nil error. The wait is bounded by ctx and by the deadline plus InvokeGrace.
//
// When Invoke gives up (ctx, ErrTimeout) the function may still be running that invocation, as it would
// be in SCF; a later Invoke would then run beside it, so replace the process (NeedsRestart) instead.
func (p *Process) Invoke(ctx context.Context, inv Invocation) (Reply, error) {
	timeout := inv.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	mem := inv.MemoryMB
	if mem <= 0 {
		mem = DefaultMemoryMB
	}
	reqID := inv.RequestID
	if reqID == "" {
		reqID = newUUID()
	}
	var envJSON string
	if len(inv.Env) > 0 {
		b, err := json.Marshal(inv.Env)
		if err != nil {
			return Reply{}, fmt.Errorf("encode Environment: %w", err)
		}
		envJSON = string(b)
	}
	start := time.Now()
	deadline := start.Add(timeout)
	req := &messages.InvokeRequest{
		Payload:            inv.Payload,
		RequestId:          reqID,
		Deadline:           messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		Environment:        envJSON,
		FunctionName:       inv.FunctionName,
		FunctionVersion:    "$LATEST",
		Namespace:          "default",
		TencentcloudRegion: inv.Region,
		MemoryLimitInMb:    mem,
		TimeLimitInMs:      int32(timeout / time.Millisecond),
	}

	fail := func(err error) (Reply, error) {
		return Reply{RequestID: reqID, Duration: time.Since(start)}, err
	}
	c, err := p.conn(ctx)
	if err != nil {
		return fail(err)
	}
	var resp messages.InvokeResponse
	call := c.Go("Function.Invoke", req, &resp, make(chan *rpc.Call, 1))
	hard := time.NewTimer(timeout + InvokeGrace)
	defer hard.Stop()
	select {
	case <-call.Done:
		err = call.Error
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-p.done:
		// A reply that arrived just before the exit still counts.
		select {
		case <-call.Done:
			err = call.Error
		default:
			return fail(fmt.Errorf("%w during invocation %s", p.exitErr(), reqID))
		}
	case <-hard.C:
		return fail(fmt.Errorf("%w (request %s, time limit %s)", ErrTimeout, reqID, timeout))
	}
	r := Reply{Payload: resp.Payload, Error: resp.Error, Duration: time.Since(start), RequestID: reqID}
	if err == nil {
		return r, nil
	}
	var se rpc.ServerError
	if errors.As(err, &se) {
		// The library answers every invocation; a server error means a protocol mismatch.
		return r, fmt.Errorf("Function.Invoke: %w", err)
	}
	p.dropClient(c)
	// A broken connection usually means the process died: the EOF can beat Wait by a little, so give the
	// reaper a moment to tell the two apart.
	select {
	case <-p.done:
		return r, fmt.Errorf("%w during invocation %s", p.exitErr(), reqID)
	case <-time.After(time.Second):
		return r, fmt.Errorf("%w during invocation %s: %v", ErrConnection, reqID, err)
	}
}

// conn returns the live client, redialling after a broken connection.
func (p *Process) conn(ctx context.Context) (*rpc.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("%w: closed", ErrExited)
	}
	if p.Exited() {
		return nil, p.exitErr()
	}
	if p.client != nil {
		return p.client, nil
	}
	c, err := p.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: redial: %v", ErrConnection, err)
	}
	p.client = c
	return c, nil
}

func (p *Process) dropClient(c *rpc.Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == c {
		p.client = nil
	}
	c.Close()
}

// exitErr describes the exit; only valid once done is closed.
func (p *Process) exitErr() error {
	status := "exit status 0"
	if p.waitErr != nil {
		status = p.waitErr.Error()
	}
	return fmt.Errorf("%w (pid %d, %s)%s", ErrExited, p.PID(), status, p.logTail())
}

// logTail is the end of the function's output, for error messages.
func (p *Process) logTail() string {
	s := p.Logs()
	if s == "" {
		return ""
	}
	const n = 2000
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return "; function output:\n" + s
}

// Close kills the process and reaps it. It is idempotent and returns an error only if the process could not
// be reaped.
func (p *Process) Close() error {
	p.mu.Lock()
	if p.client != nil {
		p.client.Close()
		p.client = nil
	}
	p.closed = true
	p.mu.Unlock()
	if !p.Exited() {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("pid %d not reaped 5s after kill", p.PID())
	}
}

// Exited reports whether the process has exited (crashed, exited by itself, or was closed).
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Addr is the loopback host:port the function serves net/rpc on.
func (p *Process) Addr() string { return p.addr }

// Logs returns what the function wrote to stdout and stderr (the last 4 MiB).
func (p *Process) Logs() string { return p.logs.String() }

// FreePort returns a loopback port that was free a moment ago, for a function's _LAMBDA_SERVER_PORT.
func FreePort() (int, error) {
	// Listen-then-close leaves a small window for another process to take the port; Start then fails
	// clearly on Ping rather than talking to a stranger for long.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// newUUID returns a random (version 4) UUID, the form of SCF's request ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// logBuffer keeps the function's output, bounded, and copies it to tee.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
	tee io.Writer
}

func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	if len(l.buf) > maxLogBytes {
		l.buf = append([]byte(nil), l.buf[len(l.buf)-maxLogBytes/2:]...)
	}
	if l.tee != nil {
		_, _ = l.tee.Write(b) // a failing copy must not break the function's stdout
	}
	return len(b), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}
