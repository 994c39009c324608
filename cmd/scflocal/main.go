// Command scflocal runs an SCF Go function binary (bin/main) on this machine as Tencent Cloud's SCF Go
// runtime does: it starts the binary with _LAMBDA_SERVER_PORT, waits for Function.Ping, and calls
// Function.Invoke over scf-go-lib's net/rpc protocol with a deadline and a per-invocation Environment.
//
//	scflocal invoke [-bin bin/main] [-env-file F] [-timeout 15s] [-table] [-region R] [-function-name N] [-q] EVENT.json...
//	scflocal serve  [-addr 127.0.0.1:9000] [-trigger url|apigw] [-route "POST /reset"|any] [-bin bin/main] [-env-file F] [-timeout 15s] [-region R] [-function-name N] [-q]
//	scflocal demo   [-bin bin/main] [-events events] [-v]
//
// "scflocal SUBCOMMAND -h" lists a subcommand's flags and exits 0.
//
// invoke sends each event file ("-" is stdin) in order to one instance and prints each reply: the payload
// as indented JSON, or with -table as a kafka-consumer-groups.sh-style table. It exits 1 if any invocation
// failed (a function error, an HTTP status of 400 or more, a batch with failures, a crash), after printing
// them all; an instance that crashed, panicked or timed out is replaced for the next event, as SCF does.
//
// serve is a local HTTP trigger: each HTTP request becomes a Function URL event (the trigger serverless.yml
// deploys; -trigger apigw for an API Gateway event), so `curl -X POST localhost:9000/reset -d @payload.json`
// reaches the function. Only the route the README calls, POST /reset, reaches it: another path is answered
// 404 and another method 405, by scflocal itself (-route any passes every request). It prints
// "gateway http://HOST:PORT" once the function answers, and stops (killing the function) on SIGINT/SIGTERM.
//
// demo (what `make run` runs) starts the DTS emulator in this process, produces records and a consumer
// group position, runs the function against it, and walks through a dry run, a reset, a refused reset of an
// active group and a consumer resuming where the reset put it, each printed as a table. It exits 0 only when
// every step behaved as expected, and stops everything it started.
//
// The env file (KEY=VALUE lines, # comments) becomes both the process environment, which the function
// reads its configuration from at start, and every invocation's Environment, which is how SCF delivers
// the role's refreshed credentials. Nothing of scflocal's own environment reaches the function.
// The function's stdout and stderr (its JSON log lines) go to scflocal's stderr unless -q.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"dtsreset/internal/scflocal"
)

const usage = `usage:
  scflocal invoke [-bin bin/main] [-env-file F] [-timeout 15s] [-table] [-region R] [-function-name N] [-q] EVENT.json...
  scflocal serve  [-addr 127.0.0.1:9000] [-trigger url|apigw] [-route "POST /reset"|any] [-bin bin/main] [-env-file F] [-timeout 15s] [-region R] [-function-name N] [-q]
  scflocal demo   [-bin bin/main] [-events events] [-v]
"scflocal SUBCOMMAND -h" describes each flag.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// common are the flags both subcommands share.
type common struct {
	bin, envFile, region, name string
	timeout                    time.Duration
	quiet                      bool
	env                        map[string]string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.bin, "bin", "bin/main", "the function binary")
	fs.StringVar(&c.envFile, "env-file", "", "KEY=VALUE file: process environment and per-invocation Environment")
	fs.StringVar(&c.region, "region", "ap-guangzhou", "TencentcloudRegion of the invocation and TENCENTCLOUD_REGION")
	fs.StringVar(&c.name, "function-name", "dtsreset", "FunctionName of the invocation and SCF_FUNCTIONNAME")
	fs.DurationVar(&c.timeout, "timeout", scflocal.DefaultTimeout, "the function's time limit per invocation")
	fs.BoolVar(&c.quiet, "q", false, "discard the function's own output instead of copying it to stderr")
}

func (c *common) load() error {
	c.env = map[string]string{}
	if c.envFile == "" {
		return nil
	}
	env, err := scflocal.ReadEnvFile(c.envFile)
	c.env = env
	return err
}

func (c *common) starter(stderr io.Writer) func(context.Context) (*scflocal.Process, error) {
	var opts scflocal.Options
	if !c.quiet {
		opts.LogWriter = stderr
	}
	env := scflocal.SCFEnv(c.name, c.region, c.env)
	return func(ctx context.Context) (*scflocal.Process, error) {
		return scflocal.Start(ctx, c.bin, env, opts)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "invoke":
		return invoke(ctx, args[1:], stdin, stdout, stderr)
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "demo":
		return demo(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "scflocal: unknown command %q\n%s", args[0], usage)
	return 2
}

func invoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("invoke", stderr)
	var c common
	c.register(fs)
	table := fs.Bool("table", false, "print replies as tables")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "scflocal invoke: no event files\n%s", usage)
		return 2
	}
	if err := c.load(); err != nil {
		fmt.Fprintf(stderr, "scflocal invoke: %v\n", err)
		return 2
	}
	// Read every event first: a typo in the last file's name should not cost a half-run.
	events, err := readEvents(fs.Args(), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "scflocal invoke: %v\n", err)
		return 2
	}
	inv := &invoker{start: c.starter(stderr), c: &c, table: *table, stdout: stdout}
	defer inv.close()
	if inv.p, err = inv.start(ctx); err != nil {
		fmt.Fprintf(stderr, "scflocal invoke: %v\n", err)
		return 2
	}
	failed := false
	for i, name := range fs.Args() {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "scflocal invoke: interrupted")
			return 1
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		ok, err := inv.run(ctx, name, events[i])
		if err != nil {
			fmt.Fprintf(stderr, "scflocal invoke: %v\n", err)
			return 1
		}
		failed = failed || !ok
	}
	if failed {
		return 1
	}
	return 0
}

// readEvents reads each named event file, "-" being stdin.
func readEvents(names []string, stdin io.Reader) ([][]byte, error) {
	events := make([][]byte, len(names))
	for i, name := range names {
		var err error
		if name == "-" {
			events[i], err = io.ReadAll(stdin)
		} else {
			events[i], err = os.ReadFile(name)
		}
		if err != nil {
			return nil, err
		}
	}
	return events, nil
}

// invoker sends events to one function instance, replacing it when SCF would.
type invoker struct {
	start  func(context.Context) (*scflocal.Process, error)
	c      *common
	table  bool
	stdout io.Writer
	p      *scflocal.Process // nil after a discarded instance until the next event starts one
}

// run invokes the instance with one event and prints the reply; ok is false when the invocation failed.
// err is a failure of scflocal itself (no instance could be started, stdout broke).
func (v *invoker) run(ctx context.Context, name string, event []byte) (ok bool, err error) {
	if v.p == nil || v.p.Exited() {
		// The previous instance was discarded; SCF would cold-start a new one.
		v.close()
		if v.p, err = v.start(ctx); err != nil {
			return false, err
		}
	}
	reply, invErr := v.p.Invoke(ctx, scflocal.Invocation{Payload: event, Timeout: v.c.timeout, Env: v.c.env,
		FunctionName: v.c.name, Region: v.c.region})
	if scflocal.NeedsRestart(reply, invErr) {
		defer v.close()
	}
	fmt.Fprintf(v.stdout, "==> %s  RequestId %s  %s\n", name, reply.RequestID, reply.Duration.Round(100*time.Microsecond))
	switch {
	case invErr != nil:
		_, err = fmt.Fprintf(v.stdout, "ERROR invocation: %v\n", invErr)
		return false, err
	case v.table:
		err = printReply(v.stdout, reply)
	default:
		err = printRaw(v.stdout, reply)
	}
	return !replyFailed(reply), err
}

func (v *invoker) close() {
	if v.p != nil {
		v.p.Close()
		v.p = nil
	}
}

// printRaw prints the payload as indented JSON, or the function error with its (JSON) message indented.
func printRaw(w io.Writer, r scflocal.Reply) error {
	body, prefix := r.Payload, ""
	if r.Error != nil {
		body, prefix = []byte(r.Error.Message), fmt.Sprintf("ERROR %s: ", r.Error.Type)
		if r.Error.ShouldExit {
			prefix = fmt.Sprintf("ERROR panic (%s): ", r.Error.Type)
		}
	}
	var buf bytes.Buffer
	if json.Indent(&buf, body, "", "  ") != nil {
		buf.Reset()
		buf.Write(body)
	}
	_, err := fmt.Fprintf(w, "%s%s\n", prefix, buf.Bytes())
	return err
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr)
	var c common
	c.register(fs)
	addr := fs.String("addr", "127.0.0.1:9000", "listen address (port 0 picks one)")
	trigger := fs.String("trigger", "url", "the event each request becomes: url (Function URL, the trigger serverless.yml deploys) or apigw (API Gateway, older functions)")
	routeFlag := fs.String("route", "POST /reset", `the only method and path passed to the function, as the deployed trigger is called; others get 404 or 405 ("any": every request)`)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "scflocal serve: unexpected arguments %v\n%s", fs.Args(), usage)
		return 2
	}
	opts, err := gatewayOptions(*trigger, *routeFlag)
	if err == nil {
		err = c.load()
	}
	if err != nil {
		fmt.Fprintf(stderr, "scflocal serve: %v\n", err)
		return 2
	}
	opts.Timeout, opts.FunctionName, opts.Region, opts.AccessLog = c.timeout, c.name, c.region, stderr
	opts.Env = func() map[string]string { return c.env }
	g := scflocal.NewGateway(c.starter(stderr), opts)
	defer g.Close()
	if err := g.Warm(ctx); err != nil {
		fmt.Fprintf(stderr, "scflocal serve: %v\n", err)
		return 1
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "scflocal serve: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	fmt.Fprintf(stdout, "gateway http://%s\n", l.Addr())

	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "scflocal serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	// In-flight requests get the function's time limit to finish.
	sctx, cancel := context.WithTimeout(context.Background(), c.timeout+scflocal.InvokeGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "scflocal serve: shutdown: %v\n", err)
	}
	return 0
}

// gatewayOptions reads serve's -trigger and -route.
func gatewayOptions(trigger, route string) (scflocal.GatewayOptions, error) {
	var opts scflocal.GatewayOptions
	switch trigger {
	case "url":
		opts.Trigger = scflocal.FunctionURL
	case "apigw":
		opts.Trigger = scflocal.APIGateway
	default:
		return opts, fmt.Errorf("-trigger %q: want url or apigw", trigger)
	}
	if strings.EqualFold(route, "any") {
		return opts, nil
	}
	method, path, ok := strings.Cut(strings.TrimSpace(route), " ")
	if path = strings.TrimSpace(path); !ok || method == "" || !strings.HasPrefix(path, "/") {
		return opts, fmt.Errorf(`-route %q: want "METHOD /path", such as "POST /reset", or "any"`, route)
	}
	opts.Route = &scflocal.Route{Method: strings.ToUpper(method), Path: path}
	return opts, nil
}

// newFlagSet is a subcommand's flag set: errors and -h go to stderr, and -h lists its flags under its
// usage line.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		for line := range strings.Lines(usage) {
			if strings.HasPrefix(strings.TrimSpace(line), "scflocal "+name+" ") {
				fmt.Fprint(stderr, "usage:\n"+line)
			}
		}
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses a subcommand's flags. ok is false when the command should stop and exit with code:
// 0 after -h (the flags were listed), 2 after a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	case err != nil:
		return 2, false
	}
	return 0, true
}
