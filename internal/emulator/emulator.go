package emulator

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"dtsreset/internal/emulator/tc3"
)

// Service and Version are the API the emulator answers.
const (
	Service = "dts"
	Version = "2021-12-06"
)

// maxBody bounds a request body; DTS requests are small.
const maxBody = 1 << 20

// Emulator is the DTS API (ServeHTTP) over an in-process Kafka cluster (KafkaAddrs).
type Emulator struct {
	cfg     Config
	opts    Options
	cluster *kfake.Cluster
	kcl     *kgo.Client
	adm     *kadm.Client
	store   *store

	mu      sync.Mutex
	calls   map[string]int
	limited map[string]int // the calls of calls refused with RequestLimitExceeded
	windows map[string]*window
	faults  []*activeFault

	closeOnce sync.Once
	closeErr  error
}

type activeFault struct {
	Fault
	left int // requests left when Times > 0
}

// Options tune New. The zero value is usable: Kafka on a free port of 127.0.0.1, nothing persisted,
// time.Now for DTS's clock and the signatures, the configured rate limit.
type Options struct {
	// KafkaAddr is the Kafka listener, host:port with port 0 for any free port; "" means "127.0.0.1:0".
	KafkaAddr string
	// DataDir, when set, persists the Kafka data (records, committed offsets) and the DTS group list under it,
	// and reloads them on start. A reloaded topic with fewer partitions than its subscription's Partitions is
	// grown; one with more makes New fail with a *ConfigError naming Subscriptions[i].Partitions.
	DataDir string
	// Now is DTS's clock: which checkpoints exist, what retention has dropped, Latency, the groups'
	// CreatedAt/UpdatedAt, the rate limit's window and, unless SignatureNow is set, the signature timestamps.
	// nil means time.Now.
	Now func() time.Time
	// SignatureNow is the clock the TC3 signature timestamps are checked against, when it must differ from
	// Now: a test that pins DTS's world to a fixed date while a real SDK signs with the real time. nil: Now.
	SignatureNow func() time.Time
	// NoRateLimit disables the per-action rate limit whatever the configuration says.
	NoRateLimit bool
}

// New validates cfg, starts the Kafka cluster with one topic per subscription, its users and ACLs, and returns
// the emulator. ctx bounds the start-up only.
func New(ctx context.Context, cfg Config, o Options) (*Emulator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o.KafkaAddr = cmp.Or(o.KafkaAddr, "127.0.0.1:0")
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SignatureNow == nil {
		o.SignatureNow = o.Now
	}
	kopts, err := kafkaOpts(cfg, o)
	if err != nil {
		return nil, err
	}
	st := memStore()
	if o.DataDir != "" {
		if st, err = openDataDir(o.DataDir); err != nil {
			return nil, err
		}
	}
	cluster, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("emulator: starting kafka: %w", err)
	}
	su := cfg.Superuser()
	kcl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ClientID("dtslocal-admin"),
		kgo.SASL(scram.Auth{User: su.User, Pass: su.Password}.AsSha512Mechanism()))
	if err != nil {
		cluster.Close()
		return nil, fmt.Errorf("emulator: kafka client: %w", err)
	}
	e := &Emulator{
		cfg: cfg, opts: o, cluster: cluster, kcl: kcl, adm: kadm.NewClient(kcl), store: st,
		calls: map[string]int{}, limited: map[string]int{}, windows: map[string]*window{},
	}
	for _, f := range cfg.Faults {
		e.InjectFault(f)
	}
	if err := e.start(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// kafkaOpts are the kfake options of cfg: one broker on the asked address, SASL with the superuser and every
// configured account (SCRAM-SHA-512 and PLAIN), ACLs enforced, and the data directory.
func kafkaOpts(cfg Config, o Options) ([]kfake.Opt, error) {
	host, portStr, err := net.SplitHostPort(o.KafkaAddr)
	if err != nil {
		return nil, fmt.Errorf("emulator: kafka address %q: %w", o.KafkaAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("emulator: kafka address %q: bad port", o.KafkaAddr)
	}
	su := cfg.Superuser()
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		}),
		kfake.ClusterID("dtslocal"),
		kfake.DefaultNumPartitions(1),
		// Tests use short session timeouts so a consumer that vanishes leaves the group quickly.
		kfake.GroupMinSessionTimeout(100 * time.Millisecond),
		kfake.EnableSASL(),
		kfake.EnableACLs(),
		kfake.Superuser(mechSCRAM512, su.User, su.Password),
		kfake.Superuser(mechPlain, su.User, su.Password),
	}
	// PLAIN users exist only from the start (kfake adds none at runtime); SCRAM users are also upserted by
	// reconcileAccounts, which adds the groups created through the API.
	for user, pass := range configuredAccounts(cfg) {
		kopts = append(kopts, kfake.User(mechSCRAM512, user, pass), kfake.User(mechPlain, user, pass))
	}
	if o.DataDir != "" {
		kopts = append(kopts, kfake.DataDir(filepath.Join(o.DataDir, "kafka")))
	}
	return kopts, nil
}

// openDataDir opens the DTS group list of dir and drops the Kafka users kfake saved there. Those users are
// derived state: the configuration and the group list say who they are, and reloaded ones would win over the
// configured ones (so a changed password, even the superuser's the emulator logs in with, would never apply).
func openDataDir(dir string) (*store, error) {
	st, err := openStore(filepath.Join(dir, "dtsgroups.json"))
	if err != nil {
		return nil, err
	}
	if err := os.Remove(filepath.Join(dir, "kafka", "sasl.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	return st, nil
}

// start answers ApiVersions for librdkafka, creates the topics, seeds the group list and reconciles the Kafka
// users and ACLs with it.
func (e *Emulator) start(ctx context.Context) error {
	if err := e.controlApiVersions(ctx); err != nil {
		return err
	}
	for i, s := range e.cfg.Subscriptions {
		if err := e.ensureTopic(ctx, i, s); err != nil {
			return err
		}
	}
	if err := e.store.seed(e.cfg, e.opts.Now()); err != nil {
		return err
	}
	return e.reconcileAccounts(ctx)
}

// ensureTopic makes the topic of cfg.Subscriptions[i] exist with exactly s.Partitions partitions. A topic
// reloaded from the data directory keeps the count it was created with, so a configuration that now asks
// for more grows it; one that asks for fewer cannot be honoured (Kafka never removes partitions) and fails
// the start rather than serving partitions the configuration says do not exist.
func (e *Emulator) ensureTopic(ctx context.Context, i int, s Subscription) error {
	err := e.cluster.CreateTopic(s.TopicName, int32(s.Partitions), nil)
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("emulator: creating topic %s: %w", s.TopicName, err)
	}
	if err != nil {
		parts, err := e.partitions(ctx, s.TopicName)
		if err != nil {
			return fmt.Errorf("emulator: topic %s: %w", s.TopicName, err)
		}
		have := len(parts)
		switch {
		case have > s.Partitions:
			return cfgErr(fmt.Sprintf("Subscriptions[%d].Partitions", i),
				"the topic %s already has %d partitions in the data directory %s, more than the %d configured; Kafka cannot remove partitions: configure at least %d or use another data directory",
				s.TopicName, have, e.opts.DataDir, s.Partitions, have)
		case have < s.Partitions:
			resps, err := e.adm.UpdatePartitions(ctx, s.Partitions, s.TopicName)
			if err == nil {
				err = resps.Error()
			}
			if err != nil {
				return fmt.Errorf("emulator: growing topic %s from %d to %d partitions: %w", s.TopicName, have, s.Partitions, err)
			}
		}
	}
	// The actions answer from Kafka, so Kafka itself must now agree with the configuration.
	parts, err := e.partitions(ctx, s.TopicName)
	if err != nil {
		return fmt.Errorf("emulator: topic %s: %w", s.TopicName, err)
	}
	if len(parts) != s.Partitions {
		return fmt.Errorf("emulator: topic %s has %d partitions, want %d", s.TopicName, len(parts), s.Partitions)
	}
	return nil
}

// KafkaAddrs returns the host:port the Kafka cluster listens on (one broker).
func (e *Emulator) KafkaAddrs() []string { return e.cluster.ListenAddrs() }

// Config returns the configuration the emulator serves.
func (e *Emulator) Config() Config { return e.cfg }

// Close stops the Kafka cluster, writing its data when a data directory is set.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		e.kcl.Close()
		e.cluster.Close()
		e.closeErr = e.store.flush()
	})
	return e.closeErr
}

// InjectFault adds a fault after those already present; see Fault for its semantics. Faults apply in the
// order they were added, at most one per request.
func (e *Emulator) InjectFault(f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, &activeFault{Fault: f, left: f.Times})
}

// Calls returns how many requests naming action (X-TC-Action) reached the emulator, counted before
// authentication, faults and the rate limit.
func (e *Emulator) Calls(action string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[action]
}

// Limited returns how many requests of action were refused with RequestLimitExceeded (they count in Calls too).
func (e *Emulator) Limited(action string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.limited[action]
}

// takeFault returns the first fault matching action and consumes one of its Times.
func (e *Emulator) takeFault(action string) *Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.faults {
		if f.Action != "*" && f.Action != action {
			continue
		}
		out := f.Fault
		if f.Times > 0 {
			f.left--
			if f.left <= 0 {
				e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
			}
		}
		return &out
	}
	return nil
}

// allow admits a request of action iff fewer than the limit of that action were admitted in the second
// before now. A token bucket would not do: refilled while its burst is spent, it admits burst + rate in one
// second, about twice what DTS allows.
func (e *Emulator) allow(action string) bool {
	limit := e.rateLimit()
	if limit < 0 || e.opts.NoRateLimit {
		return true
	}
	now := e.opts.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.windows[action]
	if !ok {
		w = &window{} // grows with the admissions, not with a configured limit that may be huge
		e.windows[action] = w
	}
	return w.admit(now, limit)
}

// window is a sliding-window log of the last admissions of one action, oldest at next once full.
type window struct {
	times []time.Time
	next  int
}

// admit records now and reports true iff fewer than limit admissions happened in (now-1s, now]. A refused
// request is not recorded: a client hammering a throttled action must not lock itself out for longer.
func (w *window) admit(now time.Time, limit int) bool {
	if len(w.times) < limit {
		w.times = append(w.times, now)
		return true
	}
	if now.Sub(w.times[w.next]) < time.Second {
		return false
	}
	w.times[w.next] = now
	w.next = (w.next + 1) % limit
	return true
}

// apiError is an error answered in the envelope.
type apiError struct{ Code, Message string }

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers TencentCloud API 3.0 requests. Whatever happens, the answer is HTTP 200 with the
// {"Response": ...} envelope, except for the faults that drop the connection or answer a raw Status.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	action := r.Header.Get("X-TC-Action")
	e.mu.Lock()
	e.calls[action]++
	e.mu.Unlock()

	result, err := e.serve(w, r, action)
	if errors.Is(err, errDropped) || errors.Is(err, errAnswered) {
		return
	}
	var body any
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = errorf("InternalError", "%v", err)
		}
		body = map[string]any{"Response": map[string]any{
			"Error":     map[string]string{"Code": ae.Code, "Message": ae.Message},
			"RequestId": requestID,
		}}
	} else {
		raw, merr := json.Marshal(result)
		if merr != nil {
			panic(merr) // our own response types always marshal
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil || m == nil {
			m = map[string]any{}
		}
		m["RequestId"] = requestID
		body = map[string]any{"Response": m}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(body)
}

var (
	errDropped  = errors.New("connection dropped")
	errAnswered = errors.New("answered without the envelope") // a Status fault wrote its raw answer
)

// serve authenticates the request, applies a fault and the rate limit, and runs the action.
func (e *Emulator) serve(w http.ResponseWriter, r *http.Request, action string) (any, error) {
	if r.Method != http.MethodPost {
		return nil, errorf("UnsupportedOperation", "the emulator accepts POST requests with a JSON body, not %s", r.Method)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errorf("InvalidParameter", "reading the request body: %v", err)
	}
	if len(body) > maxBody {
		return nil, errorf("InvalidParameter", "the request body is larger than %d bytes", maxBody)
	}
	if _, err := tc3.Verify(r, body, Service, e.lookup, e.opts.SignatureNow()); err != nil {
		var te *tc3.Error
		if errors.As(err, &te) {
			return nil, &apiError{Code: te.Code, Message: te.Message}
		}
		return nil, errorf("AuthFailure", "%v", err)
	}
	if f := e.takeFault(action); f != nil {
		if err := applyFault(w, r, f); err != nil {
			return nil, err
		}
	}
	if !e.allow(action) {
		e.mu.Lock()
		e.limited[action]++
		e.mu.Unlock()
		return nil, errorf("RequestLimitExceeded", "more than %d requests of %s within one second", e.rateLimit(), action)
	}
	h, err := route(r, action)
	if err != nil {
		return nil, err
	}
	p, err := parseParams(body, h.params)
	if err != nil {
		return nil, err
	}
	return h.run(e, &request{ctx: r.Context(), region: r.Header.Get("X-TC-Region"), p: p})
}

// applyFault sleeps the fault's delay, then drops the connection, answers a raw Status or an error Code; nil
// lets the action run.
func applyFault(w http.ResponseWriter, r *http.Request, f *Fault) error {
	if f.DelayMs > 0 {
		t := time.NewTimer(time.Duration(f.DelayMs) * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return errDropped // nobody is listening any more
		}
	}
	switch {
	case f.Drop:
		drop(w)
		return errDropped
	case f.Status != 0:
		// No envelope, no RequestId, no JSON: what a gateway or load balancer in front of the API answers
		// when the API behind it is down.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, f.Body)
		return errAnswered
	case f.Code != "":
		msg := f.Message
		if msg == "" {
			msg = "injected fault " + f.Code
		}
		return &apiError{Code: f.Code, Message: msg}
	}
	return nil
}

// route checks the request's action, version, region and content type, and returns the action's handler.
func route(r *http.Request, action string) (handler, error) {
	if action == "" {
		return handler{}, errorf("MissingParameter", "the X-TC-Action header is missing")
	}
	h, ok := actions[action]
	switch {
	case !ok:
		return handler{}, errorf("InvalidAction", "the action %s is not supported (the emulator serves %v)", action, actionNames())
	case r.Header.Get("X-TC-Version") != Version:
		return handler{}, errorf("InvalidParameterValue", "X-TC-Version must be %s, got %q", Version, r.Header.Get("X-TC-Version"))
	case r.Header.Get("X-TC-Region") == "":
		return handler{}, errorf("MissingParameter", "the X-TC-Region header is missing")
	case !isJSON(r.Header.Get("Content-Type")):
		return handler{}, errorf("InvalidParameter", "Content-Type must be application/json, got %q", r.Header.Get("Content-Type"))
	}
	return h, nil
}

func (e *Emulator) rateLimit() int {
	if e.cfg.RateLimitPerSecond == 0 {
		return DefaultRateLimit
	}
	return e.cfg.RateLimitPerSecond
}

func (e *Emulator) checkpointEvery() time.Duration {
	if e.cfg.CheckpointSeconds == 0 {
		return DefaultCheckpointSeconds * time.Second
	}
	return time.Duration(e.cfg.CheckpointSeconds) * time.Second
}

func (e *Emulator) retentionHours() int {
	if e.cfg.RetentionHours == 0 {
		return DefaultRetentionHours
	}
	return e.cfg.RetentionHours
}

func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/json")
}

// drop closes the client connection without an answer, as a crashed load balancer would.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // the server closes the connection (HTTP/1) or resets the stream (HTTP/2)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (e *Emulator) lookup(secretID string) (string, string, bool) {
	for _, c := range e.cfg.Credentials {
		if c.SecretID == secretID {
			return c.SecretKey, c.Token, true
		}
	}
	return "", "", false
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
