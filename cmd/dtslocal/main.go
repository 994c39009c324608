// Command dtslocal runs the local DTS emulator: the TencentCloud API 3.0 endpoint of the DTS
// data-subscription actions on -http, and the in-process Kafka cluster that holds the subscriptions' topics
// and consumer groups on -kafka. Real Kafka clients (kgo, kcat) consume from it; the Go SDK, or the function
// with DTS_ENDPOINT=http://<-http address>, calls its API. See docs/EMULATOR.md.
//
// Once both listeners are up it prints exactly two lines on stdout, "api http://HOST:PORT" and
// "kafka HOST:PORT" (with the real ports when 0 was asked for), and runs until SIGINT or SIGTERM.
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
	"syscall"
	"time"

	"dtsreset/internal/emulator"
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	cfg := emulator.DemoConfig()
	if *configPath != "" {
		var err error
		if cfg, err = emulator.LoadConfig(*configPath); err != nil {
			return err
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
