package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDemo runs `make run`'s command against the real function: it is one of the README's two commands.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, scflocalBin, "demo", "-bin", dtsresetBin, "-events", "../../events").CombinedOutput()
	if err != nil {
		t.Fatalf("scflocal demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		"[1/4] Dry run", "HTTP 200",
		"[2/4] Reset", "PARTITION  CURRENT-OFFSET  TARGET-OFFSET  REPLAY  SKIP  RESULT-OFFSET\n0          115             108            7       0     108\n",
		"[3/4] A consumer", "HTTP 409", "ERROR FailedOperation.GroupActive: ", "orders-sync-worker (partitions 0-2)",
		"[4/4] The consumer stops", "0          108     ",
		"demo: all 4 steps behaved as expected\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "FAILED") {
		t.Errorf("a step failed:\n%s", out)
	}
	t.Logf("the demo took %v (timed by bench, not asserted here)", time.Since(start))
}

// TestDemoFailsWhenAStepMisbehaves: a function that answers something else (here the echo function) must not
// pass for a working demo.
func TestDemoFailsWhenAStepMisbehaves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, scflocalBin, "demo", "-bin", fnBin, "-events", "../../events").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: got %v, want status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "FAILED") || !strings.Contains(string(out), "did not behave as expected") {
		t.Errorf("want the failed steps reported:\n%s", out)
	}
}

func TestDemoMissingBinary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, scflocalBin, "demo", "-bin", "/nonexistent/main").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "make build") {
		t.Errorf("got %v %s, want exit status 1 suggesting make build", err, out)
	}
}

// TestDemoMissingEvents guards a nil dereference: when step 3 cannot start its consumer, step 4 must report
// itself skipped, not crash the demo.
func TestDemoMissingEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, scflocalBin, "demo", "-bin", dtsresetBin, "-events", t.TempDir()).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: got %v, want status 1\n%s", err, out)
	}
	if strings.Contains(string(out), "panic") || !strings.Contains(string(out), "FAILED") {
		t.Errorf("want the failed steps reported without a crash:\n%s", out)
	}
}
