package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"dtsreset/internal/emulator"
	"dtsreset/internal/emulator/emuclient"
	"dtsreset/internal/scflocal"
	"dtsreset/validate"
)

// The demo's world is emuclient.SeedDemo's: the emulator's demo subscription with a log of
// emuclient.DemoRecords records per partition, one every 15 minutes over 30 hours (retention has dropped the
// first emuclient.DemoRetained), and group g1 committed at emuclient.DemoCommitted. The reset of step 2
// replays the last demoReplay: it lands on record demoTarget of every partition, whatever minute the demo runs.
const (
	demoReplay    = 3 * time.Hour
	demoReplayArg = "now-3h" // demoReplay as the payload spells it
	demoTarget    = 108      // the first record not older than demoReplay: (1800-180-5)/15 rounded up
	demoToken     = "demo-token-0123456789abcdef"
	demoClientID  = "orders-sync-worker"
	demoBudget    = 50 * time.Second
)

const (
	demoGroupShort = emuclient.DemoGroupShort
	demoGroup      = emuclient.DemoGroup
	demoCommitted  = emuclient.DemoCommitted
	demoRecords    = emuclient.DemoRecords
)

// demo runs the emulator in this process and the function binary as SCF would, and walks through a dry run,
// a reset, a refused reset of an active group and a consumer resuming where the reset put it. It exits 0 only
// when every step behaved as expected.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", stderr)
	bin := fs.String("bin", "bin/main", "the function binary")
	events := fs.String("events", "events", "the directory of sample events")
	verbose := fs.Bool("v", false, "copy the function's JSON log lines to stderr")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "scflocal demo: unexpected arguments %v\n%s", fs.Args(), usage)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, demoBudget)
	defer cancel()
	d := &demoRun{out: stdout, errw: stderr, events: *events}
	defer d.stop()
	if err := d.setup(ctx, *bin, *verbose); err != nil {
		fmt.Fprintf(stderr, "scflocal demo: %v\n", err)
		return 1
	}
	steps := []func(context.Context) error{d.dryRun, d.reset, d.refused, d.resume}
	failed := 0
	for i, step := range steps {
		fmt.Fprintf(stdout, "\n[%d/%d] ", i+1, len(steps))
		if err := step(ctx); err != nil {
			failed++
			fmt.Fprintf(stdout, "  FAILED: %v\n", err)
		}
		if ctx.Err() != nil {
			fmt.Fprintf(stdout, "scflocal demo: stopped: %v\n", ctx.Err())
			return 1
		}
	}
	fmt.Fprintln(stdout)
	if failed > 0 {
		fmt.Fprintf(stdout, "demo: %d of %d steps did not behave as expected\n", failed, len(steps))
		return 1
	}
	fmt.Fprintf(stdout, "demo: all %d steps behaved as expected\n", len(steps))
	return 0
}

// demoRun is what the demo started, so that stop can stop it.
type demoRun struct {
	out, errw io.Writer
	events    string
	now       time.Time

	emu       *emulator.Emulator
	srv       *http.Server
	kafka     []string
	fn        *scflocal.Process
	cred      emulator.Credential
	region    string
	superuser emuclient.Login
	consumer  *kgo.Client
}

func (d *demoRun) setup(ctx context.Context, bin string, verbose bool) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%w (run `make build` first, or pass -bin)", err)
	}
	cfg := emulator.DemoConfig()
	emu, err := emulator.New(ctx, cfg, emulator.Options{})
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	d.emu, d.kafka, d.cred, d.region = emu, emu.KafkaAddrs(), cfg.Credentials[0], cfg.Region
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d.srv = &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(l) }()
	endpoint := "http://" + l.Addr().String()

	d.now = time.Now()
	d.superuser = emuclient.Login{User: cfg.Superuser().User, Password: cfg.Superuser().Password}
	if err := emuclient.SeedDemo(ctx, d.kafka, d.superuser, d.now); err != nil {
		return fmt.Errorf("seeding the demo data: %w", err)
	}

	// The process gets its configuration; the credentials arrive with each invocation, as SCF hands the
	// execution role's refreshed ones to a running instance.
	var opts scflocal.Options
	if verbose {
		opts.LogWriter = d.errw
	}
	env := scflocal.SCFEnv("dtsreset", d.region, map[string]string{
		"DTS_ENDPOINT":    endpoint,
		"RESET_API_TOKEN": demoToken,
	})
	if d.fn, err = scflocal.Start(ctx, bin, env, opts); err != nil {
		if errors.Is(err, syscall.ENOEXEC) {
			err = fmt.Errorf("%w\n`make build` writes a linux/amd64 binary for SCF; on this %s/%s machine build one for it "+
				"(go build -o bin/main-local .) and pass -bin bin/main-local", err, runtime.GOOS, runtime.GOARCH)
		}
		return err
	}

	fmt.Fprintf(d.out, "dtsreset demo: the local DTS emulator (in-process Kafka) and %s run as SCF runs it (net/rpc)\n", bin)
	fmt.Fprintf(d.out, "  DTS API     %s (region %s, demo credentials)\n", endpoint, d.region)
	fmt.Fprintf(d.out, "  Kafka       %s (SASL SCRAM-SHA-512: %s / %s)\n", strings.Join(d.kafka, ","), emuclient.DemoSubscriber.User, emuclient.DemoSubscriber.Password)
	fmt.Fprintf(d.out, "  topic       %s: offsets %d-%d on every partition (0-2), one record every %s, from %s to %s Beijing time\n",
		emulator.DemoTopicName, emuclient.DemoRetained, demoRecords-1, strings.TrimSuffix(emuclient.DemoSpacing.String(), "0s"),
		validate.BeijingTime(emuclient.DemoRecordTime(d.now, emuclient.DemoRetained)), validate.BeijingTime(emuclient.DemoRecordTime(d.now, demoRecords-1)))
	fmt.Fprintf(d.out, "  group       %s committed at offset %d on every partition\n", demoGroup, demoCommitted)
	fmt.Fprintf(d.out, "  function    pid %d; credentials sent with each invocation; RESET_API_TOKEN=%s\n", d.fn.PID(), demoToken)
	return nil
}

// stop stops everything setup and the steps started, each bounded.
func (d *demoRun) stop() {
	if d.consumer != nil {
		d.consumer.Close()
	}
	if d.fn != nil {
		_ = d.fn.Close()
	}
	if d.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = d.srv.Shutdown(ctx)
		cancel()
	}
	if d.emu != nil {
		done := make(chan error, 1)
		go func() { done <- d.emu.Close() }()
		select {
		case err := <-done:
			if err != nil {
				fmt.Fprintf(d.errw, "scflocal demo: emulator: %v\n", err)
			}
		case <-time.After(5 * time.Second):
			fmt.Fprintln(d.errw, "scflocal demo: the emulator did not stop within 5s")
		}
	}
}

// invoke sends one event with the emulator's credentials in the invocation's Environment and prints the reply.
func (d *demoRun) invoke(ctx context.Context, payload []byte) (scflocal.Reply, error) {
	reply, err := d.fn.Invoke(ctx, scflocal.Invocation{
		Payload: payload, Timeout: 15 * time.Second, FunctionName: "dtsreset", Region: d.region,
		Env: map[string]string{
			"TENCENTCLOUD_SECRETID":     d.cred.SecretID,
			"TENCENTCLOUD_SECRETKEY":    d.cred.SecretKey,
			"TENCENTCLOUD_SESSIONTOKEN": d.cred.Token,
		},
	})
	if err != nil {
		return reply, fmt.Errorf("invocation: %w", err)
	}
	fmt.Fprintf(d.out, "==> RequestId %s  %v\n", reply.RequestID, reply.Duration.Round(time.Millisecond))
	if err := printReply(d.out, reply); err != nil {
		return reply, err
	}
	return reply, nil
}

// invokeDecoded is invoke, then the reply's HTTP status (200 for non-HTTP events) and result or error.
func (d *demoRun) invokeDecoded(ctx context.Context, payload []byte) (int, demoResult, error) {
	reply, err := d.invoke(ctx, payload)
	if err != nil {
		return 0, demoResult{}, err
	}
	return decodeReply(reply)
}

func (d *demoRun) event(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.events, name))
}

// demoResult is the part of the function's reply the demo checks.
type demoResult struct {
	RequestID  string `json:"RequestId"`
	DryRun     bool   `json:"DryRun"`
	Verified   bool   `json:"Verified"`
	Partitions []struct {
		PartitionNo   int32 `json:"PartitionNo"`
		CurrentOffset int64 `json:"CurrentOffset"`
		TargetOffset  int64 `json:"TargetOffset"`
		ResultOffset  int64 `json:"ResultOffset"`
	} `json:"Partitions"`
	Error *struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
	} `json:"Error"`
}

// decodeReply returns the HTTP status (0 for a timer or direct invocation) and the result or error object.
func decodeReply(r scflocal.Reply) (int, demoResult, error) {
	var res demoResult
	body := r.Payload
	if r.Error != nil {
		body = []byte(r.Error.Message)
	}
	var ir scflocal.IntegrationResponse
	status := 0
	if json.Unmarshal(body, &ir) == nil && ir.StatusCode != 0 {
		status, body = ir.StatusCode, []byte(ir.Body)
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return status, res, fmt.Errorf("reply %q: %w", body, err)
	}
	return status, res, nil
}

func (d *demoRun) dryRun(ctx context.Context) error {
	fmt.Fprintln(d.out, "Dry run through API Gateway (events/apigw-dryrun-query.json, ?dryRun=true): plan a skip to the end of every partition; nothing moves")
	ev, err := d.event("apigw-dryrun-query.json")
	if err != nil {
		return err
	}
	status, res, err := d.invokeDecoded(ctx, ev)
	if err != nil {
		return err
	}
	if status != http.StatusOK || !res.DryRun || res.RequestID != "" || len(res.Partitions) != 3 {
		return fmt.Errorf("got HTTP %d, DryRun %v, RequestId %q, %d partitions; want 200, a dry run without RequestId, 3 partitions",
			status, res.DryRun, res.RequestID, len(res.Partitions))
	}
	for _, p := range res.Partitions {
		if p.CurrentOffset != demoCommitted || p.TargetOffset != demoRecords {
			return fmt.Errorf("partition %d: got current %d, target %d; want %d, %d", p.PartitionNo, p.CurrentOffset, p.TargetOffset, demoCommitted, demoRecords)
		}
	}
	if err := d.checkCommitted(ctx, demoCommitted); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  ok: HTTP 200, a plan only; the group is still at offset %d\n", demoCommitted)
	return nil
}

func (d *demoRun) reset(ctx context.Context) error {
	payload := fmt.Sprintf(`{"SubscribeId": %q, "TopicName": %q, "ConsumerGroupName": %q, "PartitionNos": [0, 1, 2], "ResetMode": "datetime", "ResetDatetime": %q}`,
		emulator.DemoSubscribeID, emulator.DemoTopicName, demoGroupShort, demoReplayArg)
	fmt.Fprintf(d.out, "Reset: replay the last %s (direct invocation, ResetDatetime %q = %s Beijing time)\n",
		hours(demoReplay), demoReplayArg, validate.BeijingTime(time.Now().Add(-demoReplay)))
	fmt.Fprintf(d.out, "    %s\n", payload)
	reply, err := d.invoke(ctx, []byte(payload))
	if err != nil {
		return err
	}
	if reply.Error != nil {
		return fmt.Errorf("the function failed: %s", reply.Error.Message)
	}
	_, res, err := decodeReply(reply)
	if err != nil {
		return err
	}
	if res.RequestID == "" || !res.Verified || len(res.Partitions) != 3 {
		return fmt.Errorf("got RequestId %q, Verified %v, %d partitions; want a RequestId, verified, 3 partitions", res.RequestID, res.Verified, len(res.Partitions))
	}
	for _, p := range res.Partitions {
		if p.TargetOffset != demoTarget || p.ResultOffset != demoTarget {
			return fmt.Errorf("partition %d: got target %d, result %d; want %d", p.PartitionNo, p.TargetOffset, p.ResultOffset, demoTarget)
		}
	}
	if err := d.checkCommitted(ctx, demoTarget); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  ok: DTS RequestId %s; verified: Kafka has the group at offset %d on every partition\n", res.RequestID, demoTarget)
	return nil
}

func (d *demoRun) refused(ctx context.Context) error {
	fmt.Fprintf(d.out, "A consumer (client.id %s) joins %s, so the group is active; a reset to earliest (events/apigw-reset-earliest.json) is refused\n",
		demoClientID, demoGroup)
	ev, err := d.event("apigw-reset-earliest.json")
	if err != nil {
		return err
	}
	if d.consumer, err = d.join(ctx); err != nil {
		return err
	}
	status, res, err := d.invokeDecoded(ctx, ev)
	if err != nil {
		return err
	}
	if status != http.StatusConflict || res.Error == nil || res.Error.Code != "FailedOperation.GroupActive" ||
		!strings.Contains(res.Error.Message, demoClientID) {
		return fmt.Errorf("got HTTP %d %+v; want 409 FailedOperation.GroupActive naming %s", status, res.Error, demoClientID)
	}
	// The DTS API would have answered success and done nothing: what the precheck protects from.
	if err := d.checkCommitted(ctx, demoTarget); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  ok: HTTP 409 names the consumer to stop; the group is still at offset %d\n", demoTarget)
	return nil
}

func (d *demoRun) resume(ctx context.Context) error {
	fmt.Fprintf(d.out, "The consumer stops (it leaves the group); a new consumer in %s resumes where the reset put it\n", demoGroup)
	if d.consumer == nil {
		return errors.New("skipped: the consumer of step 3 never joined")
	}
	d.consumer.Close()
	d.consumer = nil
	first, err := d.firstRecords(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tOFFSET\tTIMESTAMP (Beijing)\tVALUE")
	var bad []string
	for p := int32(0); p < 3; p++ {
		r := first[p]
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\n", p, r.Offset, validate.BeijingTime(r.Timestamp), r.Value)
		if r.Offset != demoTarget {
			bad = append(bad, fmt.Sprintf("partition %d: got offset %d, want %d", p, r.Offset, demoTarget))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if bad != nil {
		return errors.New(strings.Join(bad, "; "))
	}
	fmt.Fprintf(d.out, "  ok: every partition resumes at offset %d, the first record of the last %s\n", demoTarget, hours(demoReplay))
	return nil
}

func hours(d time.Duration) string { return fmt.Sprintf("%g hours", d.Hours()) }

// The Kafka side: real kgo clients against the emulator's in-process broker, the superuser checking the
// offsets and the group's account consuming, as on DTS.

// checkCommitted reads the group's committed offsets from Kafka itself, not through the function.
func (d *demoRun) checkCommitted(ctx context.Context, want int64) error {
	got, err := emuclient.Committed(ctx, d.kafka, d.superuser, demoGroup, emulator.DemoTopicName)
	if err != nil {
		return err
	}
	var bad []string
	for p := int32(0); p < 3; p++ {
		if o, ok := got[p]; !ok || o != want {
			bad = append(bad, fmt.Sprintf("partition %d at %d", p, o))
		}
	}
	if bad != nil {
		return fmt.Errorf("Kafka has the group at %s; want %d", strings.Join(bad, ", "), want)
	}
	return nil
}

// consumerClient is a group member logged in with the group's account; it never commits, so only the
// function moves the group's offsets.
func (d *demoRun) consumerClient(clientID string) (*kgo.Client, error) {
	return emuclient.Subscriber(d.kafka, emuclient.DemoSubscriber, demoGroup, emulator.DemoTopicName, clientID)
}

// join starts a consumer and waits, at most 15 s, until the group is Stable with it as a member.
func (d *demoRun) join(ctx context.Context) (*kgo.Client, error) {
	cl, err := d.consumerClient(demoClientID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := emuclient.WaitJoined(ctx, cl, demoGroup); err != nil {
		cl.Close()
		return nil, fmt.Errorf("consumer %s: %w", demoClientID, err)
	}
	return cl, nil
}

// firstRecords reads, as a new member of the group, the first record of each partition: where it resumes.
func (d *demoRun) firstRecords(ctx context.Context) (map[int32]*kgo.Record, error) {
	cl, err := d.consumerClient("dtsreset-demo-reader")
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return emuclient.FirstRecords(ctx, cl, 3)
}
