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
		"ERROR invocation: function process exited",
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

PARTITION  CURRENT-OFFSET  TARGET-OFFSET  REPLAY  SKIP  RESULT-OFFSET
0          -               9              -       -     9
`
	if _, table, _ := strings.Cut(string(out), "\n"); table != want {
		t.Errorf("got\n%s\nwant\n%s", table, want)
	}
}

// TestInvokeTableFailedBatch: a timer or direct batch with a failed item fails with the batch reply as the
// error message; -table renders it as a batch, not as raw JSON.
func TestInvokeTableFailedBatch(t *testing.T) {
	dir := t.TempDir()
	batch := `{"Results":[{"RequestId":"","SubscribeId":"subs-a","TopicName":"t","ConsumerGroupName":"g","ResetMode":"earliest","DryRun":true,` +
		`"Partitions":[{"PartitionNo":0,"CurrentOffset":7,"TargetOffset":3}]},{"Error":{"Code":"FailedOperation.GroupActive","Message":"group has members"},"RequestId":"up-1"}],"Failed":1}`
	cmdJSON, _ := json.Marshal(map[string]string{"error": batch})
	failing := writeFile(t, dir, "batch.json", string(cmdJSON))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, scflocalBin, "invoke", "-q", "-table", "-bin", fnBin, failing).Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: got %v, want status 1 (a failed item)\n%s", err, out)
	}
	for _, want := range []string{"BATCH 2 resets, 1 failed", "[1/2]", "PARTITION  CURRENT-OFFSET", "0          7               3",
		"[2/2]", "ERROR FailedOperation.GroupActive: group has members", "RequestId: up-1"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// startServe runs scflocal serve with args on a free port and returns its URL; the server is stopped when
// the test ends.
func startServe(t *testing.T, ctx context.Context, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, scflocalBin, append([]string{"serve", "-q", "-addr", "127.0.0.1:0", "-bin", fnBin}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	stopGently(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "gateway http://127.0.0.1:") {
		t.Fatalf("first line: got %q (%v), want gateway http://127.0.0.1:PORT", line, err)
	}
	return cmd, strings.TrimSpace(strings.TrimPrefix(line, "gateway "))
}

func post(t *testing.T, ctx context.Context, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestServeRoutes: like the deployed trigger, serve passes only POST /reset to the function, as a Function
// URL event by default; -trigger apigw sends API Gateway events, -route any every request.
func TestServeRoutes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tests := []struct {
		args                 []string
		method, path         string
		wantStatus           int
		wantBody, wantAbsent string
	}{
		{nil, "POST", "/reset", 200, `"httpMethod":"POST"`, "requestContext"},
		{nil, "GET", "/reset", 405, `"Code":"MethodNotAllowed"`, ""},
		{nil, "POST", "/", 404, `"Code":"NotFound"`, ""},
		{nil, "POST", "/other", 404, "the function's trigger is POST /reset", ""},
		{[]string{"-trigger", "apigw"}, "POST", "/reset", 200, `"requestContext"`, ""},
		{[]string{"-trigger", "apigw"}, "GET", "/", 404, `"Code":"NotFound"`, ""},
		{[]string{"-route", "any"}, "GET", "/other", 200, `"path":"/other"`, ""},
		{[]string{"-route", "PUT /r"}, "PUT", "/r", 200, `"httpMethod":"PUT"`, ""},
		{[]string{"-route", "PUT /r"}, "POST", "/r", 405, `"Code":"MethodNotAllowed"`, ""},
	}
	urls := map[string]string{}
	for _, tt := range tests {
		key := strings.Join(tt.args, " ")
		if urls[key] == "" {
			_, urls[key] = startServe(t, ctx, tt.args...)
		}
		status, hdr, body := post(t, ctx, tt.method, urls[key]+tt.path, `{}`)
		if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) || (tt.wantAbsent != "" && strings.Contains(body, tt.wantAbsent)) {
			t.Errorf("serve %s: %s %s: got %d %s, want %d with %s (and no %q)", key, tt.method, tt.path, status, body, tt.wantStatus, tt.wantBody, tt.wantAbsent)
		}
		if status == 405 && hdr.Get("Allow") == "" {
			t.Errorf("serve %s: %s %s: 405 without Allow", key, tt.method, tt.path)
		}
	}
}

// stopGently makes cmd's context end it with SIGTERM, as a terminal's Ctrl-C would, and SIGKILL only 10 s
// later: killed at once, scflocal serve could not stop the function it started, which would outlive the test.
func stopGently(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
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
	stopGently(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	badEnv := writeFile(t, dir, "bad.env", "NOEQUALS\n")
	event := writeFile(t, dir, "e.json", "{}")
	tests := []struct {
		args       []string
		wantCode   int
		wantStderr string
	}{
		{nil, 2, "usage:"},
		{[]string{"bogus"}, 2, `scflocal: unknown command "bogus"`},
		{[]string{"invoke"}, 2, "scflocal invoke: no event files"},
		{[]string{"invoke", "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"invoke", "-bin", fnBin, "/nonexistent.json"}, 2, "scflocal invoke: open /nonexistent.json"},
		{[]string{"invoke", "-env-file", badEnv, event}, 2, "scflocal invoke: "},
		{[]string{"invoke", "-bin", "/nonexistent/main", event}, 2, "scflocal invoke: start /nonexistent/main"},
		{[]string{"serve", "extra"}, 2, "scflocal serve: unexpected arguments"},
		{[]string{"serve", "-trigger", "lambda"}, 2, `scflocal serve: -trigger "lambda": want url or apigw`},
		{[]string{"serve", "-route", "reset"}, 2, `scflocal serve: -route "reset"`},
		{[]string{"serve", "-bin", "/nonexistent/main", "-addr", "127.0.0.1:0"}, 1, "scflocal serve: start /nonexistent/main"},
		// -h lists the subcommand's flags and exits 0, on every subcommand.
		{[]string{"-h"}, 0, ""},
		{[]string{"help"}, 0, ""},
		{[]string{"invoke", "-h"}, 0, "-table"},
		{[]string{"serve", "-h"}, 0, "-route"},
		{[]string{"demo", "-h"}, 0, "-events"},
		{[]string{"demo", "-help"}, 0, "-events"},
	}
	for _, tt := range tests {
		var stderr strings.Builder
		cmd := exec.CommandContext(ctx, scflocalBin, tt.args...)
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantStderr) {
			t.Errorf("scflocal %v: got exit %d, stderr:\n%s\nwant exit %d, stderr with %q", tt.args, code, stderr.String(), tt.wantCode, tt.wantStderr)
		}
		// Regression: messages once read "scflocal: scflocal: start ...".
		if strings.Contains(stderr.String(), "scflocal: scflocal:") || strings.Contains(stderr.String(), ": scflocal: ") {
			t.Errorf("scflocal %v: doubled prefix in %q", tt.args, stderr.String())
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
