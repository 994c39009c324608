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

// flags are dtslocal's command line.
type flags struct {
	httpAddr, kafkaAddr, configPath, dataDir string
	seed                                     bool // the demo data goes in
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	fs := flag.NewFlagSet("dtslocal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f flags
	fs.StringVar(&f.httpAddr, "http", "127.0.0.1:9123", "`host:port` of the DTS API endpoint (port 0: any free port)")
	fs.StringVar(&f.kafkaAddr, "kafka", "127.0.0.1:9092", "`host:port` of the Kafka listener (port 0: any free port)")
	fs.StringVar(&f.configPath, "config", "", "JSON configuration `file` (default: the demo subscription and credentials)")
	fs.StringVar(&f.dataDir, "data", "", "`directory` persisting Kafka data and the consumer-group list across restarts")
	demo := fs.Bool("demo", true, "without -config: seed the demo subscription with the records and commit make run shows (with -data: only into a new directory)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	explicitDemo := false
	fs.Visit(func(fl *flag.Flag) { explicitDemo = explicitDemo || fl.Name == "demo" })
	if f.configPath != "" && explicitDemo && *demo {
		return f, errors.New("-demo seeds the demo subscription: use it without -config")
	}
	f.seed = *demo && f.configPath == ""
	if f.seed && f.dataDir != "" {
		// A data directory that already holds the emulator's data keeps it: seeding again would append a
		// second copy of the log.
		if _, err := os.Stat(filepath.Join(f.dataDir, "dtsgroups.json")); err == nil {
			f.seed = false
		}
	}
	return f, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg := emulator.DemoConfig()
	if f.configPath != "" {
		if cfg, err = emulator.LoadConfig(f.configPath); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	emu, err := start(ctx, cfg, f)
	if err != nil {
		return err
	}
	defer emu.Close()

	ln, err := net.Listen("tcp", f.httpAddr)
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

// start starts the emulator of cfg and seeds the demo data when f says so, within 30 s.
func start(ctx context.Context, cfg emulator.Config, f flags) (*emulator.Emulator, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	emu, err := emulator.New(ctx, cfg, emulator.Options{KafkaAddr: f.kafkaAddr, DataDir: f.dataDir})
	if err != nil {
		return nil, err
	}
	if f.seed {
		su := emuclient.Login{User: cfg.Superuser().User, Password: cfg.Superuser().Password}
		if err := emuclient.SeedDemo(ctx, emu.KafkaAddrs(), su, time.Now()); err != nil {
			_ = emu.Close()
			return nil, fmt.Errorf("seeding the demo data: %w", err)
		}
	}
	return emu, nil
}
