// Command dtslocal runs the local DTS emulator: the TencentCloud API 3.0 endpoint of the DTS
// data-subscription actions on -http, and the in-process Kafka cluster that holds the subscriptions' topics
// and consumer groups on -kafka. Real Kafka clients (kgo, kcat) consume from it; the Go SDK, or the function
// with DTS_ENDPOINT=http://<-http address>, calls its API. See docs/EMULATOR.md.
//
// Once both listeners are up it prints on stdout "api http://HOST:PORT" and "kafka HOST:PORT" (with the real
// ports when 0 was asked for), then one "sasl SCRAM-SHA-512 USER PASSWORD" line per DTS account of the
// configuration and one for the Kafka superuser, and runs until SIGINT or SIGTERM. Without -config it serves
// the demo subscription seeded with the data `make run` shows (-demo=false: empty).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"dtsreset/internal/emulator"
	"dtsreset/internal/emulator/emuclient"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp): // -h: the usage is printed, and asking for it is not a failure
	case err != nil:
		fmt.Fprintln(os.Stderr, "dtslocal:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dtslocal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http", "127.0.0.1:9123", "`host:port` of the DTS API endpoint (port 0: any free port)")
	kafkaAddr := fs.String("kafka", "127.0.0.1:9092", "`host:port` of the Kafka listener (port 0: any free port)")
	configPath := fs.String("config", "", "JSON configuration `file` (default: the demo subscription and credentials)")
	dataDir := fs.String("data", "", "`directory` persisting Kafka data and the consumer-group list across restarts")
	demo := fs.Bool("demo", true, "without -config: seed the demo subscription with the records and commit make run shows (with -data: only into a new directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	explicitDemo := false
	fs.Visit(func(f *flag.Flag) { explicitDemo = explicitDemo || f.Name == "demo" })
	if *configPath != "" && explicitDemo && *demo {
		return errors.New("-demo seeds the demo subscription: use it without -config")
	}

	cfg := emulator.DemoConfig()
	seed := *demo && *configPath == ""
	if *configPath != "" {
		var err error
		if cfg, err = emulator.LoadConfig(*configPath); err != nil {
			return err
		}
	}
	if seed && *dataDir != "" {
		// A data directory that already holds the emulator's data keeps it: seeding again would append a
		// second copy of the log.
		if _, err := os.Stat(filepath.Join(*dataDir, "dtsgroups.json")); err == nil {
			seed = false
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	opts := []emulator.Option{emulator.WithKafkaAddr(*kafkaAddr)}
	if *dataDir != "" {
		opts = append(opts, emulator.WithDataDir(*dataDir))
	}
	emu, err := emulator.New(startCtx, cfg, opts...)
	if err != nil {
		return err
	}
	defer emu.Close()
	su := emuclient.Login{User: cfg.Superuser().User, Password: cfg.Superuser().Password}
	if seed {
		if err := emuclient.SeedDemo(startCtx, emu.KafkaAddrs(), su, time.Now()); err != nil {
			return fmt.Errorf("seeding the demo data: %w", err)
		}
	}

	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           emu,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(stderr, "dtslocal: http: ", 0),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	fmt.Fprintf(stdout, "api http://%s\n", ln.Addr())
	for _, a := range emu.KafkaAddrs() {
		fmt.Fprintf(stdout, "kafka %s\n", a)
	}
	for _, u := range append(cfg.Accounts(), cfg.Superuser()) {
		fmt.Fprintf(stdout, "sasl SCRAM-SHA-512 %s %s\n", u.User, u.Password)
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return err
	}
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return emu.Close()
}
