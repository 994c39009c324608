package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"dtsreset/internal/emulator"
	"dtsreset/internal/emulator/emuclient"
)

// The actions one reset calls.
var actions = []string{"DescribeConsumerGroups", "DescribeSubscribeDetail", "DescribeOffsetByTime", "ResetConsumerGroupOffset"}

// Demo names, as emulator.DemoConfig serves them.
const (
	subscribeID = emulator.DemoSubscribeID
	topic       = emulator.DemoTopicName
	partitions  = 3
)

// dts is the emulator served on loopback behind a meter.
type dts struct {
	emu   *emulator.Emulator
	meter *meter
	srv   *http.Server
	url   string
	cfg   emulator.Config
}

// startDTS starts the emulator with the demo configuration on 127.0.0.1, with 10 records in each partition so
// that earliest and latest resets move the offsets.
func startDTS(ctx context.Context, o emulator.Options) (*dts, error) {
	cfg := emulator.DemoConfig()
	emu, err := emulator.New(ctx, cfg, o)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		emu.Close()
		return nil, err
	}
	m := &meter{next: emu, throttled: map[string]int{}, arrivals: map[string][]time.Time{}}
	d := &dts{emu: emu, meter: m, srv: &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}, url: "http://" + l.Addr().String(), cfg: cfg}
	go d.srv.Serve(l)
	if err := d.produce(ctx, 10); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *dts) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.srv.Shutdown(ctx)
	_ = d.emu.Close()
}

// produce writes n records to every partition of the demo topic, as the Kafka superuser (on DTS only the
// subscription writes).
func (d *dts) produce(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	// An hour old: DTS's checkpoints (every 10 s) already hold the records, as they do on a live subscription.
	stamp := time.Now().Add(-time.Hour)
	var recs []*kgo.Record
	for p := range partitions {
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(p), Value: fmt.Appendf(nil, "%d-%d", p, i), Timestamp: stamp})
		}
	}
	su := d.cfg.Superuser()
	return emuclient.Produce(ctx, d.emu.KafkaAddrs(), emuclient.Login{User: su.User, Password: su.Password}, recs...)
}

// env is the function's environment against this emulator (the credentials as SCF passes the role's).
func (d *dts) env(extra map[string]string) map[string]string {
	c := d.cfg.Credentials[0]
	vars := map[string]string{
		"DTS_ENDPOINT":              d.url,
		"TENCENTCLOUD_SECRETID":     c.SecretID,
		"TENCENTCLOUD_SECRETKEY":    c.SecretKey,
		"TENCENTCLOUD_SESSIONTOKEN": c.Token,
	}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

// calls is the emulator's count of requests per action.
func (d *dts) calls() map[string]int {
	out := map[string]int{}
	for _, a := range actions {
		out[a] = d.emu.Calls(a)
	}
	return out
}

func diff(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		out[k] = v - before[k]
	}
	return out
}

// meter wraps the emulator's HTTP side, which we do not modify, to count what the emulator itself does not:
// the RequestLimitExceeded answers, the arrival time of each request, and the sequential round trips — a
// request that arrives while no other is in flight starts a new one. With delay set, every request is held
// that long first, so that requests sent together are sure to overlap and are counted as one round trip.
type meter struct {
	next http.Handler

	mu        sync.Mutex
	delay     time.Duration
	inflight  int
	phases    int
	throttled map[string]int
	arrivals  map[string][]time.Time
}

func (m *meter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := r.Header.Get("X-TC-Action")
	m.mu.Lock()
	if m.inflight == 0 {
		m.phases++
	}
	m.inflight++
	m.arrivals[action] = append(m.arrivals[action], time.Now())
	delay := m.delay
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.inflight--
		m.mu.Unlock()
	}()
	if delay > 0 {
		time.Sleep(delay)
	}
	cw := &captureWriter{ResponseWriter: w}
	m.next.ServeHTTP(cw, r)
	if bytes.Contains(cw.body.Bytes(), []byte(`"RequestLimitExceeded"`)) {
		m.mu.Lock()
		m.throttled[action]++
		m.mu.Unlock()
	}
}

func (m *meter) setDelay(d time.Duration) {
	m.mu.Lock()
	m.delay = d
	m.mu.Unlock()
}

// snapshot returns the round trips counted so far, the throttled answers per action and the arrival times.
func (m *meter) snapshot() (int, map[string]int, map[string][]time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	th := map[string]int{}
	for k, v := range m.throttled {
		th[k] = v
	}
	arr := map[string][]time.Time{}
	for k, v := range m.arrivals {
		arr[k] = append([]time.Time(nil), v...)
	}
	return m.phases, th, arr
}

// captureWriter keeps a copy of the (small) answer.
type captureWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (c *captureWriter) Write(b []byte) (int, error) {
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}
