package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"dtsreset/internal/emulator"
	"dtsreset/internal/testkit"
)

// TestCredentialsRaceBetweenConcurrentInvocations is the regression test of the credentials race (issue 12,
// item 1): scf-go-lib serves invocations concurrently and applies each one's Environment to the process with
// os.Setenv, key by key, so a function that reads its keys from the process environment signs with a SecretId
// of one invocation, the SecretKey of a second and the token of a third (AuthFailure.SignatureFailure or
// TokenFailure). Here every invocation carries a set of its own, all valid, and the emulator checks for every
// request that its SecretId, token and signature belong together; the process environment holds a set the
// emulator does not know, so falling back to it fails too. Every invocation must succeed.
func TestCredentialsRaceBetweenConcurrentInvocations(t *testing.T) {
	if testing.Short() {
		t.Skip("120 invocations paced by the 20/s rate limit: about 7 s")
	}
	const n = 120
	sets := make([]emulator.Credential, n)
	for i := range sets {
		sets[i] = emulator.Credential{SecretID: fmt.Sprintf("AKIDrace%03d", i),
			SecretKey: fmt.Sprintf("race-secret-key-%03d", i), Token: fmt.Sprintf("race-session-token-%03d", i)}
	}
	cfg := emulator.DemoConfig()
	cfg.Credentials = sets
	d := testkit.StartDTS(t, &cfg, emulator.Options{})
	d.Produce(t, testkit.Topic, partitions, nRecords)
	commitAll(t, d, committedAt)
	f := startFunction(t, d, credentials("AKIDunknownAtStart", staleKey, staleToken))

	// A dry run signs three calls (DescribeConsumerGroups, DescribeSubscribeDetail, DescribeOffsetByTime),
	// each paced by its own limiter: the 120 invocations overlap for about 7 s. The time limit leaves room.
	const timeout = 25 * time.Second
	dryRun := event(t, "direct-dryrun-all.json")
	type outcome struct {
		id   string
		code string // "" for success
		err  error
	}
	outcomes := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s := sets[i]
			r, err := f.send(dryRun, credentials(s.SecretID, s.SecretKey, s.Token), timeout)
			outcomes[i] = outcome{id: r.RequestID, err: err}
			if err == nil && r.Error != nil {
				var e errorBody
				_ = json.Unmarshal([]byte(r.Error.Message), &e)
				outcomes[i].code = e.Error.Code + ": " + e.Error.Message
			}
		})
	}
	wg.Wait()

	failed := map[string]int{}
	for _, o := range outcomes {
		switch {
		case o.err != nil:
			failed["no reply: "+o.err.Error()]++
		case o.code != "":
			failed[o.code]++
		}
	}
	if len(failed) > 0 {
		total := 0
		for _, c := range failed {
			total += c
		}
		t.Errorf("%d of %d concurrent invocations failed, want 0:", total, n)
		for msg, c := range failed {
			t.Errorf("  %d× %.200s", c, msg)
		}
	}
	// One admitted call per invocation; calls the emulator throttled (the client's window and the emulator's
	// disagree by the arrival jitter of a loaded machine) are retried by the SDK and do not count.
	if calls, limited := d.Emu.Calls("DescribeOffsetByTime"), d.Emu.Limited("DescribeOffsetByTime"); calls-limited != n {
		t.Errorf("DescribeOffsetByTime calls: got %d admitted (%d, %d of them throttled), want one per invocation (%d)", calls-limited, calls, limited, n)
	}
	// No key or token of any set reaches the log or a reply.
	logs := f.p.Logs()
	for _, s := range sets {
		for _, secret := range []string{s.SecretKey, s.Token} {
			if strings.Contains(logs, secret) {
				t.Fatalf("the function's log contains %s", secret)
			}
		}
	}
}
