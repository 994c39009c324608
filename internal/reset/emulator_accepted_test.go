package reset_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/dts"
	"dtsreset/internal/emulator"
	"dtsreset/internal/reset"
	"dtsreset/internal/testkit"
)

// wantOutcomeUnknown checks the reply of a reset DTS accepted but whose verify could not finish: 504
// (KindTimeout) with the reset's RequestId and no Retry-After, never 429.
func wantOutcomeUnknown(t *testing.T, d *testkit.DTS, err error, before map[string]int) {
	t.Helper()
	e := wantEmuError(t, err, reset.KindTimeout, reset.CodeDeadlineExceeded)
	if !uuidRE.MatchString(e.RequestID) || e.RetryAfter != 0 || !strings.Contains(e.Message, "outcome is unknown") {
		t.Errorf("got RequestId %q, RetryAfter %v, message %q; want the reset's RequestId, no Retry-After, "+
			"\"outcome is unknown\"", e.RequestID, e.RetryAfter, e.Message)
	}
	if n := callsSince(d, before)[actReset]; n != 1 {
		t.Errorf("ResetConsumerGroupOffset calls: got %d, want 1 (the reset was accepted)", n)
	}
}

// TestThrottledVerifyAfterAcceptedResetIs504Emulator: the regression test of issue 12, item 5, against the
// emulator. DTS throttles every DescribeConsumerGroups (an injected RequestLimitExceeded; the precheck is off
// so that only the verify asks): the SDK's and our retries run out and the verify fails throttled. The reset
// was accepted, so the reply is 504 with its RequestId, not 429.
func TestThrottledVerifyAfterAcceptedResetIs504Emulator(t *testing.T) {
	cfg := emulator.DemoConfig()
	cfg.Faults = []emulator.Fault{{Action: actDescribeGroups, Code: "RequestLimitExceeded"}}
	svc, d := newEmuService(t, &cfg, reset.Options{Verify: true})
	seeded(t, d)
	before := calls(d)
	_, err := svc.Reset(emuCtx(t), emuRequest(reset.ModeEarliest, 0, 1, 2))
	wantOutcomeUnknown(t, d, err, before)
	if n := callsSince(d, before)[actDescribeGroups]; n == 0 {
		t.Errorf("the verify never asked DescribeConsumerGroups")
	}
}

// TestOwnLimiterStopsVerifyAfterAcceptedResetIs504: the same bug with our own limiter. The process spent its
// DescribeConsumerGroups budget of the last second (19 calls) just before the reset, so the verify's first
// poll could only go after the invocation deadline: the limiter refuses it (KindThrottled inside the client),
// and the reply must still be 504 with the reset's RequestId.
func TestOwnLimiterStopsVerifyAfterAcceptedResetIs504(t *testing.T) {
	d := testkit.StartDTS(t, nil, emulator.Options{})
	d.SetEnv(t)
	seeded(t, d)
	c, err := dts.NewClient(dts.Options{Region: d.Region, Endpoint: d.URL})
	if err != nil {
		t.Fatal(err)
	}
	svc := reset.New(c, reset.Options{Verify: true})
	for i := range 19 {
		if _, err := c.DescribeConsumerGroups(emuCtx(t), "", testkit.SubscribeID, 0, 10); err != nil {
			t.Fatalf("call %d to spend the budget: %v", i, err)
		}
	}
	before := calls(d)
	// The deadline leaves room for the plan and the reset (one call each, their own limiters) but not for the
	// limiter's wait of about a second.
	ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
	defer cancel()
	_, err = svc.Reset(ctx, emuRequest(reset.ModeEarliest, 0, 1, 2))
	wantOutcomeUnknown(t, d, err, before)
	if n := callsSince(d, before)[actDescribeGroups]; n != 0 {
		t.Errorf("DescribeConsumerGroups calls after the reset: got %d, want 0 (the limiter refused them)", n)
	}
}
