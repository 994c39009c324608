package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"

	"dtsreset/internal/emulator"
	"dtsreset/internal/scflocal"
)

// ColdStart is the result of `perf coldstart`.
type ColdStart struct {
	Starts int `json:"starts"`
	// Refused: an event the handler refuses in validation (events/bad-subscribe-id.json), no API call.
	RefusedReady Stats `json:"refused_ready"` // exec -> Function.Ping answered
	RefusedFirst Stats `json:"refused_first"` // exec -> first Function.Invoke answered
	// DryRun: a real dry-run reset (events/direct-dryrun-all.json) against the emulator: three API calls
	// on connections the fresh process has to open.
	DryRunFirst Stats `json:"dryrun_first"`
	RSSKiB      int   `json:"rss_kib_max"` // VmHWM of the fresh processes after their first reply
	// Floor: the smallest scf-go-lib function (bench/floor), exec -> first Invoke answered: what exec, the Go
	// runtime and the RPC server cost on this machine before any of our code runs.
	FloorFirst Stats `json:"floor_first"`
}

// runColdStart starts bin n times per event and times exec -> first reply. scflocal.Start polls for the
// port every 20 ms, too coarse here: this dials every 200 µs instead.
func runColdStart(args []string) error {
	fs := flag.NewFlagSet("coldstart", flag.ExitOnError)
	bin := fs.String("bin", "bin/main", "the function binary")
	n := fs.Int("n", 30, "starts per event")
	out := fs.String("out", "", "directory for coldstart.json")
	events := fs.String("events", "events", "the sample events directory")
	floor := fs.String("floor", "", "the smallest SCF function (bench/floor), timed for comparison")
	fs.Parse(args)

	refused, err := os.ReadFile(filepath.Join(*events, "bad-subscribe-id.json"))
	if err != nil {
		return err
	}
	dryRun, err := os.ReadFile(filepath.Join(*events, "direct-dryrun-all.json"))
	if err != nil {
		return err
	}
	ctx := context.Background()
	// No emulator limit: 30 starts in a few hundred ms would otherwise meet the API's 20/s.
	d, err := startDTS(ctx, emulator.Options{NoRateLimit: true})
	if err != nil {
		return err
	}
	defer d.close()
	env := scflocal.SCFEnv("dtsreset", d.cfg.Region, d.env(nil))

	var res ColdStart
	var ready, first, dry, flo []time.Duration
	for i := range *n {
		r, f, rss, err := coldStart(*bin, env, refused, func(resp *messages.InvokeResponse) error {
			if resp.Error == nil || !strings.Contains(resp.Error.Message, `"InvalidParameter`) {
				return fmt.Errorf("want an InvalidParameter refusal, got %s %+v", resp.Payload, resp.Error)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("refused-event start %d: %w", i, err)
		}
		ready, first = append(ready, r), append(first, f)
		res.RSSKiB = max(res.RSSKiB, rss)

		_, f, rss, err = coldStart(*bin, env, dryRun, func(resp *messages.InvokeResponse) error {
			if resp.Error != nil || !strings.Contains(string(resp.Payload), `"DryRun":true`) {
				return fmt.Errorf("want a dry-run result, got %s %+v", resp.Payload, resp.Error)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("dry-run start %d: %w", i, err)
		}
		dry = append(dry, f)
		res.RSSKiB = max(res.RSSKiB, rss)

		if *floor != "" {
			_, f, _, err = coldStart(*floor, env, refused, func(*messages.InvokeResponse) error { return nil })
			if err != nil {
				return fmt.Errorf("floor start %d: %w", i, err)
			}
			flo = append(flo, f)
		}
	}
	res.Starts = *n
	res.RefusedReady, res.RefusedFirst, res.DryRunFirst = summarize(ready), summarize(first), summarize(dry)
	res.FloorFirst = summarize(flo)
	fmt.Printf("cold start, %d starts each (exec -> reply through the SCF protocol)\n", *n)
	fmt.Printf("  Ping answered:                 %v\n", res.RefusedReady)
	fmt.Printf("  first Invoke (refused event):  %v\n", res.RefusedFirst)
	fmt.Printf("  first Invoke (dry-run reset):  %v\n", res.DryRunFirst)
	if *floor != "" {
		fmt.Printf("  first Invoke (floor function): %v\n", res.FloorFirst)
	}
	fmt.Printf("  VmHWM after the first reply:   %d KiB\n", res.RSSKiB)
	return writeJSON(*out, "coldstart.json", res)
}

// coldStart execs bin, dials its port until it accepts, pings, invokes event once and kills it. It returns the
// times from exec to the Ping answer and to the Invoke answer, and the process's VmHWM.
func coldStart(bin string, env []string, event []byte, check func(*messages.InvokeResponse) error) (ready, first time.Duration, rssKiB int, err error) {
	port, err := scflocal.FreePort()
	if err != nil {
		return 0, 0, 0, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string{}, env...), "_LAMBDA_SERVER_PORT="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.WaitDelay = time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	limit := start.Add(5 * time.Second)
	var conn net.Conn
	for {
		conn, err = net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			break
		}
		if time.Now().After(limit) {
			return 0, 0, 0, fmt.Errorf("port %d not open 5s after exec: %w", port, err)
		}
		time.Sleep(200 * time.Microsecond)
	}
	c := rpc.NewClient(conn)
	defer c.Close()
	if err := call(c, "Function.Ping", &messages.PingRequest{}, &messages.PingResponse{}, 5*time.Second); err != nil {
		return 0, 0, 0, fmt.Errorf("Function.Ping: %w", err)
	}
	ready = time.Since(start)
	deadline := time.Now().Add(15 * time.Second)
	req := &messages.InvokeRequest{
		Payload:         event,
		RequestId:       "00000000-0000-4000-8000-" + fmt.Sprintf("%012d", port),
		Deadline:        messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName:    "dtsreset",
		FunctionVersion: "$LATEST",
		Namespace:       "default",
		MemoryLimitInMb: 128,
		TimeLimitInMs:   15000,
	}
	var resp messages.InvokeResponse
	if err := call(c, "Function.Invoke", req, &resp, 17*time.Second); err != nil {
		return 0, 0, 0, fmt.Errorf("Function.Invoke: %w", err)
	}
	first = time.Since(start)
	if err := check(&resp); err != nil {
		return 0, 0, 0, err
	}
	rssKiB, err = vmHWM(cmd.Process.Pid)
	return ready, first, rssKiB, err
}

// call is a net/rpc call bounded by d (net/rpc's own Call waits forever).
func call(c *rpc.Client, method string, args, reply any, d time.Duration) error {
	done := c.Go(method, args, reply, make(chan *rpc.Call, 1)).Done
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case cl := <-done:
		return cl.Error
	case <-t.C:
		return errors.New("no answer within " + d.String())
	}
}
