package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// scflocalBin, fnBin (a test function) and dtsresetBin (the real one, for the demo) are built once per test
// run: the command is driven from outside, as a user would.
var scflocalBin, fnBin, dtsresetBin string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "scflocal-cmd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	scflocalBin, fnBin, dtsresetBin = filepath.Join(dir, "scflocal"), filepath.Join(dir, "main"), filepath.Join(dir, "dtsreset")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for out, pkg := range map[string]string{scflocalBin: ".", fnBin: "../../internal/scflocal/testdata/fn", dtsresetBin: "../.."} {
		if b, err := exec.CommandContext(ctx, "go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, b)
			return 1
		}
	}
	return m.Run()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInvoke(t *testing.T) {
	dir := t.TempDir()
	envFile := writeFile(t, dir, "env", "# test\nTENCENTCLOUD_SECRETID=AKIDfile\n")
	echo := writeFile(t, dir, "echo.json", `{"getenv":["TENCENTCLOUD_SECRETID","SCF_FUNCTIONNAME","HOME"]}`)
	result := writeFile(t, dir, "result.json", `{"reply":{"RequestId":"r1","SubscribeId":"subs-a","TopicName":"t",`+
		`"ConsumerGroupName":"g","ResetMode":"latest","DryRun":false,"Verified":true,"Partitions":[{"PartitionNo":0,"TargetOffset":9,"ResultOffset":9}]}}`)
	crash := writeFile(t, dir, "crash.json", `{"exit":4}`)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, scflocalBin, "invoke", "-bin", fnBin, "-env-file", envFile, "-q", echo, result, crash, echo)
	cmd.Env = append(os.Environ(), "HOME=/should/not/leak")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := stdout.String()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: got %v, want status 1 (the crash)\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	// The echo's env, from the file and SCF's own variables, and nothing of ours.
	var e struct {
		Env map[string]string `json:"env"`
	}
	first := out[strings.Index(out, "{") : strings.Index(out, "\n}\n")+2]
	if err := json.Unmarshal([]byte(first), &e); err != nil {
		t.Fatalf("first reply %q: %v", first, err)
	}
	if e.Env["TENCENTCLOUD_SECRETID"] != "AKIDfile" || e.Env["SCF_FUNCTIONNAME"] != "dtsreset" || e.Env["HOME"] != "" {
		t.Errorf("function env: got %v, want the file's and SCF's variables only", e.Env)
	}
	for _, want := range []string{
		"==> " + echo, "==> " + result, "==> " + crash,
		`"PartitionNo": 0`, // JSON pretty-printed without -table
		"ERROR invocation: scflocal: function process exited",
		"exit status 4",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// The instance was replaced after the crash: the last echo answered.
	if strings.Count(out, `"TENCENTCLOUD_SECRETID": "AKIDfile"`) != 2 {
		t.Errorf("want both echoes answered (restart after crash):\n%s", out)
	}
}

func TestInvokeTable(t *testing.T) {
	dir := t.TempDir()
	result := writeFile(t, dir, "result.json", `{"reply":{"RequestId":"r1","SubscribeId":"subs-a","TopicName":"t",`+
		`"ConsumerGroupName":"g","ResetMode":"latest","DryRun":false,"Verified":true,"Partitions":[{"PartitionNo":0,"TargetOffset":9,"ResultOffset":9}]}}`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, scflocalBin, "invoke", "-q", "-table", "-bin", fnBin, result).Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := `SUBSCRIBE-ID  TOPIC  GROUP  MODE    DRY-RUN  REQUEST-ID  STATE  VERIFIED
subs-a        t      g      latest  false    r1          -      true

PARTITION  CURRENT-OFFSET  TARGET-OFFSET  RESULT-OFFSET
0          -               9              9
`
	if _, table, _ := strings.Cut(string(out), "\n"); table != want {
		t.Errorf("got\n%s\nwant\n%s", table, want)
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, scflocalBin, "serve", "-q", "-addr", "127.0.0.1:0", "-bin", fnBin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "gateway http://127.0.0.1:") {
		t.Fatalf("first line: got %q (%v), want gateway http://127.0.0.1:PORT", line, err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "gateway "))

	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/reset", strings.NewReader(`{"hello":"gw"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `\"hello\":\"gw\"`) {
		t.Errorf("got %d %s, want 200 echoing the body", resp.StatusCode, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: got %v, want 0", err)
	}
}

func TestUsage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, args := range [][]string{{}, {"bogus"}, {"invoke"}, {"invoke", "-bin", fnBin, "/nonexistent.json"}} {
		err := exec.CommandContext(ctx, scflocalBin, args...).Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("scflocal %v: got %v, want exit status 2", args, err)
		}
	}
}

// TestInvokePanicLast guards a nil dereference: when the last event panics the instance is discarded, and
// invoke must still exit 1 cleanly instead of crashing while closing it.
func TestInvokePanicLast(t *testing.T) {
	dir := t.TempDir()
	panicking := writeFile(t, dir, "panic.json", `{"panic":"boom"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, scflocalBin, "invoke", "-bin", fnBin, "-q", panicking).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: got %v, want status 1\n%s", err, out)
	}
	if strings.Contains(string(out), "panic: runtime error") || !strings.Contains(string(out), "boom") {
		t.Errorf("want the function's panic reported and no crash of scflocal:\n%s", out)
	}
}
