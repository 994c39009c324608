package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// bin is the real dtslocal binary, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dtslocal-test")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "dtslocal")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	cancel()
	code := 1
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
	} else {
		code = m.Run()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// started is what dtslocal printed on start.
type started struct {
	api, kafka string
	sasl       []string // the lines after "sasl "
}

// start runs dtslocal with the demo configuration and returns what it printed: the api and kafka lines, then
// the two sasl lines of the demo account and the superuser.
func start(t *testing.T, args ...string) (*exec.Cmd, started) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out started
	timeout := time.After(30 * time.Second)
	for i := 0; i < 4; i++ { // api, kafka, and the demo's two sasl lines
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("dtslocal exited after printing %d lines, want 4", i)
			}
			switch {
			case i == 0 && strings.HasPrefix(line, "api "):
				out.api = strings.TrimPrefix(line, "api ")
			case i == 1 && strings.HasPrefix(line, "kafka "):
				out.kafka = strings.TrimPrefix(line, "kafka ")
			case i >= 2 && strings.HasPrefix(line, "sasl "):
				out.sasl = append(out.sasl, strings.TrimPrefix(line, "sasl "))
			default:
				t.Fatalf("stdout line %d is %q, want api, kafka, then sasl lines", i+1, line)
			}
		case <-timeout:
			t.Fatal("dtslocal did not print its start-up lines within 30s")
		}
	}
	return cmd, out
}

// sdk is a Go SDK client of dtslocal's API with the demo credentials.
func sdk(api string) *common.Client {
	prof := profile.NewClientProfile()
	prof.HttpProfile.Scheme = "HTTP"
	prof.HttpProfile.Endpoint = strings.TrimPrefix(api, "http://")
	prof.HttpProfile.ReqTimeout = 10
	return common.NewCommonClient(common.NewCredential("AKIDdtslocalDEMO", "dtslocal-demo-secret-key"), "ap-guangzhou", prof)
}

// call sends one action and decodes its Response object into out.
func call(t *testing.T, client *common.Client, action string, params, out any) {
	t.Helper()
	req := tchttp.NewCommonRequest("dts", "2021-12-06", action)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req.SetContext(ctx)
	if err := req.SetActionParameters(params); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	var env struct{ Response json.RawMessage }
	if err := json.Unmarshal(resp.GetBody(), &env); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	if err := json.Unmarshal(env.Response, out); err != nil {
		t.Fatalf("%s: %s: %v", action, env.Response, err)
	}
}

func TestDtslocal(t *testing.T) {
	cmd, st := start(t, "-http", "127.0.0.1:0", "-kafka", "127.0.0.1:0", "-data", t.TempDir())
	api, kafka := st.api, st.kafka
	if !strings.HasPrefix(api, "http://127.0.0.1:") || strings.HasSuffix(api, ":0") || !strings.HasPrefix(kafka, "127.0.0.1:") {
		t.Fatalf("addresses api %q kafka %q", api, kafka)
	}
	wantSASL := []string{"SCRAM-SHA-512 account-subs-demo000001-acct1 secret12", "SCRAM-SHA-512 dtslocal-admin dtslocal-admin-secret"}
	if !slices.Equal(st.sasl, wantSASL) {
		t.Errorf("sasl lines %q, want %q", st.sasl, wantSASL)
	}

	client := sdk(api)
	req := tchttp.NewCommonRequest("dts", "2021-12-06", "DescribeSubscribeDetail")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req.SetContext(ctx)
	if err := req.SetActionParameters(map[string]any{"SubscribeId": "subs-demo000001"}); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		t.Fatalf("DescribeSubscribeDetail: %v", err)
	}
	if body := string(resp.GetBody()); !strings.Contains(body, `"Broker":"`+kafka+`"`) {
		t.Errorf("DescribeSubscribeDetail: %s, want Broker %s", body, kafka)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("dtslocal did not exit after SIGTERM")
	}
}

func TestDtslocalBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg.json")
	if err := os.WriteFile(path, []byte(`{"Region": "ap-guangzhou", "Credentials": [], "Extra": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-config", path, "-http", "127.0.0.1:0", "-kafka", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Extra") {
		t.Errorf("got %v and %q, want a failure naming Extra", err, out)
	}
}

// TestExitStatus: asking for help is not a failure; a bad flag or argument is.
func TestExitStatus(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"-h"}, 0, "Usage of dtslocal"},
		{[]string{"-help"}, 0, "Usage of dtslocal"},
		{[]string{"-nope"}, 1, "flag provided but not defined"},
		{[]string{"extra"}, 1, "unexpected arguments"},
		{[]string{"-config", "cfg.json", "-demo"}, 1, "use it without -config"},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, tt.args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}
